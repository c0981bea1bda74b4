"""Offset pagination, as ``Gitlab::Pagination::OffsetPagination`` does it (lib/gitlab/pagination/offset_pagination.rb).

One helper for every list route: ``paginate(call, items, render, counted=True)``.

* ``page`` (default 1) and ``per_page`` (default 20) are Grape Integers; ``per_page=0`` is rejected
  (``except_values: [0]``); above 100 is clamped to 100 (Kaminari ``max_per_page``); a negative
  ``per_page`` keeps the default and a page below 1 means page 1 (Kaminari).
* ``X-Per-Page``, ``X-Page``, ``X-Next-Page``, ``X-Prev-Page`` always (empty strings when there is
  no such page), ``Link`` with ``prev``/``next``/``first`` and, when counted, ``last``;
  ``X-Total`` and ``X-Total-Pages`` only when counted (``counted=False`` for the project jobs list;
  counts are also dropped above 10,000 records).  The total page count is at least 1.
* Link URLs use the external URL and the request path; the query is Grape's ``params`` (request
  params, route params such as ``id``, the pagination defaults) rebuilt with Rails ``to_query``:
  sorted, brackets encoded.  As in GitLab, ``per_page`` in links is the requested value.
"""

import math
from urllib.parse import quote_plus

from .params import Param, declared
from .request import Response

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
COUNT_LIMIT = 10000
PAGINATION_PARAMS = [
    Param('page', 'integer', default=1),
    Param('per_page', 'integer', default=DEFAULT_PER_PAGE, except_values=[0]),
]


def to_query(value, namespace=None):
    """Rails ``Object#to_query`` / ``Hash#to_query``."""
    if isinstance(value, dict):
        if not value and namespace:
            return to_query(None, namespace)
        parts = [to_query(item, '%s[%s]' % (namespace, key) if namespace else str(key))
                 for key, item in value.items() if not (isinstance(item, (dict, list)) and not item)]
        if '[]' not in (namespace or ''):
            parts.sort()
        return '&'.join(parts)
    if isinstance(value, list):
        prefix = '%s[]' % namespace
        if not value:
            return to_query(None, prefix)
        return '&'.join(to_query(item, prefix) for item in value)
    if value is None:
        text = ''
    elif isinstance(value, bool):
        text = 'true' if value else 'false'
    else:
        text = str(value)
    return '%s=%s' % (quote_plus(namespace, safe=''), quote_plus(text, safe=''))


def page_numbers(total, page, per_page, counted):
    """Return ``(next_page, prev_page, total_pages)`` the way Kaminari computes them."""
    total_pages = max(1, math.ceil(total / per_page))
    start = (page - 1) * per_page
    if counted:
        out_of_range = page > total_pages
    else:
        out_of_range = start >= total
    next_page = page + 1 if total > start + per_page and not out_of_range else None
    prev_page = page - 1 if page > 1 and not out_of_range else None
    return next_page, prev_page, total_pages


def paginate(call, items, render, counted=True, status=200):
    """Answer a list route: one page of ``render(item)`` with GitLab's pagination headers."""
    args = declared(call.params, PAGINATION_PARAMS)
    page = max(args.get('page') or 1, 1)
    per_page = args.get('per_page')
    if per_page is None or per_page < 0:
        per_page = DEFAULT_PER_PAGE
    per_page = min(per_page, MAX_PER_PAGE)
    if len(items) > COUNT_LIMIT:
        counted = False
    next_page, prev_page, total_pages = page_numbers(len(items), page, per_page, counted)
    start = (page - 1) * per_page
    headers = [
        ('X-Per-Page', str(per_page)),
        ('X-Page', str(page)),
        ('X-Next-Page', str(next_page or '')),
        ('X-Prev-Page', str(prev_page or '')),
        ('Link', _links(call, args, next_page, prev_page, total_pages if counted else None)),
    ]
    if counted:
        headers += [('X-Total', str(len(items))), ('X-Total-Pages', str(total_pages))]
    return Response.json(status, [render(item) for item in items[start:start + per_page]], headers)


def _links(call, args, next_page, prev_page, last_page):
    """The ``Link`` header; ``last_page`` None leaves out ``rel="last"`` (no counts)."""
    link_params = dict(call.params)
    link_params.setdefault('page', 1)
    link_params.setdefault('per_page', DEFAULT_PER_PAGE)
    link_params.update({name: value for name, value in args.items() if value is not None})

    def href(number):
        return '%s%s?%s' % (call.external_url, call.request.path, to_query(dict(link_params, page=number)))

    links = []
    if prev_page:
        links.append('<%s>; rel="prev"' % href(prev_page))
    if next_page:
        links.append('<%s>; rel="next"' % href(next_page))
    links.append('<%s>; rel="first"' % href(1))
    if last_page is not None:
        links.append('<%s>; rel="last"' % href(last_page))
    return ', '.join(links)
