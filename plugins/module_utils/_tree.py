# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of pipeline trees for gitlab_ci_job: a parent pipeline and the downstream pipelines its
trigger jobs (bridges) started, recursively. No HTTP.

A trigger job is a bridge (``Ci::Bridge``, app/models/ci/bridge.rb); ``GET /projects/:id/pipelines/:id/bridges``
shows each with its ``downstream_pipeline`` (``Entities::Ci::PipelineBasic``: ``id``, ``project_id``,
``status``, ``web_url`` ...; https://docs.gitlab.com/api/jobs/#list-pipeline-trigger-jobs). A child
pipeline (``trigger: include:``) runs in the bridge's project, a multi-project pipeline
(``trigger: project:``) in another one: every request about a downstream pipeline or its jobs goes to
the downstream pipeline's own ``project_id``.

``Tree`` holds what was read; the module asks it what to read (``to_read``, ``needs_jobs``,
``needs_pages``, ``needs_bridges``, ``needs_full``; see "what to read" below): a pipeline still running
costs one request per poll, its jobs list, which carries its status too; its trigger jobs are read when
it or one of its jobs changed status, so a pipeline that is the whole tree costs one request per poll.
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

from ansible_collections.cicd.gitlab.plugins.module_utils import _jobs

# Ci::Bridge failure reasons of a downstream pipeline that could not be created
# (app/services/ci/create_downstream_pipeline_service.rb, app/models/concerns/enums/ci/commit_status.rb;
# https://docs.gitlab.com/ci/pipelines/downstream_pipelines/), in words a person can act on.
BRIDGE_REASONS = {
    'downstream_bridge_project_not_found': 'the downstream project does not exist, or the user who runs the pipeline '
                                           'cannot see it: check the trigger:project path and that user\'s membership',
    'insufficient_bridge_permissions': 'the user who runs the pipeline may not run pipelines in the downstream project '
                                       '(Developer or higher is needed there, and the right to push to its branch when it is protected)',
    'invalid_bridge_trigger': 'the trigger is not valid: a multi-project trigger cannot name its own project (use '
                              'trigger:include for a child pipeline)',
    'downstream_pipeline_creation_failed': 'GitLab could not create the downstream pipeline: the branch may not exist, '
                                           'its .gitlab-ci.yml may be missing or invalid, or its rules leave no job',
    'bridge_pipeline_is_child_pipeline': 'a child pipeline cannot trigger a multi-project pipeline with this configuration',
    'upstream_bridge_project_not_found': 'the upstream project of the trigger could not be found',
    'pipeline_loop_detected': 'the pipelines trigger each other in a loop (the same project and ref keep starting '
                              'each other): break the cycle in the trigger jobs',
    'reached_max_descendant_pipelines_depth': 'the tree is deeper than GitLab allows (child pipelines can be nested '
                                              'at most 2 levels below the parent): flatten it',
    'reached_max_pipeline_hierarchy_size': 'the tree has more pipelines than GitLab allows in one hierarchy (1000): '
                                           'trigger fewer downstream pipelines',
}

BRIDGE_FIELDS = ('id', 'name', 'stage', 'status', 'allow_failure', 'failure_reason', 'web_url')
# Entities::Ci::PipelineBasic (lib/api/entities/ci/pipeline_basic.rb): the pipeline each job embeds.
BASIC_FIELDS = ('id', 'iid', 'project_id', 'sha', 'ref', 'status', 'source', 'created_at', 'updated_at', 'web_url')
# The first page of a pipeline's jobs that a poll reads (GitLab's largest per_page).
PAGE = 100


def project_of_url(web_url, prefix=''):
    """The project path in a pipeline's ``web_url``: ``https://h/acme/app/-/pipelines/5`` -> ``acme/app``.

    ``prefix`` is the path GitLab is served under (``/gitlab`` for ``https://h/gitlab``), taken off
    first. None when the URL has no ``/-/``.
    """
    if not isinstance(web_url, str) or '/-/' not in web_url:
        return None
    rest = web_url.split('://', 1)[-1]
    path = '/' + rest.split('/', 1)[1] if '/' in rest else '/'
    path = path.split('/-/', 1)[0]
    prefix = (prefix or '').rstrip('/')
    if prefix and path.startswith(prefix + '/'):
        path = path[len(prefix):]
    return path.strip('/') or None


def describe_path(path):
    """``the pipeline itself`` or ``trigger jobs deploy -> child``, for messages."""
    if not path:
        return 'the pipeline itself'
    return 'trigger job%s %s' % ('s' if len(path) > 1 else '', ' -> '.join(path))


class Tree:
    """A pipeline tree as read so far. Nodes are dicts keyed by pipeline id::

        {'id', 'project' (what to send: the id or path), 'project_path', 'pipeline', 'jobs', 'bridges',
         'bridge' (the trigger job that started it, None for the root), 'parent', 'path' (trigger job
         names from the root), 'allowed' (a bridge on the path may fail), 'full' (``pipeline`` is the whole
         entity as of its current status), 'more' (``jobs`` past the first page may be outdated),
         'pages_status' (the status when every page was read), 'bridges_seen' (``signature`` then)}

    ``all_pages``: every job of every pipeline is read whenever its jobs are (to find a job by name).
    """

    def __init__(self, pipeline, project, project_path=None, follow=True, prefix='', all_pages=False):
        self.follow = follow
        self.prefix = prefix
        self.all_pages = all_pages
        self.root = pipeline['id']
        self.nodes = {}
        self.order = []
        self._add(pipeline, project, project_path, None, None, (), False)

    def _add(self, pipeline, project, project_path, bridge, parent, path, allowed):
        node = {'id': pipeline['id'], 'project': project, 'project_path': project_path or project_of_url(pipeline.get('web_url'), self.prefix),
                'pipeline': dict(pipeline), 'jobs': None, 'bridges': None if self.follow else [], 'bridge': bridge,
                'parent': parent, 'path': tuple(path), 'allowed': allowed, 'full': bridge is None, 'more': False,
                'pages_status': None, 'bridges_seen': None}
        self.nodes[pipeline['id']] = node
        self.order.append(pipeline['id'])
        return node

    # ---- what to read ---------------------------------------------------------------------
    #
    # A poll reads each pipeline still running with ONE request, the first page of its jobs
    # (``GET /projects/:id/pipelines/:pipeline_id/jobs?per_page=100``): every job embeds its pipeline
    # (``Entities::Ci::JobBasic`` exposes ``pipeline`` with ``Entities::Ci::PipelineBasic``: id, project_id,
    # sha, ref, status, source, created_at, updated_at, web_url; lib/api/entities/ci/job_basic.rb,
    # lib/api/entities/ci/pipeline_basic.rb), so the status and the jobs come together. A page without
    # jobs (a pipeline of trigger jobs only) gives no status: the pipeline itself is read then. Further
    # pages (more than 100 jobs) are read when the status changed, at the end, or when every job must be
    # seen (``all_pages``: a name to find). Trigger jobs are read once, then again only when a job of the
    # pipeline finished (a stage ended: a trigger job may have started) or the pipeline did, or while one
    # is about to create its downstream pipeline. PipelineBasic has no ``finished_at``: ``needs_full``
    # says when the pipeline itself is worth one more read for the result.

    def node(self, pipeline_id):
        return self.nodes[pipeline_id]

    def to_read(self):
        """Ids of the pipelines a poll reads: never read, not finished, or with a trigger job still to start its
        downstream pipeline."""
        return [pid for pid in self.order if self._wants_read(self.nodes[pid])]

    def unread(self):
        """Ids of the pipelines never read (the downstream pipelines found during this poll)."""
        return [pid for pid in self.order if self.nodes[pid]['jobs'] is None]

    def _wants_read(self, node):
        return self.needs_jobs(node['id']) or (self.follow and node['bridges'] is None) or self._bridges_pending(node)

    def needs_jobs(self, pipeline_id):
        """Whether a poll reads the pipeline's jobs (and so its status): never read, or not finished."""
        node = self.nodes[pipeline_id]
        return node['jobs'] is None or not self.node_finished(node)

    def read_jobs(self, pipeline_id, jobs, pipeline=None, every_page=False):
        """The first page of the pipeline's jobs (at most PAGE), or ``every_page``, read now; ``pipeline`` the
        pipeline itself when it was read too (the list was empty). True when the pipeline's status changed."""
        node = self.nodes[pipeline_id]
        jobs = list(jobs)
        embedded = jobs[0].get('pipeline') if jobs and isinstance(jobs[0].get('pipeline'), dict) else None
        before = node['pipeline'].get('status')
        if pipeline is not None:
            node['pipeline'], node['full'] = dict(pipeline), True
        elif embedded is not None:
            merged = dict(node['pipeline'])
            merged.update((key, value) for key, value in embedded.items() if key in BASIC_FIELDS)
            node['full'] = node['full'] and merged.get('status') == before
            node['pipeline'] = merged
        changed = node['pipeline'].get('status') != before or node['jobs'] is None
        if every_page:
            node['jobs'], node['more'], node['pages_status'] = jobs, False, node['pipeline'].get('status')
            return changed
        node['more'] = len(jobs) >= PAGE
        if node['more'] and node['jobs']:
            # The older jobs (later pages) as last read; the status change or the end reads them again.
            seen = set(job.get('id') for job in jobs)
            jobs.extend(job for job in node['jobs'] if job.get('id') not in seen)
        node['jobs'] = jobs
        return changed

    def needs_pages(self, pipeline_id):
        """Whether the jobs beyond the first page must be read: there may be some, and the status changed since
        they were read, the pipeline finished, or every job must be seen (``all_pages``)."""
        node = self.nodes[pipeline_id]
        if not node['more']:
            return False
        return (self.all_pages or node['pages_status'] != node['pipeline'].get('status')
                or _jobs.pipeline_finished(node['pipeline'], node['jobs']))

    def add_pages(self, pipeline_id, jobs):
        """The jobs of the pages after the first, read now."""
        node = self.nodes[pipeline_id]
        first = node['jobs'][:PAGE]
        seen = set(job.get('id') for job in first)
        node['jobs'] = first + [job for job in jobs if job.get('id') not in seen]
        node['more'], node['pages_status'] = False, node['pipeline'].get('status')

    def needs_bridges(self, pipeline_id):
        """Whether the pipeline's trigger jobs must be read now (see above). Never without ``follow``; never again
        once a read found none (GitLab creates them with the pipeline, so none appear later)."""
        node = self.nodes[pipeline_id]
        bridges = node['bridges']
        if not self.follow:
            return False
        if bridges is None:
            return True
        if not bridges:
            return False
        return node['bridges_seen'] != self.signature(node) or self._bridge_starting(node)

    @staticmethod
    def signature(node):
        """What tells that a trigger job may have started or ended: the pipeline's status once it is final (or
        blocked), and the jobs that have finished or wait on a person (a stage ended). Jobs that merely start
        change nothing here, so a trigger job's stage is read when the stage before it ends."""
        status = node['pipeline'].get('status')
        done = tuple(sorted(job.get('id') or 0 for job in node['jobs'] or () if _jobs.job_finished(job)))
        return (status if status in _jobs.FINISHED or status in _jobs.BLOCKED else None, done)

    def _bridge_starting(self, node):
        """A trigger job that has started but not created its downstream pipeline yet; or one still ``created``
        while no job of the pipeline runs (it waits only on other trigger jobs, whose changes no job shows)."""
        idle = not any(job.get('status') in _jobs.ACTIVE for job in node['jobs'] or ())
        for bridge in node['bridges'] or ():
            if bridge.get('retried') or bridge.get('downstream_pipeline'):
                continue
            if bridge.get('status') in _jobs.ACTIVE or (bridge.get('status') == 'created' and idle):
                return True
        return False

    def needs_full(self, pipeline_id):
        """Whether the pipeline itself should be read once more: it has finished and its end was seen in its job
        list only, which lacks fields such as ``finished_at``."""
        node = self.nodes[pipeline_id]
        return not node['full'] and node['jobs'] is not None and self.node_finished(node)

    def set_pipeline(self, pipeline_id, pipeline):
        """The pipeline itself, read now (``GET /projects/:id/pipelines/:pipeline_id``)."""
        node = self.nodes[pipeline_id]
        node['pipeline'], node['full'] = dict(pipeline), True

    def set_jobs(self, pipeline_id, jobs, bridges=None):
        """Every job (and the bridges) of a pipeline, read now. Returns the new downstream nodes."""
        node = self.nodes[pipeline_id]
        node['jobs'] = list(jobs)
        node['more'], node['pages_status'] = False, node['pipeline'].get('status')
        if not self.follow or bridges is None:
            if self.follow and node['bridges'] is None:
                node['bridges'] = []
            return []
        return self.set_bridges(pipeline_id, bridges)

    def set_bridges(self, pipeline_id, bridges):
        """The trigger jobs of a pipeline, read now. Returns the new downstream nodes."""
        node = self.nodes[pipeline_id]
        node['bridges'] = list(bridges)
        node['bridges_seen'] = self.signature(node)
        added = []
        for bridge in sorted(node['bridges'], key=lambda b: b.get('id') or 0):
            if bridge.get('retried'):
                continue
            downstream = bridge.get('downstream_pipeline')
            if not isinstance(downstream, dict) or downstream.get('id') is None:
                continue
            known = self.nodes.get(downstream['id'])
            if known is not None:
                if known['bridge'] and known['bridge'].get('id') == bridge.get('id'):
                    known['bridge'] = public_bridge(bridge)
                continue
            # A child pipeline is in its parent's project: it is named as the task names that one.
            path = project_of_url(downstream.get('web_url'), self.prefix)
            project = node['project'] if path is not None and path == node['project_path'] else downstream.get('project_id')
            added.append(self._add(downstream, project, path, public_bridge(bridge), pipeline_id,
                                   node['path'] + (bridge.get('name'),), node['allowed'] or bool(bridge.get('allow_failure'))))
        return added

    def _downstream_of(self, bridge):
        downstream = bridge.get('downstream_pipeline')
        if bridge.get('retried') or not isinstance(downstream, dict):
            return None
        return self.nodes.get(downstream.get('id'))

    def _blocked_downstream(self, node):
        """A trigger job of the pipeline whose downstream pipeline has finished waiting on manual jobs: with
        ``strategy: depend`` the trigger job (and so the pipeline) keeps running while the downstream waits
        (Ci::Bridge#inherit_status_from_downstream! takes over only complete statuses, app/models/ci/bridge.rb)."""
        for bridge in node['bridges'] or ():
            downstream = self._downstream_of(bridge)
            if downstream is not None and self.node_finished(downstream) and downstream['pipeline'].get('status') not in _jobs.FINISHED:
                return True
        return False

    # ---- when it is over ----------------------------------------------------------------------

    def node_finished(self, node):
        """The pipeline will not progress by itself (_jobs.pipeline_finished), or it runs only because a
        trigger job waits on a downstream pipeline that waits on manual jobs, all else being finished."""
        if node['jobs'] is None:
            return False
        if _jobs.pipeline_finished(node['pipeline'], node['jobs']):
            return True
        if node['pipeline'].get('status') == 'canceling' or not self._blocked_downstream(node):
            return False
        if any(job.get('status') not in _jobs.FINISHED and job.get('status') != 'manual' for job in node['jobs']):
            return False
        for bridge in node['bridges'] or ():
            if bridge.get('retried') or bridge.get('status') in _jobs.FINISHED or bridge.get('status') in _jobs.BLOCKED:
                continue
            downstream = self._downstream_of(bridge)
            if downstream is None or not self.node_finished(downstream):
                return False
        return True

    def _bridges_pending(self, node):
        """A bridge that has not created its downstream yet and may still do so (not manual, not finished)."""
        if not self.follow:
            return False
        for bridge in node['bridges'] or ():
            if bridge.get('retried') or bridge.get('downstream_pipeline'):
                continue
            if bridge.get('status') not in _jobs.FINISHED and bridge.get('status') not in _jobs.BLOCKED:
                return True
        return False

    def finished(self):
        """Every pipeline has finished (or waits only for manual jobs) and its jobs and bridges were read then."""
        for node in self.nodes.values():
            if not self.node_finished(node) or self.needs_pages(node['id']) or self.needs_bridges(node['id']):
                return False
            if node['bridges'] is None or self._bridges_pending(node):
                return False
        return True

    def unfinished(self):
        """The nodes still running, for a timeout message."""
        return [self.nodes[pid] for pid in self.order if not self.node_finished(self.nodes[pid])]

    # ---- the outcome ------------------------------------------------------------------------------

    def outcome(self, fail_on):
        """``(status, blamed, broken)``: the status failing the task (None when the tree's end is fine),
        ``[(node, job)]`` the jobs to blame, ``[(node, bridge)]`` the trigger jobs that could not create
        their downstream pipeline. Pipelines below a trigger job allowed to fail never fail the task."""
        fail_on = tuple(fail_on or ())
        status, blamed, broken = None, [], []
        for pid in self.order:
            node = self.nodes[pid]
            if node['allowed']:
                continue
            for bridge in node['bridges'] or ():
                if (bridge.get('status') == 'failed' and not bridge.get('allow_failure') and not bridge.get('retried')
                        and bridge.get('failure_reason') in BRIDGE_REASONS and 'failed' in fail_on):
                    broken.append((node, bridge))
            found, jobs = _jobs.pipeline_outcome(node['pipeline'], node['jobs'] or [], fail_on)
            blamed.extend((node, job) for job in jobs)
            if found and status is None:
                status = found
        if broken and status is None:
            status = 'failed'
        if blamed and status is None:
            status = blamed[0][1].get('status')
        return status, blamed, broken

    def status(self, fail_on=_jobs.DEFAULT_FAIL_ON):
        """The tree's status: running while any pipeline runs, the failing status, else manual when any
        pipeline waits on a manual job, else the root pipeline's status."""
        if not self.finished():
            return 'running'
        failing = self.outcome(fail_on)[0]
        if failing:
            return failing
        statuses = [node['pipeline'].get('status') for node in self.nodes.values() if not node['allowed']]
        if 'manual' in statuses:
            return 'manual'
        return self.nodes[self.root]['pipeline'].get('status')

    # ---- finding a job ------------------------------------------------------------------------------

    def candidates(self, name):
        """``[(node, job)]``: the newest job called ``name`` in each pipeline of the tree, in tree order."""
        found = []
        for pid in self.order:
            job = _jobs.pick_job(self.nodes[pid]['jobs'] or [], name)
            if job is not None:
                found.append((self.nodes[pid], job))
        return found

    def pick(self, name, downstream=None):
        """``(node, job, problem)`` for ``name``; ``downstream`` (a list of trigger job names) picks the pipeline.

        ``downstream`` None searches the whole tree: one match wins, several are a problem listing the
        candidates. ``[]`` means the root pipeline itself.
        """
        found = self.candidates(name)
        if downstream is not None:
            wanted = tuple(downstream)
            found = [(node, job) for node, job in found if node['path'] == wanted]
            if not found:
                paths = [node['path'] for node in self.nodes.values()]
                if wanted not in paths:
                    return None, None, ('no pipeline at downstream %s in the tree of pipeline %s; its paths: %s'
                                        % (list(wanted), self.root, '; '.join(str(list(p)) for p in paths)))
                return None, None, None
        if len(found) > 1:
            return None, None, ('the name %s matches jobs in %d pipelines of the tree of pipeline %s; pick one with downstream '
                                '(the trigger job names from the parent; [] for the parent itself): %s'
                                % (name, len(found), self.root, '; '.join(describe_candidate(n, j) for n, j in found)))
        if not found:
            return None, None, None
        return found[0][0], found[0][1], None

    def job_names(self):
        return sorted(set(job.get('name') for node in self.nodes.values() for job in node['jobs'] or () if job.get('name')))

    # ---- results ----------------------------------------------------------------------------------

    def public(self, pipeline_id=None):
        """The root (or one) pipeline as the module returns it, with ``downstream``: its child nodes, recursively."""
        node = self.nodes[self.root if pipeline_id is None else pipeline_id]
        result = _jobs.public_pipeline(node['pipeline'], node['jobs'] or [])
        if node['bridge'] is not None:
            result['project_id'] = node['pipeline'].get('project_id') or node['project']
            result['project'] = node['project_path']
            result['bridge'] = node['bridge']
        if self.follow:
            result['downstream'] = [self.public(pid) for pid in self.order if self.nodes[pid]['parent'] == node['id']]
        return result


def public_bridge(bridge):
    """The trigger job that started a downstream pipeline, as the module returns it."""
    return dict((field, bridge.get(field)) for field in BRIDGE_FIELDS)


def describe_node(node):
    """``pipeline 12 of acme/other (trigger job deploy)``."""
    text = 'pipeline %s of %s' % (node['id'], node['project_path'] or node['project'])
    if node['path']:
        text += ' (%s)' % describe_path(node['path'])
    return text


def describe_candidate(node, job):
    return '%s in pipeline %s of %s, downstream: %s' % (
        _jobs.describe_job(job), node['id'], node['project_path'] or node['project'], list(node['path']))


def bridge_message(node, bridge):
    """Why a trigger job could not create its downstream pipeline, in words a person can act on."""
    reason = bridge.get('failure_reason')
    text = ('trigger job %s (%s) of %s failed: %s (failure_reason: %s)'
            % (bridge.get('name'), bridge.get('id'), describe_node(node), BRIDGE_REASONS.get(reason, 'GitLab gave no details'), reason))
    if bridge.get('web_url'):
        text += '; see %s' % bridge['web_url']
    return text


def timeout_status(tree):
    """``pipeline 5 running; pipeline 7 of acme/other (trigger job multi) pending`` for a timeout message."""
    waiting = tree.unfinished()
    if not waiting:
        return tree.nodes[tree.root]['pipeline'].get('status')
    return '; '.join('%s %s' % (describe_node(node), node['pipeline'].get('status')) for node in waiting)


# ---- the pipeline-variables restriction (GitLab 17.7+) ------------------------------------------------

VARIABLES_DENIED = 'Insufficient permissions to set pipeline variables'
# ProjectCiCdSetting#pipeline_variables_minimum_override_role (app/models/project_ci_cd_setting.rb);
# https://docs.gitlab.com/ci/variables/#restrict-pipeline-variables
ROLE_WORDS = {
    'no_one_allowed': 'no one may pass pipeline variables',
    'developer': 'the Developer role or higher is needed',
    'maintainer': 'the Maintainer role or higher is needed',
    'owner': 'the Owner role is needed',
}


def variables_denied(message):
    """True when GitLab's answer is the pipeline-variables restriction."""
    return VARIABLES_DENIED.lower() in str(message or '').lower()


def variables_message(project, role, trigger=False):
    """The restriction explained: the setting, its value when readable, the role needed, and inputs."""
    who = 'the owner of the trigger token' if trigger else 'the user of the token'
    text = ('GitLab refused to start the pipeline of project %s: %s. The project setting '
            'ci_pipeline_variables_minimum_override_role (Settings > CI/CD > Variables, "Minimum role to use pipeline variables") '
            % (project, VARIABLES_DENIED))
    if role in ROLE_WORDS:
        text += 'is %s: %s, and %s does not have it' % (role, ROLE_WORDS[role], who)
    elif role:
        text += 'is %s, and %s does not have the role it needs' % (role, who)
    else:
        text += 'could not be read with this token (Maintainers can read it in GET /projects/:id); %s is below the role it sets' % who
    text += ('. Pass the values as pipeline inputs (inputs, spec:inputs in .gitlab-ci.yml) instead of variables, run without '
             'variables, or have a Maintainer lower the setting; see https://docs.gitlab.com/ci/variables/#restrict-pipeline-variables')
    return text
