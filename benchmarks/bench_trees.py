# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipeline trees: requests per poll, how soon the end is noticed, and ``state: run`` + ``wait`` against a
``uri``-style polling loop.

Part ``trees`` of ``make bench`` (benchmarks/bench.py; section 7 of benchmarks/RESULTS.md).

The module's ``main()`` runs in this process against the fake GitLab (tests/fake_gitlab) in a thread,
and the fake's CI clock, the module's sleep and its clock are one virtual clock (as in
tests/unit/plugins/modules/test_gitlab_ci_job.py): a tree that runs 10 minutes costs no real time, the
fake's durations are exact, and the time a request takes counts as 0. Every figure is therefore
deterministic; one run of each is enough (``--runs`` is not used here).

* Requests per poll: a parent with 5 child pipelines (no ``strategy``) whose jobs run 1/5 .. 5/5 of the
  tree's duration; each poll's requests are counted against the number of pipelines of the tree still
  running at that moment (read from the fake apart from the module's requests).
* From the last job of the tree finishing to the task returning, for trees of 5 s, 60 s and 10 min
  (target: at most the interval cap, 10 s by default, plus 0.5 s).
* One pipeline: ``state: run`` + ``wait`` against a loop in the manner of ``ansible.builtin.uri`` with
  ``until``/``delay``: POST the pipeline, then GET it every ``delay`` seconds until its status is final. The
  target is judged like for like: the module at the loop's cadence (``poll_interval`` = ``poll_interval_max`` =
  ``delay``), with ``follow_downstream: false`` (the loop follows no tree) and with the default ``true``; the
  module's defaults (5 s growing to 10 s) against the loop are shown as information.
