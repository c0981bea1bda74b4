# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redaction of secrets (tokens, secret variable values) from every text the collection builds.

A library does not print a secret only as it is: requests and urllib3 quote header values with
``repr()`` (``'tok\\n'``), a JSON body escapes it, a URL encodes it. ``secret_forms`` lists the
forms, ``redact`` replaces each of them, longest first, with ``REDACTED``.
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

REDACTED = '********'


def _forms_of(value):
    forms = {value}
    forms.add(repr(value)[1:-1])
    try:
        raw = value.encode('utf-8')
    except UnicodeEncodeError:
        raw = None
    if raw is not None:
        forms.add(repr(raw)[2:-1])
        forms.add(quote(raw, safe=''))
        forms.add(quote_plus(raw))
    forms.add(json.dumps(value)[1:-1])
    forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
    return forms


def secret_forms(secret):
    """The set of strings a library may print ``secret`` as, for the raw and the stripped value.

    Raw, stripped, ``repr()``-escaped (str and bytes repr, without the quotes), JSON-escaped and
    URL-encoded (``quote(s, safe='')`` and ``quote_plus(s)``). Empty strings are dropped.
    """
    if secret is None:
        return set()
    if isinstance(secret, (bytes, bytearray)):
        secret = bytes(secret).decode('utf-8', 'replace')
    secret = str(secret)
    forms = set()
    for value in (secret, secret.strip()):
        if value:
            forms |= _forms_of(value)
    forms.discard('')
    return forms


def _all_forms(secrets):
    if isinstance(secrets, (str, bytes, bytearray)):
        secrets = (secrets,)
    forms = set()
    for secret in secrets or ():
        forms |= secret_forms(secret)
    return sorted(forms, key=lambda form: (-len(form), form))


def redact(text, secrets):
    """``text`` with every form of every secret replaced by REDACTED (longest form first)."""
    if not isinstance(text, str) or not text:
        return text
    for form in _all_forms(secrets):
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def redact_data(value, secrets):
    """``redact`` applied to every string in dicts, lists and tuples (keys too); other types unchanged."""
    forms = _all_forms(secrets)
    if not forms:
        return value
    return _walk(value, forms)


def _replace(text, forms):
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def _walk(value, forms):
    if isinstance(value, str):
        return _replace(value, forms)
    if isinstance(value, dict):
        return dict((_walk(key, forms), _walk(item, forms)) for key, item in value.items())
    if isinstance(value, list):
        return [_walk(item, forms) for item in value]
    if isinstance(value, tuple):
        return tuple(_walk(item, forms) for item in value)
    return value
