"""The hostile cases, by class (issue #11): each a ``runner.Case`` built from the run's context.

``build_cases(ctx)`` needs ``ctx`` with: ``proxy`` (the proxy's URL), ``other`` (a second proxy on
127.0.0.2: another origin), ``job`` (a finished build job of acme/svc with artifacts and a log),
``size`` (its archive's size), ``deploy`` (two manual deploy jobs of acme/svc, not played),
``failed_job`` (acme/app's failing test job), ``trigger_token`` (a pipeline trigger token of
acme/svc), ``rotate_trigger`` (the id of another trigger of acme/svc, to rotate) and ``workdir``.
Classes: credentials, url, answers, lost, files, values, options, messages, reads (the info modules).
"""

import os
import re
import uuid

from tests.conftest import DEV_TOKEN, ROOT_TOKEN
from tests.hostile.runner import NO_LOG_MARKERS, OMIT, Case

VARIABLE = 'cicd.gitlab.gitlab_ci_variable'
TRIGGER = 'cicd.gitlab.gitlab_ci_trigger'
JOB = 'cicd.gitlab.gitlab_ci_job'
CI_SETTINGS = 'cicd.gitlab.ci_settings'
PIPELINE = 'cicd.gitlab.pipeline'
PIPELINE_INFO = 'cicd.gitlab.gitlab_ci_pipeline_info'
JOB_INFO = 'cicd.gitlab.gitlab_ci_job_info'
VARIABLE_INFO = 'cicd.gitlab.gitlab_ci_variable_info'
TRIGGER_INFO = 'cicd.gitlab.gitlab_ci_trigger_info'
SCHEDULE = 'cicd.gitlab.gitlab_ci_schedule'
FLEET = 'cicd.gitlab.gitlab_ci_settings'
SCOPE = 'cicd.gitlab.gitlab_ci_job_token_scope'
SETTINGS = 'cicd.gitlab.gitlab_ci_pipeline_settings'

SSO_PAGE = ('<!DOCTYPE html>\n<html class="devise-layout-html">\n<head>\n<meta charset="utf-8">\n<title>Sign in \u00b7 GitLab</title>\n'
            '</head>\n<body class="login-page">\n<form action="/users/sign_in" method="post"><input name="user[login]"></form>\n</body>\n</html>\n')
BAD_GATEWAY_PAGE = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head><body>bad</body></html>'
SSO = {'status': 200, 'body': SSO_PAGE, 'content_type': 'text/html; charset=utf-8'}
SECRET_VALUE = 'hostile-secret-value-77'
USER_PASSWORD = 'hostile-pass-123'
LIST_NEEDLE = ('array', 'list')
EMPTY_NEEDLE = ('empty', 'array', 'list')
WRITE_METHODS = ('POST', 'PUT', 'DELETE', 'PATCH')


def conn(ctx, **options):
    """Connection options through the proxy, plus ``options`` (OMIT removes one)."""
    args = {'api_url': ctx.proxy, 'api_token': ROOT_TOKEN, 'api_retries': 1, 'timeout': 10}
    args.update(options)
    return {name: value for name, value in args.items() if value is not OMIT}


def job_path(project, job_id):
    return r'/projects/%s/jobs/%d' % (re.escape(project.replace('/', '%2F')), job_id)


# ---- checks shared by several cases ------------------------------------------------------------------


def only_writes(pattern, count=1):
    """Exactly ``count`` writes, all to paths matching ``pattern``."""
    def check(view):
        writes = view.writes()
        if len(writes) != count or not all(re.search(pattern, e['path']) for e in writes):
            return 'expected %d write(s) to %s, got %s' % (count, pattern, ['%s %s' % (e['method'], e['path']) for e in writes])
        return None
    return check


def no_download(view):
    """Nothing was downloaded (artifacts, a file of them, the log) before the refusal."""
    fetched = [e['path'] for e in view.proxy_log if re.search(r'/(artifacts|trace)(/|$)', e['path'])]
    return 'downloaded before refusing: %s' % fetched if fetched else None


def files_only(*names):
    """The directory holds exactly ``names`` (plus hidden artifact records), no temp file left."""
    def check(view):
        visible = sorted(n for n in view.after if not n.startswith('.'))
        hidden = [n for n in view.after if n.startswith('.') and not n.endswith('.cicd-gitlab')]
        if visible != sorted(names) or hidden:
            return 'the directory holds %s' % sorted(view.after)
        return None
    return check


def never_wider(mode):
    """No file in the directory (artifact records aside) was ever seen with permissions wider than ``mode``."""
    def check(view):
        wide = sorted((name, oct(seen)) for name, seen in view.seen_modes if seen & ~mode & 0o777 and not name.endswith('.cicd-gitlab'))
        return 'seen with wider permissions than %s: %s' % (oct(mode), wide) if wide else None
    return check


def both(*checks):
    def check(view):
        problems = [p for p in (c(view) for c in checks if c) if p]
        return '; '.join(problems) or None
    return check


def clean_result(view):
    """Ids, sizes and sha256 in the result are real values, never no_log markers."""
    text = str(view.result)
    for marker in NO_LOG_MARKERS:
        for field in ('id', 'size', 'sha256', 'pipeline_id'):
            if re.search(r"'%s': '%s'" % (field, re.escape(marker)), text):
                return 'the result has %s = %s' % (field, marker)
    job = view.result.get('job') or {}
    if not isinstance(job.get('id'), int):
        return 'job.id is not an int: %r' % (job.get('id'),)
    artifacts = view.result.get('artifacts') or {}
    if not isinstance(artifacts.get('size'), int) or not re.fullmatch(r'[0-9a-f]{64}', str(artifacts.get('sha256'))):
        return 'artifacts size/sha256 corrupted: %r' % (artifacts,)
    return None


def job_is(job_id):
    def check(view):
        got = (view.result.get('job') or {}).get('id')
        return None if got == job_id else 'job.id is %r, expected %d' % (got, job_id)
    return check


def log_lines(view):
    return (view.result.get('log') or {}).get('lines') or []


def lost_write(kind, pattern):
    """After a write whose answer was lost: exactly one write; never 'nothing changed'.

    Ok: the result says changed. Failed: the message says the thing may exist.
    """
    def check(view):
        if view.failed is None and not view.result.get('changed'):
            return 'reported no change after a %s write whose answer was lost' % kind
        if view.failed is not None and 'may' not in view.text.lower():
            return 'failed without saying the %s may exist: %s' % (kind, view.text[:200])
        return None
    return both(only_writes(pattern), check)