"""

import contextlib
import datetime
import io
import json
import os
import shutil
import sys
import tempfile
import time
from unittest import mock

import requests

from _common import ROOT, collection_tree, machine, part_meta, say

TOKEN = 'glpat-bench-trees-0000000'
PROJECT = 'bench/tree'
SINGLE = 'bench/single'
DURATIONS = (5, 60, 600)
CHILDREN = 5
LATENCY_SLACK = 0.5
STAMP = 0.001
# The module's runs on the single pipeline: its defaults, then at the loop's cadence without and with trees.
VARIANTS = ('default', 'alone', 'follow')
VARIANT_WORDS = {'default': 'defaults (`poll_interval: 5`, growing to `poll_interval_max: 10`)',
                 'alone': 'same cadence, `follow_downstream: false`', 'follow': 'same cadence, `follow_downstream: true`'}
CAP = 10.0
FIRST = 5.0


class Clock:
    """Virtual time: ``sleep`` moves it on."""

    def __init__(self):
        self.now = 1750000000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def seed(duration):
    children = []
    for number in range(1, CHILDREN + 1):
        children.append({'name': 'child-%d' % number, 'stage': 'deploy',
                         'trigger': {'include': [{'name': 'work-%d' % number, 'duration': duration * number / CHILDREN}]}})
    return {'users': [{'username': 'root', 'token': TOKEN, 'admin': True}], 'groups': [{'path': 'bench'}],
            'projects': [{'path': PROJECT, 'ci': [{'name': 'build', 'stage': 'build', 'duration': 0.3}] + children},
                         {'path': SINGLE, 'ci': [{'name': 'build', 'stage': 'build', 'duration': duration * 0.4},
                                                 {'name': 'test', 'stage': 'test', 'duration': duration * 0.6}]}]}


@contextlib.contextmanager
def importable():
    """The collection and the fake importable (ansible_collections.cicd.gitlab, tests.fake_gitlab)."""
    base = tempfile.mkdtemp(prefix='cicd-gitlab-bench-trees-')
    collection_tree(base)
    sys.path[:0] = [base, ROOT]
    try:
        yield
    finally:
        for path in (base, ROOT):
            sys.path.remove(path)
        shutil.rmtree(base, ignore_errors=True)


def epoch(stamp):
    return datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp()


def pipeline_of(entry):
    parts = entry['path'].split('/')
    return int(parts[parts.index('pipelines') + 1])


def request_kind(entry):
    """``start`` (the POST; a list of the ref's pipelines, should one be read), ``jobs``, ``bridges``, ``pipeline``
    (GET /pipelines/:id) or ``other``."""
    parts = entry['path'].split('/')
    if entry['method'] == 'POST' or parts[-1] == 'pipelines':
        return 'start'
    if 'pipelines' in parts and parts.index('pipelines') + 1 < len(parts):
        tail = parts[parts.index('pipelines') + 2:]
        return {(): 'pipeline', ('jobs',): 'jobs', ('bridges',): 'bridges'}.get(tuple(tail), 'other')
    return 'other'


def poll_row(journal, known, running):
    """One poll's requests by kind. Job lists of pipelines known before it are the pipelines it polled (a
    downstream pipeline found during the poll is read at once, and counted apart); ``known`` grows."""
    read = [pipeline_of(entry) for entry in journal if request_kind(entry) == 'jobs']
    polled = len(set(pid for pid in read if pid in known))
    known.update(read)
    return {'requests': len(journal), 'polled': polled, 'jobs': len(read), 'running': running,
            'bridges': sum(1 for entry in journal if request_kind(entry) == 'bridges'),
            'pipeline': sum(1 for entry in journal if request_kind(entry) == 'pipeline')}


class Bench:
    def __init__(self, fake, clock):
        from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_job  # pylint: disable=import-outside-toplevel
        from tests.unit.module_args import patch_module_args  # pylint: disable=import-outside-toplevel
        self.module, self.patch, self.fake, self.clock = gitlab_ci_job, patch_module_args, fake, clock
        self.session = requests.Session()
        self.session.headers['PRIVATE-TOKEN'] = TOKEN

    def get(self, path):
        response = self.session.get(self.fake.api_url + path, timeout=30)
        response.raise_for_status()
        return response.json()

    def tree_ids(self, project, pipeline_id):
        """``[(project, id)]`` of a pipeline and its downstream pipelines, read apart from the module."""
        found, todo = [], [(project, pipeline_id)]
        while todo:
            where, pid = todo.pop()
            found.append((where, pid))
            for bridge in self.get('/projects/%s/pipelines/%d/bridges' % (where, pid)):
                if bridge.get('downstream_pipeline'):
                    todo.append((bridge['downstream_pipeline']['project_id'], bridge['downstream_pipeline']['id']))
        return found

    def running(self, pipelines):
        return sum(1 for where, pid in pipelines
                   if self.get('/projects/%s/pipelines/%d' % (where, pid))['status'] not in ('success', 'failed', 'canceled', 'skipped', 'manual'))

    def run_module(self, project, probe=None, **options):
        """main() with ``options``; returns ``(result, per-poll [(requests, running)], requests in all)``."""
        args = dict(dict(api_url=self.fake.url, api_token=TOKEN, project=project, state='run', ref='main', wait=True,
                         poll_interval=FIRST, poll_interval_max=CAP, wait_timeout=3600), **options)
        polls, total, kinds = [], [0], {}
        where = project.replace('/', '%2F')
        known = set()

        def count(journal):
            total[0] += len(journal)
            for entry in journal:
                kind = request_kind(entry)
                kinds[kind] = kinds.get(kind, 0) + 1

        def sleep(seconds):
            """The end of a poll: count what the module sent, then (apart) what still runs; clear the journal."""
            journal = self.fake.journal
            count(journal)
            if probe:
                newest = self.get('/projects/%s/pipelines?per_page=1' % where)[0]['id']
                polls.append(poll_row(journal, known, self.running(self.tree_ids(where, newest))))
            self.fake.clear_journal()
            self.clock.sleep(seconds)

        out = io.StringIO()
        self.fake.clear_journal()
        with mock.patch.object(self.module, 'SLEEP', sleep), mock.patch.object(self.module, 'CLOCK', self.clock), \
                self.patch(args), contextlib.redirect_stdout(out):
            try:
                self.module.main()
            except SystemExit:
                pass
        if probe and self.fake.journal:
            # After the last sleep: the poll that saw the end, then the read of the root pipeline.
            polls.append(poll_row(self.fake.journal, known, None))
        count(self.fake.journal)
        result = json.loads(out.getvalue())
        if result.get('failed'):
            raise RuntimeError(result['msg'])
        return result, polls, total[0], kinds

    def last_finish(self, result, project):
        """The latest finished_at of every job of the tree in a module result."""
        stamps = []
        nodes = [(project, result['pipeline'])]
        while nodes:
            where, node = nodes.pop()
            for job in self.get('/projects/%s/pipelines/%d/jobs' % (str(where).replace('/', '%2F'), node['id'])):
                if job.get('finished_at'):
                    stamps.append(epoch(job['finished_at']))
            nodes.extend((child.get('project_id') or where, child) for child in node.get('downstream', ()))
        return max(stamps)

    def single(self, project, options):
        """``state: run`` + ``wait`` on one pipeline: requests (in all and by kind) and the return after its end."""
        result, dummy, sent, kinds = self.run_module(project, **options)
        return {'requests': sent, 'kinds': kinds, 'latency': self.clock() - self.last_finish(result, project),
                'finished_at': result['pipeline'].get('finished_at') is not None}

    def uri_run(self, project, delay):
        """The loop on a new pipeline: ``(requests, return after its last job finished)``."""
        sent, end, pipeline_id = self.uri_loop(project, delay)
        last = max(epoch(j['finished_at']) for j in self.get('/projects/%s/pipelines/%d/jobs' % (project.replace('/', '%2F'), pipeline_id)))
        return sent, end - last

    def uri_loop(self, project, delay):
        """POST the pipeline, then GET it every ``delay`` s until final: ``(requests, return moment)``."""
        where = project.replace('/', '%2F')
        response = self.session.post(self.fake.api_url + '/projects/%s/pipeline' % where, json={'ref': 'main'}, timeout=30)
        response.raise_for_status()
        pipeline, sent = response.json(), 1
        while True:
            status = self.get('/projects/%s/pipelines/%d' % (where, pipeline['id']))['status']
            sent += 1
            if status in ('success', 'failed', 'canceled', 'skipped', 'manual'):
                return sent, self.clock(), pipeline['id']
            self.clock.sleep(delay)


def measure(args):  # pylint: disable=unused-argument
    """Run the trees part; returns its raw data."""
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    rows = {'per_poll': None, 'latency': [], 'single': []}
    with importable():
        from tests.fake_gitlab import FakeGitLab  # pylint: disable=import-outside-toplevel
        for duration in DURATIONS:
            clock = Clock()
            with FakeGitLab(seed=seed(duration)) as fake:
                fake.state.clock = clock
                bench = Bench(fake, clock)
                result, polls, total, dummy = bench.run_module(PROJECT, probe=(duration == 60))
                returned = clock()
                last = bench.last_finish(result, PROJECT)
                nodes = 1 + len(result['pipeline']['downstream'])
                rows['latency'].append({'duration': duration, 'pipelines': nodes, 'requests': total, 'latency': returned - last,
                                        'elapsed': returned - result_start(result, clock)})
                say('  tree of %d s: %d pipelines, %d requests, returned %.2f s after the last job finished' % (
                    duration, nodes, total, returned - last))
                if polls:
                    rows['per_poll'] = polls
                for delay in (CAP, FIRST):
                    row = {'duration': duration, 'delay': delay}
                    row['uri_requests'], row['uri_latency'] = bench.uri_run(SINGLE, delay)
                    for name, options in (('default', {}),
                                          ('alone', dict(poll_interval=delay, poll_interval_max=delay, follow_downstream=False)),
                                          ('follow', dict(poll_interval=delay, poll_interval_max=delay))):
                        row[name] = bench.single(SINGLE, options)
                    rows['single'].append(row)
                    say('  one pipeline of %d s, uri delay %g s: uri %d requests (+%.2f s after its end); ours: %s' % (
                        duration, delay, row['uri_requests'], row['uri_latency'], ', '.join(
                            '%s %d (+%.2f s)' % (name, row[name]['requests'], row[name]['latency']) for name in VARIANTS)))
    return {'machine': machine(), 'meta': part_meta(started, load_before), 'rows': rows,
            'settings': {'poll_interval': FIRST, 'poll_interval_max': CAP, 'children': CHILDREN}}


def result_start(result, clock):  # pylint: disable=unused-argument
    created = result['pipeline'].get('created_at')
    return epoch(created) if created else clock()


def _kinds(entry):
    """``2 start + 7 job lists + 1 pipeline`` for a run's requests by kind."""
    words = (('start', 'start'), ('jobs', 'job list'), ('bridges', 'trigger-job list'), ('pipeline', 'pipeline'), ('other', 'other'))
    return ' + '.join('%d %s%s' % (entry['kinds'][kind], word, 's' if entry['kinds'][kind] > 1 and kind in ('jobs', 'bridges') else '')
                      for kind, word in words if entry['kinds'].get(kind))


