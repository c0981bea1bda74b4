"""gitlab_ci_pipeline_settings run in-process against the fake GitLab (tests/fake_gitlab/core.py CI/CD fields)."""

import json

import pytest
from ansible.module_utils.common import warnings as ansible_warnings

from tests.conftest import ROOT_TOKEN
from tests.fake_gitlab import FakeGitLab
from tests.fake_gitlab.state import load_seed_data
from tests.conftest import DEFAULT_SEED
from tests.unit.module_run import run_main

from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_pipeline_settings as module_under_test

APP = 'acme/app'


@pytest.fixture(autouse=True)
def no_leftover_warnings():
    """module.warn() collects into ansible-core's process-wide list, which only a real module process ends."""
    yield
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access


@pytest.fixture
def fake():
    with FakeGitLab() as server:
        yield server


def run(capsys, fake, check=False, diff=False, **args):
    args = dict(dict(api_url=fake.url, api_token=ROOT_TOKEN, project=APP), **args)
    result, dummy = run_main(capsys, fake, module_under_test, args, check=check, diff=diff)
    assert ROOT_TOKEN not in json.dumps(result)
    return result


def methods(fake):
    return [entry['method'] for entry in fake.journal]


def test_one_put_with_only_the_differing_fields(capsys, fake):
    result = run(capsys, fake, diff=True, build_timeout='2h', ci_default_git_depth=20, ci_delete_pipelines_in_seconds='30d',
                 ci_pipeline_variables_minimum_override_role='maintainer')
    assert result['changed'] is True and methods(fake) == ['GET', 'PUT']
    assert result['changed_fields'] == ['build_timeout', 'ci_delete_pipelines_in_seconds', 'ci_pipeline_variables_minimum_override_role']
    assert result['diff']['before'] == {'build_timeout': 3600, 'ci_delete_pipelines_in_seconds': None,
                                        'ci_pipeline_variables_minimum_override_role': 'developer'}
    assert result['settings']['ci_delete_pipelines_in_seconds'] == 2592000
    put = [entry for entry in fake.journal if entry['method'] == 'PUT'][0]
    assert 'ci_default_git_depth' not in json.dumps(put.get('body', put))
    again = run(capsys, fake, build_timeout=7200, ci_default_git_depth=20, ci_delete_pipelines_in_seconds=2592000,
                ci_pipeline_variables_minimum_override_role='maintainer')
    assert again['changed'] is False and methods(fake) == ['GET']


def test_check_mode(capsys, fake):
    result = run(capsys, fake, check=True, keep_latest_artifact=False)
    assert result['changed'] is True and methods(fake) == ['GET']
    assert run(capsys, fake, keep_latest_artifact=False)['changed'] is True


def test_unknown_field_is_a_warning(capsys):
    seed = load_seed_data(DEFAULT_SEED)
    seed['license'] = 'free'
    with FakeGitLab(seed=seed) as fake:
        result = run(capsys, fake, ci_restrict_pipeline_cancellation_role='no_one', build_timeout=900)
    assert result['unknown_fields'] == ['ci_restrict_pipeline_cancellation_role']
    assert 'ci_restrict_pipeline_cancellation_role is not known' in json.dumps(result.get('warnings')), result.get('warnings')
    assert result['changed_fields'] == ['build_timeout']


@pytest.mark.parametrize('args, words', [
    ({'ci_delete_pipelines_in_seconds': '12h'}, '1 day to 1 year'),
    ({'ci_delete_pipelines_in_seconds': '2y'}, 'outside'),
    ({'ci_delete_pipelines_in_seconds': 'soon'}, 'not a number of seconds'),
    ({'build_timeout': 599}, '10 minutes'),
    ({'build_timeout': '31d'}, 'outside'),
    ({'ci_default_git_depth': 1001}, '0..1000'),
    ({'ci_config_path': '../x.yml'}, 'directory traversal'),
    ({'ci_config_path': '/abs.yml'}, 'leading slash'),
    ({'ci_config_path': 'a' * 256}, '255'),
    ({'auto_cancel_pending_pipelines': 'on'}, 'auto_cancel_pending_pipelines'),
    ({}, 'nothing to manage'),
    ({'project': '', 'build_timeout': 900}, 'project must not be empty'),
    ({'build_timeout': True}, 'build_timeout'),
])
def test_bad_input_sends_nothing(capsys, fake, args, words):
    result = run(capsys, fake, **args)
    assert result['failed'] is True and words in result['msg'], result['msg']
    assert methods(fake) == []