def rotated_once(view):
    """A rotation whose create answer was lost: one create, then at most the old trigger deleted; never 'nothing changed'."""
    posts = [e for e in view.writes() if e['method'] == 'POST']
    others = [e for e in view.writes() if e['method'] != 'POST' and not (e['method'] == 'DELETE' and re.search(r'/triggers/\d+$', e['path']))]
    if len(posts) != 1 or others:
        return 'expected one trigger create (and the old one deleted), got %s' % ['%s %s' % (e['method'], e['path']) for e in view.writes()]
    if view.failed is None and not view.result.get('changed'):
        return 'reported no change after a rotation whose answer was lost'
    if view.failed is not None and 'may' not in view.text.lower():
        return 'failed without saying the new trigger may exist: %s' % view.text[:200]
    return None


def nothing_outside(*paths):
    def check(view):
        found = [p for p in (path(view) if callable(path) else path for path in paths) if os.path.lexists(p)]
        return 'written outside the directory: %s' % found if found else None
    return check


def leftover(directory, pid):
    name = '.build.log.cicd-gitlab-%d-a1b2c3.part' % pid
    with open(os.path.join(directory, name), 'w', encoding='utf-8') as handle:
        handle.write('partial')
    return name


def touch(path):
    with open(path, 'w', encoding='utf-8'):
        pass


def dead_pid():
    pid = 999999
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


# ---- the cases ------------------------------------------------------------------------------------------


def credential_cases(ctx):
    job = {'project': 'acme/svc', 'job_id': ctx.job}
    ok_job = job_is(ctx.job)
    wrong = 'glpat-hostile-wrong-0000\n'
    return [
        Case('cred-01', 'credentials', 'api_token with a trailing newline is stripped, never shown', JOB,
             conn(ctx, api_token=ROOT_TOKEN + '\n', **job), expect='ok', check=ok_job, secrets=[ROOT_TOKEN + '\n']),
        Case('cred-02', 'credentials', 'api_token with a leading space', JOB, conn(ctx, api_token=' ' + ROOT_TOKEN, **job), expect='ok', check=ok_job),
        Case('cred-03', 'credentials', 'api_token ending in CRLF', JOB, conn(ctx, api_token=ROOT_TOKEN + '\r\n', **job), expect='ok', check=ok_job),
        Case('cred-04', 'credentials', 'api_token with an inner space is refused unsent', VARIABLE,
             conn(ctx, api_token='glpat-root 000000000000', project='acme/app', key='HOSTILE_A', value='v-hostile-1'), check_mode=True,
             needles=['api_token'], no_requests=True, secrets=['glpat-root 000000000000']),
        Case('cred-05', 'credentials', 'api_token with an inner tab is refused unsent', TRIGGER,
             conn(ctx, api_token='glpat-root\t000000000000', project='acme/app', description='hostile-t'), check_mode=True,
             needles=['api_token'], no_requests=True, secrets=['glpat-root\t000000000000']),
        Case('cred-06', 'credentials', 'api_token with an inner CRLF is refused unsent', JOB,
             conn(ctx, api_token='glpat-root\r\n000000000000', **job), needles=['api_token'], no_requests=True,
             secrets=['glpat-root\r\n000000000000']),
        Case('cred-07', 'credentials', 'GITLAB_TOKEN with a trailing newline', JOB, conn(ctx, api_token=OMIT, **job),
             env={'GITLAB_TOKEN': ROOT_TOKEN + '\n'}, expect='ok', check=ok_job),
        Case('cred-08', 'credentials', 'GITLAB_TOKEN with an inner space is refused unsent', VARIABLE,
             conn(ctx, api_token=OMIT, project='acme/app', key='HOSTILE_B', value='v-hostile-2'), env={'GITLAB_TOKEN': 'glpat-root 000000000000'},
             check_mode=True, needles=['api_token'], no_requests=True, secrets=['glpat-root 000000000000']),
        Case('cred-09', 'credentials', 'GITLAB_TOKEN with a leading tab and a trailing newline', TRIGGER,
             conn(ctx, api_token=OMIT, project='acme/app', description='maint-trigger'), env={'GITLAB_TOKEN': '\t' + DEV_TOKEN + '\n'},
             check_mode=True, expect='ok'),
        Case('cred-10', 'credentials', 'api_token with a non-ASCII character inside is refused unsent', JOB,
             conn(ctx, api_token='glpat-root-0000\u00e90000000', **job), needles=['api_token'], no_requests=True, secrets=['glpat-root-0000\u00e90000000']),
        Case('cred-11', 'credentials', 'a wrong api_token ending in a newline: 401, never shown', JOB, conn(ctx, api_token=wrong, **job),
             needles=[('401', 'api_token')], secrets=[wrong]),
        Case('cred-13', 'credentials', 'role ci_settings: api_token with a trailing newline, check mode', CI_SETTINGS,
             {'ci_settings_api_token': ROOT_TOKEN + '\n', 'ci_settings_projects': [{'project': 'acme/app', 'variables': [{'key': 'ROLE_H', 'value': 'v-r'}]}]},
             role=True, check_mode=True, expect='ok'),
        Case('cred-12', 'credentials', 'a job token with a line break inside is refused unsent', JOB,
             conn(ctx, api_token='glcbt-hostile\n0000000000', api_token_type='job', **job), needles=['api_token'], no_requests=True,
             secrets=['glcbt-hostile\n0000000000']),
    ]


