"""Table tests of _info.py: the selections of the two info modules, the pipeline list's query, and the results."""

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _info as logic
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError

SHA = '2dc6aa325a317eda67812f05600bdf0fcdc70ab0'


def pipeline_params(**given):
    params = dict(project='acme/app', pipeline_id=None, latest=False, ref=None, sha=None, status=None, source=None,
                  username=None, name=None, updated_after=None, updated_before=None, order_by=None, sort=None, limit=None,
                  jobs=False, include_retried=False)
    params.update(given)
    return params


def job_params(**given):
    params = dict(project='acme/app', job_id=None, pipeline_id=None, sha=None, include_retried=False, scope=None, name=None,
                  limit=None, log_lines=None)
    params.update(given)
    return params


def problems_of(function, params):
    with pytest.raises(InputError) as caught:
        function(params)
    return caught.value.errors


# ---- parse_time ----------------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('2026-01-31', '2026-01-31T00:00:00Z'),
    ('2026-01-31T12:00', '2026-01-31T12:00:00Z'),
    ('2026-01-31T12:00:05Z', '2026-01-31T12:00:05Z'),
    ('2026-01-31 12:00:05z', '2026-01-31T12:00:05Z'),
    ('2026-01-31T14:00:00+02:00', '2026-01-31T12:00:00Z'),
    ('2026-01-31T01:00:00+0200', '2026-01-30T23:00:00Z'),
    ('2026-01-31T22:30:00-02:00', '2026-02-01T00:30:00Z'),
    ('2026-01-31T12:00:00.250Z', '2026-01-31T12:00:00.250000Z'),
    ('  2026-01-31  ', '2026-01-31T00:00:00Z'),
])
def test_parse_time_normalises_to_utc(text, expected):
    assert logic.parse_time('updated_after', text) == (expected, None)


@pytest.mark.parametrize('text', ['yesterday', '2026-13-01', '2026-02-30', '2026-01-31T25:00:00Z', '2026-01-31T12:00:00+25:00',
                                  '31.01.2026', '2026-01-31T12', '2026-01-31T12:00:00Z junk', '', '1706700000'])
def test_parse_time_refuses_what_is_not_iso_8601(text):
    value, problem = logic.parse_time('updated_before', text)
    assert value is None and problem.startswith('updated_before must be an ISO 8601 date')


# ---- pipeline_selection --------------------------------------------------------------------------

@pytest.mark.parametrize('given, kind, wanted', [
    ({}, 'list', {'query': {}, 'limit': 20}),
    ({'pipeline_id': 5}, 'one', {'pipeline_id': 5}),
    ({'pipeline_id': 5, 'jobs': True, 'include_retried': True}, 'one', {'pipeline_id': 5}),
    ({'latest': True}, 'latest', {'ref': None}),
    ({'latest': True, 'ref': 'main'}, 'latest', {'ref': 'main'}),
    ({'ref': 'main', 'status': 'failed', 'limit': 250}, 'list', {'query': {'ref': 'main', 'status': 'failed'}, 'limit': 250}),
    ({'sha': ' %s ' % SHA}, 'list', {'query': {'sha': SHA}}),
    ({'source': 'parent_pipeline', 'username': 'dev', 'name': 'Nightly', 'order_by': 'updated_at', 'sort': 'asc'}, 'list',
     {'query': {'source': 'parent_pipeline', 'username': 'dev', 'name': 'Nightly', 'order_by': 'updated_at', 'sort': 'asc'}}),
    ({'updated_after': '2026-01-01', 'updated_before': '2026-01-31T14:00:00+02:00'}, 'list',
     {'query': {'updated_after': '2026-01-01T00:00:00Z', 'updated_before': '2026-01-31T12:00:00Z'}}),
    ({'limit': 1}, 'list', {'limit': 1}),
    ({'limit': 10000}, 'list', {'limit': 10000}),
])
def test_pipeline_selection(given, kind, wanted):
    got_kind, got = logic.pipeline_selection(pipeline_params(**given))
    assert got_kind == kind
    for key, value in wanted.items():
        assert got[key] == value, key


