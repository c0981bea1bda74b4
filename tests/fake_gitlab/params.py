"""Grape-style parameter declarations: presence, type coercion, ``values`` and ``except_values``.

GitLab declares each route's parameters with Grape; a failure is a 400 ``{"error": "..."}`` whose
messages, in declaration order, are joined with ", " (Grape::Exceptions::ValidationErrors, ruby-grape/grape
lib/grape/exceptions/validation_errors.rb, rendered by Grape's JSON error formatter).
Undeclared parameters are silently dropped (``declared_params(include_missing: false)``).

Coercion follows Grape's ``PrimitiveCoercer`` on dry-types ``Params`` types:

* ``string``:  scalars become strings (``true`` -> ``"true"``, ``1`` -> ``"1"``); arrays and hashes
  are invalid; JSON ``null`` stays None.
* ``boolean``: ``true``/``false`` and the dry-types strings (``1 0 t f true false on off y n yes
  no`` in lower, Capitalised and UPPER case); the empty string is None; anything else is invalid.
  (ruby-grape/grape lib/grape/validations/types/primitive_coercer.rb maps Boolean to dry-types
  ``Params::Bool``, dry-rb/dry-types lib/dry/types/coercions/params.rb), so ``"yes"`` is true.
* ``integer``: Ruby ``Integer(value, 10)`` for strings, truncation for floats; ``""`` is None.
* ``hash``:    a JSON object or bracket params; a string is invalid.
* ``array``:   a list, or a hash with keys ``"0"``, ``"1"`` ... (bracket form ``a[0][key]=``).
* ``datetime``: Ruby ``DateTime.parse`` of a string, as an aware UTC ``datetime``; ``""`` is None,
  non-strings are invalid.  Only ISO 8601 forms are understood (``2024-07-01``,
  ``2024-07-01T10:00:00.123+02:00``, ``20240701``); Ruby accepts more (``July 1 2024``) [INFERRED].
"""

import datetime
import re

from . import errors

_BOOL_WORDS = {
    True: ('1', 'on', 't', 'true', 'y', 'yes'),
    False: ('0', 'off', 'f', 'false', 'n', 'no'),
}
GRAPE_BOOLEANS = {}
for _result, _words in _BOOL_WORDS.items():
    for _word in _words:
        for _variant in (_word, _word.capitalize(), _word.upper()):
            GRAPE_BOOLEANS[_variant] = _result

# ActiveModel::Type::Boolean::FALSE_VALUES (as strings: Grape already made every value a String).
RAILS_FALSE_VALUES = frozenset(('0', 'f', 'F', 'false', 'FALSE', 'off', 'OFF'))

INVALID = object()


def rails_boolean(value):
    """Cast a declared ``String`` the way ActiveRecord casts it into a boolean column.

    Everything outside Rails' false-list is true, so ``"no"`` is true; ``""`` and None are None
    (older lib/api/group_variables.rb and lib/api/admin/ci/variables.rb declared the flags ``type: String``).
    """
    if value is None or value == '':
        return None
    return value not in RAILS_FALSE_VALUES


class Param:
    """One declared parameter.

    ``kind`` is one of ``string``, ``boolean``, ``integer``, ``hash``, ``array``, ``datetime``.  ``children``
    declares the keys of a hash (or of each element of an array of hashes).
    """

    def __init__(self, name, kind='string', required=False, values=None, except_values=None, default=None, children=None):
        self.name = name
        self.kind = kind
        self.required = required
        self.values = values
        self.except_values = except_values
        self.default = default
        self.children = children or []