def difference(extra):
    """``as many requests as the loop`` or ``1 request more than the loop`` for the differences seen."""
    if extra == [0]:
        return 'as many requests as the loop'
    counts = [abs(n) for n in extra]
    return '%s request%s %s than the loop' % (' or '.join(str(n) for n in counts), '' if counts == [1] else 's',
                                              'fewer' if all(n < 0 for n in extra) else 'more')


def targets(data):
    rows = data['rows']
    latency = [row['latency'] for row in rows['latency']]
    met = all(value <= CAP + LATENCY_SLACK for value in latency)
    same = [row for row in rows['single'] if row['delay'] == CAP]
    requests_met = all(row['alone']['requests'] <= row['uri_requests'] for row in same)
    # Within the resolution of GitLab's timestamps (milliseconds), from which a job's end is read.
    later_met = all(row[name]['latency'] <= row['uri_latency'] + STAMP for row in same for name in ('alone', 'follow'))
    polls = rows['per_poll'] or []
    # A poll reads the job list of only the pipelines still running after the poll before it (the downstream
    # pipelines it finds are read at once, apart).
    per_poll_met = all(poll['polled'] <= before['running'] for before, poll in zip(polls, polls[1:]) if before['running'] is not None) if polls else None
    extra = sorted(set(row['alone']['requests'] - row['uri_requests'] for row in same))
    return [
        ('trees: end of a tree (5 s / 60 s / 10 min) noticed within the cap (%g s) + %.1f s' % (CAP, LATENCY_SLACK),
         ' / '.join('%.2f s' % value for value in latency), met, 'see section 7'),
        ('trees: a poll reads only the pipelines still running (1 parent + %d children)' % CHILDREN,
         'pipelines polled / running before the poll: %s' % ', '.join(
             '%d/%d' % (poll['polled'], before['running']) for before, poll in zip(polls, polls[1:12])), per_poll_met,
         'see section 7'),
        ('trees: one pipeline, `state: run` + `wait` at the cadence of a `uri` loop with `delay: %g` (`poll_interval` = '
         '`poll_interval_max` = %g), `follow_downstream: false`: no more requests than the loop' % (CAP, CAP),
         '%s; with `follow_downstream: true`: %s' % (
             ', '.join('%d s: %d vs %d' % (r['duration'], r['alone']['requests'], r['uri_requests']) for r in same),
             ', '.join('%d' % r['follow']['requests'] for r in same)),
         requests_met,
         'judged like for like, without following trees (the loop does not look for downstream pipelines); the module '
         'sends %s at the same cadence: the POST, one request per poll (the job list, which '
         'carries the status) and the pipeline itself once at the end (the job list lacks `finished_at`), where the loop '
         'sends the POST, one GET right after it and one per poll. Nothing is read before the POST: a lost answer is '
         'looked for afterwards, by GitLab\'s clock. Following trees (the default) adds one read of the trigger jobs, '
         'which tells there is no downstream pipeline. With its defaults (5 s growing to 10 s) it polls more often early '
         'on: %s vs %s (section 7.3)' % (
             difference(extra),
             ', '.join('%d' % r['default']['requests'] for r in same), ', '.join('%d' % r['uri_requests'] for r in same))),
        ('trees: one pipeline, `state: run` + `wait` at the cadence of a `uri` loop with `delay: %g`, with and without '
         '`follow_downstream`: no later return' % CAP,
         ', '.join('%d s: +%.2f / +%.2f vs +%.2f s' % (r['duration'], r['alone']['latency'], r['follow']['latency'], r['uri_latency'])
                   for r in same), later_met,
         'see section 7.3'),
    ]


