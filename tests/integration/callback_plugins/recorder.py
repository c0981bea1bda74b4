# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: writes one JSON line per task result to $CICD_RECORDER_FILE.

The integration harness reads these lines to assert ok/changed/failed per task and to inspect
module results, instead of parsing the human-oriented stdout.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: recorder
type: aggregate
short_description: record task results as JSON lines (tests only)
description:
  - Writes one JSON object per task result to the file named by the environment variable C(CICD_RECORDER_FILE).
requirements:
  - enable in ANSIBLE_CALLBACKS_ENABLED
'''


class CallbackModule(CallbackBase):
    """Append task results to a JSON-lines file."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'recorder'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status):
        path = os.environ.get('CICD_RECORDER_FILE')
        if not path:
            return
        entry = {
            # The task's own name: ansible-core 2.20+ gives result.task_name with the role's name in
            # front ("cicd.gitlab.pipeline : Run the pipeline"), older versions without it.
            'task': result._task.name or result.task_name or result._task.get_name(),
            'action': result._task.action,
            'status': status,
            'result': self._clean(result._result),
        }
        with open(path, 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(entry, default=str) + '\n')

    @staticmethod
    def _clean(value):
        return json.loads(json.dumps(value, default=str))

    def v2_runner_on_ok(self, result):
        self._record(result, 'changed' if result._result.get('changed') else 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'ignored' if ignore_errors else 'failed')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')
