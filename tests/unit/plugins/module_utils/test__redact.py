"""Redaction of secrets in every form a library may print them (plugins/module_utils/_redact.py)."""

import json
from urllib.parse import quote, quote_plus

import pytest
import requests

from ansible_collections.cicd.gitlab.plugins.module_utils._redact import REDACTED, redact, redact_data, secret_forms

SECRETS = [
    'glpat-abc123XYZ\n',            # a token pasted with its line end ($(cat file))
    '  glpat-spaced  ',              # surrounding spaces (an AWX field)
    'pa ss word',                    # a space inside
    'pässwörd-ünïcode',              # unicode
    '100%sure%2Fx',                  # percent signs
    'quo"te\'s',                     # both quotes
    'back\\slash\\n',                # backslashes
    'tab\there',                     # a control character
    'x',                             # one character: still redacted
]


def printed_forms(secret):
    """How a library may print ``secret``: each must disappear."""
    stripped = secret.strip()
    forms = [secret, stripped, repr(secret), repr(secret)[1:-1], repr(stripped), repr(secret.encode('utf-8')),
             json.dumps(secret), json.dumps(secret, ensure_ascii=False), quote(secret, safe=''), quote_plus(secret),
             quote(stripped, safe=''), quote_plus(stripped)]
    return forms


@pytest.mark.parametrize('secret', SECRETS)
def test_every_form_of_the_secret_is_redacted(secret):
    for form in printed_forms(secret):
        text = 'failed: header value %s was refused' % form
        out = redact(text, [secret])
        assert out.startswith('failed: header value ') and out.endswith(' was refused')
        assert REDACTED in out
        for candidate in secret_forms(secret):
            assert candidate not in out, (form, candidate, out)


@pytest.mark.parametrize('secret', SECRETS)
def test_secret_forms_cover_raw_stripped_repr_json_and_url(secret):
    forms = secret_forms(secret)
    assert secret in forms and secret.strip() in forms
    assert repr(secret)[1:-1] in forms
    assert repr(secret.encode('utf-8'))[2:-1] in forms
    assert json.dumps(secret)[1:-1] in forms
    assert quote(secret, safe='') in forms and quote_plus(secret) in forms
    assert quote(secret.strip(), safe='') in forms
    assert '' not in forms


@pytest.mark.parametrize('value', [None, '', '   '])
def test_empty_secrets_redact_nothing(value):
    assert '' not in secret_forms(value)
    assert redact('nothing to hide here', [value]) == 'nothing to hide here'


def test_longest_form_first_leaves_no_fragment():
    """'abc\\n' and 'abc' are both forms: the longer goes first, so no stray 'n' or backslash remains."""
    assert redact("value 'abc\\n' refused", ['abc\n']) == "value '%s' refused" % REDACTED
    assert redact('tokens abc and abcd', ['abc', 'abcd']) == 'tokens %s and %s' % (REDACTED, REDACTED)


def test_redact_data_walks_dicts_lists_tuples_and_keys():
    secret = 'glpat-s3cr3t\n'
    data = {'msg': 'token glpat-s3cr3t failed', 'list': ['a', "'glpat-s3cr3t\\n'"], 'tuple': ('glpat-s3cr3t%0A',),
            'glpat-s3cr3t': 1, 'n': 5, 'b': True, 'none': None}
    out = redact_data(data, [secret])
    assert out == {'msg': 'token %s failed' % REDACTED, 'list': ['a', "'%s'" % REDACTED], 'tuple': (REDACTED,),
                   REDACTED: 1, 'n': 5, 'b': True, 'none': None}
    assert redact_data(data, []) is data


def test_requests_invalid_header_message_is_redacted():
    """requests refuses a header value with a line end, quoting it with repr(): the form Ansible's no_log misses."""
    token = 'glpat-Leak3d-T0ken\n'
    with pytest.raises(requests.exceptions.InvalidHeader) as info:
        requests.Request('GET', 'http://127.0.0.1:9/api/v4/version', headers={'PRIVATE-TOKEN': token}).prepare()
    text = str(info.value)
    assert "'glpat-Leak3d-T0ken\\n'" in text          # the library really prints the repr form
    out = redact(text, [token])
    assert 'Leak3d' not in out and REDACTED in out


def test_requests_invalid_header_for_leading_whitespace_is_redacted():
    token = ' glpat-Leading-Space'
    with pytest.raises(requests.exceptions.InvalidHeader) as info:
        requests.Request('GET', 'http://127.0.0.1:9/', headers={'PRIVATE-TOKEN': token}).prepare()
    assert 'Leading-Space' in str(info.value)
    assert 'Leading-Space' not in redact(str(info.value), [token])
