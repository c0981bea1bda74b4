"""Pure logic for writes whose answer was lost (_lost.py and the lost-create part of _triggers.py), by tables."""

import time

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _lost as lost
from ansible_collections.cicd.gitlab.plugins.module_utils import _triggers as triggers_logic
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import (
    GitLabError,
    GitLabNotFoundError,
    GitLabServerError,
    GitLabTimeoutError,
    GitLabTLSError,
    GitLabTransportError,
    GitLabValidationError,
)

FULL = 'glptt-' + '0123456789abcdef' * 2 + '01234567'


# ---- which errors may hide an applied write ------------------------------------------------------

@pytest.mark.parametrize('err, expected', [
    (GitLabServerError('POST', '/p', status=502), True),
    (GitLabServerError('POST', '/p', status=500), True),
    (GitLabTransportError('POST', '/p', detail='Connection reset by peer'), True),
    (GitLabTimeoutError('POST', '/p', detail='Read timed out'), True),
    (GitLabTLSError('POST', '/p', detail='certificate verify failed'), False),
    (GitLabValidationError('POST', '/p', status=400), False),
    (GitLabNotFoundError('POST', '/p', status=404), False),
    (GitLabError('POST', '/p', status=201, detail='the answer is not JSON'), True),
    (lost.UnusableAnswer('POST', '/p', detail='empty'), True),
    (lost.UnusableAnswer('GET', '/p', detail='empty'), False),
    (ValueError('not a GitLab error'), False),
])
def test_maybe_applied(err, expected):
    assert lost.maybe_applied(err) is expected


def test_the_client_mark_adds_to_the_classes():
    err = GitLabValidationError('POST', '/p', status=422)
    err.maybe_applied = True
    assert lost.maybe_applied(err) is True
    # A transport failure is read back even when the client says it was not sent: looking is always safe.
    err = GitLabTransportError('POST', '/p', detail='refused')
    err.maybe_applied = False
    assert lost.maybe_applied(err) is True


@pytest.mark.parametrize('err, expected', [
    (GitLabTimeoutError('POST', '/p'), True),
    (GitLabServerError('POST', '/p', status=504), True),
    (GitLabServerError('POST', '/p', status=502), True),
    (GitLabServerError('POST', '/p', status=500), False),
    (GitLabTransportError('POST', '/p', detail='reset'), False),
])
def test_may_still_run(err, expected):
    assert lost.may_still_run(err) is expected


@pytest.mark.parametrize('answer, expect, problem', [
    ({'id': 1, 'status': 'created'}, ('id', 'status'), None),
    (None, ('id',), 'an empty answer'),
    ([], ('id',), 'a JSON list'),
    ('<html>', ('id',), 'a JSON str'),
    ({'id': 1}, ('id', 'status'), 'an object without status'),
    ({'message': 'ok'}, ('id', 'token'), 'an object without id, token'),
])
def test_check_answer(answer, expect, problem):
    if problem is None:
        assert lost.check_answer(answer, 'POST', '/api/v4/projects/acme/app/pipeline', expect) is answer
        return
    with pytest.raises(lost.UnusableAnswer) as info:
        lost.check_answer(answer, 'POST', '/api/v4/projects/acme/app/pipeline', expect)
    assert problem in str(info.value)
    assert 'POST /api/v4/projects/acme/app/pipeline' in str(info.value)
    assert info.value.maybe_applied is True


@pytest.mark.parametrize('owner, expected', [
    ('42', True), ('0042', True), (42, True), ('acme/app', False), ('42/app', False), ('4 2', False),
    ('', False), (None, False), (True, False), ('\uff14\uff12', False), ('42\n', False),
])
def test_is_id(owner, expected):
    assert lost.is_id(owner) is expected


# ---- pipelines -------------------------------------------------------------------------------------

def pipe(pid, source='api', **extra):
    return dict(id=pid, source=source, web_url='https://gitlab.example.com/acme/app/-/pipelines/%d' % pid, **extra)


SENT = 1796256000.0  # 2026-12-03T00:00:00Z on GitLab's clock


def at(seconds):
    """GitLab's created_at ``seconds`` after SENT."""
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(SENT + seconds)) + '.%03dZ' % round((seconds % 1) * 1000)


@pytest.mark.parametrize('server_date, sent, received, wall_sent, since', [
    (SENT + 2, 100.0, 102.0, None, SENT),                 # the answer came 2 s after sending, at GitLab's 2 s
    (SENT + 40, 100.0, 140.5, None, SENT - 0.5),           # Date drops the fraction: earlier, never later
    (SENT, 100.0, 99.0, None, SENT),                       # a clock going back counts as no time elapsed
    (SENT + 2, 100.0, 102.0, SENT - 5, SENT - 5),          # the host's clock earlier: taken
    (SENT + 12, 100.0, 102.0, SENT + 0.2, SENT + 0.2),     # GitLab's Date 10 s ahead: the host's clock wins
    (None, 100.0, 102.0, SENT, None),                      # no Date: cannot tell
    (SENT, None, 102.0, SENT, None),
])
def test_server_time_of_send(server_date, sent, received, wall_sent, since):
    assert lost.server_time_of_send(server_date, sent, received, wall_sent) == since


