"""Rack bracket params and Grape coercion (tests/fake_gitlab/request.py, params.py), through the parser and over the wire."""

import pytest
import requests

from tests.fake_gitlab.errors import ApiError
from tests.fake_gitlab.params import Param, declared, rails_boolean
from tests.fake_gitlab.request import parse_query
from tests.fidelity.helpers import ROOT, TIMEOUT


@pytest.mark.parametrize('query, expected', [
    ('a=1&b=', {'a': '1', 'b': ''}),
    ('filter%5Benvironment_scope%5D=x', {'filter': {'environment_scope': 'x'}}),
    ('filter[environment_scope]=a+b', {'filter': {'environment_scope': 'a b'}}),
    ('variables[KEY]=V&variables[OTHER]=W', {'variables': {'KEY': 'V', 'OTHER': 'W'}}),
    ('variables[0][key]=A&variables[0][value]=1&variables[1][key]=B',
     {'variables': {'0': {'key': 'A', 'value': '1'}, '1': {'key': 'B'}}}),
    ('scope[]=pending&scope[]=running', {'scope': ['pending', 'running']}),
    ('v[][key]=A&v[][value]=1&v[][key]=B&v[][value]=2', {'v': [{'key': 'A', 'value': '1'}, {'key': 'B', 'value': '2'}]}),
    ('a[b][c]=d', {'a': {'b': {'c': 'd'}}}),
])
def test_rack_nested_params(query, expected):
    assert parse_query(query) == expected


def test_array_of_hashes_is_declared_like_grape():
    specs = [Param('ref', required=True), Param('variables', 'array', children=[Param('key', required=True), Param('value', required=True)])]
    result = declared(parse_query('ref=main&variables[0][key]=A&variables[0][value]=1&extra=x'), specs)
    assert result == {'ref': 'main', 'variables': [{'key': 'A', 'value': '1'}]}
    with pytest.raises(ApiError) as info:
        declared({'ref': 'main', 'variables': [{'value': '1'}, {'key': 'B'}]}, specs)
    assert (info.value.status, info.value.body) == (400, {'error': 'variables[0][key] is missing, variables[1][value] is missing'})


@pytest.mark.parametrize('kind, value, expected', [
    ('string', 5, '5'), ('string', True, 'true'), ('integer', '42', 42), ('integer', 3.9, 3), ('integer', '', None),
    ('boolean', 'TRUE', True), ('boolean', 'No', False), ('boolean', 1, True), ('boolean', '', None),
    ('hash', {'a': 1}, {'a': 1}),
])
def test_grape_coercion(kind, value, expected):
    assert declared({'p': value}, [Param('p', kind)]) == {'p': expected}


@pytest.mark.parametrize('kind, value', [('string', ['a']), ('string', {'a': 1}), ('integer', 'x'), ('integer', True),
                                         ('boolean', 'maybe'), ('boolean', 2), ('hash', 'text')])
def test_grape_coercion_failures(kind, value):
    with pytest.raises(ApiError) as info:
        declared({'p': value}, [Param('p', kind)])
    assert info.value.body == {'error': 'p is invalid'}


@pytest.mark.parametrize('value, expected', [('0', False), ('f', False), ('OFF', False), ('no', True), ('1', True), ('', None), (None, None)])
def test_rails_boolean_cast(value, expected):
    assert rails_boolean(value) is expected


def test_head_and_chunked_request_bodies(fake):
    head = requests.head(fake.url + '/api/v4/projects/acme%2Fapp', headers={'PRIVATE-TOKEN': ROOT}, timeout=TIMEOUT)
    assert (head.status_code, head.content) == (200, b'')
    assert int(head.headers['Content-Length']) > 100

    def body():
        yield b'key=CHUNKED&'
        yield b'value=yes'

    response = requests.post(fake.url + '/api/v4/projects/acme%2Fapp/variables', data=body(), timeout=TIMEOUT,
                             headers={'PRIVATE-TOKEN': ROOT, 'Content-Type': 'application/x-www-form-urlencoded'})
    assert (response.status_code, response.json()['key']) == (201, 'CHUNKED')