def url_cases(ctx):
    cases = []
    for index, path in enumerate(['..', '../../../user', '/etc/passwd', 'a/./b', '%2e%2e/x', 'a%2Fb', 'a\\b', 'dist//VERSION'], 1):
        cases.append(Case('url-%02d' % index, 'url', 'artifact_path %r is refused before any request' % path, JOB,
                          conn(ctx, project='acme/svc', job_id=ctx.job, artifacts_dest='{dir}/out', artifact_path=path),
                          needles=['artifact_path'], no_requests=True))
    more = [
        ('ref ".." is refused before any request', JOB, {'project': 'acme/svc', 'state': 'run', 'ref': '..'}, 'ref'),
        ('ref with a line break is refused', JOB, {'project': 'acme/svc', 'state': 'run', 'ref': 'main\nx'}, 'ref'),
        ('project ".."', VARIABLE, {'project': '..', 'key': 'HOSTILE_C', 'value': 'v-hostile-3'}, 'project'),
        ('project "acme/../other"', TRIGGER, {'project': 'acme/../other', 'description': 'hostile-u'}, 'project'),
        ('project "acme/./app"', JOB, {'project': 'acme/./app', 'job_id': ctx.job}, 'project'),
        ('key ".." on delete', VARIABLE, {'project': 'acme/app', 'key': '..', 'state': 'absent'}, 'key'),
        ('group "acme/../other"', VARIABLE, {'group': 'acme/../other', 'key': 'HOSTILE_D', 'value': 'v-hostile-4'}, 'group'),
        ('project with a tab', VARIABLE, {'project': 'acme/app\t', 'key': 'HOSTILE_E', 'value': 'v-hostile-5'}, 'project'),
        ('project with a leading slash', TRIGGER, {'project': '/acme/app', 'description': 'hostile-u'}, 'project'),
        ('project with an empty segment', JOB, {'project': 'acme//svc', 'job_id': ctx.job}, 'project'),
        ('ref ".." when finding a job by name', JOB, {'project': 'acme/svc', 'name': 'build', 'ref': '..', 'latest_successful': True}, 'ref'),
    ]
    for index, (title, module, args, needle) in enumerate(more, len(cases) + 1):
        cases.append(Case('url-%02d' % index, 'url', title, module, conn(ctx, **args), needles=[needle], no_requests=True))
    cases.append(Case('url-%02d' % (len(cases) + 1), 'url', 'role ci_settings: project "acme/../other" is refused before any request', CI_SETTINGS,
                      {'ci_settings_api_token': ROOT_TOKEN, 'ci_settings_projects': [{'project': 'acme/../other', 'variables': [{'key': 'R', 'value': 'v'}]}]},
                      role=True, needles=['project'], no_requests=True))
    return cases


def answer_cases(ctx):
    svc_job = job_path('acme/svc', ctx.job)
    app_vars = r'/projects/acme%2Fapp/variables$'
    app_triggers = r'/projects/acme%2Fapp/triggers$'
    archive = conn(ctx, project='acme/svc', job_id=ctx.job, artifacts_dest='{dir}/a.zip')
    return [
        Case('ans-01', 'answers', 'an SSO page (200) for the artifacts archive is not saved', JOB, archive,
             rules=[{'path': svc_job + '/artifacts$', 'replace': SSO}], needles=['Sign in']),
        Case('ans-02', 'answers', 'an SSO page for the job log', JOB, conn(ctx, project='acme/svc', job_id=ctx.job, log_dest='{dir}/build.log'),
             rules=[{'path': svc_job + '/trace$', 'replace': SSO}], needles=['Sign in']),
        Case('ans-03', 'answers', 'an SSO page for a variables list', VARIABLE, conn(ctx, project='acme/app', key='HOSTILE_F', value='v-hostile-6'),
             rules=[{'path': app_vars, 'replace': SSO}], needles=['Sign in']),
        Case('ans-04', 'answers', 'an empty 200 for the triggers list: no duplicate created', TRIGGER,
             conn(ctx, project='acme/app', description='shared-description'),
             rules=[{'method': 'GET', 'path': app_triggers, 'replace': {'status': 200, 'body': b'', 'content_type': 'application/json'}}],
             needles=[EMPTY_NEEDLE]),
        Case('ans-05', 'answers', '{} for the variables list: nothing created', VARIABLE, conn(ctx, project='acme/app', key='HOSTILE_G', value='v-hostile-7'),
             rules=[{'method': 'GET', 'path': app_vars, 'replace': {'status': 200, 'body': {}}}], needles=[LIST_NEEDLE]),
        Case('ans-06', 'answers', 'null for the triggers list', TRIGGER, conn(ctx, project='acme/app', description='hostile-new-trigger'),
             rules=[{'method': 'GET', 'path': app_triggers, 'replace': {'status': 200, 'body': None}}], needles=[LIST_NEEDLE]),
        Case('ans-07', 'answers', 'a JSON string for the variables list on a purge', VARIABLE,
             conn(ctx, project='acme/app', variables=[{'key': 'HOSTILE_H', 'value': 'v-hostile-8'}], purge=True),
             rules=[{'method': 'GET', 'path': app_vars, 'replace': {'status': 200, 'body': {'json': 'not a list'}}}], needles=[LIST_NEEDLE]),
        Case('ans-08', 'answers', 'the archive cut without Content-Length', JOB, archive,
             rules=[{'path': svc_job + '/artifacts$', 'cut': {'at': 30000, 'framing': 'none'}}], needles=[('size', 'bytes', 'zip', 'cut', 'incomplete')]),
        Case('ans-09', 'answers', 'an archive whose size differs from artifacts_file.size', JOB, archive,
             rules=[{'method': 'GET', 'path': svc_job + '$', 'json_set': {'artifacts_file.size': ctx.size + 1000}}], needles=[('size', 'bytes')]),
        Case('ans-10', 'answers', 'a foreign {} answer to a variable create that GitLab applied', VARIABLE,
             conn(ctx, project='acme/app', key='HOSTILE_I', value='v-hostile-9'),
             rules=[{'method': 'POST', 'path': app_vars, 'replace': {'status': 201, 'body': {}, 'forward': True}}],
             expect='any', writes=lost_write('variable', r'/variables$')),
        Case('ans-11', 'answers', 'an empty answer to a trigger create that GitLab applied', TRIGGER,
             conn(ctx, project='acme/app', description='hostile-created-empty'),
             rules=[{'method': 'POST', 'path': app_triggers, 'replace': {'status': 201, 'body': b'', 'forward': True}}],
             expect='any', writes=lost_write('trigger', r'/triggers$'), token_in_result=True),
        Case('ans-12', 'answers', 'an SSO page for the job itself', JOB, conn(ctx, project='acme/svc', job_id=ctx.job),
             rules=[{'method': 'GET', 'path': svc_job + '$', 'replace': SSO}], needles=['Sign in']),
        Case('ans-13', 'answers', 'an empty 200 for the pipeline jobs list: not "no such job"', JOB,
             conn(ctx, project='acme/svc', name='build', pipeline_id=ctx.pipeline),
             rules=[{'method': 'GET', 'path': r'/pipelines/\d+/jobs$', 'replace': {'status': 200, 'body': b'', 'content_type': 'application/json'}}],
             needles=[EMPTY_NEEDLE]),
        Case('ans-14', 'answers', 'the archive labelled text/html', JOB, archive,
             rules=[{'path': svc_job + '/artifacts$', 'headers': {'set': {'Content-Type': 'text/html'}}}], needles=[('html', 'page')]),
        Case('ans-15', 'answers', 'an SSO page for one file of the artifacts', JOB,
             conn(ctx, project='acme/svc', job_id=ctx.job, artifacts_dest='{dir}/VERSION', artifact_path='dist/VERSION'),
             rules=[{'path': svc_job + '/artifacts/', 'replace': SSO}], needles=['Sign in']),
        Case('ans-16', 'answers', 'X-Next-Page pointing back to page 1 (no Link): no endless loop', TRIGGER,
             conn(ctx, project='acme/many-triggers', description='hostile-pages'), check_mode=True,
             rules=[{'method': 'GET', 'path': r'/triggers$', 'headers': {'remove': ['Link'], 'set': {'X-Next-Page': '1'}}}], needles=['page']),
        Case('ans-17', 'answers', 'a Link header pointing to another origin gets no credentials', TRIGGER,
             conn(ctx, project='acme/many-triggers', description='hostile-not-there'), check_mode=True, expect='any',
             rules=[{'method': 'GET', 'path': r'/triggers$', 'count': 1, 'headers': {'set': {
                 'Link': '<%s/api/v4/projects/acme%%2Fmany-triggers/triggers?page=2&per_page=20>; rel="next"' % ctx.other}}}],
             check=lambda view: 'credentials were sent to the other origin' if any(e['credentials'] for e in view.during(ctx.other_log())) else None),
        Case('ans-18', 'answers', 'a JSON answer without Content-Length (ended by the connection) is read whole', JOB,
             conn(ctx, project='acme/svc', job_id=ctx.job), rules=[{'method': 'GET', 'path': svc_job + '$', 'headers': {'remove': ['Content-Length']}}],
             expect='ok', check=job_is(ctx.job)),
        Case('ans-19', 'answers', 'a variables list cut short (Content-Length announced): nothing created', VARIABLE,
             conn(ctx, project='acme/app', key='HOSTILE_P', value='v-hostile-12'), rules=[{'method': 'GET', 'path': app_vars, 'cut': {'at': 1}}],
             needles=[('incomplete', 'cut', 'broken', 'ended', 'closed', 'connection')]),
        Case('ans-20', 'answers', 'a job log cut in a chunked answer is not written', JOB,
             conn(ctx, project='acme/svc', job_id=ctx.job, log_dest='{dir}/build.log'),
             rules=[{'path': svc_job + '/trace$', 'cut': {'at': 5, 'framing': 'chunked'}}],
             needles=[('incomplete', 'cut', 'broken', 'ended', 'closed', 'connection')]),
    ]


