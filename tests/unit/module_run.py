"""What the in-process module tests share: run a module's ``main()`` against the fake, read the fake's journal.

Each test file keeps its own ``run()`` (its defaults and the secrets it scans the result for) and builds it on
``run_main``; ``Clock`` is virtual time for the fake's CI (``sleep`` moves it on, nothing waits).
"""

import json
import time

import pytest
import requests

from tests.conftest import DEV_TOKEN
from tests.unit.module_args import patch_module_args

__all__ = ['Clock', 'api', 'calls', 'queries', 'run_main', 'writes']


class Clock:
    """Virtual time for the fake and the module: ``sleep`` moves it on, nothing waits."""

    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def api(fake, method, path, token=DEV_TOKEN, **kwargs):
    """One request to the fake's API outside the module (set-up); returns its JSON, which must be a success."""
    response = requests.request(method, fake.api_url + path, headers={'PRIVATE-TOKEN': token}, timeout=10, **kwargs)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def calls(fake):
    """``(method, path)`` of every API request since the journal was cleared."""
    return [(entry['method'], entry['path']) for entry in fake.journal]


def writes(fake):
    return [call for call in calls(fake) if call[0] != 'GET']


def queries(fake):
    return [entry.get('query') or {} for entry in fake.journal]


def run_main(capsys, fake, module, args, check=False, diff=False, no_log=None):
    """``module.main()`` with ``args`` after clearing the journal: ``(result, printed text)``."""
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    if no_log is not None:
        args['_ansible_no_log'] = no_log
    fake.clear_journal()
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    return json.loads(out), out
