"""Run many hostile cases as the blocks of ONE generated playbook, and judge each case on its own.

A case (``Case``) is one module task (or role) with its options, proxy rules scoped to the case, and
what it must show. The playbook holds, per case: a marker task (a controller-side ``url`` lookup of
``/-/hostile/case/<id>`` on the proxy: the proxy switches its rules and log to the case, and the
suite notes where the fake's journal stood), then a block with the task and a ``rescue`` that lets the
next case run. Options travel as extra vars (``case_<id>``), never as literals in the playbook:
ansible-core quotes the playbook lines around a failed task, and literal secrets there would leak.

Every case is judged on:

* the outcome (``expect``: 'fail' or 'ok') and its message (``needles``: each a string that must be in
  it, or a tuple of which one must be; case-insensitive);
* no traceback and no Python exception text (``Traceback``, ``module_stderr``, ``<class '``);
* nothing written on GitLab: no POST/PUT/DELETE/PATCH in the fake's journal for the case, unless
  ``writes`` (a check of its own) says what is allowed; ``no_requests``: no request at all, neither at
  the proxy nor in the fake's journal;
* nothing changed on the host: the listing (names, modes, sizes) of the case's directory before and
  after is the same, unless ``host`` (a check of its own) says what is allowed;
* no secret in any form (raw, stripped, repr-escaped, JSON-escaped, URL-encoded) in the case's part
  of stdout, in its recorded results, or in stderr (the playbook runs at -vvv);
* ``check(view)``: a function of its own, returning a problem sentence or None; ``watch_modes``: the
  case's directory is polled during the run, every (name, mode) seen is in ``view.seen_modes``.

``env`` is the environment of the ansible-playbook process (GITLAB_TOKEN, ...): cases with the same
``env`` share a run. It is not a task's ``environment:`` keyword, which ansible-playbook itself prints
at -vvv on the command lines it runs.
"""

import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import quote, quote_plus

import yaml

from tests.integration.harness import CALLBACKS

OMIT = object()
WRITE_METHODS = ('POST', 'PUT', 'DELETE', 'PATCH')
NO_LOG_MARKERS = ('VALUE_SPECIFIED_IN_NO_LOG_PARAMETER', '********')


class Case:
    """One hostile case; see the module docstring for the fields."""

    def __init__(self, cid, cls, title, module, args, expect='fail', needles=(), rules=(), env=None, check_mode=False,
                 writes=None, no_requests=False, host=None, check=None, secrets=(), prepare=None, role=False, unneedles=(), token_in_result=False,
                 watch_modes=False):
        self.id = cid
        self.cls = cls
        self.title = title
        self.module = module
        self.args = args
        self.expect = expect
        self.needles = needles
        self.unneedles = unneedles
        self.rules = rules
        self.env = env
        self.check_mode = check_mode
        self.writes = writes
        self.no_requests = no_requests
        self.host = host
        self.check = check
        self.secrets = secrets
        self.prepare = prepare
        self.role = role
        self.token_in_result = token_in_result
        self.watch_modes = watch_modes


class View:
    """What one case did, as its checks see it."""

    def __init__(self, case, directory, tasks, section, journal, proxy_log, before, after, seen_modes, window=(None, None)):
        self.case = case
        self.window = window
        self.dir = directory
        self.tasks = tasks
        self.section = section
        self.journal = journal
        self.proxy_log = proxy_log
        self.before = before
        self.after = after
        self.seen_modes = seen_modes
        self.task = next((t for t in tasks if t['task'].startswith('case %s:' % case.id)), None)
        failed = [t for t in tasks if t['status'] == 'failed']
        self.failed = failed[-1] if failed else None
        self.result = (self.failed or self.task or {}).get('result') or {}
        self.msg = str(self.result.get('msg') or '')
        self.errors = ' '.join(line for line in section.splitlines() if line.startswith('[ERROR]'))

    @property
    def text(self):
        """The message, the argument errors and the [ERROR] lines: where a needle is looked for."""
        parts = [self.msg, json.dumps(self.result['argument_errors']) if self.result.get('argument_errors') else '', self.errors]
        return ' '.join(part for part in parts if part)

    def seconds(self):
        """How long the case ran (from its marker to the next one)."""
        start, end = self.window
        return (end - start) if start is not None and end is not None else 0.0

    def during(self, log):
        """The entries of another proxy's log made while this case ran."""
        start, end = self.window
        return [e for e in log if start is not None and start <= e['at'] and (end is None or e['at'] < end)]

    def writes(self):
        return [e for e in self.journal if e['method'] in WRITE_METHODS]