def lost_cases(ctx):
    svc = r'/projects/acme%2Fsvc'
    return [
        Case('lost-01', 'lost', 'pipeline POST applied, answer reset: one pipeline, never "nothing changed"', JOB,
             conn(ctx, project='acme/svc', state='run', ref='main'), rules=[{'method': 'POST', 'path': svc + '/pipeline$', 'lose': 'reset', 'count': 1}],
             expect='any', writes=lost_write('pipeline', r'/pipeline$'), unneedles=['nothing changed']),
        Case('lost-02', 'lost', 'pipeline POST applied, answer never comes (timeout)', JOB,
             conn(ctx, project='acme/svc', state='run', ref='main', timeout=2),
             rules=[{'method': 'POST', 'path': svc + '/pipeline$', 'lose': {'hold': 4}, 'count': 1}],
             expect='any', writes=lost_write('pipeline', r'/pipeline$'), unneedles=['nothing changed']),
        Case('lost-03', 'lost', 'trigger create applied, answer reset', TRIGGER, conn(ctx, project='acme/svc', description='hostile-lost-1'),
             rules=[{'method': 'POST', 'path': svc + '/triggers$', 'lose': 'reset', 'count': 1}],
             expect='any', writes=lost_write('trigger', r'/triggers$'), unneedles=['nothing changed'], token_in_result=True),
        Case('lost-04', 'lost', 'trigger create applied, answer times out', TRIGGER, conn(ctx, project='acme/svc', description='hostile-lost-2', timeout=2),
             rules=[{'method': 'POST', 'path': svc + '/triggers$', 'lose': {'hold': 4}, 'count': 1}],
             expect='any', writes=lost_write('trigger', r'/triggers$'), unneedles=['nothing changed'], token_in_result=True),
        Case('lost-05', 'lost', 'variable create applied, answer reset', VARIABLE, conn(ctx, project='acme/svc', key='HOSTILE_LOST', value='v-hostile-10'),
             rules=[{'method': 'POST', 'path': svc + '/variables$', 'lose': 'reset', 'count': 1}],
             expect='any', writes=lost_write('variable', r'/variables$'), unneedles=['nothing changed']),
        Case('lost-06', 'lost', 'trigger pipeline POST applied, answer reset', JOB,
             conn(ctx, project='acme/svc', state='run', ref='main', trigger_token=ctx.trigger_token),
             rules=[{'method': 'POST', 'path': svc + '/trigger/pipeline$', 'lose': 'reset', 'count': 1}],
             expect='any', writes=lost_write('pipeline', r'/trigger/pipeline$'), unneedles=['nothing changed'], secrets=[ctx.trigger_token]),
        Case('lost-07', 'lost', 'play POST applied, answer reset', JOB, conn(ctx, project='acme/svc', job_id=ctx.deploy[0], state='played'),
             rules=[{'method': 'POST', 'path': r'/jobs/%d/play$' % ctx.deploy[0], 'lose': 'reset', 'count': 1}],
             expect='any', writes=lost_write('job play', r'/play$'), unneedles=['nothing changed']),
        Case('lost-08', 'lost', 'trigger rotate: the new trigger created, answer reset', TRIGGER,
             conn(ctx, project='acme/svc', trigger_id=ctx.rotate_trigger, rotate=True),
             rules=[{'method': 'POST', 'path': svc + '/triggers$', 'lose': 'reset', 'count': 1}],
             expect='any', writes=rotated_once, unneedles=['nothing changed'], token_in_result=True),
    ]