@pytest.mark.parametrize('given, expected', [
    ({'pipeline_id': 5, 'latest': True}, 'pipeline_id and latest are mutually exclusive'),
    ({'pipeline_id': 5, 'ref': 'main'}, 'ref cannot be used with pipeline_id'),
    ({'pipeline_id': 5, 'status': 'failed', 'limit': 3}, 'status, limit cannot be used with pipeline_id'),
    ({'pipeline_id': 0}, 'pipeline_id must be a positive number, got 0'),
    ({'latest': True, 'sha': SHA}, 'sha cannot be used with latest=true'),
    ({'latest': True, 'limit': 5}, 'limit cannot be used with latest=true'),
    ({'include_retried': True}, 'include_retried needs jobs=true'),
    ({'limit': 0}, 'limit must be between 1 and 10000, got 0'),
    ({'limit': 10001}, 'limit must be between 1 and 10000, got 10001'),
    ({'ref': ' '}, 'ref cannot be empty'),
    ({'ref': 'main\nx'}, 'ref contains a line break or control character'),
    ({'username': 'dev\x00'}, 'username contains a line break or control character'),
    ({'sha': 'not-a-sha'}, "sha must be a commit id (4 to 64 hexadecimal digits), got 'not-a-sha'"),
    ({'updated_after': 'last week'}, 'updated_after must be an ISO 8601 date'),
    ({'updated_after': '2026-02-01', 'updated_before': '2026-01-01'}, 'updated_after (2026-02-01T00:00:00Z) must be before'),
    ({'project': ''}, 'project cannot be empty'),
    ({'project': 'acme/../x'}, 'project'),
])
def test_pipeline_selection_refuses(given, expected):
    problems = problems_of(logic.pipeline_selection, pipeline_params(**given))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_pipeline_selection_reports_every_problem_at_once():
    problems = problems_of(logic.pipeline_selection, pipeline_params(pipeline_id=-1, latest=True, limit=0, include_retried=True))
    assert len(problems) == 5, problems


# ---- job_selection -----------------------------------------------------------------------------------

@pytest.mark.parametrize('given, kind, wanted', [
    ({}, 'project', {'limit': 20, 'scope': None}),
    ({'scope': ['failed', 'success'], 'limit': 150}, 'project', {'limit': 150, 'scope': ['failed', 'success']}),
    ({'scope': []}, 'project', {'scope': None}),
    ({'job_id': 7}, 'job', {'job_id': 7, 'limit': None}),
    ({'job_id': 7, 'log_lines': 0}, 'job', {'log_lines': 0}),
    ({'pipeline_id': 3, 'include_retried': True}, 'pipeline', {'pipeline_id': 3, 'limit': None}),
    ({'pipeline_id': 3, 'limit': 2, 'name': 'build'}, 'pipeline', {'limit': 2, 'name': 'build'}),
    ({'sha': SHA.upper(), 'include_retried': True}, 'sha', {'sha': SHA.upper(), 'limit': None}),
    ({'log_lines': 10000}, 'project', {'log_lines': 10000}),
])
def test_job_selection(given, kind, wanted):
    got_kind, got = logic.job_selection(job_params(**given))
    assert got_kind == kind
    for key, value in wanted.items():
        assert got[key] == value, key


@pytest.mark.parametrize('given, expected', [
    ({'job_id': 1, 'pipeline_id': 2}, 'job_id, pipeline_id are mutually exclusive'),
    ({'pipeline_id': 2, 'sha': SHA}, 'pipeline_id, sha are mutually exclusive'),
    ({'job_id': 1, 'scope': ['failed']}, 'scope cannot be used with job_id'),
    ({'job_id': 1, 'limit': 5}, 'limit cannot be used with job_id'),
    ({'job_id': 0}, 'job_id must be a positive number'),
    ({'include_retried': True}, 'include_retried needs pipeline_id or sha'),
    ({'job_id': 4, 'include_retried': True}, 'include_retried needs pipeline_id or sha'),
    ({'scope': ['failed', 'bogus']}, 'scope may contain only job statuses'),
    ({'name': ''}, 'name cannot be empty'),
    ({'name': 'a\rb'}, 'name contains a line break'),
    ({'sha': 'xyz'}, 'sha must be a commit id'),
    ({'sha': ' '}, 'sha cannot be empty'),
    ({'limit': 0}, 'limit must be between 1 and 10000'),
    ({'log_lines': -1}, 'log_lines must be between 0 and 10000, got -1'),
    ({'log_lines': 10001}, 'log_lines must be between 0 and 10000'),
])
def test_job_selection_refuses(given, expected):
    problems = problems_of(logic.job_selection, job_params(**given))
    assert any(problem.startswith(expected) for problem in problems), problems


