"""AWX / automation controller readiness.

- The demo job as AWX runs it: ansible-runner with a private data directory (project/, env/extravars,
  env/envvars, env/settings, inventory/), the project being docs/awx/project with cicd.gitlab as a
  playbook-adjacent collection, and GITLAB_URL/GITLAB_TOKEN injected by rendering the custom
  credential type's injectors (docs/awx/credential_type_gitlab.yml), against the fake GitLab
  (seeds/demo.yml).
- The execution environment (meta/execution-environment.yml): ansible-builder creates a build
  context offline, and the collection's own dependency metadata is what builder's introspection
  expects.
"""

import glob
import hashlib
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.conftest import ROOT, ROOT_TOKEN
from tests.integration.harness import Run, Target

ansible_runner = pytest.importorskip('ansible_runner')

AWX_DIR = os.path.join(ROOT, 'docs', 'awx')
DEMO_SEED = os.path.join(ROOT, 'tests', 'fake_gitlab', 'seeds', 'demo.yml')
BIN = os.path.dirname(sys.executable)


def galaxy_meta():
    with open(os.path.join(ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def credential_type():
    with open(os.path.join(AWX_DIR, 'credential_type_gitlab.yml'), encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def inject(cred_type, inputs):
    """The environment AWX gives a job from a credential of this type (its env injectors, rendered)."""
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    return {name: env.from_string(template).render(**inputs) for name, template in cred_type['injectors']['env'].items()}


# ---- the credential type ----------------------------------------------------------------------------


def test_credential_type_injects_the_url_and_a_secret_token():
    cred_type = credential_type()
    assert cred_type['kind'] == 'cloud' and cred_type['name']   # the kinds AWX allows for custom types
    fields = {f['id']: f for f in cred_type['inputs']['fields']}
    assert set(fields) == {'gitlab_url', 'gitlab_token'}
    assert fields['gitlab_token'].get('secret') is True and not fields['gitlab_url'].get('secret')
    assert all(f['type'] == 'string' and f['label'] for f in fields.values())
    assert sorted(cred_type['inputs']['required']) == ['gitlab_token', 'gitlab_url']
    assert set(cred_type['injectors']) == {'env'}
    assert inject(cred_type, {'gitlab_url': 'https://gitlab.example.com', 'gitlab_token': 'glpat-x'}) == {
        'GITLAB_URL': 'https://gitlab.example.com', 'GITLAB_TOKEN': 'glpat-x'}


# ---- the demo job through ansible-runner ----------------------------------------------------------


@pytest.fixture
def demo_gitlab(tmp_path):
    from tests.fake_gitlab import FakeGitLab  # pylint: disable=import-outside-toplevel
    with FakeGitLab(seed=DEMO_SEED) as fake:
        yield Target(fake.url, ROOT_TOKEN, 'demo/web', 'demo', fake=fake, workdir=str(tmp_path))


def private_data_dir(base, gitlab, extravars, project=None):
    """Lay out a private data directory the way AWX does for a job of the demo job template."""
    rdd = base / 'rdd'
    project_dir = rdd / 'project'
    shutil.copytree(os.path.join(AWX_DIR, 'project'), project_dir)
    # As AWX after a project sync (or an EE holding the collection): cicd.gitlab beside the playbook.
    meta = galaxy_meta()
    adjacent = project_dir / 'collections' / 'ansible_collections' / meta['namespace']
    adjacent.mkdir(parents=True)
    os.symlink(ROOT, adjacent / meta['name'])
    empty = base / 'no-other-collections'
    empty.mkdir(exist_ok=True)
    envvars = inject(credential_type(), {'gitlab_url': gitlab.url, 'gitlab_token': gitlab.token})
    envvars['GITLAB_PROJECT'] = project or gitlab.project   # e.g. AWX's "Extra Environment Variables"
    envvars['ANSIBLE_COLLECTIONS_PATH'] = str(empty)   # only the project's collections count
    (rdd / 'env').mkdir()
    (rdd / 'env' / 'envvars').write_text(yaml.safe_dump(envvars))
    (rdd / 'env' / 'extravars').write_text(yaml.safe_dump(extravars))
    (rdd / 'env' / 'settings').write_text(yaml.safe_dump({'job_timeout': 240}))
    (rdd / 'inventory').mkdir()
    (rdd / 'inventory' / 'hosts').write_text(
        'localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    return rdd


def run_job(rdd, ident, monkeypatch):
    # In an EE ansible-playbook is on PATH; here it is the venv's.
    monkeypatch.setenv('PATH', BIN + os.pathsep + os.environ.get('PATH', ''))
    for name in ('GITLAB_URL', 'GITLAB_TOKEN', 'GITLAB_PROJECT', 'CI_SERVER_URL'):
        monkeypatch.delenv(name, raising=False)
    result = ansible_runner.run(private_data_dir=str(rdd), playbook='demo.yml', ident=ident, quiet=True)
    events = list(result.events)
    return result, events


def task_events(events, action_suffix, event='runner_on_ok'):
    return [e for e in events if e['event'] == event and e['event_data'].get('task_action', '').endswith(action_suffix)]


def job_output(rdd, ident):
    """Everything the job left behind: stdout and every job event, as AWX would store them."""
    artifacts = rdd / 'artifacts' / ident
    parts = [(artifacts / 'stdout').read_text()]
    for path in sorted(glob.glob(str(artifacts / 'job_events' / '*.json'))):
        with open(path, encoding='utf-8') as handle:
            parts.append(handle.read())
    return '\n'.join(parts)


def assert_successful(result, events, rdd, ident, gitlab):
    stdout = (rdd / 'artifacts' / ident / 'stdout').read_text()
    assert (result.status, result.rc) == ('successful', 0), stdout[-4000:]
    kinds = [e['event'] for e in events]
    assert kinds[0] == 'playbook_on_start' and kinds[-1] == 'playbook_on_stats'
    assert 'runner_on_failed' not in kinds and 'runner_on_unreachable' not in kinds
    stats = result.stats
    stats_event = next(e for e in events if e['event'] == 'playbook_on_stats')['event_data']
    assert {key: stats_event[key] for key in stats} == stats
    assert not stats['failures'] and not stats['dark']
    # the stats add up the task results of the events (a no_log result's event hides its changed flag)
    ok_events = [e for e in events if e['event'] == 'runner_on_ok']
    changed = len([e for e in ok_events if e['event_data']['res'].get('changed')])
    hidden = len([e for e in ok_events if 'censored' in e['event_data']['res']])
    assert stats['ok']['localhost'] == len(ok_events)
    assert changed <= stats['changed'].get('localhost', 0) <= changed + hidden
    # no token (API or trigger) in the stdout or any job event
    gitlab.assert_no_secrets(Run(['ansible-runner', ident], result.rc, job_output(rdd, ident), '', []))
    return stats


@pytest.mark.fake_only
def test_demo_job_runs_through_ansible_runner_like_awx(demo_gitlab, tmp_path, monkeypatch):
    gitlab = demo_gitlab
    demo_dir = tmp_path / 'downloads'
    extravars = {
        # what AWX adds to every job, then the job template's extra variables
        'awx_job_id': 1, 'awx_job_template_name': 'cicd.gitlab demo', 'tower_job_id': 1,
        'demo_dir': str(demo_dir),
    }
    rdd = private_data_dir(tmp_path, gitlab, extravars)
    result, events = run_job(rdd, 'job-1', monkeypatch)
    stats = assert_successful(result, events, rdd, 'job-1', gitlab)
    assert stats['changed']['localhost'] > 0

    # the variables were set, a pipeline ran and passed, and the download went to the extra var's demo_dir
    variables_events = task_events(events, 'gitlab_ci_variable')
    assert variables_events and all(e['event_data']['res']['changed'] for e in variables_events)
    assert 'APP_ENV' in {v['key'] for v in gitlab.api('GET', 'projects/demo%2Fweb/variables').json()}
    pipelines = gitlab.api('GET', 'projects/demo%2Fweb/pipelines').json()
    assert pipelines and pipelines[0]['status'] == 'success'
    downloads = [e['event_data']['res']['artifacts'] for e in task_events(events, 'gitlab_ci_job')
                 if e['event_data']['res'].get('artifacts')]
    assert downloads
    for artifacts in downloads:
        assert os.path.dirname(artifacts['path']) == str(demo_dir)
        with open(artifacts['path'], 'rb') as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == artifacts['sha256']

    # A second job, the project named by the job template's extra variable (extra vars win over the
    # environment, which names a project that does not exist): the configuration part is unchanged.
    rdd2 = private_data_dir(tmp_path / 'second', gitlab, dict(extravars, demo_project='demo/web'),
                            project='demo/does-not-exist')
    result, events = run_job(rdd2, 'job-2', monkeypatch)
    assert_successful(result, events, rdd2, 'job-2', gitlab)
    for action in ('gitlab_ci_variable', 'gitlab_ci_trigger'):
        assert task_events(events, action)
        for event in task_events(events, action):
            assert not event['event_data']['res'].get('changed'), event['event_data']['task']


# ---- the execution environment ----------------------------------------------------------------


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist')
    subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    meta = galaxy_meta()
    path = out / ('%s-%s-%s.tar.gz' % (meta['namespace'], meta['name'], meta['version']))
    assert path.exists()
    return path


def test_execution_environment_gives_a_build_context_offline(tmp_path, tarball):
    # the build folder of docs/awx.md: the EE file, requirements.txt and the tarball side by side
    ee = tmp_path / 'ee'
    ee.mkdir()
    shutil.copy(os.path.join(ROOT, 'meta', 'execution-environment.yml'), ee)
    shutil.copy(os.path.join(ROOT, 'requirements.txt'), ee)
    shutil.copy(tarball, ee)
    proc = subprocess.run([os.path.join(BIN, 'ansible-builder'), 'create', '-f', str(ee / 'execution-environment.yml'),
                           '-c', str(ee / 'context'), '-v', '3'], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    context = ee / 'context'
    build_file = [p for p in (context / 'Containerfile', context / 'Dockerfile') if p.exists()]
    assert len(build_file) == 1, os.listdir(context)
    steps = build_file[0].read_text()
    assert 'requests' in (context / '_build' / 'requirements.txt').read_text()
    assert (context / '_build' / 'collections' / tarball.name).exists()
    assert yaml.safe_load((context / '_build' / 'requirements.yml').read_text()) == {'collections': []}
    assert 'ansible-galaxy collection install --offline' in steps and '/build/collections/cicd-gitlab-*.tar.gz' in steps
    assert 'ansible-core' in steps and 'ansible-runner' in steps
    assert 'introspect' in steps


def test_installed_collection_declares_its_python_requirements_to_builder(tmp_path, tarball):
    # Inside the image, builder's introspection reads meta/execution-environment.yml of every
    # installed collection, with paths relative to the collection root.
    install = tmp_path / 'inst'
    subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--offline', '-p', str(install),
                    str(tarball)], check=True, capture_output=True)
    proc = subprocess.run([os.path.join(BIN, 'ansible-builder'), 'introspect', str(install)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = yaml.safe_load(proc.stdout.split('---', 1)[1])
    assert any(line.startswith('requests') and 'cicd.gitlab' in line for line in data['python']), data
    assert data['system'] == []