def file_cases(ctx):
    svc_job = job_path('acme/svc', ctx.job)
    evil_abs = os.path.join(ctx.workdir, 'hostile-evil-%s.zip' % uuid.uuid4().hex[:8])
    live = os.getpid()
    dead = dead_pid()
    job = {'project': 'acme/svc', 'job_id': ctx.job}

    def case_dir(view, *parts):
        return os.path.normpath(os.path.join(view.dir, *parts))
    return [
        Case('file-01', 'files', 'a log asked for 0600 is never visible as 0644', JOB,
             conn(ctx, log_dest='{dir}/build.log', mode='0600', **job), rules=[{'path': svc_job + '/trace$', 'drip': {'interval': 0.1, 'size': 4}}],
             expect='ok', host=both(files_only('build.log'), never_wider(0o600)), watch_modes=True),
        Case('file-02', 'files', 'an archive asked for 0600 is never visible as 0644', JOB,
             conn(ctx, artifacts_dest='{dir}/a.zip', mode='0600', **job), rules=[{'path': svc_job + '/artifacts$', 'drip': {'interval': 0.05, 'size': 8192}}],
             expect='ok', host=both(files_only('a.zip'), never_wider(0o600)), watch_modes=True),
        Case('file-03', 'files', 'an unknown owner is refused before the download', JOB,
             conn(ctx, artifacts_dest='{dir}/a.zip', owner='no-such-user-hostile', **job), needles=['no-such-user-hostile'], check=no_download),
        Case('file-04', 'files', 'an unknown group is refused before the download', JOB,
             conn(ctx, log_dest='{dir}/build.log', group='no-such-group-hostile', **job), needles=['no-such-group-hostile'], check=no_download),
        Case('file-05', 'files', 'a trailing slash on a missing directory', JOB, conn(ctx, artifacts_dest='{dir}/missing/', **job),
             needles=['missing'], check=no_download),
        Case('file-06', 'files', 'a relative destination in a missing directory is reported absolute', JOB,
             conn(ctx, artifacts_dest='hostile-no-such-dir/out.zip', **job), needles=['/hostile-no-such-dir'], check=no_download),
        Case('file-07', 'files', 'a leftover temp file of a killed run is cleaned', JOB, conn(ctx, log_dest='{dir}/build.log', **job),
             prepare=lambda d: leftover(d, dead), expect='ok', host=files_only('build.log')),
        Case('file-08', 'files', "a live run's temp file is left alone", JOB, conn(ctx, log_dest='{dir}/build.log', **job),
             prepare=lambda d: leftover(d, live), expect='ok',
             host=lambda view: None if '.build.log.cicd-gitlab-%d-a1b2c3.part' % live in view.after else 'the live temp file was removed'),
        Case('file-09', 'files', 'a server file name "../../evil" stays inside the directory', JOB, conn(ctx, artifacts_dest='{dir}/', **job),
             rules=[{'method': 'GET', 'path': svc_job + '$', 'json_set': {'artifacts_file.filename': '../../evil'}}], expect='any',
             host=lambda view: nothing_outside(case_dir(view, '..', '..', 'evil'), case_dir(view, '..', 'evil'))(view)),
        Case('file-10', 'files', 'an absolute server file name stays inside the directory', JOB, conn(ctx, artifacts_dest='{dir}/', **job),
             rules=[{'method': 'GET', 'path': svc_job + '$', 'json_set': {'artifacts_file.filename': evil_abs}}], expect='any',
             host=nothing_outside(evil_abs)),
        Case('file-11', 'files', 'a server file name ".." stays inside the directory', JOB, conn(ctx, artifacts_dest='{dir}/', **job),
             rules=[{'method': 'GET', 'path': svc_job + '$', 'json_set': {'artifacts_file.filename': '..'}}], expect='any',
             host=lambda view: None if os.path.isdir(view.dir) and all(not n.startswith('..') for n in view.after) else 'the directory was replaced'),
        Case('file-12', 'files', 'log_dest is an existing directory', JOB, conn(ctx, log_dest='{dir}', **job), needles=['directory'], check=no_download),
        Case('file-13', 'files', 'a mode that is not a mode', JOB, conn(ctx, artifacts_dest='{dir}/a.zip', mode='rwx-bad', **job),
             needles=['mode'], check=no_download),
        Case('file-14', 'files', 'the parent of artifacts_dest is a file', JOB, conn(ctx, artifacts_dest='{dir}/afile/out.zip', **job),
             prepare=lambda d: touch(os.path.join(d, 'afile')), needles=['afile'], check=no_download),
    ]


def value_cases(ctx):
    def run_with(value):
        return conn(ctx, project='acme/svc', state='run', ref='main', name='build', wait=True, poll_interval=0.2, wait_timeout=60,
                    artifacts_dest='{dir}/a.zip', variables={'DEBUG': value})
    pipeline_write = only_writes(r'/pipeline$')
    return [
        Case('val-01', 'values', 'pipeline variable DEBUG: "1" leaves ids, sizes and sha256 intact', JOB, run_with('1'), expect='ok',
             writes=pipeline_write, host=files_only('a.zip'), check=clean_result),
        Case('val-02', 'values', 'pipeline variable DEBUG: "true"', JOB, run_with('true'), expect='ok', writes=pipeline_write, host=files_only('a.zip'),
             check=clean_result),
        Case('val-03', 'values', 'pipeline variable DEBUG: "0"', JOB, run_with('0'), expect='ok', writes=pipeline_write, host=files_only('a.zip'),
             check=clean_result),
        Case('val-04', 'values', 'a pipeline variable marked secret is masked', JOB,
             conn(ctx, project='acme/svc', state='run', ref='main', variables={'DEPLOY_KEY': {'value': SECRET_VALUE, 'secret': True}}),
             expect='ok', writes=pipeline_write, secrets=[SECRET_VALUE]),
        Case('val-05', 'values', 'job variable DEBUG: "1" on play keeps the job id', JOB,
             conn(ctx, project='acme/svc', job_id=ctx.deploy[1], state='played', job_variables={'DEBUG': '1'}), expect='ok',
             writes=only_writes(r'/play$'), check=job_is(ctx.deploy[1])),
        Case('val-06', 'values', 'a CI/CD variable value typed true is refused naming the key', VARIABLE,
             conn(ctx, project='acme/app', key='FLAG_A', value=True), needles=['FLAG_A', 'quote']),
        Case('val-07', 'values', 'a value typed 1.10 (a float 1.1)', VARIABLE, conn(ctx, project='acme/app', key='VERSION_B', value=1.1),
             needles=['VERSION_B', 'quote']),
        Case('val-08', 'values', 'a value typed 0755 (an int 493)', VARIABLE, conn(ctx, project='acme/app', key='MODE_C', value=493),
             needles=['MODE_C', 'quote']),
        Case('val-09', 'values', 'yes in the variables list (a bool)', VARIABLE,
             conn(ctx, project='acme/app', variables=[{'key': 'ENABLED_D', 'value': True}]), needles=['ENABLED_D', 'quote']),
        Case('val-10', 'values', 'a pipeline variable typed 3 is refused, nothing started', JOB,
             conn(ctx, project='acme/svc', state='run', ref='main', variables={'RETRIES_E': 3}), needles=['RETRIES_E', 'quote']),
        Case('val-11', 'values', 'a job variable typed false is refused, nothing played', JOB,
             conn(ctx, project='acme/svc', job_id=ctx.deploy[1], state='played', job_variables={'SKIP_TESTS_F': False}), needles=['SKIP_TESTS_F', 'quote']),
    ]


