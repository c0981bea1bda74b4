# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-task overhead: one unchanged single-variable task of ours against one ``ansible.builtin.uri`` GET.

Part ``overhead`` of ``make bench`` (benchmarks/bench.py; section 2 of benchmarks/RESULTS.md).

Each ansible-playbook run holds TASKS_EACH tasks of each kind, alternating (which kind comes first
alternates run by run): ``cicd.gitlab.gitlab_ci_variable`` with one ``key`` and ``value`` that
already match, and ``ansible.builtin.uri`` GETting that project's variables list (the request
our task makes). A small callback plugin times each task on the controller, from its start to its
result (as profile_tasks does). The first task of each kind in a run also pays for building that
module's AnsiballZ payload for the first time in the process; it is reported apart, and the target
ratio is over the later (steady) tasks. One extra run of each task alone counts its requests.
"""

import os
import statistics
import sys
import time

import yaml

from _common import TOKEN, BenchError, ansible_env, collection_tree, fake_workspace, machine, part_meta, read_lines, run_playbook, say, spread, write_timer

PROJECT = 'bench/overhead'
TASKS_EACH = 4
RATIO_TARGET = 1.3
VARIABLES = [{'key': 'OVER_%d' % i, 'value': 'value-%d' % i} for i in range(1, 6)]
KINDS = ('ours', 'uri')


def task(kind, number):
    if kind == 'ours':
        return {'name': 'ours %d' % number, 'cicd.gitlab.gitlab_ci_variable': {
            'api_url': '{{ bench_url }}', 'api_token': '{{ bench_token }}', 'project': PROJECT,
            'key': VARIABLES[0]['key'], 'value': VARIABLES[0]['value']}}
    return {'name': 'uri %d' % number, 'ansible.builtin.uri': {
        'url': '{{ bench_url }}/api/v4/projects/bench%2Foverhead/variables?per_page=100',
        'headers': {'PRIVATE-TOKEN': '{{ bench_token }}'}}}


def playbook(path, kinds, each):
    tasks = []
    for number in range(1, each + 1):
        tasks += [task(kind, number) for kind in kinds]
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump([{'name': 'Benchmark play', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], handle, sort_keys=False)
    return path


def measure(args):
    """Run the overhead part; returns its raw data."""
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    seed = {'users': [{'username': 'root', 'token': TOKEN, 'admin': True}], 'groups': [{'path': 'bench'}],
            'projects': [{'path': PROJECT, 'variables': VARIABLES}]}
    with fake_workspace('overhead', seed) as (work, fake):
        say('== overhead: fake GitLab at %s; %d runs of %d tasks of each kind, alternating' % (fake.url, args.runs, TASKS_EACH))
        times_file = os.path.join(work, 'times.jsonl')
        env = ansible_env(work, collection_tree(os.path.join(work, 'collections')), ANSIBLE_CALLBACK_PLUGINS=write_timer(os.path.join(work, 'callbacks')),
                          ANSIBLE_CALLBACKS_ENABLED='bench_timer', CICD_BENCH_TIMES=times_file)
        command = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
        variables = {'ansible_python_interpreter': sys.executable, 'bench_url': fake.url, 'bench_token': TOKEN}

        def run(path):
            if os.path.exists(times_file):
                os.unlink(times_file)
            fake.clear_journal()
            wall, dummy = run_playbook(command, path, variables, work, env, label='overhead playbook')
            times = read_lines(times_file)
            if any(t['failed'] or t['changed'] for t in times):
                raise BenchError('a task of the overhead playbook failed or changed something: %s' % times)
            return wall, times, fake.journal()

        requests = {}
        for kind in KINDS:
            dummy, times, journal = run(playbook(os.path.join(work, 'alone-%s.yml' % kind), [kind], 1))
            requests[kind] = ['%s %s?%s' % (e['method'], e['path'], '&'.join('%s=%s' % item for item in sorted(e['query'].items()))) for e in journal]
        rows = []
        for index in range(args.runs):
            order = KINDS if index % 2 == 0 else tuple(reversed(KINDS))
            wall, times, journal = run(playbook(os.path.join(work, 'mixed-%d.yml' % index), order, TASKS_EACH))
            row = {'order': list(order), 'playbook_seconds': wall, 'requests': len(journal)}
            for kind in KINDS:
                mine = [t['seconds'] for t in times if t['name'].startswith(kind + ' ')]
                if len(mine) != TASKS_EACH:
                    raise BenchError('expected %d timed %s tasks, got %s' % (TASKS_EACH, kind, times))
                row[kind] = mine
            row['steady_ratio'] = statistics.median(row['ours'][1:]) / statistics.median(row['uri'][1:])
            row['first_ratio'] = row['ours'][0] / row['uri'][0]
            rows.append(row)
            say('  run %d/%d (%s first): ours %s s, uri %s s; steady ratio %.2f, first-task ratio %.2f' % (
                index + 1, args.runs, order[0], ' '.join('%.3f' % s for s in row['ours']), ' '.join('%.3f' % s for s in row['uri']),
                row['steady_ratio'], row['first_ratio']))
        summary = {'steady_ratio': [r['steady_ratio'] for r in rows], 'first_ratio': [r['first_ratio'] for r in rows],
                   'ours_steady': [s for r in rows for s in r['ours'][1:]], 'uri_steady': [s for r in rows for s in r['uri'][1:]],
                   'ours_first': [r['ours'][0] for r in rows], 'uri_first': [r['uri'][0] for r in rows],
                   'requests': requests}
        summary['met'] = statistics.median(summary['steady_ratio']) <= RATIO_TARGET
        summary['first_met'] = statistics.median(summary['first_ratio']) <= RATIO_TARGET
        return {'machine': machine(), 'meta': part_meta(started, load_before), 'runs': rows, 'summary': summary}


def targets(data):
    summary = data['summary']
    return [('per-task overhead: unchanged single-variable task ≤ %.1f× an `ansible.builtin.uri` GET' % RATIO_TARGET,
             'ours/uri %s (steady tasks); first task of its kind in the play: %s' % (
                 spread(summary['steady_ratio'], '%.2f'), spread(summary['first_ratio'], '%.2f')),
             summary['met'], 'see section 2')]


def section(data, number):
    summary = data['summary']
    meta = data['meta']
    runs = len(data['runs'])
    lines = [
        '## %d. Per-task overhead: one unchanged variable against `ansible.builtin.uri`' % number,
        '',
        'Part `overhead`, measured %s in %.0f s (load average %.2f / %.2f before / after); raw samples:' % (
            meta['date'], meta['seconds'], meta['load_before'], meta['load_after']),
        '`benchmarks/output/%s`.' % data['raw_name'],
        '',
        'Project `%s` with %d variables. Ours: `cicd.gitlab.gitlab_ci_variable` with `project`, `key` and `value`' % (PROJECT, len(VARIABLES)),
        '(already as declared: `ok`, no change). uri: `ansible.builtin.uri` GET of the same project\'s variables list',
        '(`?per_page=100`, `PRIVATE-TOKEN` header). Requests, each task alone:',
        '',
        '- ours: %s' % ', '.join('`%s`' % r for r in summary['requests']['ours']),
        '- uri: %s' % ', '.join('`%s`' % r for r in summary['requests']['uri']),
        '',
        'How it is timed: %d ansible-playbook runs (`.venv`, `hosts: localhost`, the venv\'s Python as the interpreter), each' % runs,
        'with %d tasks of each kind alternating (ours, uri, ours, uri … and uri first in every other run). A small callback' % TASKS_EACH,
        'plugin records, per task, the controller\'s clock from `v2_playbook_on_task_start` to `v2_runner_on_ok` (as',
        '`profile_tasks` does): templating, building the AnsiballZ payload, starting Python on the host, the module\'s',
        'work, returning the result. The first task of each kind in a run also builds that module\'s payload for the first',
        'time in the process (it is cached afterwards), so it is reported apart; the target ratio is the median over runs of',
        'median(ours) ÷ median(uri) over the later tasks of that run.',
        '',
        '| | ours (s) | uri (s) | ours/uri per run | target ≤ %.1f |' % RATIO_TARGET,
        '|---|---|---|---|---|',
        '| steady tasks (%d per kind and run) | %s | %s | %s | %s |' % (
            TASKS_EACH - 1, spread(summary['ours_steady'], '%.3f'), spread(summary['uri_steady'], '%.3f'),
            spread(summary['steady_ratio'], '%.2f'), 'met' if summary['met'] else '**missed**'),
        '| first task of its kind in the play | %s | %s | %s | context: %s 1.3 |' % (
            spread(summary['ours_first'], '%.3f'), spread(summary['uri_first'], '%.3f'), spread(summary['first_ratio'], '%.2f'),
            'within' if summary['first_met'] else 'above'),
        '',
    ]
    return lines