def section(data, number):
    rows = data['rows']
    meta = data['meta']
    lines = [
        '## %d. Pipeline trees: requests per poll, end noticed, against a `uri` loop' % number,
        '',
        'Part `trees`, measured %s in %.0f s; raw results: `benchmarks/output/%s`.' % (meta['date'], meta['seconds'], data.get('raw_name')),
        '',
        '`gitlab_ci_job` `state: run` + `wait` (`poll_interval: %g`, `poll_interval_max: %g` unless said otherwise) runs' % (FIRST, CAP),
        'in-process against the fake GitLab with one virtual clock for the fake\'s CI, the module\'s sleep and its clock:',
        'durations are exact, a request costs no time, and every figure is deterministic (one run each). The tree: a parent',
        '(`build`, 0.3 s) whose %d trigger jobs (no `strategy`) start child pipelines; child *i* runs one job of *i*/%d of' % (
            CHILDREN, CHILDREN),
        'the tree\'s duration.',
        '',
        '### %d.1 Requests per poll (tree of 60 s)' % number,
        '',
        'Each poll: the requests the module sent, and the pipelines of the tree still running after it (read apart). A',
        'running pipeline costs one request, its job list (`GET /pipelines/:id/jobs`: each job embeds its pipeline and',
        'its status); its trigger jobs are read once, then when one of its jobs or the pipeline itself finished; a',
        'downstream pipeline is read (job list, trigger jobs) in the poll that finds it; the root pipeline itself',
        '(`GET /pipelines/:id`) once at the end, for the fields a job list lacks (`finished_at`).',
        '',
        '| poll | requests | job lists of pipelines polled | job lists of new pipelines | trigger-job lists | `GET /pipelines/:id` '
        '| pipelines running after it |',
        '|---|---|---|---|---|---|---|',
    ]
    for index, poll in enumerate(rows['per_poll'] or [], 1):
        after = 'the task returned' if poll['running'] is None else poll['running']
        lines.append('| %d | %d | %d | %d | %d | %d | %s |' % (
            index, poll['requests'], poll['polled'], poll['jobs'] - poll['polled'], poll['bridges'], poll['pipeline'], after))
    lines += [
        '',
        'Row 1 is the start (the POST alone: nothing is read before it, and the answer is the pipeline); the first',
        'poll comes `poll_interval` later. The last row is the poll that saw the end, then the read of the root pipeline.',
        '',
        '### %d.2 From the last job finishing to the task returning' % number,
        '',
        '| tree runs | pipelines | requests in all | returned after the last job finished | target ≤ %.1f s |' % (CAP + LATENCY_SLACK),
        '|---|---|---|---|---|',
    ]
    for row in rows['latency']:
        verdict = 'met' if row['latency'] <= CAP + LATENCY_SLACK else '**missed**'
        lines.append('| %d s | %d | %d | %.2f s | %s |' % (row['duration'], row['pipelines'], row['requests'], row['latency'], verdict))
    lines += [
        '',
        '### %d.3 One pipeline: `state: run` + `wait` against a `uri`-style loop' % number,
        '',
        'The loop does what `ansible.builtin.uri` with `until`, `retries` and `delay` does: POST the pipeline, GET it at',
        'once, then every `delay` seconds until its status is final (success, failed, canceled, skipped or manual); it',
        'returns the pipeline alone, no jobs. The pipeline: build (40 %) then test (60 %) of the duration, no trigger',
        'jobs. Side by side on the same fake and clock, the module three times: with its defaults, and at the loop\'s',
        'cadence (`poll_interval` = `poll_interval_max` = `delay`) without and with `follow_downstream`. The target is',
        'judged at the same cadence: with its defaults the module polls more often than `delay: 10` early on and less',
        'often than `delay: 5` later, so neither comparison is like for like.',
        '',
        '| pipeline runs | uri `delay` | uri: requests, return after its end | module | requests | of which | return after its end |',
        '|---|---|---|---|---|---|---|',
    ]
    for row in rows['single']:
        for index, name in enumerate(VARIANTS):
            head = ('| %d s | %g s | %d, +%.2f s ' % (row['duration'], row['delay'], row['uri_requests'], row['uri_latency'])
                    if index == 0 else '| | | ')
            entry = row[name]
            lines.append('%s| %s | %d | %s | +%.2f s |' % (head, VARIANT_WORDS[name], entry['requests'], _kinds(entry), entry['latency']))
    lines += [
        '',
        '"start" is the POST, nothing else: no read comes before it (a lost answer to the POST is looked for afterwards',
        'among the ref\'s pipelines created since it was sent, by GitLab\'s clock: tests/integration/test_lost_answers_playbooks.py);',
        '"pipeline" is the one read of the pipeline itself at the end (its `finished_at`; the job lists carry every other',
        'field the result shows). At the same cadence the module therefore sends as many requests as the loop, which',
        'spends one on a GET right after its POST, and one more when it follows trees (its trigger jobs, read once: there',
        'are none). The module returns the pipeline with its jobs; the loop returns the pipeline alone.',
        '',
        'Times are virtual (the fake\'s and the module\'s clock); real request time is not in them.',
        '',
    ]
    return lines


if __name__ == '__main__':
    from _common import save_raw  # pylint: disable=import-outside-toplevel
    DATA = measure(None)
    save_raw('trees', DATA)
    print('\n'.join(section(DATA, 7)))
