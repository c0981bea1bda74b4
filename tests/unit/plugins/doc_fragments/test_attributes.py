"""The attributes doc fragment and its variants, merged as ansible-doc merges them.

The info-module variant has no module using it yet (the read-side modules will); this renders it
with the common part and the action group, as such a module's documentation would.
"""

import os

import pytest
import yaml

from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import add_fragments

from tests.conftest import COLLECTIONS_PATH, ROOT

ALL = ('cicd.gitlab.attributes', 'cicd.gitlab.attributes.actiongroup', 'cicd.gitlab.attributes.info_module')


@pytest.fixture(scope='module', autouse=True)
def collection_loader():
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
    finder = _AnsibleCollectionFinder(paths=[COLLECTIONS_PATH])
    finder._install()  # pylint: disable=protected-access
    yield
    finder._remove()  # pylint: disable=protected-access


def merged(fragments, attributes=None):
    doc = {'module': 'gitlab_ci_example_info', 'short_description': 'x', 'description': ['x'], 'options': {},
           'extends_documentation_fragment': list(fragments)}
    if attributes:
        doc['attributes'] = attributes
    add_fragments(doc, os.path.join(ROOT, 'plugins', 'modules', 'gitlab_ci_example_info.py'), fragment_loader=fragment_loader)
    return doc['attributes']


def test_an_info_module_gets_descriptions_support_levels_and_the_action_group():
    attributes = merged(ALL)
    assert set(attributes) == {'check_mode', 'diff_mode', 'idempotent', 'action_group'}
    for name in ('check_mode', 'diff_mode', 'idempotent'):
        assert attributes[name]['description'], name
        assert attributes[name]['support'] in ('full', 'N/A'), name
    assert attributes['check_mode']['support'] == 'full' and attributes['diff_mode']['support'] == 'N/A'


def test_a_resource_module_states_its_own_support_levels():
    attributes = merged(ALL[:2], {'check_mode': {'support': 'partial', 'details': ['d']}})
    assert attributes['check_mode']['support'] == 'partial'
    assert attributes['check_mode']['description'].startswith('Can run in check_mode')
    assert 'support' not in attributes['diff_mode']


def test_the_action_group_variant_names_the_group_of_meta_runtime():
    with open(os.path.join(ROOT, 'meta', 'runtime.yml'), encoding='utf-8') as handle:
        groups = yaml.safe_load(handle)['action_groups']
    membership = merged(ALL[1:2])['action_group']['membership']
    assert membership == ['cicd.gitlab.%s' % name for name in groups]
