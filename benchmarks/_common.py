# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the benchmarks share: the fake GitLab in a child process, ansible-playbook runs, the
interpreter wrapper that records the module process's peak memory, a task-timing callback, the
benchmark virtualenvs under ``benchmarks/output/`` and the raw results of each part.
"""

import contextlib
import datetime
import hashlib
import importlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
OUTPUT = os.path.join(ROOT, 'benchmarks', 'output')
MIB = 1 << 20
TOKEN = 'glpat-bench-00000000000000'
PLAYBOOK_TIMEOUT = 900

WRAPPER = '''#!{python}
"""ansible_python_interpreter of the benchmark: run the module with the real Python, record its peak RSS."""
import json
import os
import resource
import subprocess
import sys
import time

start = time.time()
child = subprocess.run([{python!r}] + sys.argv[1:], stdout=subprocess.PIPE, check=False)
end = time.time()
probe = dict(start=start, end=end, rc=child.returncode, maxrss_kib=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
             stdout=child.stdout.decode('utf-8', 'replace'))
with open(os.environ['CICD_BENCH_PROBE'], 'a', encoding='utf-8') as handle:
    handle.write(json.dumps(probe) + '\\n')
sys.stdout.buffer.write(child.stdout)
sys.stdout.flush()
sys.exit(child.returncode)
'''

# A callback plugin (written into the benchmark's temporary directory) that records, per task, the
# controller's clock from the task's start to its result, as profile_tasks does.
TIMER_CALLBACK = '''
"""Benchmark task timer: one JSON line per task result (name, seconds, changed, failed)."""
import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.started[task._uuid] = time.perf_counter()

    def record(self, result, failed):
        end = time.perf_counter()
        task = result._task
        entry = dict(name=task.get_name(), seconds=end - self.started.get(task._uuid, end),
                     changed=bool(result._result.get('changed')), failed=failed)
        with open(os.environ['CICD_BENCH_TIMES'], 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(entry) + '\\n')

    def v2_runner_on_ok(self, result):
        self.record(result, False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self.record(result, True)
'''


class BenchError(Exception):
    """The benchmark could not measure something."""


def say(text):
    print(text, flush=True)


def spread(values, fmt='%.1f'):
    """``median (min–max)``."""
    return (fmt + ' (' + fmt + '–' + fmt + ')') % (statistics.median(values), min(values), max(values))


def epoch(stamp):
    """GitLab's ``2024-07-01T10:00:00.123Z`` as epoch seconds."""
    moment = datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ')
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def quote(path):
    return requests.utils.quote(path, safe='')


def machine():
    """The machine and the versions the report describes."""
    info = {'python': platform.python_version(), 'platform': platform.platform(), 'cores': os.cpu_count()}
    info['cpu'] = 'unknown'
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            found = re.search(r'^model name\s*:\s*(.+)$', handle.read(), re.M)
        info['cpu'] = found.group(1).strip() if found else 'unknown'
        with open('/proc/meminfo', encoding='utf-8') as handle:
            found = re.search(r'^MemTotal:\s*(\d+) kB', handle.read(), re.M)
        info['ram_gib'] = int(found.group(1)) / 1024.0 / 1024.0 if found else None
    except OSError:
        info['ram_gib'] = None
    info['ansible_core'] = importlib.import_module('ansible.release').__version__
    info['requests'] = requests.__version__
    curl = shutil.which('curl')
    if curl:
        info['curl'] = subprocess.run([curl, '--version'], capture_output=True, text=True, check=False).stdout.split('\n', 1)[0]
    return info


def collection_tree(base):
    """``base/ansible_collections/cicd/gitlab`` linking to this checkout; returns ``base``."""
    os.makedirs(os.path.join(base, 'ansible_collections', 'cicd'))
    os.symlink(ROOT, os.path.join(base, 'ansible_collections', 'cicd', 'gitlab'))
    return base


def write_file(path, text, mode=None):
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


def write_wrapper(path, python=sys.executable):
    """The interpreter wrapper (see WRAPPER) for ``python``, at ``path``."""
    return write_file(path, WRAPPER.format(python=python), 0o755)


