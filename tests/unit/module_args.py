"""``patch_module_args``: run a module's main() in-process with the given options, on every ansible-core line.

ansible-core 2.19 and newer ship it; older lines read the options from ``basic._ANSIBLE_ARGS``.
"""

import contextlib
import json
from unittest import mock

__all__ = ['patch_module_args']

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    @contextlib.contextmanager
    def patch_module_args(args):
        from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel
        with mock.patch.object(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode()):
            yield