def secret_forms(secret):
    """The strings a library may print ``secret`` as (an independent oracle, not the collection's)."""
    forms = set()
    if not secret.strip():
        return forms
    for value in sorted({secret, secret.strip()}):
        if not value:
            continue
        forms.update({value, repr(value)[1:-1], repr(value.encode('utf-8'))[2:-1], json.dumps(value)[1:-1],
                      quote(value, safe=''), quote_plus(value)})
    return {form for form in forms if len(form) >= 4}


def listing(directory):
    """``{relative path: (mode, size)}`` of everything under ``directory``."""
    found = {}
    if not os.path.isdir(directory):
        return found
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = os.path.join(root, name)
            info = os.lstat(path)
            found[os.path.relpath(path, directory)] = (oct(stat.S_IMODE(info.st_mode)), info.st_size if name in files else None)
    return found


class ModeWatcher(threading.Thread):
    """Polls directories during the run and remembers every (name, mode) it saw in each."""

    def __init__(self, directories, interval=0.005):
        super().__init__(daemon=True)
        self.directories = directories
        self.interval = interval
        self.seen = {d: set() for d in directories}
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            for directory in self.directories:
                try:
                    names = os.listdir(directory)
                except OSError:
                    continue
                for name in names:
                    try:
                        self.seen[directory].add((name, stat.S_IMODE(os.lstat(os.path.join(directory, name)).st_mode)))
                    except OSError:
                        pass
            time.sleep(self.interval)

    def stop(self):
        self.stopping.set()
        self.join(5)


def with_dir(value, directory):
    """``value`` with ``{dir}`` in its strings replaced by the case's directory."""
    if isinstance(value, str):
        return value.replace('{dir}', directory)
    if isinstance(value, dict):
        return {key: with_dir(item, directory) for key, item in value.items()}
    if isinstance(value, list):
        return [with_dir(item, directory) for item in value]
    return value