def write_timer(directory):
    """The task-timing callback plugin in ``directory`` (for ANSIBLE_CALLBACK_PLUGINS)."""
    os.makedirs(directory, exist_ok=True)
    write_file(os.path.join(directory, 'bench_timer.py'), TIMER_CALLBACK.lstrip())
    return directory


def read_lines(path):
    """The JSON lines of ``path`` (none when it does not exist)."""
    if not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as handle:
        return [json.loads(line) for line in handle if line.strip()]


class Fake:
    """The bundled fake GitLab in a child process."""

    def __init__(self, seed_file, log_file):
        self.log_file = log_file
        with open(log_file, 'w', encoding='utf-8') as handle:
            self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, '-m', 'tests.fake_gitlab', '--port', '0', '--seed', seed_file],
                cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
        self.url = None
        for dummy in range(200):
            with open(log_file, encoding='utf-8') as handle:
                found = re.search(r'^URL=(\S+)$', handle.read(), re.M)
            if found:
                self.url = found.group(1)
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.url:
            self.stop()
            with open(log_file, encoding='utf-8') as handle:
                raise BenchError('the fake GitLab did not start:\n' + handle.read())
        self.session = requests.Session()
        self.session.headers['PRIVATE-TOKEN'] = TOKEN

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def api(self, method, path, **kwargs):
        response = self.session.request(method, self.url + '/api/v4/' + path, timeout=30, **kwargs)
        if response.status_code >= 300:
            raise BenchError('%s %s: %s %s' % (method, path, response.status_code, response.text[:300]))
        return response.json() if response.content else None

    def clear_journal(self):
        self.session.delete(self.url + '/-/fake/journal', timeout=30).raise_for_status()

    def journal(self):
        """The API requests since the last ``clear_journal``: ``[{method, path, query, status, user}]``."""
        response = self.session.get(self.url + '/-/fake/journal', timeout=30)
        response.raise_for_status()
        return response.json()

    def project_variables(self, project):
        """``{key: value}`` of a project's variables (every page)."""
        found, page = {}, 1
        while True:
            response = self.session.get(self.url + '/api/v4/projects/%s/variables' % quote(project),
                                        params={'per_page': 100, 'page': page}, timeout=30)
            response.raise_for_status()
            for item in response.json():
                found[item['key']] = item['value']
            if not response.headers.get('X-Next-Page'):
                return found
            page += 1

    def start_pipeline(self, project):
        """Start a pipeline on main; returns its jobs by name (as created)."""
        pipeline = self.api('POST', 'projects/%s/pipeline' % quote(project), params={'ref': 'main'})
        jobs = self.api('GET', 'projects/%s/pipelines/%s/jobs' % (quote(project), pipeline['id']))
        return {job['name']: job for job in jobs}

    def job(self, project, job_id):
        return self.api('GET', 'projects/%s/jobs/%s' % (quote(project), job_id))

    def wait_finished(self, project, job_ids, timeout=60):
        """Poll until every job has finished; returns them by id."""
        deadline = time.monotonic() + timeout
        while True:
            jobs = {job_id: self.job(project, job_id) for job_id in job_ids}
            if all(job['status'] in ('success', 'failed', 'canceled', 'skipped') for job in jobs.values()):
                return jobs
            if time.monotonic() > deadline:
                raise BenchError('jobs did not finish: %s' % {k: v['status'] for k, v in jobs.items()})
            time.sleep(0.05)


@contextlib.contextmanager
def fake_workspace(part, seed):
    """A temporary work directory and the fake GitLab started from ``seed`` (a dict); yields ``(work, fake)``.

    The fake is stopped and the directory removed afterwards, whatever happened.
    """
    work = tempfile.mkdtemp(prefix='cicd-gitlab-bench-%s-' % part)
    fake = None
    try:
        seed_file = os.path.join(work, 'seed.yml')
        with open(seed_file, 'w', encoding='utf-8') as handle:
            yaml.safe_dump(seed, handle, sort_keys=False)
        fake = Fake(seed_file, os.path.join(work, 'fake.log'))
        yield work, fake
    finally:
        if fake is not None:
            fake.stop()
        shutil.rmtree(work, ignore_errors=True)