@pytest.mark.parametrize('value, expected', [
    (at(0), SENT),
    (at(1.5), SENT + 1.5),
    ('2026-12-03T01:00:00.000+01:00', SENT),
    ('2026-12-03T00:00:00+00:00', SENT),
    ('2026-12-03T00:00:00', SENT),            # no zone: GitLab's times are UTC
    ('yesterday', None), ('', None), (None, None), (1796270400, None),
    ('2026-13-03T00:00:00Z', None),           # the right shape, not a date
    ('2026-12-03T00:00:00Z\n', None),
])
def test_created_at(value, expected):
    assert lost.created_at({'created_at': value}) == expected
    assert lost.created_at('junk') is None


def pipe_at(pid, seconds, source='api'):
    return pipe(pid, source, created_at=at(seconds))


@pytest.mark.parametrize('listed, since, sources, ids', [
    ([pipe_at(5, 1), pipe_at(4, -40), pipe_at(3, -90)], SENT, lost.API_SOURCES, [5]),
    ([pipe_at(5, 1), pipe_at(4, -10)], SENT, lost.API_SOURCES, [4, 5]),     # within the margin: could be ours
    ([pipe_at(6, 1, 'push'), pipe_at(5, 1, 'trigger'), pipe_at(4, -99)], SENT, lost.API_SOURCES, []),
    ([pipe_at(6, 1, 'push'), pipe_at(5, 1, 'trigger'), pipe_at(4, -99)], SENT, lost.TRIGGER_SOURCES, [5]),
    ([pipe_at(7, 0, 'pipeline'), pipe_at(4, -99)], SENT, lost.TRIGGER_SOURCES, [7]),
    ([pipe(3), pipe_at(2, -99), 'junk', {'id': 'x', 'source': 'api'}], SENT, lost.API_SOURCES, [3]),  # no created_at: kept
    ([pipe(3, created_at='garbage'), pipe_at(2, 5)], SENT, lost.API_SOURCES, [2, 3]),
])
def test_new_pipelines(listed, since, sources, ids):
    assert [p['id'] for p in lost.new_pipelines(listed, since, sources)] == ids


@pytest.mark.parametrize('count, oldest, limit, complete', [
    (3, 1, 20, True),          # a short page holds everything
    (20, -60, 20, True),       # a full page that reaches back before the request
    (20, 1, 20, False),        # a full page of new pipelines: more may be older... or ours
    (20, None, 20, False),     # a full page whose oldest has no created_at
])
def test_complete_look(count, oldest, limit, complete):
    listed = [pipe_at(100 - index, 2) for index in range(count)]
    listed[-1] = pipe(81) if oldest is None else pipe_at(81, oldest)
    assert lost.complete_look(listed, SENT, limit) is complete


@pytest.mark.parametrize('candidates, complete, decision', [
    ([pipe(5)], True, 'adopt'),
    ([], True, 'none'),
    ([pipe(5), pipe(6)], True, 'unknown'),
    ([pipe(5)], False, 'unknown'),
    ([], False, 'unknown'),
])
def test_pipeline_decision(candidates, complete, decision):
    assert lost.pipeline_decision(candidates, complete)[0] == decision


@pytest.mark.parametrize('created, decision, ids', [
    ([0.3], 'adopt', [1]),
    ([-0.5], 'adopt', [1]),                   # within TIGHT_MARGIN: both clocks a little ahead
    ([-5, 0.4], 'adopt', [2]),                # a pipeline of the ref started 5 s before is told apart
    ([-2, -1.5, 0.2], 'adopt', [3]),
    ([-5], 'unknown', [1]),                   # only one from 5 s before: ours only if both clocks ran ahead, never adopted
    ([-5, -3], 'unknown', [1, 2]),
    ([0.1, 2], 'unknown', [1, 2]),            # another started meanwhile
    ([None, 0.2], 'unknown', [1, 2]),         # a created_at that cannot be read is never ruled out
])
def test_pipeline_decision_tells_a_pipeline_started_just_before_apart(created, decision, ids):
    listed = [pipe(index + 1) if moment is None else pipe_at(index + 1, moment) for index, moment in enumerate(created)]
    candidates = lost.new_pipelines(listed, SENT, lost.API_SOURCES)
    found, what = lost.pipeline_decision(candidates, True, SENT)
    assert found == decision
    assert [p['id'] for p in (what if isinstance(what, list) else [what])] == ids


def test_pipeline_messages_say_what_is_known_and_how_to_check():
    err = GitLabTimeoutError('POST', '/api/v4/projects/acme/app/pipeline', detail='Read timed out')
    page = lost.pipelines_page('https://gitlab.example.com', 'acme/app', 'release/1.0')
    assert page == 'https://gitlab.example.com/acme/app/-/pipelines?ref=release%2F1.0'
    none = lost.pipeline_none_message('release/1.0', '42', 'with the API token', err, page)
    assert 'none was started' in none and 'can be sent again safely' in none and page in none
    assert 'still working' in none  # a timeout: GitLab may still create it
    cut = GitLabTransportError('POST', '/x', detail='Connection reset by peer')
    assert 'still working' not in lost.pipeline_none_message('main', 'acme/app', 'with the API token', cut, page)
    several = lost.pipeline_unknown_message('main', 'acme/app', 'with the API token', err, [pipe(5), pipe(6)], page)
    assert 'may have been started' in several and '5 (https://gitlab.example.com/acme/app/-/pipelines/5)' in several
    assert 'Check %s' % page in several
    assert 'Hint' not in several


