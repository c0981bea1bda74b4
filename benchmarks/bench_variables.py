# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of many CI/CD variables: ``cicd.gitlab.gitlab_ci_variable`` against community.general.

Part ``variables`` of ``make bench`` (benchmarks/bench.py; section 1 of benchmarks/RESULTS.md).

community.general's ``community.general.gitlab_project_variable`` runs from its own virtualenv,
``benchmarks/output/venv-cg`` (git-ignored), created once from ``benchmarks/requirements-cg.txt``
(the ``ansible`` community package, which bundles community.general, and python-gitlab) and reused.
Each tool runs from its own virtualenv's ``ansible-playbook`` with that virtualenv's Python as
``ansible_python_interpreter``; ours through a temporary ``ansible_collections`` symlink tree.

Both run the same playbook shape against the same fake GitLab: one task whose ``variables`` lists
every variable (and ``purge`` where it applies). Per round and tool, on a project of its own:

1. create N variables in an empty project;
2. re-run unchanged;
3. change the value of 10 % of them;
4. purge 10 %: ``purge: true`` listing the other 90 %.

The two tools alternate within each phase (who goes first changes phase by phase and round by
round), so each ours/community.general ratio comes from two runs side by side. Requests are counted
from the fake's journal (cleared before each run), the task's wall time by a small callback plugin
(from the task's start to its result, as profile_tasks measures), and the whole ansible-playbook
run by the clock around it. After each run the project's variables are read back and compared
with what the playbook declared. A sweep then re-runs the unchanged case for several N on
projects seeded with N variables.
"""

import collections
import json
import math
import os
import statistics
import subprocess
import sys
import time

import yaml

from _common import (ROOT, TOKEN, BenchError, ansible_env, collection_tree, ensure_venv, fake_workspace, machine, part_meta, read_lines,
                     run_playbook, say, spread, write_timer)

REQUIREMENTS = os.path.join(ROOT, 'benchmarks', 'requirements-cg.txt')
PER_PAGE = 100
CHANGE_EVERY = 10      # phase 3 changes the values of keys i % 10 == 0; phase 4 drops keys i % 10 == 5
UNCHANGED_RATIO = 0.5
CHANGING_RATIO = 0.8
PHASES = (('create', 'create all'), ('unchanged', 're-run unchanged'), ('change', 'change 10 %'), ('purge', 'purge 10 %'))
TOOLS = (('ours', 'cicd.gitlab.gitlab_ci_variable'), ('cg', 'community.general.gitlab_project_variable'))
# The fake answers in about a millisecond; the same phases run again with this delay added to every
# API request (the fake's ``delay`` fault), closer to a GitLab server over a network. Context only:
# the targets are judged on the plain fake.
DELAY = 0.05
VARIANTS = (('plain', 0.0), ('delay', DELAY))

VERSIONS = '''
import importlib.metadata, json, os, sysconfig
manifest = os.path.join(sysconfig.get_paths()['purelib'], 'ansible_collections', 'community', 'general', 'MANIFEST.json')
with open(manifest, encoding='utf-8') as handle:
    general = json.load(handle)['collection_info']['version']
print(json.dumps({name: importlib.metadata.version(name) for name in ('ansible', 'ansible-core', 'python-gitlab', 'requests')}
                 | {'community.general': general}))
'''


def key_of(index):
    return 'BENCH_VAR_%03d' % index


def base_values(count):
    return {key_of(i): 'value-%03d' % i for i in range(count)}


def phase_values(phase, count):
    """``{key: value}`` declared in a phase (and expected afterwards)."""
    values = base_values(count)
    if phase in ('change', 'purge'):
        for i in range(0, count, CHANGE_EVERY):
            values[key_of(i)] = 'changed-%03d' % i
    if phase == 'purge':
        for i in range(CHANGE_EVERY // 2, count, CHANGE_EVERY):
            del values[key_of(i)]
    return values


def expected_changes(before, after):
    """Creations, updates and deletions from ``before`` to ``after``."""
    return sum(1 for k in after if k not in before or before[k] != after[k]) + sum(1 for k in before if k not in after)


def list_pages(count):
    """Requests to read a list of ``count`` items at 100 a page (an empty list is one page)."""
    return max(1, math.ceil(count / PER_PAGE))


def bench_seed(rounds, sweep):
    """Empty projects per round and tool; one project per sweep size with that many variables."""
    projects = []
    for variant, dummy in VARIANTS:
        for index in range(rounds):
            for tool, dummy2 in TOOLS:
                projects.append({'path': 'bench/%s-%s-r%d' % (variant, tool, index)})
    for count in sweep:
        projects.append({'path': 'bench/sweep-%d' % count,
                         'variables': [{'key': k, 'value': v} for k, v in base_values(count).items()]})
    return {'users': [{'username': 'root', 'token': TOKEN, 'admin': True}], 'groups': [{'path': 'bench'}], 'projects': projects}


def play(module):
    return [{
        'name': 'Benchmark play', 'hosts': 'localhost', 'gather_facts': False,
        'tasks': [{'name': 'Declare the variables', module: {
            'api_url': '{{ bench_url }}', 'api_token': '{{ bench_token }}', 'project': '{{ bench_project }}',
            'purge': '{{ bench_purge }}', 'variables': '{{ bench_variables }}'}}],
    }]


def breakdown(journal):
    """The journal as ``method kind: count`` (``GET list`` = the variables list, ``PUT one`` = one variable ...)."""
    counts = collections.Counter()
    for entry in journal:
        path = entry['path'].split('/api/v4', 1)[-1]
        if path == '/user':
            kind = 'user'
        elif '/variables/' in path:
            kind = 'one'
        elif path.endswith('/variables'):
            kind = 'list' if entry['method'] == 'GET' else 'new'
        elif path.count('/') == 2:
            kind = 'project'
        else:
            kind = path
        label = '%s %s' % (entry['method'], kind)
        if entry['status'] >= 400:
            label += ' → %s' % entry['status']
        counts[label] += 1
    return dict(counts)


def describe(counts):
    return ', '.join('%s ×%d' % (label, number) for label, number in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


class Runner:
    """Runs one tool's playbook against the fake and checks the result."""

    def __init__(self, fake, work, cg_venv):
        self.fake = fake
        self.delay = 0.0
        self.work = work
        self.times_file = os.path.join(work, 'times.jsonl')
        callbacks = write_timer(os.path.join(work, 'callbacks'))
        timer = {'ANSIBLE_CALLBACK_PLUGINS': callbacks, 'ANSIBLE_CALLBACKS_ENABLED': 'bench_timer', 'CICD_BENCH_TIMES': self.times_file}
        ours_tree = collection_tree(os.path.join(work, 'collections'))
        empty = os.path.join(work, 'no-collections')
        os.makedirs(empty)
        self.tools = {}
        for tool, module in TOOLS:
            playbook = os.path.join(work, '%s.yml' % tool)
            with open(playbook, 'w', encoding='utf-8') as handle:
                yaml.safe_dump(play(module), handle, sort_keys=False)
            if tool == 'ours':
                bindir, tree = os.path.dirname(sys.executable), ours_tree
            else:
                # community.general comes from the venv's bundled collections; an empty collections
                # path keeps any ~/.ansible/collections out.
                bindir, tree = cg_venv['bin'], empty
            self.tools[tool] = {'playbook': playbook, 'command': os.path.join(bindir, 'ansible-playbook'),
                                'python': os.path.join(bindir, 'python'), 'env': ansible_env(work, tree, **timer)}

    def run(self, tool, project, values, purge):
        """One run: ``{requests, breakdown, task_seconds, playbook_seconds, changed}``; checks the end state."""
        if tool == 'ours':
            items = [{'key': k, 'value': v} for k, v in values.items()]
        else:
            items = [{'name': k, 'value': v} for k, v in values.items()]
        spec = self.tools[tool]
        variables = {'ansible_python_interpreter': spec['python'], 'bench_url': self.fake.url, 'bench_token': TOKEN,
                     'bench_project': project, 'bench_purge': purge, 'bench_variables': items}
        if os.path.exists(self.times_file):
            os.unlink(self.times_file)
        self.fake.clear_journal()
        wall, dummy = run_playbook(spec['command'], spec['playbook'], variables, self.work, spec['env'], label='%s on %s' % (tool, project))
        journal = self.fake.journal()
        times = read_lines(self.times_file)
        if len(times) != 1 or times[0]['failed']:
            raise BenchError('%s on %s: expected one timed task, got %s' % (tool, project, times))
        state = self.fake.project_variables(project)
        if state != values:
            missing = sorted(set(values) - set(state))[:5]
            extra = sorted(set(state) - set(values))[:5]
            wrong = sorted(k for k in values if k in state and state[k] != values[k])[:5]
            raise BenchError('%s on %s left the wrong variables: missing %s, extra %s, wrong value %s' % (tool, project, missing, extra, wrong))
        return {'requests': len(journal), 'breakdown': breakdown(journal), 'task_seconds': times[0]['seconds'],
                'playbook_seconds': wall, 'changed': times[0]['changed']}


def tool_versions(cg_venv):
    proc = subprocess.run([cg_venv['python'], '-c', VERSIONS], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError('cannot read the versions of the community.general venv: %s' % proc.stderr[-1000:])
    return json.loads(proc.stdout)


def pair_order(index):
    return [tool for tool, dummy in TOOLS] if index % 2 == 0 else [tool for tool, dummy in reversed(TOOLS)]


def set_delay(fake, delay):
    """Add ``delay`` seconds to every API request from now on (0: remove every fault rule)."""
    fake.session.delete(fake.url + '/-/fake/faults', timeout=30).raise_for_status()
    if delay:
        rule = {'method': '*', 'path': '', 'delay': delay, 'rate': 1, 'seed': 1}
        fake.session.post(fake.url + '/-/fake/faults', json=rule, timeout=30).raise_for_status()


def measure_rounds(runner, count, rounds, variant, delay):
    """The four phases, ``rounds`` times, both tools side by side."""
    rows = []
    set_delay(runner.fake, delay)
    for index in range(rounds):
        before = {tool: {} for tool, dummy in TOOLS}
        for number, (phase, dummy) in enumerate(PHASES):
            values = phase_values(phase, count)
            row = {'round': index, 'phase': phase, 'order': pair_order(index + number)}
            for tool in row['order']:
                run = runner.run(tool, 'bench/%s-%s-r%d' % (variant, tool, index), values, phase == 'purge')
                run['expected_changes'] = expected_changes(before[tool], values)
                run['list_pages'] = list_pages(len(before[tool]))
                if run['changed'] != (run['expected_changes'] > 0):
                    raise BenchError('%s, %s: changed=%s with %d expected changes' % (tool, phase, run['changed'], run['expected_changes']))
                row[tool] = run
                before[tool] = values
            row['task_ratio'] = row['ours']['task_seconds'] / row['cg']['task_seconds']
            row['playbook_ratio'] = row['ours']['playbook_seconds'] / row['cg']['playbook_seconds']
            rows.append(row)
            say('  %s round %d/%d %-9s ours %3d requests %.2f s task, %.2f s playbook | community.general %3d requests %.2f s task, '
                '%.2f s playbook | task ratio %.2f' % (
                    variant, index + 1, rounds, phase, row['ours']['requests'], row['ours']['task_seconds'], row['ours']['playbook_seconds'],
                    row['cg']['requests'], row['cg']['task_seconds'], row['cg']['playbook_seconds'], row['task_ratio']))
    set_delay(runner.fake, 0)
    return rows


def measure_sweep(runner, sweep, runs):
    """The unchanged run on projects seeded with N variables, both tools side by side."""
    rows = []
    for count in sweep:
        values = base_values(count)
        for index in range(runs):
            row = {'n': count, 'run': index, 'order': pair_order(index)}
            for tool in row['order']:
                run = runner.run(tool, 'bench/sweep-%d' % count, values, False)
                if run['changed']:
                    raise BenchError('%s reported a change on the unchanged sweep project of %d variables' % (tool, count))
                row[tool] = run
            row['task_ratio'] = row['ours']['task_seconds'] / row['cg']['task_seconds']
            rows.append(row)
        say('  sweep N=%d: ours %d requests, community.general %d requests' % (count, rows[-1]['ours']['requests'], rows[-1]['cg']['requests']))
    return rows


def summarize_phases(rows):
    """Per phase: requests, times and ratios of both tools, and the verdicts."""
    phases = {}
    for phase, label in PHASES:
        mine = [row for row in rows if row['phase'] == phase]
        entry = {'label': label, 'runs': len(mine), 'task_ratio': [r['task_ratio'] for r in mine],
                 'playbook_ratio': [r['playbook_ratio'] for r in mine]}
        for tool, dummy in TOOLS:
            entry[tool] = {'requests': [r[tool]['requests'] for r in mine], 'task_seconds': [r[tool]['task_seconds'] for r in mine],
                           'playbook_seconds': [r[tool]['playbook_seconds'] for r in mine], 'breakdown': mine[0][tool]['breakdown']}
        first = mine[0]['ours']
        entry['expected_requests'] = first['list_pages'] + first['expected_changes']
        entry['changes'] = first['expected_changes']
        entry['pages'] = first['list_pages']
        entry['requests_met'] = all(r['ours']['requests'] <= entry['expected_requests'] for r in mine)
        target = UNCHANGED_RATIO if phase == 'unchanged' else CHANGING_RATIO
        entry['ratio_target'] = target
        entry['time_met'] = statistics.median(entry['task_ratio']) <= target
        entry['playbook_time_met'] = statistics.median(entry['playbook_ratio']) <= target
        phases[phase] = entry
    return phases


def summarize(rounds, sweep_rows, count):
    sweep = {}
    for row in sweep_rows:
        entry = sweep.setdefault(str(row['n']), {'n': row['n'], 'ours': [], 'cg': [], 'ours_seconds': [], 'cg_seconds': [], 'task_ratio': []})
        for tool, dummy in TOOLS:
            entry[tool].append(row[tool]['requests'])
            entry[tool + '_seconds'].append(row[tool]['task_seconds'])
        entry['task_ratio'].append(row['task_ratio'])
    for entry in sweep.values():
        entry['target'] = list_pages(entry['n'])
    constant = all(len(set(e['ours'])) == 1 and len(set(e['cg'])) == 1 for e in sweep.values())
    variants = {variant: summarize_phases(rounds[variant]) for variant, dummy in VARIANTS}
    return {'n': count, 'phases': variants['plain'], 'delayed': variants['delay'], 'delay': DELAY, 'sweep': sweep,
            'sweep_constant': constant}


def measure(args):
    """Run the variables part; returns its raw data."""
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    cg_venv = ensure_venv('cg', REQUIREMENTS)
    versions = tool_versions(cg_venv)
    with fake_workspace('vars', bench_seed(args.runs, args.sweep)) as (work, fake):
        say('== variables: fake GitLab at %s; community.general %s from %s (%s)' % (
            fake.url, versions['community.general'], os.path.relpath(cg_venv['path'], ROOT),
            'reused' if cg_venv['reused'] else 'created in %.0f s' % cg_venv['seconds']))
        runner = Runner(fake, work, cg_venv)
        say('== variables: N=%d, %d rounds of create / unchanged / change 10 %% / purge 10 %%, both tools side by side' % (args.n, args.runs))
        rounds = {}
        for variant, delay in VARIANTS:
            if delay:
                say('== variables: the same with %.0f ms added to every API request' % (delay * 1000))
            rounds[variant] = measure_rounds(runner, args.n, args.runs, variant, delay)
        say('== variables: unchanged run for N in %s, %d runs each' % (', '.join(str(n) for n in args.sweep), args.runs))
        sweep_rows = measure_sweep(runner, args.sweep, args.runs)
        meta = part_meta(started, load_before)
        meta['venv'] = {key: cg_venv[key] for key in ('created', 'seconds', 'reused')}
        meta['venv']['path'] = os.path.relpath(cg_venv['path'], ROOT)
        return {'machine': machine(), 'meta': meta, 'versions': versions, 'rounds': rounds, 'sweep': sweep_rows,
                'summary': summarize(rounds, sweep_rows, args.n)}


# ---- report ------------------------------------------------------------------------------------

def per_request_ms(phases):
    """About how long one request takes against the plain fake: ours' create run minus its unchanged run, per extra request."""
    create, unchanged = phases['create']['ours'], phases['unchanged']['ours']
    extra = statistics.median(create['requests']) - statistics.median(unchanged['requests'])
    seconds = statistics.median(create['task_seconds']) - statistics.median(unchanged['task_seconds'])
    return 1000.0 * seconds / extra if extra > 0 else None


def time_reason(summary, phase, floor):
    """The likely reason a wall-time target is missed, from the measurements."""
    entry = summary['phases'][phase]
    delayed = summary['delayed'][phase]
    count = summary['n']
    median = statistics.median
    with_delay = 'with %.0f ms added to every request the ratio is %.2f' % (summary['delay'] * 1000, median(delayed['task_ratio']))
    if phase == 'create':
        return ('both tools must POST every one of the %d variables (ours %d requests, community.general %d), so both do nearly '
                'the same work; no design can make that run much cheaper than one request per variable (%s)' % (
                    count, median(entry['ours']['requests']), median(entry['cg']['requests']), with_delay))
    ms = per_request_ms(summary['phases'])
    floor_text = ' (a bare `ansible.builtin.uri` GET as the first task of a play takes %.2f s, section 2)' % floor if floor else ''
    return ('most of each task is what any module task costs before its first request%s: templating the %d-item list, building '
            'and starting the module, Python and `requests` imports; ours takes %.2f s, community.general %.2f s. Against the local '
            'fake a request costs about %s, so community.general\'s %d extra requests add little; %s (section 1)' % (
                floor_text, count, median(entry['ours']['task_seconds']), median(entry['cg']['task_seconds']),
                '%.1f ms' % ms if ms else 'a millisecond', median(entry['cg']['requests']) - median(entry['ours']['requests']), with_delay))


def targets(data, floor=None):
    """Rows of the target table: ``(target, result, met, likely reason when missed)``; ``floor`` is the
    first-task time of a bare uri GET from the overhead part, when measured."""
    summary = data['summary']
    phases = summary['phases']
    delayed = summary['delayed']
    rows = []
    unchanged = phases['unchanged']
    rows.append(('variables, N=%d, unchanged run: ceil(N/100) = %d requests' % (summary['n'], unchanged['expected_requests']),
                 'ours %s, community.general %s' % (spread(unchanged['ours']['requests'], '%d'), spread(unchanged['cg']['requests'], '%d')),
                 unchanged['requests_met'], 'see the request breakdown in section 1'))
    for phase in ('create', 'change', 'purge'):
        entry = phases[phase]
        rows.append(('variables, N=%d, %s: list pages + one request per change = %d + %d' % (summary['n'], entry['label'], entry['pages'], entry['changes']),
                     'ours %s, community.general %s' % (spread(entry['ours']['requests'], '%d'), spread(entry['cg']['requests'], '%d')),
                     entry['requests_met'], 'see the request breakdown in section 1'))
    for phase, dummy in PHASES:
        entry = phases[phase]
        rows.append(('variables, N=%d, %s: task wall time ≤ %.1f× community.general' % (summary['n'], entry['label'], entry['ratio_target']),
                     'ours/community.general %s; whole ansible-playbook run %s; context, %.0f ms per request: %s' % (
                         spread(entry['task_ratio'], '%.2f'), spread(entry['playbook_ratio'], '%.2f'), summary['delay'] * 1000,
                         spread(delayed[phase]['task_ratio'], '%.2f')),
                     entry['time_met'], time_reason(summary, phase, floor)))
    return rows


def section(data, number):
    """Markdown lines of section ``number``."""
    summary = data['summary']
    meta = data['meta']
    versions = data['versions']
    phases = summary['phases']
    venv = meta['venv']
    count = summary['n']
    lines = [
        '## %d. CI/CD variables: `cicd.gitlab.gitlab_ci_variable` against community.general' % number,
        '',
        'Part `variables`, measured %s in %.0f s (load average %.2f / %.2f before / after); raw samples:' % (
            meta['date'], meta['seconds'], meta['load_before'], meta['load_after']),
        '`benchmarks/output/%s`.' % data['raw_name'],
        '',
        'community.general: `community.general.gitlab_project_variable` from community.general %s (the `ansible` %s package),' % (
            versions['community.general'], versions['ansible']),
        'python-gitlab %s, ansible-core %s, requests %s, in `%s` (git-ignored), created %s from' % (
            versions['python-gitlab'], versions['ansible-core'], versions['requests'], venv['path'], venv['created']),
        '`benchmarks/requirements-cg.txt` in %.0f s (`pip install`, once; %s). Ours: this checkout through a' % (
            venv['seconds'], 'reused by this run' if venv['reused'] else 'created by this run'),
        'temporary `ansible_collections` symlink tree, from `.venv`. Each tool runs its own virtualenv\'s `ansible-playbook`',
        'with that virtualenv\'s Python as `ansible_python_interpreter`, `hosts: localhost`, `gather_facts: false`.',
        '',
        'Playbook, the same shape for both: one task with `api_url`, `api_token`, `project`, `purge` and `variables:` listing',
        'every variable (`{key, value}` for ours, `{name, value}` for community.general), passed as extra vars from a JSON file.',
        'N = %d plain variables (`BENCH_VAR_000`…, scope `*`), on a project per round and tool:' % count,
        '',
        '1. **create**: all N in an empty project;',
        '2. **unchanged**: the same task again;',
        '3. **change 10 %%**: the values of every %dth variable differ (%d changes);' % (CHANGE_EVERY, phases['change']['changes']),
        '4. **purge 10 %%**: `purge: true` listing the other 90 %% (%d deletions).' % phases['purge']['changes'],
        '',
        'Requests: the fake\'s journal (`DELETE /-/fake/journal` before the run, `GET` after), every `/api/v4` request.',
        'Task wall time: a small callback plugin (written by the bench into its temporary directory, enabled for both',
        'tools) takes the controller\'s clock from `v2_playbook_on_task_start` to `v2_runner_on_ok`, as `profile_tasks` does:',
        'templating the arguments, building and starting the module, the module\'s work and returning its result.',
        'Whole run: the clock around `ansible-playbook`, start-up included. In each round and phase the two tools run',
        'back to back, who goes first alternating; the ratio is ours/community.general per pair, and its median need not',
        'equal the quotient of the medians. After each run the project\'s variables are read back and checked against the',
        'playbook (both tools ended every run in the declared state).',
        '',
        '| N = %d | runs | ours: requests | community.general: requests | ours: task (s) | community.general: task (s) '
        '| task ratio ours/CG | target | whole run ratio ours/CG |' % count,
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for phase, label in PHASES:
        entry = phases[phase]
        lines.append('| %s | %d | %s | %s | %s | %s | %s | ≤ %.1f: %s | %s |' % (
            label, entry['runs'], spread(entry['ours']['requests'], '%d'), spread(entry['cg']['requests'], '%d'),
            spread(entry['ours']['task_seconds'], '%.2f'), spread(entry['cg']['task_seconds'], '%.2f'),
            spread(entry['task_ratio'], '%.2f'), entry['ratio_target'], 'met' if entry['time_met'] else '**missed**',
            spread(entry['playbook_ratio'], '%.2f')))
    lines += [
        '',
        'Whole ansible-playbook runs (s), for context:',
        '',
        '| N = %d | ours | community.general |' % count,
        '|---|---|---|',
    ]
    for phase, label in PHASES:
        entry = phases[phase]
        lines.append('| %s | %s | %s |' % (label, spread(entry['ours']['playbook_seconds'], '%.2f'), spread(entry['cg']['playbook_seconds'], '%.2f')))
    cg_unchanged = phases['unchanged']['cg']['breakdown']
    readings = cg_unchanged.get('GET list', 0) / float(phases['unchanged']['pages'])
    lines += [
        '',
        'Where the requests go (first round; `list` = a page of the variables list; `one` = one variable by key;',
        '`new` = a POST to the list; `→ 400` = answered 400):',
        '',
        '| N = %d | ours | community.general |' % count,
        '|---|---|---|',
    ]
    for phase, label in PHASES:
        entry = phases[phase]
        lines.append('| %s | %s | %s |' % (label, describe(entry['ours']['breakdown']), describe(entry['cg']['breakdown'])))
    lines += [
        '',
        'Ours reads the list once (%d pages) and sends one request per change: a `PUT` with `filter[environment_scope]`' % phases['unchanged']['pages'],
        'for a changed value, a `DELETE` per purged variable. community.general authenticates (`GET /user`), looks the',
        'project up, and reads the whole list %.0f times in an unchanged run (python-gitlab, `per_page=100`, every page);' % readings,
        'it changes a value by a `POST` that GitLab refuses (400, the key is taken), then a `DELETE` and a new `POST`.',
        '',
        'The fake answers a request in about %s (ours\' create run minus its unchanged run, per extra request), far' % (
            '%.1f ms' % per_request_ms(phases) if per_request_ms(phases) else 'a millisecond'),
        'faster than a GitLab server across a network, so request counts show little in the times above. For context only',
        '(the targets are judged on the plain fake), the same phases ran again on fresh projects with %.0f ms added to every' % (
            summary['delay'] * 1000),
        'API request (the fake\'s `delay` fault rule), in the same interleaved way:',
        '',
        '| N = %d, +%.0f ms per request | runs | ours: task (s) | community.general: task (s) | task ratio ours/CG | whole run ratio ours/CG |' % (
            count, summary['delay'] * 1000),
        '|---|---|---|---|---|---|',
    ]
    for phase, label in PHASES:
        entry = summary['delayed'][phase]
        lines.append('| %s | %d | %s | %s | %s | %s |' % (
            label, entry['runs'], spread(entry['ours']['task_seconds'], '%.2f'), spread(entry['cg']['task_seconds'], '%.2f'),
            spread(entry['task_ratio'], '%.2f'), spread(entry['playbook_ratio'], '%.2f')))
    sweep = sorted(summary['sweep'].values(), key=lambda e: e['n'])
    lines += [
        '',
        '### %d.1 Requests of the unchanged run against N' % number,
        '',
        'Projects seeded with N variables; the unchanged task of each tool, %d runs each, side by side as above (plain fake).' % len(sweep[0]['ours']),
        'Request counts %s. Plotted in `benchmarks/requests.png` (section 6).' % (
            'were the same in every run' if summary['sweep_constant'] else 'varied between runs (min–max shown)'),
        '',
        '| N | target ceil(N/100) | ours: requests | community.general: requests | ours: task (s) | community.general: task (s) | task ratio ours/CG |',
        '|---|---|---|---|---|---|---|',
    ]
    for entry in sweep:
        lines.append('| %d | %d | %s | %s | %s | %s | %s |' % (
            entry['n'], entry['target'], spread(entry['ours'], '%d'), spread(entry['cg'], '%d'), spread(entry['ours_seconds'], '%.2f'),
            spread(entry['cg_seconds'], '%.2f'), spread(entry['task_ratio'], '%.2f')))
    lines.append('')
    return lines
