"""Part 5: ten forks converge the same variable set on one project at the same time.

An inventory of 10 local hosts, ``forks = 10``: every host runs gitlab_ci_variable with the same 30
variables and purge against one project, which starts with other variables and stale values. Creates
race (GitLab answers "has already been taken" to all but one) and purges race (404 for all but one);
every task must succeed and the project must end with exactly the declared set. The full run repeats
this over several rounds, each declaring a changed set (new values, keys added and dropped).
"""

import os

import pytest

from tests.reliability.helpers import PLAYBOOKS, Stopwatch, count, python, report, variables_on_server

pytestmark = pytest.mark.fake_only

HOSTS = 10
PROJECT = 'acme/app'
TASK = 'Declare the variables'


def declared_set(round_index, total=30):
    """30 variables; each round changes some values, drops three keys and adds three new ones."""
    declared = []
    for index in range(round_index * 3, round_index * 3 + total):
        variable = {'key': 'RACE_%03d' % index, 'value': 'race-value-%03d-r%d' % (index, round_index if index % 4 == 0 else 0)}
        if index % 5 == 1:
            variable.update(masked=True, value='Race-Masked-%03d-r%d' % (index, round_index))
        if index % 7 == 2:
            variable['environment_scope'] = 'production'
        if index % 6 == 3:
            variable['protected'] = True
        declared.append(variable)
    return declared


def exact(declared, server):
    wanted = {(v['key'], v.get('environment_scope', '*')): v for v in declared}
    if set(wanted) != set(server):
        return False
    return all(server[ident]['value'] == wanted[ident]['value']
               and server[ident]['masked'] == wanted[ident].get('masked', False)
               and server[ident]['protected'] == wanted[ident].get('protected', False) for ident in wanted)


def test_ten_forks_converge_the_same_variables(gitlab, tmp_path):
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text('[all]\n' + ''.join('host%02d ansible_connection=local ansible_python_interpreter=%s\n' % (i, python())
                                             for i in range(1, HOSTS + 1)))
    path = 'projects/%s/variables' % PROJECT.replace('/', '%2F')
    for index in range(5):
        gitlab.api('POST', path, json={'key': 'UNDECLARED_%d' % index, 'value': 'undeclared-value'})
    for index in (0, 4, 8):
        gitlab.api('POST', path, json={'key': 'RACE_%03d' % index, 'value': 'stale-value'})
    rounds = count(2, 10)
    outcomes = []
    for round_index in range(rounds):
        declared = declared_set(round_index)
        gitlab.secret(*(v['value'] for v in declared if v.get('masked')))
        gitlab.clear_journal()
        with Stopwatch() as watch:
            run = gitlab.play(os.path.join(PLAYBOOKS, 'variables_on_every_host.yml'),
                              {'test_project': PROJECT, 'test_variables': declared},
                              env={'ANSIBLE_INVENTORY': str(inventory), 'ANSIBLE_FORKS': str(HOSTS), 'ANSIBLE_HOST_KEY_CHECKING': '0'})
        results = [t for t in run.tasks if t['task'] == TASK]
        journal = gitlab.journal()
        outcome = {'round': round_index, 'hosts': len(results), 'seconds': watch.seconds,
                   'succeeded': sum(t['status'] in ('ok', 'changed') for t in results),
                   'changed': sum(t['status'] == 'changed' for t in results),
                   'failures': [t['result'].get('msg', '')[:300] for t in results if t['status'] not in ('ok', 'changed')],
                   'taken_answers': sum(e['method'] == 'POST' and e['status'] == 400 for e in journal),
                   'creates': sum(e['method'] == 'POST' and e['status'] == 201 for e in journal),
                   'deletes_404': sum(e['method'] == 'DELETE' and e['status'] == 404 for e in journal),
                   'exact': exact(declared, variables_on_server(gitlab, PROJECT))}
        outcomes.append(outcome)
        if outcome['succeeded'] != HOSTS or not outcome['exact']:
            break
    report('5. concurrency', 'forks converge', hosts=HOSTS, variables=30, rounds=rounds, seconds=sum(o['seconds'] for o in outcomes),
           converged=sum(o['succeeded'] == HOSTS and o['exact'] for o in outcomes), outcomes=outcomes)
    for outcome in outcomes:
        assert outcome['hosts'] == HOSTS, outcome
        assert outcome['succeeded'] == HOSTS, outcome
        assert outcome['exact'], outcome
    assert len(outcomes) == rounds