def build_playbook(cases, proxy_url, dirs):
    tasks, extra = [], {}
    for case in cases:
        var = 'case_%s' % case.id.replace('-', '_')
        extra[var] = with_dir(case.args, dirs[case.id])
        tasks.append({'name': 'marker %s' % case.id, 'ansible.builtin.debug': {
            'msg': "{{ lookup('ansible.builtin.url', '%s/-/hostile/case/%s', split_lines=False) }}" % (proxy_url, case.id)}})
        options = {name: '{{ %s[%r] }}' % (var, name) for name in case.args}
        if case.role:
            include = {'name': case.module}
            if case.check_mode:
                include['apply'] = {'check_mode': True}     # an include's own keywords do not reach the role's tasks
            call = {'name': 'case %s: %s' % (case.id, case.title), 'ansible.builtin.include_role': include, 'vars': options}
        else:
            call = {'name': 'case %s: %s' % (case.id, case.title), case.module: options}
        if case.check_mode and not case.role:
            call['check_mode'] = True
        tasks.append({'name': 'case %s' % case.id, 'block': [call],
                      'rescue': [{'name': 'case %s refused' % case.id, 'ansible.builtin.debug': {'msg': 'refused'}}]})
    tasks.append({'name': 'marker end', 'ansible.builtin.debug': {
        'msg': "{{ lookup('ansible.builtin.url', '%s/-/hostile/case/end', split_lines=False) }}" % proxy_url}})
    return [{'name': 'Hostile cases', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], extra


def run_playbook(workdir, play, extra, env, verbose=3):
    """``(rc, stdout, stderr, recorded tasks)`` of one ansible-playbook run."""
    from tests.conftest import COLLECTIONS_PATH  # pylint: disable=import-outside-toplevel
    path = os.path.join(workdir, 'hostile.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(play, handle, sort_keys=False)
    varfile = os.path.join(workdir, 'hostile-vars.json')
    with open(varfile, 'w', encoding='utf-8') as handle:
        json.dump(dict(extra, ansible_python_interpreter=sys.executable), handle)
    recorder = os.path.join(workdir, 'recorder.jsonl')
    with open(recorder, 'w', encoding='utf-8'):
        pass
    run_env = dict(os.environ)
    run_env.update({
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_PATH,
        'ANSIBLE_CALLBACK_PLUGINS': CALLBACKS,
        'ANSIBLE_CALLBACKS_ENABLED': 'recorder',
        'ANSIBLE_STDOUT_CALLBACK': 'default',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        # ansible-core 2.21 leaves the module's arguments out of results unless asked; the secret
        # scans look at them (ignored by older versions, which always put them in).
        'ANSIBLE_INJECT_INVOCATION': '1',
        'ANSIBLE_LOCALHOST_WARNING': '0',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': '0',
        'ANSIBLE_LOCAL_TEMP': os.path.join(workdir, 'tmp'),
        'CICD_RECORDER_FILE': recorder,
    })
    for name, value in env.items():
        if value is None:
            run_env.pop(name, None)
        else:
            run_env[name] = value
    args = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), path, '-e', '@' + varfile] + (['-' + 'v' * verbose] if verbose else [])
    proc = subprocess.run(args, capture_output=True, text=True, env=run_env, timeout=900, check=False, cwd=workdir)
    for name, text in (('stdout.txt', proc.stdout), ('stderr.txt', proc.stderr)):   # kept for whoever debugs a case
        with open(os.path.join(workdir, name), 'w', encoding='utf-8') as handle:
            handle.write(text)
    with open(recorder, encoding='utf-8') as handle:
        tasks = [json.loads(line) for line in handle if line.strip()]
    return proc.returncode, proc.stdout, proc.stderr, tasks


def split_by_marker(tasks, stdout, ids):
    """``{case id: (recorded tasks, stdout section)}`` between each case's marker and the next."""
    by_case, current = {cid: [] for cid in ids}, None
    for task in tasks:
        match = re.match(r'marker (\S+)$', task['task'])
        if match:
            current = match.group(1)
            continue
        if current in by_case:
            by_case[current].append(task)
    sections = {}
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'^TASK \[marker (\S+)\]', stdout, re.M)]
    for index, (start, cid) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(stdout)
        sections[cid] = stdout[start:end]
    return {cid: (by_case[cid], sections.get(cid, '')) for cid in ids}


