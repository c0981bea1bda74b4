"""Part 6: GitLab behind a self-signed certificate (the fake in HTTPS mode).

A one-day certificate for 127.0.0.1 is made with the openssl command line. ``validate_certs: true``
without ``ca_path`` must fail with a clear message; ``ca_path`` (the module options and the roles'
``*_ca_path``) must make every module work, downloads included; ``validate_certs: false`` too.

Many machines (this one among them) set ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` for the system
CAs. The requests library lets those override a session's own ``verify`` setting, so the second
test checks that ``ca_path`` and ``validate_certs: false`` still win with them set.


Secret values reach the generated plays as extra vars: ansible-core shows the lines around a failed
task in its error message, and a literal value there would be reported as a leak.
"""

import pytest

from tests.reliability.helpers import Stopwatch, finished_pipeline, have_openssl, report, self_signed

pytestmark = [pytest.mark.fake_only, pytest.mark.skipif(not have_openssl(), reason='needs the openssl command line')]

SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'
NO_CA_ENV = {'REQUESTS_CA_BUNDLE': None, 'CURL_CA_BUNDLE': None, 'SSL_CERT_FILE': None, 'SSL_CERT_DIR': None}


@pytest.fixture
def tls_gitlab(new_target, tmp_path):
    pem = self_signed(str(tmp_path))
    target = new_target('tls', tls=pem)
    assert target.url.startswith('https://')
    return target


def messages(run, names):
    return {name: (run.task(name)['status'], run.task(name)['result'].get('msg', '')) for name in names}


def test_validate_certs_and_ca_path(tls_gitlab, tmp_path):
    cert = tls_gitlab.verify
    dummy_pipeline, jobs = finished_pipeline(tls_gitlab, 'acme/svc')
    tls_gitlab.secret('tls-value-0001')
    tasks = [
        {'name': 'Refuse the self-signed certificate', 'ignore_errors': True,
         'cicd.gitlab.gitlab_ci_variable': {'project': 'acme/app', 'key': 'TLS_A', 'value': '{{ tls_value }}'}},
        {'name': 'Trust it with ca_path', 'cicd.gitlab.gitlab_ci_variable': {
            'project': 'acme/app', 'key': 'TLS_A', 'value': '{{ tls_value }}', 'ca_path': cert}},
        {'name': 'Skip verification with validate_certs false', 'cicd.gitlab.gitlab_ci_variable': {
            'project': 'acme/app', 'key': 'TLS_B', 'value': '{{ tls_value }}', 'validate_certs': False}},
        {'name': 'Create a trigger with ca_path', 'no_log': True, 'cicd.gitlab.gitlab_ci_trigger': {
            'project': 'acme/svc', 'description': 'tls trigger', 'ca_path': cert}},
        {'name': 'Download artifacts with ca_path', 'cicd.gitlab.gitlab_ci_job': {
            'project': 'acme/svc', 'job_id': jobs['build']['id'], 'artifacts_dest': str(tmp_path / 'svc.zip'), 'ca_path': cert}},
        {'name': 'Run the ci_settings role with its ca_path', 'ansible.builtin.include_role': {'name': 'cicd.gitlab.ci_settings'},
         'vars': {'ci_settings_ca_path': cert, 'ci_settings_projects': [
             {'project': 'acme/svc', 'variables': [{'key': 'TLS_ROLE', 'value': '{{ tls_value }}'}]}]}},
    ]
    with Stopwatch() as watch:
        run = tls_gitlab.play_tasks(tasks, extra_vars={'tls_value': 'tls-value-0001'}, env=NO_CA_ENV)
    refused = run.task('Refuse the self-signed certificate')
    seen = messages(run, [t['name'] for t in tasks[:5]])
    report('6. TLS', 'validate_certs and ca_path', seconds=watch.seconds, outcomes=seen)
    assert refused['status'] == 'ignored'
    msg = refused['result']['msg']
    assert 'CERTIFICATE_VERIFY_FAILED' in msg and 'ca_path' in msg, msg
    assert 'Traceback' not in str(refused['result'])
    for name in [t['name'] for t in tasks[1:]]:
        assert run.task(name)['status'] in ('changed', 'ok'), (name, run.task(name))
    assert (tmp_path / 'svc.zip').stat().st_size > 65536
    state = {p['full_path']: p for p in tls_gitlab.state()['projects']}
    assert {v['key'] for v in state['acme/app']['variables']} == {'TLS_A', 'TLS_B'}
    assert 'TLS_ROLE' in {v['key'] for v in state['acme/svc']['variables']}
    assert any(t['description'] == 'tls trigger' for t in state['acme/svc'].get('triggers', []))


def test_ca_path_and_validate_certs_win_over_a_ca_bundle_in_the_environment(tls_gitlab):
    cert = tls_gitlab.verify
    tls_gitlab.secret('tls-value-0002')
    tasks = [
        {'name': 'Trust it with ca_path', 'ignore_errors': True, 'cicd.gitlab.gitlab_ci_variable': {
            'project': 'acme/app', 'key': 'TLS_C', 'value': '{{ tls_value }}', 'ca_path': cert}},
        {'name': 'Skip verification with validate_certs false', 'ignore_errors': True, 'cicd.gitlab.gitlab_ci_variable': {
            'project': 'acme/app', 'key': 'TLS_D', 'value': '{{ tls_value }}', 'validate_certs': False}},
    ]
    env = dict(NO_CA_ENV, REQUESTS_CA_BUNDLE=SYSTEM_BUNDLE, CURL_CA_BUNDLE=SYSTEM_BUNDLE)
    with Stopwatch() as watch:
        run = tls_gitlab.play_tasks(tasks, extra_vars={'tls_value': 'tls-value-0002'}, env=env)
    seen = messages(run, [t['name'] for t in tasks])
    report('6. TLS', 'ca_path with REQUESTS_CA_BUNDLE set', seconds=watch.seconds, outcomes=seen)
    failed = {name: msg for name, (status, msg) in seen.items() if status not in ('changed', 'ok')}
    assert not failed, 'with REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE set: %s' % failed