# ---- job actions -----------------------------------------------------------------------------------

@pytest.mark.parametrize('action, job, outcome', [
    ('cancel', {'status': 'canceled'}, 'applied'),
    ('cancel', {'status': 'canceling'}, 'applied'),
    ('cancel', {'status': 'success'}, 'finished'),
    ('cancel', {'status': 'running'}, 'not_applied'),
    ('play', {'status': 'pending'}, 'applied'),
    ('play', {'status': 'success'}, 'applied'),
    ('play', {'status': 'manual'}, 'not_applied'),
    ('play', {'status': 'created'}, 'unknown'),
    ('erase', {'status': 'success', 'erased_at': '2026-01-01T00:00:00Z'}, 'applied'),
    ('erase', {'status': 'success', 'erased_at': None}, 'not_applied'),
    ('keep', {'status': 'success', 'artifacts_expire_at': None}, 'applied'),
    ('keep', {'status': 'success', 'artifacts_expire_at': '2027-01-01T00:00:00Z'}, 'not_applied'),
])
def test_action_outcome(action, job, outcome):
    assert lost.action_outcome(action, job) == outcome


OLD = {'id': 10, 'name': 'test', 'status': 'failed'}


@pytest.mark.parametrize('jobs, outcome, found', [
    ([{'id': 9, 'name': 'build'}, {'id': 12, 'name': 'test', 'status': 'pending'}], 'applied', 12),
    ([{'id': 9, 'name': 'build'}, dict(OLD)], 'not_applied', 10),
    ([{'id': 12, 'name': 'test'}, {'id': 13, 'name': 'test'}], 'unknown', [12, 13]),
    ([dict(OLD), {'id': 12, 'name': 'test'}], 'unknown', [12]),
    ([{'id': 9, 'name': 'build'}], 'unknown', []),
])
def test_retry_outcome(jobs, outcome, found):
    kind, value = lost.retry_outcome(OLD, jobs)
    assert kind == outcome
    assert (value['id'] if isinstance(value, dict) else [job['id'] for job in value]) == found


# ---- triggers --------------------------------------------------------------------------------------

def trig(tid, description='deploy', token=FULL, owner='root'):
    return dict(id=tid, description=description, token=token, owner={'username': owner})


@pytest.mark.parametrize('before, after, ours, others, decision', [
    ([trig(1)], [trig(1), trig(2)], [2], [], 'adopt'),
    ([trig(1)], [trig(1)], [], [], 'none'),
    ([], [trig(2, 'other')], [], [], 'none'),
    ([], [trig(2), trig(3)], [2, 3], [], 'unknown'),
    ([], [trig(2, token='0123', owner='alice')], [], [2], 'unknown'),
    ([], [trig(2), trig(3, token='0123', owner='alice')], [2], [3], 'unknown'),
])
def test_new_triggers(before, after, ours, others, decision):
    mine, theirs = triggers_logic.new_triggers(after, before, 'deploy')
    assert [t['id'] for t in mine] == ours and [t['id'] for t in theirs] == others
    assert triggers_logic.created_decision(mine, theirs) == decision


def test_trigger_messages_never_show_a_token_and_say_how_to_check():
    rotate = triggers_logic.Plan('rotate', 'acme/app', trig(1), 'deploy')
    create = triggers_logic.Plan('create', 'acme/app', None, 'deploy')
    none = triggers_logic.created_none_message(rotate, 'POST ... failed')
    assert 'none was created' in none and 'old trigger 1 was not deleted' in none and 'run again' in none
    assert 'old trigger' not in triggers_logic.created_none_message(create, 'x')
    unknown = triggers_logic.created_unknown_message(create, 'x', [trig(2)], [trig(3, token='0123', owner='alice')])
    assert '2 (yours), 3 (owned by alice)' in unknown and 'GET /projects/:id/triggers' in unknown
    for text in (none, unknown, triggers_logic.adopted_note(trig(2), 'x')):
        assert FULL not in text


@pytest.mark.parametrize('server_date, wall, problem', [
    (SENT, SENT, False),
    (SENT, SENT + 29.5, False),
    (SENT + 30, SENT, False),
    (SENT + 31, SENT, True),          # a front ahead: the new pipeline could look old
    (SENT - 3600, SENT, True),        # or behind
    (0.0, SENT, True),                # 1970
    (None, SENT, False),              # no Date: server_time_of_send says so
])
def test_clocks_disagree(server_date, wall, problem):
    found = lost.clocks_disagree(server_date, wall)
    assert bool(found) is problem
    if problem:
        assert 'differ by' in found and '2026-12-03T00:00:00Z' in found