def judge(view, secrets, stderr, created_tokens=()):
    """The problems of one case (an empty list when it behaved)."""
    case, problems = view.case, []
    if view.task is None and view.failed is None:
        return ['the task did not run']
    status = view.failed['status'] if view.failed else view.task['status']
    if case.expect == 'any':
        pass
    elif case.expect == 'fail' and status != 'failed':
        problems.append('not refused (status %s): %s' % (status, view.msg[:200]))
    if case.expect == 'ok' and status == 'failed':
        problems.append('failed: %s' % view.text[:300])
    text = view.text.lower()
    for needle in case.needles:
        options = needle if isinstance(needle, tuple) else (needle,)
        if not any(option.lower() in text for option in options):
            problems.append('the message does not name %s: %s' % (' or '.join(repr(o) for o in options), view.text[:300]))
    for unneedle in case.unneedles:
        if unneedle.lower() in text:
            problems.append('the message says %r: %s' % (unneedle, view.text[:300]))
    blob = view.section + json.dumps(view.tasks)
    if 'Traceback (most recent call last)' in blob or "<class '" in view.text or any('module_stderr' in (t.get('result') or {}) for t in view.tasks):
        problems.append('a traceback or Python exception text')
    if case.no_requests and (view.journal or view.proxy_log):
        problems.append('requests were sent: %s' % ['%s %s' % (e['method'], e['path']) for e in view.proxy_log or view.journal])
    if case.writes is None:
        if view.writes():
            problems.append('written on GitLab: %s' % ['%s %s' % (e['method'], e['path']) for e in view.writes()])
    else:
        problem = case.writes(view)
        if problem:
            problems.append(problem)
    if case.host is None:
        if view.before != view.after:
            problems.append('the host changed: %s -> %s' % (view.before, view.after))
    else:
        problem = case.host(view)
        if problem:
            problems.append(problem)
    # A trigger create returns the token it made (documented; a playbook registers it with no_log):
    # for such a case the tokens created during the run may show, every other secret may not.
    results = json.dumps(view.tasks)
    leaked = set()
    for secret in secrets:
        if case.token_in_result and secret in created_tokens:
            continue
        for form in secret_forms(secret):
            places = [name for name, text in (('stdout', view.section), ('results', results), ('stderr', stderr)) if form in text]
            if places:
                leaked.add('%r... (%d chars) in %s' % (form[:6], len(form), '/'.join(places)))
    if leaked:
        problems.append('secret leaked: %s' % ', '.join(sorted(leaked)))
    if case.check is not None:
        problem = case.check(view)
        if problem:
            problems.append(problem)
    return problems


def run_cases(cases, proxy, fake, workdir, env, global_secrets):
    """Run ``cases`` in one playbook; return ``[{id, class, title, passed, problems, msg}]`` and the run's seconds."""
    marks = {}
    os.makedirs(workdir)

    def on_case(cid):
        marks[cid] = len(fake.journal)
    proxy.on_case = on_case
    dirs = {}
    for case in cases:
        dirs[case.id] = os.path.join(workdir, 'host', case.id)
        os.makedirs(dirs[case.id])
    for case in cases:
        for rule in case.rules:
            proxy.add_rule(**dict({'count': None}, **rule, case=case.id))
    for case in cases:
        if case.prepare:
            case.prepare(dirs[case.id])
    before = {cid: listing(d) for cid, d in dirs.items()}
    known = server_secrets(fake)
    play, extra = build_playbook(cases, proxy.url, dirs)
    watcher = ModeWatcher([dirs[case.id] for case in cases if case.watch_modes])
    watcher.start()
    started = time.monotonic()
    try:
        rc, stdout, stderr, tasks = run_playbook(tempfile.mkdtemp(prefix='run-', dir=workdir), play, extra, env)
    finally:
        watcher.stop()
    seconds = round(time.monotonic() - started, 1)
    journal = fake.journal
    order = [case.id for case in cases] + ['end']
    parts = split_by_marker(tasks, stdout, [case.id for case in cases])
    secrets = set(global_secrets) | server_secrets(fake)
    created = secrets - known
    times = dict(proxy.markers())
    outcomes = []
    for index, case in enumerate(cases):
        start = marks.get(case.id)
        end = marks.get(order[index + 1], len(journal))
        case_journal = journal[start:end] if start is not None else []
        case_tasks, section = parts[case.id]
        view = View(case, dirs[case.id], case_tasks, section, case_journal, proxy.case_log(case.id), before[case.id], listing(dirs[case.id]),
                    watcher.seen.get(dirs[case.id], set()), (times.get(case.id), times.get(order[index + 1])))
        problems = ['the marker did not run'] if start is None else judge(view, secrets | set(case.secrets), stderr, created)
        outcomes.append({'id': case.id, 'class': case.cls, 'title': case.title, 'passed': not problems, 'problems': problems,
                         'msg': view.text[:300]})
    return outcomes, {'rc': rc, 'seconds': seconds, 'stdout_tail': stdout[-2000:], 'stderr_tail': stderr[-2000:]}


def server_secrets(fake):
    """Every token the fake knows (users' and triggers'), including those created during the run."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'token' and isinstance(value, str) and len(value) >= 20:
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(fake.dump_state())
    return found