def option_cases(ctx):
    port = ctx.proxy.rsplit(':', 1)[1]
    job = {'project': 'acme/svc', 'job_id': ctx.job}
    return [
        Case('opt-01', 'options', 'variables items that are not dicts', VARIABLE, conn(ctx, project='acme/app', variables=[5, 'KEY=value']),
             needles=['variables'], no_requests=True),
        Case('opt-02', 'options', 'a variables item without key', VARIABLE, conn(ctx, project='acme/app', variables=[{'value': 'v-hostile-11'}]),
             needles=['key'], no_requests=True),
        Case('opt-03', 'options', 'api_url with a space', JOB, conn(ctx, api_url='http://127.0.0.1:%s/ gitlab' % port, **job),
             needles=['api_url'], no_requests=True),
        Case('opt-04', 'options', 'api_url with a query string', JOB, conn(ctx, api_url=ctx.proxy + '/?private_token=x', **job),
             needles=['api_url'], no_requests=True),
        Case('opt-05', 'options', 'api_url with an upper-case scheme works', JOB, conn(ctx, api_url='HTTP://127.0.0.1:%s' % port, **job),
             expect='ok', check=job_is(ctx.job)),
        Case('opt-06', 'options', 'api_url with user:password@ is refused without showing the password', JOB,
             conn(ctx, api_url='http://user:%s@127.0.0.1:%s' % (USER_PASSWORD, port), **job), needles=['api_url'], no_requests=True,
             secrets=[USER_PASSWORD]),
        Case('opt-07', 'options', 'a missing ca_path file', JOB, conn(ctx, ca_path='/nonexistent/hostile-ca.pem', **job),
             needles=['ca_path', '/nonexistent/hostile-ca.pem'], no_requests=True),
        Case('opt-08', 'options', 'api_url with a fragment', VARIABLE, conn(ctx, api_url=ctx.proxy + '#frag', project='acme/app', key='HOSTILE_J', value='v'),
             needles=['api_url'], no_requests=True),
        Case('opt-09', 'options', 'pipeline variables as a list', JOB, conn(ctx, project='acme/svc', state='run', ref='main', variables=['A=1']),
             needles=['variables'], no_requests=True),
        Case('opt-10', 'options', 'role ci_settings: a value typed true names the key', CI_SETTINGS,
             {'ci_settings_api_token': ROOT_TOKEN, 'ci_settings_projects': [{'project': 'acme/app', 'variables': [{'key': 'ROLE_FLAG_G', 'value': True}]}]},
             role=True, needles=['ROLE_FLAG_G']),
        Case('opt-11', 'options', 'role pipeline: project "acme/../other" is refused before any request', PIPELINE,
             {'pipeline_api_token': ROOT_TOKEN, 'pipeline_project': 'acme/../other', 'pipeline_ref': 'main'}, role=True, needles=['project'],
             no_requests=True),
    ] + tree_and_schedule_cases(ctx)


