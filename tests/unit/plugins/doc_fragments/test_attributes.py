"""The attributes doc fragment and its variants, merged by ansible-doc itself.

No module uses the info-module variant yet (the read-side modules will): a throwaway collection
that holds this repository's doc fragments and one small info module shows what ansible-doc makes
of it, in a subprocess, so that Ansible's plugin loaders stay out of this test process.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT

MODULE = '''#!/usr/bin/python
DOCUMENTATION = r"""
module: gitlab_ci_example_info
short_description: An example info module
description: [Reads something.]
author: [cicd.gitlab contributors]
extends_documentation_fragment: %s
attributes: %s
options: {}
"""
EXAMPLES = "# none"
RETURN = "# none"
'''


def attributes_of(tmp_path, fragments, own=None):
    tree = tmp_path / 'ansible_collections' / 'cicd' / 'gitlab'
    (tree / 'plugins' / 'modules').mkdir(parents=True)
    os.symlink(os.path.join(ROOT, 'plugins', 'doc_fragments'), str(tree / 'plugins' / 'doc_fragments'))
    os.symlink(os.path.join(ROOT, 'galaxy.yml'), str(tree / 'galaxy.yml'))
    (tree / 'plugins' / 'modules' / 'gitlab_ci_example_info.py').write_text(
        MODULE % (json.dumps(list(fragments)), json.dumps(own or {})))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path), ANSIBLE_NOCOLOR='1')
    doc = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
    out = subprocess.run([doc, '--json', 'cicd.gitlab.gitlab_ci_example_info'], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)['cicd.gitlab.gitlab_ci_example_info']['doc']['attributes']


ALL = ('cicd.gitlab.attributes', 'cicd.gitlab.attributes.actiongroup', 'cicd.gitlab.attributes.info_module')


def test_an_info_module_gets_descriptions_support_levels_and_the_action_group(tmp_path):
    attributes = attributes_of(tmp_path, ALL)
    assert set(attributes) == {'check_mode', 'diff_mode', 'idempotent', 'action_group'}
    for name in ('check_mode', 'diff_mode', 'idempotent'):
        assert attributes[name]['description'], name
        assert attributes[name]['details'], name
    assert attributes['check_mode']['support'] == 'full'
    assert attributes['diff_mode']['support'] == 'N/A'
    assert attributes['idempotent']['support'] == 'full'


def test_a_resource_module_keeps_its_own_support_levels(tmp_path):
    attributes = attributes_of(tmp_path, ALL[:2], {'check_mode': {'support': 'partial', 'details': ['d']}})
    assert attributes['check_mode']['support'] == 'partial'
    assert attributes['check_mode']['description'].startswith('Can run in check_mode')
    assert 'support' not in attributes['diff_mode']


def test_the_action_group_variant_names_the_group_of_meta_runtime(tmp_path):
    with open(os.path.join(ROOT, 'meta', 'runtime.yml'), encoding='utf-8') as handle:
        groups = yaml.safe_load(handle)['action_groups']
    attributes = attributes_of(tmp_path, ALL[:2])
    assert attributes['action_group']['membership'] == ['cicd.gitlab.%s' % name for name in groups]


@pytest.mark.parametrize('module', sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, 'plugins', 'modules'))
                                          if name.endswith('.py') and not name.startswith('_')))
def test_every_module_is_in_the_action_group(module):
    with open(os.path.join(ROOT, 'plugins', 'modules', module + '.py'), encoding='utf-8') as handle:
        text = handle.read()
    assert '  - cicd.gitlab.attributes.actiongroup\n' in text, module
