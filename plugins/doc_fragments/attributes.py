# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Descriptions of the attributes cicd.gitlab modules declare, in three parts.

- ``cicd.gitlab.attributes``: what check_mode, diff_mode and idempotent mean; every module
  extends it and states its own support level for each.
- ``cicd.gitlab.attributes.actiongroup``: membership of the ``gitlab_ci`` action group
  (meta/runtime.yml), so ``module_defaults`` can set the connection once; every module.
- ``cicd.gitlab.attributes.info_module``: the support levels of a module that only reads
  (an ``_info`` module); it needs nothing else from the module's own ``attributes``.
"""

from __future__ import annotations


class ModuleDocFragment:
    """Attribute descriptions (DOCUMENTATION) and two variants (ACTIONGROUP, INFO_MODULE)."""

    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
'''

    ACTIONGROUP = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/cicd.gitlab.gitlab_ci) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - cicd.gitlab.gitlab_ci
'''

    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module only reads from GitLab, so it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - This module only reads from GitLab, so there is nothing to diff.
  idempotent:
    support: full
    details:
      - This module only reads from GitLab and never reports a change.
'''