# ---- results ------------------------------------------------------------------------------------------

def test_public_pipeline_keeps_the_documented_fields_and_a_small_user():
    pipeline = {'id': 5, 'iid': 2, 'project_id': 7, 'status': 'success', 'ref': 'main', 'sha': SHA, 'source': 'push',
                'name': None, 'web_url': 'u', 'created_at': 'c', 'updated_at': 'u2', 'started_at': 's', 'finished_at': 'f',
                'duration': 9, 'before_sha': 'x', 'detailed_status': {}, 'coverage': None,
                'user': {'id': 3, 'username': 'dev', 'name': 'Dev', 'avatar_url': 'a', 'state': 'active'}}
    result = logic.public_pipeline(pipeline)
    assert set(result) == set(logic.PIPELINE_FIELDS) | {'user'}
    assert result['user'] == {'id': 3, 'username': 'dev', 'name': 'Dev'}
    listed = logic.public_pipeline({'id': 6, 'status': 'running'})
    assert listed['user'] is None and listed['started_at'] is None and listed['duration'] is None


@pytest.mark.parametrize('downstream, expected', [
    (None, None),
    ({'id': 9, 'iid': 1, 'project_id': 8, 'ref': 'main', 'sha': SHA, 'status': 'running', 'source': 'pipeline', 'web_url': 'w',
      'created_at': 'c', 'updated_at': 'u'},
     {'id': 9, 'iid': 1, 'project_id': 8, 'ref': 'main', 'sha': SHA, 'status': 'running', 'source': 'pipeline', 'web_url': 'w'}),
])
def test_public_bridge(downstream, expected):
    bridge = {'id': 4, 'name': 'deploy-child', 'stage': 'deploy', 'status': 'success', 'pipeline': {'id': 5}, 'user': {},
              'commit': {}, 'downstream_pipeline': downstream, 'failure_reason': None}
    result = logic.public_bridge(bridge)
    assert result['downstream_pipeline'] == expected
    assert result['name'] == 'deploy-child' and 'user' not in result and 'commit' not in result


def test_commit_jobs_newest_pipeline_first_and_each_job_knows_its_pipeline():
    older = ({'id': 3}, [{'id': 10, 'name': 'build', 'pipeline': {'id': 3}}])
    newer = ({'id': 8}, [{'id': 20, 'name': 'build'}, {'id': 21, 'name': 'test', 'pipeline': {'id': 8}}])
    jobs = logic.commit_jobs([older, newer])
    assert [(j['id'], j['pipeline']['id']) for j in jobs] == [(20, 8), (21, 8), (10, 3)]


@pytest.mark.parametrize('name, limit, ids', [(None, None, [1, 2, 3]), ('build', None, [1, 3]), ('build', 1, [1]),
                                              (None, 2, [1, 2]), ('nope', 5, [])])
def test_narrow(name, limit, ids):
    jobs = [{'id': 1, 'name': 'build'}, {'id': 2, 'name': 'test'}, {'id': 3, 'name': 'build'}]
    assert [j['id'] for j in logic.narrow(jobs, name, limit)] == ids


def test_job_result_cleans_and_redacts_the_log():
    job = {'id': 7, 'name': 'build', 'status': 'success', 'pipeline': {'id': 5}}
    result = logic.job_result(job, ['\x1b[32mok\x1b[0m', 'section_start:1:build\r', 'token glpat-secret-123 used'],
                              secrets={'glpat-secret-123'})
    assert result['pipeline_id'] == 5 and result['name'] == 'build'
    assert result['log'] == ['ok', 'token ******** used']
    assert 'log' not in logic.job_result(job)
    assert logic.job_result(job, [])['log'] == []


def test_messages_name_what_is_missing():
    assert logic.not_found_message('pipeline', 9, 'acme/app').startswith('pipeline 9 was not found in project acme/app')
    assert 'ref main of project acme/app' in logic.no_latest_message('acme/app', 'main')
    assert 'the default branch of project acme/app' in logic.no_latest_message('acme/app', None)