def tree_and_schedule_cases(ctx):
    """The options of pipeline trees (gitlab_ci_job) and of gitlab_ci_schedule, refused before any request."""
    job = {'project': 'acme/svc', 'job_id': ctx.job}
    nightly = {'project': 'acme/app', 'description': 'hostile nightly', 'ref': 'main', 'cron': '0 1 * * *'}
    refused = [
        ('job: downstream without name', JOB, dict(job, downstream=['deploy-child']), 'downstream'),
        ('job: a negative poll_interval_max', JOB, {'project': 'acme/svc', 'state': 'run', 'ref': 'main', 'wait': True, 'poll_interval_max': -1},
         'poll_interval_max'),
        ('schedule: a cron minute of 61', SCHEDULE, dict(nightly, cron='61 * * * *'), 'cron'),
        ('schedule: a cron with six fields', SCHEDULE, dict(nightly, cron='0 0 1 * * *'), 'cron'),
        ('schedule: an unknown time zone', SCHEDULE, dict(nightly, cron_timezone='Mars/Base'), 'cron_timezone'),
        ('schedule: project ".."', SCHEDULE, dict(nightly, project='..'), 'project'),
        ('schedule: a variables item that is not a dict', SCHEDULE, dict(nightly, variables=['A=1']), 'variables'),
        ('schedule: a description with a line break', SCHEDULE, dict(nightly, description='night\nly'), 'description'),
    ]
    refused += [
        ('fleet: a project "acme/../other"', FLEET, {'projects': [{'project': 'acme/../other', 'variables': [{'key': 'F', 'value': 'v'}]}]},
         'project'),
        ('fleet: a pattern that is not a regular expression', FLEET, {'select': {'group': 'acme', 'pattern': '(['}}, 'pattern'),
        ('fleet: concurrency 0', FLEET, {'concurrency': 0, 'projects': [{'project': 'acme/app'}]}, 'concurrency'),
        ('fleet: defaults without select', FLEET, {'defaults': {'variables': [{'key': 'F', 'value': 'v'}]}}, 'select'),
        ('job token scope: an allowlist project ".."', SCOPE, {'project': 'acme/app', 'allowlist': {'projects': ['..']}}, 'allowlist'),
        ('job token scope: purge_all without purge', SCOPE, {'project': 'acme/app', 'purge_all': True, 'allowlist': {'projects': []}},
         'purge'),
        ('pipeline settings: a retention of 10 years', SETTINGS, {'project': 'acme/app', 'ci_delete_pipelines_in_seconds': '3650d'},
         'ci_delete_pipelines_in_seconds'),
        ('pipeline settings: a git depth of -1', SETTINGS, {'project': 'acme/app', 'ci_default_git_depth': -1}, 'ci_default_git_depth'),
        ('pipeline settings: a build timeout in fortnights', SETTINGS, {'project': 'acme/app', 'build_timeout': '2fortnights'},
         'build_timeout'),
    ]
    refused += [
        ('fleet: a schedule with state ran', FLEET,
         {'projects': [{'project': 'acme/app', 'schedules': [{'description': 'n', 'ref': 'main', 'cron': '@daily', 'state': 'ran'}]}]},
         'state ran'),
        ('fleet: a schedule cron minute of 61', FLEET,
         {'projects': [{'project': 'acme/app', 'schedules': [{'description': 'n', 'ref': 'main', 'cron': '61 * * * *'}]}]}, 'cron'),
        ('fleet: a schedule description with a line break', FLEET,
         {'projects': [{'project': 'acme/app', 'schedules': [{'description': 'night\nly', 'ref': 'main', 'cron': '@daily'}]}]},
         'description'),
        ('fleet: a job token allowlist project ".."', FLEET,
         {'projects': [{'project': 'acme/app', 'job_token_scope': {'allowlist': {'projects': ['..']}}}]}, 'allowlist'),
        ('fleet: 201 job token allowlist projects', FLEET,
         {'projects': [{'project': 'acme/app', 'job_token_scope': {'allowlist': {'projects': ['acme/p%d' % i for i in range(201)]}}}]},
         'group'),
        ('fleet: a pipeline setting typed as a string bool', FLEET,
         {'projects': [{'project': 'acme/app', 'pipeline_settings': {'keep_latest_artifact': 'yes'}}]}, 'keep_latest_artifact'),
        ('fleet: an unknown pipeline setting', FLEET,
         {'projects': [{'project': 'acme/app', 'pipeline_settings': {'ci_delete_pipelines': '30d'}}]}, 'ci_delete_pipelines'),
    ]
    return [Case('opt-%02d' % index, 'options', title, module, conn(ctx, **args), needles=[needle], no_requests=True)
            for index, (title, module, args, needle) in enumerate(refused, 12)]


def message_cases(ctx):
    svc_job = job_path('acme/svc', ctx.job)
    app_vars = r'/projects/acme%2Fapp/variables$'
    tail = conn(ctx, project='acme/svc', job_id=ctx.job, log_lines=5)

    def trace(body):
        return [{'method': 'GET', 'path': svc_job + '/trace$', 'replace': {'status': 200, 'body': body, 'content_type': 'text/plain'}}]

    def lines_check(test):
        def check(view):
            lines = log_lines(view)
            return None if lines and test(lines) else 'log.lines: %r' % ([line[:80] for line in lines],)
    # A capped line may carry a short marker saying so.
        return check
    big = 'x' * (1024 * 1024)
    return [
        Case('msg-01', 'messages', 'a 404 names acme/nope-hostile as written', VARIABLE, conn(ctx, project='acme/nope-hostile', key='HOSTILE_K', value='v-1'),
             needles=['acme/nope-hostile'], unneedles=['%2F']),
        Case('msg-02', 'messages', 'a 500 names acme/app, not acme%2Fapp', VARIABLE, conn(ctx, project='acme/app', key='HOSTILE_L', value='v-2', api_retries=0),
             rules=[{'path': app_vars, 'replace': {'status': 500, 'body': {'message': '500 Internal Server Error'}}}], needles=['acme/app'], unneedles=['%2F']),
        Case('msg-03', 'messages', '429 with Retry-After: 99999 says how long GitLab asked', VARIABLE,
             conn(ctx, project='acme/app', key='HOSTILE_M', value='v-3'),
             rules=[{'path': app_vars, 'replace': {'status': 429, 'body': 'Retry later\n', 'headers': [['Retry-After', '99999']]}}], needles=['99999']),
        Case('msg-04', 'messages', 'a redirect to another origin ending in 401 says the credentials were dropped', VARIABLE,
             conn(ctx, project='acme/app', key='HOSTILE_N', value='v-4'),
             rules=[{'method': 'GET', 'path': app_vars, 'redirect': {'status': 302, 'location': ctx.other + '{path}{query}'}}], needles=['redirect'],
             check=lambda view: 'credentials were sent to the other origin' if any(e['credentials'] for e in view.during(ctx.other_log())) else None),
        Case('msg-05', 'messages', 'a redirect answered to a POST says where it pointed', VARIABLE,
             conn(ctx, project='acme/app', key='HOSTILE_O', value='v-5'),
             rules=[{'method': 'POST', 'path': app_vars, 'redirect': {'status': 307, 'location': ctx.other + '{path}'}}], needles=['redirect', '127.0.0.2']),
        Case('msg-06', 'messages', 'ANSI colours are stripped from the log tail', JOB, tail,
             rules=trace('\x1b[0;m\x1b[32;1mstep one ok\x1b[0;m\n\x1b[31mstep two red\x1b[0m\n'), expect='ok',
             check=lines_check(lambda lines: not any('\x1b' in line for line in lines) and 'step two red' in lines)),
        Case('msg-07', 'messages', "GitLab's section markers are stripped", JOB, tail,
             rules=trace('section_start:1700000000:build_script[collapsed=true]\r\x1b[0Kbuilding\nsection_end:1700000000:build_script\r\x1b[0K\ndone\n'),
             expect='ok', check=lines_check(lambda lines: not any('section_' in line or '\x1b' in line for line in lines) and 'done' in lines)),
        Case('msg-08', 'messages', 'carriage-return progress lines keep only what a terminal shows', JOB, tail,
             rules=trace('Downloading 10%\rDownloading 50%\rDownloading 100%\ndone\n'), expect='ok',
             check=lines_check(lambda lines: not any('\r' in line or '10%' in line for line in lines) and 'Downloading 100%' in lines)),
        Case('msg-09', 'messages', 'a 1 MB single line is capped', JOB, tail, rules=trace(big + '\nlast line\n'), expect='ok',
             check=lines_check(lambda lines: max(len(line) for line in lines) <= 65536 + 200 and lines[-1] == 'last line')),
        Case('msg-10', 'messages', 'a job answer dripped a byte at a time is bounded by timeout', JOB,
             conn(ctx, project='acme/svc', job_id=ctx.job, timeout=2, api_retries=0),
             rules=[{'method': 'GET', 'path': svc_job + '$', 'drip': {'interval': 0.1, 'size': 1, 'max_seconds': 8}}], needles=[('timed out', 'timeout')],
             check=lambda view: 'took %.1f s' % view.seconds() if view.seconds() > 6 else None),
        Case('msg-11', 'messages', 'a dripped download is bounded by task_timeout', JOB,
             conn(ctx, project='acme/svc', job_id=ctx.job, artifacts_dest='{dir}/a.zip', task_timeout=3, api_retries=0),
             rules=[{'path': svc_job + '/artifacts$', 'drip': {'interval': 0.2, 'size': 1024, 'max_seconds': 10}}],
             needles=['task_timeout'], unneedles=['Unsupported parameters'], check=lambda view: 'took %.1f s' % view.seconds() if view.seconds() > 7 else None),
        Case('msg-12', 'messages', 'the failure message of a failed job has a clean log tail', JOB,
             conn(ctx, project='acme/app', job_id=ctx.failed_job, wait=True, poll_interval=0.2, wait_timeout=30),
             rules=[{'path': job_path('acme/app', ctx.failed_job) + '/trace$',
                     'replace': {'status': 200, 'body': '\x1b[31;1mhostile tests failed\x1b[0m\nsection_end:1:step_script\r\x1b[0K\n',
                                 'content_type': 'text/plain'}}],
             needles=['hostile tests failed'], unneedles=['\x1b', 'section_end']),
        Case('msg-13', 'messages', "a proxy's 502 page is not pasted into the message", JOB, conn(ctx, project='acme/svc', job_id=ctx.job, api_retries=0),
             rules=[{'method': 'GET', 'path': svc_job + '$', 'replace': {'status': 502, 'body': BAD_GATEWAY_PAGE, 'content_type': 'text/html'}}],
             needles=['502'], unneedles=['<style']),
    ]


