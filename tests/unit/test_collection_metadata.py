"""The collection's metadata stays in step with its content."""

import os

import yaml

from tests.conftest import ROOT


def _yaml(*parts):
    with open(os.path.join(ROOT, *parts), encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def _modules():
    folder = os.path.join(ROOT, 'plugins', 'modules')
    return sorted(name[:-3] for name in os.listdir(folder) if name.endswith('.py') and not name.startswith('_'))


def test_every_module_is_in_the_gitlab_ci_action_group():
    group = _yaml('meta', 'runtime.yml')['action_groups']['gitlab_ci']
    assert _modules(), 'no modules found'
    missing = sorted(set(_modules()) - set(group))
    assert not missing, 'add these modules to action_groups.gitlab_ci in meta/runtime.yml: %s' % missing
    assert sorted(group) == sorted(set(group)), 'duplicate entries in the action group'
    unknown = sorted(set(group) - set(_modules()))
    assert not unknown, 'the action group lists modules that do not exist: %s' % unknown


def test_runtime_requires_ansible_216():
    assert _yaml('meta', 'runtime.yml')['requires_ansible'] == '>=2.16.0'


def test_galaxy_metadata():
    galaxy = _yaml('galaxy.yml')
    assert (galaxy['namespace'], galaxy['name']) == ('cicd', 'gitlab')
    assert galaxy['license'] == ['GPL-3.0-or-later']
    assert galaxy['dependencies'] == {}
    assert 'tools' in galaxy['tags']
    for litter in ('.venv', '.ansible', 'tests/output', '.pytest_cache', 'collections', '*.tar.gz', 'benchmarks'):
        assert litter in galaxy['build_ignore']


def test_module_python_floor_is_declared():
    assert _yaml('tests', 'config.yml') == {'modules': {'python_requires': '>=3.9'}}


def test_runtime_requirements_are_only_requests():
    with open(os.path.join(ROOT, 'requirements.txt'), encoding='utf-8') as handle:
        lines = [line.split('#')[0].strip() for line in handle]
    assert [line for line in lines if line] == ['requests>=2.25']