def coerce(kind, value):
    """Coerce one value; returns ``INVALID`` when Grape would answer ``<name> is invalid``."""
    if value is None:
        return None
    if kind == 'string':
        if isinstance(value, (list, dict)):
            return INVALID
        if isinstance(value, bool):
            return 'true' if value else 'false'
        return str(value)
    if kind == 'boolean':
        if isinstance(value, bool):
            return value
        if isinstance(value, (list, dict)):
            return INVALID
        if value == '':
            return None
        return GRAPE_BOOLEANS.get(str(value), INVALID)
    if kind == 'integer':
        return _coerce_integer(value)
    if kind == 'hash':
        return value if isinstance(value, dict) else INVALID
    if kind == 'array':
        if isinstance(value, list):
            return value
        if isinstance(value, dict) and all(k.isdigit() for k in value):
            return [value[k] for k in sorted(value, key=int)]
        if value == '':
            return []
        return INVALID
    if kind == 'datetime':
        if not isinstance(value, str):
            return INVALID
        if value == '':
            return None
        moment = parse_datetime(value)
        return INVALID if moment is None else moment
    raise ValueError('unknown parameter kind %r' % kind)


# ISO 8601 date, optionally with a time and a zone; extended (2024-07-01) or basic (20240701) form.
_ISO_DATETIME = re.compile(
    r'(?P<year>\d{4})-?(?P<month>\d{2})-?(?P<day>\d{2})'
    r'(?:[T ](?P<hour>\d{2}):?(?P<minute>\d{2})(?::?(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?'
    r' ?(?P<zone>Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?)?')


def parse_datetime(text):
    """An ISO 8601 string as an aware UTC ``datetime`` (no zone means UTC, as in Ruby), or None."""
    found = _ISO_DATETIME.fullmatch(text.strip())
    if not found:
        return None
    parts = found.groupdict()
    fraction = (parts['fraction'] or '0')[:6].ljust(6, '0')
    zone = parts['zone'] or 'Z'
    offset = datetime.timedelta(0)
    if zone[0] in '+-':
        digits = zone[1:].replace(':', '')
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        if zone[0] == '-':
            offset = -offset
    try:
        moment = datetime.datetime(int(parts['year']), int(parts['month']), int(parts['day']), int(parts['hour'] or 0),
                                   int(parts['minute'] or 0), int(parts['second'] or 0), int(fraction),
                                   tzinfo=datetime.timezone(offset))
    except ValueError:
        return None
    return moment.astimezone(datetime.timezone.utc)


def _coerce_integer(value):
    if isinstance(value, (bool, list, dict)):
        return INVALID
    if isinstance(value, float):
        return int(value)
    if isinstance(value, int):
        return value
    if value == '':
        return None
    try:
        return int(str(value), 10)
    except ValueError:
        return INVALID


def declared(params, specs):
    """Validate and coerce ``params`` against ``specs``; return only the declared, present ones.

    Raises the Grape 400 with every failure message, in declaration order.
    """
    messages = []
    result = _declared(params, specs, '', messages)
    if messages:
        raise errors.param_errors(messages)
    return result


def _declared(params, specs, prefix, messages):
    result = {}
    for spec in specs:
        label = '%s[%s]' % (prefix, spec.name) if prefix else spec.name
        if spec.name not in params:
            if spec.required:
                messages.append('%s is missing' % label)
            elif spec.default is not None:
                result[spec.name] = spec.default
            continue
        value = coerce(spec.kind, params[spec.name])
        if value is INVALID:
            messages.append('%s is invalid' % label)
            continue
        if value is not None and spec.values is not None and value not in spec.values:
            messages.append('%s does not have a valid value' % label)
            continue
        if value is not None and spec.except_values is not None and value in spec.except_values:
            messages.append('%s has a value not allowed' % label)
            continue
        if spec.children and isinstance(value, dict):
            value = _declared(value, spec.children, label, messages)
        elif spec.children and isinstance(value, list):
            value = [_declared_element(element, spec, label, index, messages) for index, element in enumerate(value)]
        result[spec.name] = value
    return result


def _declared_element(element, spec, label, index, messages):
    element_label = '%s[%d]' % (label, index)
    if not isinstance(element, dict):
        messages.append('%s is invalid' % element_label)
        return element
    return _declared(element, spec.children, element_label, messages)


def blank(value):
    """Rails ``blank?`` for the values a request can carry."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ''
    if isinstance(value, (list, dict)):
        return not value
    return False
