# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Descriptions of the attributes every cicd.gitlab module declares."""

from __future__ import annotations


class ModuleDocFragment:
    """Attribute descriptions; each module states its own support level."""

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
  action_group:
    description: Use C(group/cicd.gitlab.gitlab_ci) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - cicd.gitlab.gitlab_ci
'''
