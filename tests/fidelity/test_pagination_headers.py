"""Offset pagination: lib/gitlab/pagination/offset_pagination.rb, https://docs.gitlab.com/api/rest/."""

import pytest

from tests.fake_gitlab.pagination import paginate, to_query
from tests.fidelity.helpers import ROOT, Api

P = '/projects/acme%2Fapp/variables'
EXTERNAL = 'https://gitlab.example.com'


def seed_with(count, external_url=None):
    seed = {'users': [{'username': 'root', 'token': ROOT, 'admin': True}], 'groups': [{'path': 'acme'}],
            'projects': [{'path': 'acme/app', 'variables': [{'key': 'V%03d' % i, 'value': str(i)} for i in range(count)]}]}
    if external_url:
        seed['external_url'] = external_url
    return seed


@pytest.fixture
def api25(make_fake):
    return Api(make_fake(seed_with(25, EXTERNAL)))


def link(path_query, rel):
    return '<%s/api/v4/projects/acme%%2Fapp/variables?%s>; rel="%s"' % (EXTERNAL, path_query, rel)


def test_first_page_defaults(api25):
    response = api25.get(P)
    assert [v['key'] for v in response.json()] == ['V%03d' % i for i in range(20)]
    headers = response.headers
    assert (headers['X-Per-Page'], headers['X-Page'], headers['X-Next-Page'], headers['X-Prev-Page']) == ('20', '1', '2', '')
    assert (headers['X-Total'], headers['X-Total-Pages']) == ('25', '2')
    assert headers['Link'] == ', '.join([
        link('id=acme%2Fapp&page=2&per_page=20', 'next'),
        link('id=acme%2Fapp&page=1&per_page=20', 'first'),
        link('id=acme%2Fapp&page=2&per_page=20', 'last')])


def test_last_page_has_empty_next(api25):
    response = api25.get(P, params={'page': 2})
    assert [v['key'] for v in response.json()] == ['V%03d' % i for i in range(20, 25)]
    assert (response.headers['X-Next-Page'], response.headers['X-Prev-Page']) == ('', '1')
    assert response.headers['Link'].startswith(link('id=acme%2Fapp&page=1&per_page=20', 'prev') + ', ' + link(
        'id=acme%2Fapp&page=1&per_page=20', 'first'))


def test_query_is_rebuilt_sorted_with_brackets(api25):
    response = api25.get(P, params={'per_page': 10, 'page': 2, 'zeta': 'z', 'filter[environment_scope]': 'a b'})
    assert response.headers['Link'].split(', ')[0] == link(
        'filter%5Benvironment_scope%5D=a+b&id=acme%2Fapp&page=1&per_page=10&zeta=z', 'prev')


def test_per_page_is_clamped_to_100(make_fake):
    api = Api(make_fake(seed_with(150)))
    response = api.get(P, params={'per_page': 500})
    assert len(response.json()) == 100
    assert (response.headers['X-Per-Page'], response.headers['X-Total-Pages'], response.headers['X-Next-Page']) == ('100', '2', '2')


@pytest.mark.parametrize('params, message', [
    ({'per_page': 0}, 'per_page has a value not allowed'),
    ({'per_page': 'ten'}, 'per_page is invalid'),
    ({'page': 'x'}, 'page is invalid'),
])
def test_bad_pagination_params(api25, params, message):
    response = api25.get(P, params=params)
    assert (response.status_code, response.json()) == (400, {'error': message})


def test_out_of_range_and_odd_values(api25):
    beyond = api25.get(P, params={'page': 9})
    assert beyond.json() == []
    assert (beyond.headers['X-Page'], beyond.headers['X-Next-Page'], beyond.headers['X-Prev-Page']) == ('9', '', '')
    low = api25.get(P, params={'page': 0, 'per_page': -3})
    assert (low.headers['X-Page'], low.headers['X-Per-Page'], len(low.json())) == ('1', '20', 20)


def test_empty_list_has_one_page(api):
    response = api(ROOT).get(P)
    assert response.json() == []
    assert (response.headers['X-Total'], response.headers['X-Total-Pages'], response.headers['X-Next-Page']) == ('0', '1', '')
    assert 'rel="last"' in response.headers['Link']


def test_links_use_the_servers_url_by_default(fake, api):
    assert api(ROOT).get(P).headers['Link'].startswith('<%s/api/v4/projects/acme%%2Fapp/variables?' % fake.url)


def test_uncounted_lists_drop_totals_and_last(fake, api):
    """``counted=False`` is what the project jobs list uses (tests/fake_gitlab/jobs.py ``list_jobs``)."""
    fake.router.add('GET', '/api/v4/numbers', lambda call: paginate(call, list(range(45)), lambda n: n, counted=False))
    first = api(ROOT).get('/numbers')
    assert 'X-Total' not in first.headers and 'X-Total-Pages' not in first.headers
    assert 'rel="last"' not in first.headers['Link']
    assert first.headers['X-Next-Page'] == '2'
    last = api(ROOT).get('/numbers', params={'page': 3})
    assert (last.json(), last.headers['X-Next-Page'], last.headers['X-Prev-Page']) == ([40, 41, 42, 43, 44], '', '2')


@pytest.mark.parametrize('value, expected', [
    ({'b': 1, 'a': 'x y'}, 'a=x+y&b=1'),
    ({'scope': ['a', 'b']}, 'scope%5B%5D=a&scope%5B%5D=b'),
    ({'filter': {'environment_scope': '*'}}, 'filter%5Benvironment_scope%5D=%2A'),
    ({'flag': True, 'none': None, 'empty': []}, 'flag=true&none='),
])
def test_rails_to_query(value, expected):
    assert to_query(value) == expected
