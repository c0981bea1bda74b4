"""Run real ansible-playbook against the fake GitLab (or a real one) and read the results.

A test gets a ``gitlab`` target (see conftest.py) and calls ``gitlab.play(...)``:

    run = gitlab.play('gitlab_ci_variable/present.yml', extra_vars={...}, check=True, diff=True)
    run.assert_ok()                      # rc 0, no failed task
    run.task('Create the variable')      # -> {'task', 'action', 'status', 'result'}

Every run's whole output (stdout, stderr, recorded results) is scanned for the target's tokens
and for every value the test registered with ``gitlab.secret(value)``; a hit fails the test.
Playbooks live in tests/integration/targets/<module>/; ``gitlab.play_tasks(tasks)`` writes a
one-play playbook from a list of task dicts for table-driven cases.
"""

import json
import os
import subprocess
import sys
import tempfile

import requests
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, 'targets')
CALLBACKS = os.path.join(HERE, 'callback_plugins')


class Run:
    """The outcome of one ansible-playbook run."""

    def __init__(self, args, rc, stdout, stderr, tasks):
        self.args = args
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.tasks = tasks

    @property
    def output(self):
        return self.stdout + '\n' + self.stderr + '\n' + json.dumps(self.tasks)

    def task(self, name):
        """The recorded result of the task called ``name`` (the last one if it ran several times)."""
        found = [t for t in self.tasks if t['task'] == name]
        assert found, 'task %r did not run; ran: %s\n%s' % (name, [t['task'] for t in self.tasks], self.stdout[-3000:])
        return found[-1]

    def statuses(self):
        return [(t['task'], t['status']) for t in self.tasks]

    def assert_ok(self):
        failed = [t for t in self.tasks if t['status'] in ('failed', 'unreachable')]
        assert self.rc == 0 and not failed, 'playbook failed (rc %s):\n%s\n%s' % (self.rc, self.stdout[-4000:], self.stderr[-2000:])
        return self

    def assert_failed(self):
        assert self.rc != 0, 'playbook was expected to fail:\n%s' % self.stdout[-3000:]
        return self

    def failure(self):
        """The single failed task's result (for bad-input tests)."""
        failed = [t for t in self.tasks if t['status'] == 'failed']
        assert len(failed) == 1, 'expected one failed task, got %s\n%s\n%s' % (self.statuses(), self.stdout[-3000:], self.stderr[-2000:])
        return failed[0]['result']


class Target:
    """A GitLab to run playbooks against: the bundled fake, or a real one from the environment."""

    def __init__(self, url, token, project, group, fake=None, workdir=None):
        self.url = url
        self.token = token
        self.project = project
        self.group = group
        self.fake = fake
        self.workdir = workdir or tempfile.mkdtemp(prefix='cicd-gitlab-it-')
        self.secrets = {token}
        self.runs = []

    @property
    def is_fake(self):
        return self.fake is not None

    def secret(self, *values):
        """Register values that must never appear in any output of this test."""
        self.secrets.update(v for v in values if v)

    # ---- server-side views, independent of the code under test ----

    def api(self, method, path, token=None, **kwargs):
        headers = {'PRIVATE-TOKEN': token or self.token}
        return requests.request(method, self.url + '/api/v4/' + path.lstrip('/'), headers=headers, timeout=30, **kwargs)

    def journal(self):
        return requests.get(self.url + '/-/fake/journal', timeout=10).json()

    def clear_journal(self):
        requests.delete(self.url + '/-/fake/journal', timeout=10)

    def writes(self):
        """The requests that may change GitLab (a GraphQL POST to /api/graphql only reads)."""
        return [e for e in self.journal() if e['method'] in ('POST', 'PUT', 'DELETE', 'PATCH') and e['path'] != '/api/graphql']

    def state(self):
        return requests.get(self.url + '/-/fake/state', timeout=10).json()

    def add_fault(self, **rule):
        response = requests.post(self.url + '/-/fake/faults', json=rule, timeout=10)
        assert response.status_code < 300, response.text

    # ---- running playbooks ----

    def play(self, playbook, extra_vars=None, check=False, diff=False, verbose=0, env=None, secrets_allowed_in=()):
        """Run a playbook (path relative to tests/integration/targets, or absolute).

        ``secrets_allowed_in`` names tasks whose registered result may hold a secret (the token a
        trigger create or rotate returns); everything else, stdout and stderr included, may not.
        """
        path = playbook if os.path.isabs(playbook) else os.path.join(TARGETS, playbook)
        variables = {
            'ansible_python_interpreter': sys.executable,
            'gitlab_project': self.project,
            'gitlab_group': self.group,
            'gitlab_is_fake': self.is_fake,
        }
        variables.update(extra_vars or {})
        varfile = self._write('vars', json.dumps(variables))
        recorder = self._write('recorder', '')
        args = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), path, '-e', '@' + varfile]
        if check:
            args.append('--check')
        if diff:
            args.append('--diff')
        if verbose:
            args.append('-' + 'v' * verbose)
        from tests.conftest import COLLECTIONS_PATH  # pylint: disable=import-outside-toplevel
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
            'ANSIBLE_LOCAL_TEMP': os.path.join(self.workdir, 'tmp'),
            'CICD_RECORDER_FILE': recorder,
            'GITLAB_URL': self.url,
            'GITLAB_TOKEN': self.token,
        })
        for name, value in (env or {}).items():   # None removes a variable
            if value is None:
                run_env.pop(name, None)
            else:
                run_env[name] = value
        proc = subprocess.run(args, capture_output=True, text=True, env=run_env, timeout=600, check=False)
        with open(recorder, encoding='utf-8') as handle:
            tasks = [json.loads(line) for line in handle if line.strip()]
        run = Run(args, proc.returncode, proc.stdout, proc.stderr, tasks)
        self.runs.append(run)
        self.assert_no_secrets(run, secrets_allowed_in)
        assert 'Traceback (most recent call last)' not in run.output, run.output[-4000:]
        return run

    def play_tasks(self, tasks, **kwargs):
        """Write a one-play playbook around ``tasks`` (a list of task dicts) and run it."""
        play = [{'name': 'Generated test play', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]
        return self.play(self._write('play.yml', yaml.safe_dump(play, sort_keys=False)), **kwargs)

    def assert_no_secrets(self, run, allowed_in=()):
        scanned = [t for t in run.tasks if t['task'] not in allowed_in]
        text = run.stdout + '\n' + run.stderr + '\n' + json.dumps(scanned)
        secrets = set(self.secrets) | self._server_secrets()
        leaked = sorted(s for s in secrets if s and s in text)
        assert not leaked, 'secret value(s) leaked into the output of %s' % run.args[1]

    def _server_secrets(self):
        """Every token the fake knows (API and trigger tokens), including ones created by the run."""
        if not self.is_fake:
            return set()
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
        walk(self.state())
        return found

    def _write(self, name, content):
        fd, path = tempfile.mkstemp(prefix=name + '-', suffix=os.path.splitext(name)[1] or '.json', dir=self.workdir)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            handle.write(content)
        return path