def read_cases(ctx):
    """The info modules: hostile options refused before any request, and answers they must not take for data."""
    svc = 'acme/svc'
    svc_pipelines = r'/projects/acme%2Fsvc/pipelines$'
    svc_jobs = r'/projects/acme%2Fsvc/jobs$'
    svc_job = job_path(svc, ctx.job)
    refused = [
        ('pipeline_info: project ".."', PIPELINE_INFO, {'project': '..'}, 'project'),
        ('pipeline_info: latest with ref ".."', PIPELINE_INFO, {'project': svc, 'latest': True, 'ref': '..'}, 'ref'),
        ('pipeline_info: a negative limit', PIPELINE_INFO, {'project': svc, 'limit': -1}, 'limit'),
        ('pipeline_info: updated_after that is not a date', PIPELINE_INFO, {'project': svc, 'updated_after': 'yesterday'}, 'updated_after'),
        ('pipeline_info: pipeline_id "1/../../user"', PIPELINE_INFO, {'project': svc, 'pipeline_id': '1/../../user'}, 'pipeline_id'),
        ('job_info: job_id "1/../../user"', JOB_INFO, {'project': svc, 'job_id': '1/../../user'}, 'job_id'),
        ('job_info: an unknown scope', JOB_INFO, {'project': svc, 'scope': ['bogus']}, 'scope'),
        ('job_info: a negative log_lines', JOB_INFO, {'project': svc, 'job_id': ctx.job, 'log_lines': -5}, 'log_lines'),
        ('variable_info: group "acme/../other"', VARIABLE_INFO, {'group': 'acme/../other'}, 'group'),
        ('variable_info: include_values without no_log', VARIABLE_INFO, {'project': 'acme/app', 'include_values': True}, 'no_log'),
        ('trigger_info: include_tokens without no_log', TRIGGER_INFO, {'project': 'acme/app', 'include_tokens': True}, 'no_log'),
    ]
    cases = [Case('read-%02d' % index, 'reads', title, module, conn(ctx, **args), needles=[needle], no_requests=True)
             for index, (title, module, args, needle) in enumerate(refused, 1)]
    answers = [
        ('pipeline_info: an SSO page (200) for the pipeline list', PIPELINE_INFO, {'project': svc},
         [{'path': svc_pipelines, 'replace': SSO}], ['Sign in']),
        ('pipeline_info: an empty 200 for the pipeline list is not "no pipelines"', PIPELINE_INFO, {'project': svc},
         [{'path': svc_pipelines, 'replace': {'status': 200, 'body': b'', 'content_type': 'application/json'}}], [EMPTY_NEEDLE]),
        ('job_info: an object where the job list belongs', JOB_INFO, {'project': svc},
         [{'path': svc_jobs, 'replace': {'status': 200, 'body': b'{}', 'content_type': 'application/json'}}], [LIST_NEEDLE]),
        ('job_info: an SSO page for a log tail', JOB_INFO, {'project': svc, 'job_id': ctx.job, 'log_lines': 5},
         [{'path': svc_job + '/trace$', 'replace': SSO}], ['Sign in']),
        ('variable_info: an SSO page for the variable list', VARIABLE_INFO, {'project': 'acme/app'},
         [{'path': r'/projects/acme%2Fapp/variables$', 'replace': SSO}], ['Sign in']),
        ('trigger_info: a 502 page from the proxy', TRIGGER_INFO, {'project': 'acme/app'},
         [{'path': r'/projects/acme%2Fapp/triggers$', 'replace': {'status': 502, 'body': BAD_GATEWAY_PAGE, 'content_type': 'text/html'}}],
         ['502']),
    ]
    for index, (title, module, args, rules, needles) in enumerate(answers, len(cases) + 1):
        cases.append(Case('read-%02d' % index, 'reads', title, module, conn(ctx, **args), rules=rules, needles=needles, unneedles=['<html']))
    return cases


def build_cases(ctx):
    return (credential_cases(ctx) + url_cases(ctx) + answer_cases(ctx) + lost_cases(ctx) + file_cases(ctx) + value_cases(ctx)
            + option_cases(ctx) + message_cases(ctx) + read_cases(ctx))