def ansible_env(work, collections=None, **extra):
    """The environment of an ansible-playbook run: temp directories in ``work``, no colour or noise."""
    env = dict(os.environ)
    for name in ('ANSIBLE_PYTHON_INTERPRETER', 'ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_CALLBACKS_ENABLED', 'ANSIBLE_CALLBACK_PLUGINS'):
        env.pop(name, None)
    env.update({
        'ANSIBLE_LOCAL_TEMP': os.path.join(work, 'ansible-local'),
        'ANSIBLE_REMOTE_TEMP': os.path.join(work, 'ansible-remote'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'ANSIBLE_LOCALHOST_WARNING': '0',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': '0',
    })
    if collections:
        env['ANSIBLE_COLLECTIONS_PATH'] = collections
    env.update(extra)
    return env


def run_playbook(playbook_cmd, playbook, variables, work, env, label='playbook'):
    """One ansible-playbook run with ``variables`` as extra vars: ``(wall seconds, CompletedProcess)``; raises on failure."""
    varfile = os.path.join(work, 'vars.json')
    with open(varfile, 'w', encoding='utf-8') as handle:
        json.dump(variables, handle)
    start = time.perf_counter()
    proc = subprocess.run([playbook_cmd, playbook, '-e', '@' + varfile], capture_output=True, text=True, env=env,
                          cwd=work, check=False, timeout=PLAYBOOK_TIMEOUT)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError('%s failed (rc %s):\n%s\n%s' % (label, proc.returncode, proc.stdout[-3000:], proc.stderr[-2000:]))
    return wall, proc


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(MIB), b''):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_venv(name, requirements):
    """``benchmarks/output/venv-<name>`` with the pinned ``requirements`` installed, created once and
    reused while the requirements file is unchanged. Returns the record of its creation:
    ``{path, python, bin, requirements_sha256, created, seconds, reused}``."""
    path = os.path.join(OUTPUT, 'venv-' + name)
    stamp = os.path.join(path, 'bench-stamp.json')
    wanted = file_sha256(requirements)
    if os.path.exists(stamp):
        with open(stamp, encoding='utf-8') as handle:
            record = json.load(handle)
        if record.get('requirements_sha256') == wanted and os.access(record.get('python', ''), os.X_OK):
            record['reused'] = True
            return record
    say('== creating %s from %s (once; reused afterwards)' % (os.path.relpath(path, ROOT), os.path.relpath(requirements, ROOT)))
    shutil.rmtree(path, ignore_errors=True)
    start = time.monotonic()
    subprocess.run([sys.executable, '-m', 'venv', path], check=True)
    python = os.path.join(path, 'bin', 'python')
    proc = subprocess.run([python, '-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', requirements],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError('pip install -r %s failed:\n%s' % (requirements, proc.stderr[-3000:]))
    record = {'path': path, 'python': python, 'bin': os.path.join(path, 'bin'), 'requirements_sha256': wanted,
              'created': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'), 'seconds': time.monotonic() - start}
    with open(stamp, 'w', encoding='utf-8') as handle:
        json.dump(record, handle, indent=1)
    record['reused'] = False
    return record


def save_raw(part, data):
    """Store a part's raw results as ``benchmarks/output/<part>-<stamp>.json`` and ``latest-<part>.json``."""
    os.makedirs(OUTPUT, exist_ok=True)
    name = '%s-%s.json' % (part, datetime.datetime.now().strftime('%Y%m%d-%H%M%S'))
    data['raw_name'] = name
    text = json.dumps(data, indent=1)
    for target in (name, 'latest-%s.json' % part):
        write_file(os.path.join(OUTPUT, target), text)
    return name


def load_raw(part):
    """The latest raw results of a part, or None."""
    path = os.path.join(OUTPUT, 'latest-%s.json' % part)
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def part_meta(started, load_before):
    """When a part ran, for how long, and the load around it."""
    return {'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'), 'seconds': time.monotonic() - started,
            'load_before': load_before, 'load_after': os.getloadavg()[0]}
