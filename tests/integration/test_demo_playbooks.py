"""The collection playbooks behind `make demo`, run with ansible-playbook against the fake."""

import os

import pytest

from tests.conftest import ROOT
from tests.fake_gitlab import FakeGitLab
from tests.integration.harness import Target

DEMO_SEED = os.path.join(ROOT, 'tests', 'fake_gitlab', 'seeds', 'demo.yml')
PLAYBOOKS = os.path.join(ROOT, 'playbooks')


@pytest.fixture
def demo(tmp_path):
    with FakeGitLab(seed=DEMO_SEED) as fake:
        yield Target(fake.url, 'glpat-root-000000000000', 'demo/web', 'demo', fake=fake, workdir=str(tmp_path))


@pytest.mark.fake_only
def test_demo_tells_the_whole_story_and_configuration_is_then_unchanged(demo, tmp_path):
    demo.secret('demo-s3cr3t-value-0001')
    env = {'GITLAB_PROJECT': 'demo/web', 'DEMO_DIR': str(tmp_path / 'downloads')}
    run = demo.play(os.path.join(PLAYBOOKS, 'demo.yml'), env=env).assert_ok()
    assert run.task('Start a pipeline with the trigger token and wait for it')['result']['pipeline']['status'] == 'success'
    assert run.task('Play the manual deploy job and wait for it')['status'] == 'changed'
    artifacts = run.task("Download the build job's artifacts onto the host")['result']['artifacts']
    assert os.path.getsize(artifacts['path']) == artifacts['size']
    assert run.task('Show the artifact and the build log\'s tail')['status'] == 'ok'
    tree = run.task('Start a pipeline with the trigger token and wait for it')['result']['pipeline']
    assert [(child['bridge']['name'], child['status']) for child in tree['downstream']] == [('docs', 'success')]
    shown = run.task('Show the pipeline and the child pipelines it started')['result']['msg']
    assert shown[1] == ('child pipeline %d (trigger job docs, project demo/web) is success: docs-build=success, docs-check=success'
                        % tree['downstream'][0]['id'])
    started = run.task('Start a pipeline with the trigger token and wait for it')['result']['pipeline']
    latest = run.task('Read the latest pipeline of the ref and its jobs back')['result']
    assert latest['changed'] is False
    assert latest['pipeline']['id'] == started['id']
    statuses = {job['name']: job['status'] for job in latest['pipeline']['jobs']}
    assert statuses == {'build': 'success', 'test': 'success', 'deploy': 'success'}
    report = run.task('Report the latest pipeline and the version its build job produced')['result']['msg']
    assert report[1] == 'VERSION of the build: 2.3.0'
    again = demo.play(os.path.join(PLAYBOOKS, 'configure.yml'), env=env).assert_ok()
    assert [status for _task, status in again.statuses()] == ['ok'] * 4
