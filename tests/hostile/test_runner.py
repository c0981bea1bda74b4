"""The hostile runner's own pieces (tests/hostile/runner.py): secret forms, listings, the mode watcher, judging."""

import os
import time

from tests.hostile.runner import Case, ModeWatcher, View, judge, listing, secret_forms, split_by_marker, with_dir


def test_secret_forms_cover_what_libraries_print():
    forms = secret_forms('glpat-abc def\n')
    assert {'glpat-abc def\n', 'glpat-abc def', 'glpat-abc def\\n', 'glpat-abc%20def%0A', 'glpat-abc+def%0A', 'glpat-abc%20def'} <= forms
    assert 'glpat-abc\\tdef' in secret_forms('glpat-abc\tdef')
    assert {'glpat-\\xc3\\xa9', 'glpat-\\u00e9', 'glpat-%C3%A9'} <= secret_forms('glpat-\u00e9')
    assert secret_forms('  ') == set()


def test_listing_and_with_dir(tmp_path):
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'f').write_text('abc', encoding='utf-8')
    os.chmod(str(tmp_path / 'sub' / 'f'), 0o600)
    assert listing(str(tmp_path))['sub/f'] == ('0o600', 3)
    assert listing(str(tmp_path / 'missing')) == {}
    assert with_dir({'a': ['{dir}/x', 1], 'b': '{dir}'}, '/d') == {'a': ['/d/x', 1], 'b': '/d'}


def test_mode_watcher_sees_a_short_lived_file(tmp_path):
    watcher = ModeWatcher([str(tmp_path)], interval=0.001)
    watcher.start()
    try:
        path = tmp_path / 'brief'
        path.write_text('x', encoding='utf-8')
        os.chmod(str(path), 0o644)
        time.sleep(0.05)
        path.unlink()
    finally:
        watcher.stop()
    assert ('brief', 0o644) in watcher.seen[str(tmp_path)]


def test_split_by_marker():
    tasks = [{'task': 'marker a', 'status': 'ok'}, {'task': 'case a: x', 'status': 'failed'}, {'task': 'marker b', 'status': 'ok'},
             {'task': 'case b: y', 'status': 'ok'}]
    stdout = 'TASK [marker a] ***\none\nTASK [marker b] ***\ntwo\n'
    parts = split_by_marker(tasks, stdout, ['a', 'b'])
    assert [t['task'] for t in parts['a'][0]] == ['case a: x'] and 'one' in parts['a'][1] and 'two' not in parts['a'][1]
    assert 'two' in parts['b'][1]


def view_of(case, status='failed', msg='api_token contains a space', journal=(), proxy_log=(), before=None, after=None, section=''):
    tasks = [{'task': 'case %s: t' % case.id, 'status': status, 'result': {'msg': msg}}]
    return View(case, '/d', tasks, section, list(journal), list(proxy_log), before or {}, after or {}, set())


def test_judge_passes_a_clean_refusal_and_names_each_problem():
    case = Case('c-01', 'credentials', 't', 'm', {}, needles=['api_token'], no_requests=True)
    assert judge(view_of(case), {'glpat-secret-1'}, '') == []
    problems = judge(view_of(case, status='ok', msg='fine glpat-secret-1', journal=[{'method': 'POST', 'path': '/x'}],
                             after={'f': ('0o644', 1)}, section='Traceback (most recent call last)'), {'glpat-secret-1'}, '')
    text = ' | '.join(problems)
    for expected in ('not refused', "does not name 'api_token'", 'traceback', 'requests were sent', 'written on GitLab', 'the host changed',
                     'secret leaked'):
        assert expected in text, problems


def test_judge_alternatives_unneedles_and_own_checks():
    case = Case('c-02', 'answers', 't', 'm', {}, needles=[('array', 'list')], unneedles=['%2F'], expect='any',
                writes=lambda view: None, check=lambda view: 'own problem')
    problems = judge(view_of(case, msg='expected a JSON array for acme%2Fapp', journal=[{'method': 'POST', 'path': '/x'}]), set(), '')
    assert problems == ["the message says '%2F': expected a JSON array for acme%2Fapp", 'own problem']


def test_judge_allows_created_tokens_only_where_a_case_returns_them():
    created = {'glptt-created-000000000000000000000000000000'}
    returning = Case('c-03', 'lost', 't', 'm', {}, expect='any', writes=lambda view: None, token_in_result=True)
    other = Case('c-04', 'lost', 't', 'm', {}, expect='any', writes=lambda view: None)
    msg = 'created, token %s' % next(iter(created))
    assert judge(view_of(returning, status='changed', msg=msg), created, '', created) == []
    assert 'secret leaked' in ' '.join(judge(view_of(other, status='changed', msg=msg), created, '', created))
