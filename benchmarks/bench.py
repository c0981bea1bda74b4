# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make bench``: run the benchmark parts against the bundled fake GitLab and write benchmarks/RESULTS.md.

Parts, in report order (each runnable alone with ``--only PART``; tools/bench.sh passes its options here):

* ``variables`` (bench_variables.py): N = 300 variables, ours against community.general; requests against N;
* ``overhead`` (bench_overhead.py): an unchanged single-variable task against ``ansible.builtin.uri``;
* ``artifacts`` (bench_artifacts.py): artifact download memory, throughput against curl, wait latency;
* ``logs`` (bench_logs.py): peak memory writing a 200 MiB job log;
* ``plot`` (plot.py, in its own virtualenv): benchmarks/memory.png and benchmarks/requests.png;
* ``trees`` (bench_trees.py): pipeline trees, requests per poll, end noticed, ``state: run`` + ``wait`` against a uri loop;
* ``fleet`` (bench_fleet.py): gitlab_ci_settings at 100 and 1,000 projects against the looped role, under a rate limit, peak memory.

Each part stores its raw results in ``benchmarks/output/`` (git-ignored): ``<part>-<time>.json`` and
``latest-<part>.json``. RESULTS.md is rebuilt from the latest results of every part after each run,
so a part run alone updates its sections and leaves the others as last measured (each section says
when). The virtualenvs of community.general and matplotlib live in ``benchmarks/output/`` too.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

import bench_artifacts
import bench_fleet
import bench_logs
import bench_overhead
import bench_trees
import bench_variables
from _common import OUTPUT, ROOT, BenchError, ensure_venv, load_raw, save_raw, say, write_file

PARTS = ('variables', 'overhead', 'artifacts', 'logs', 'plot', 'trees', 'fleet')
MEASURED = {'variables': bench_variables, 'overhead': bench_overhead, 'artifacts': bench_artifacts, 'logs': bench_logs,
            'trees': bench_trees, 'fleet': bench_fleet}
PLOT_REQUIREMENTS = os.path.join(ROOT, 'benchmarks', 'requirements-plot.txt')
PNGS = ('memory.png', 'requests.png')


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--only', action='append', default=[], metavar='PART',
                        help='run only these parts (repeat, or separate with commas): %s; default all' % ', '.join(PARTS))
    parser.add_argument('--runs', type=int, default=5, help='runs (rounds) per figure, for every part (default 5)')
    parser.add_argument('--big-runs', type=int, default=5, help='rounds for the 1 GiB artifact archive (default 5)')
    parser.add_argument('--wait-runs', type=int, default=5, help='wait-latency runs (default 5)')
    parser.add_argument('--n', type=int, default=300, help='variables in the main variables benchmark (default 300)')
    parser.add_argument('--sweep', default='50,100,200,300', help='N of the unchanged-run sweep (default 50,100,200,300)')
    parser.add_argument('--results', default=os.path.join(ROOT, 'benchmarks', 'RESULTS.md'), help='the report to write')
    parser.add_argument('--report-only', action='store_true', help='measure nothing: rebuild the report from the latest raw results')
    args = parser.parse_args(argv)
    only = [name.strip() for value in args.only for name in value.split(',') if name.strip()]
    unknown = sorted(set(only) - set(PARTS))
    if unknown:
        parser.error('unknown part(s) %s; choose from %s' % (', '.join(unknown), ', '.join(PARTS)))
    args.parts = [part for part in PARTS if part in only] if only else list(PARTS)
    args.sweep = [int(n) for n in args.sweep.split(',') if n.strip()]
    if args.runs < 5 or args.wait_runs < 5:
        say('note: fewer than 5 runs per figure; RESULTS.md will say so')
    return args


def run_plot():
    """Create (once) the matplotlib venv and draw the PNGs from the latest raw results."""
    started = time.monotonic()
    venv = ensure_venv('plot', PLOT_REQUIREMENTS)
    pngs = [os.path.join(ROOT, 'benchmarks', name) for name in PNGS]
    proc = subprocess.run([venv['python'], os.path.join(ROOT, 'benchmarks', 'plot.py'), OUTPUT] + pngs,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError('plot.py failed:\n%s' % proc.stderr[-3000:])
    version = subprocess.run([venv['python'], '-c', 'import matplotlib; print(matplotlib.__version__)'],
                             capture_output=True, text=True, check=False).stdout.strip()
    written = [os.path.relpath(line, ROOT) for line in proc.stdout.split()]
    sources = {part: (load_raw(part) or {}).get('raw_name') for part in ('artifacts', 'logs', 'variables')}
    return {'meta': {'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'), 'seconds': time.monotonic() - started,
                     'venv': {key: venv[key] for key in ('created', 'seconds', 'reused')}, 'matplotlib': version},
            'written': written, 'sources': sources}


# ---- the report --------------------------------------------------------------------------------

def verdict(met):
    if met is None:
        return 'not measured'
    return 'met' if met else '**missed**'


def not_measured(number, title, part):
    return ['## %d. %s' % (number, title), '',
            'Not measured yet in this checkout: run `tools/bench.sh --only %s`.' % part, '']


def machine_lines(data):
    """The machine table, from the most recent part; notes when parts ran on different machines."""
    measured = [d for d in data.values() if d and 'machine' in d]
    if not measured:
        return []
    latest = max(measured, key=lambda d: d['meta']['date'])
    info = latest['machine']
    lines = [
        '## Machine',
        '',
        '| | |',
        '|---|---|',
        '| CPU | %s, %s cores |' % (info['cpu'], info['cores']),
        '| RAM | %.1f GiB |' % info['ram_gib'] if info.get('ram_gib') else '| RAM | unknown |',
        '| OS | %s |' % info['platform'],
        '| Python | %s |' % info['python'],
        '| ansible-core | %s |' % info['ansible_core'],
        '| requests | %s |' % info['requests'],
        '| curl | %s |' % info.get('curl', 'not installed: the curl comparison was skipped'),
    ]
    if data.get('variables'):
        versions = data['variables']['versions']
        lines.append('| community.general side | community.general %s (ansible %s), python-gitlab %s, ansible-core %s |' % (
            versions['community.general'], versions['ansible'], versions['python-gitlab'], versions['ansible-core']))
    if data.get('plot'):
        lines.append('| plots | matplotlib %s |' % data['plot']['meta']['matplotlib'])
    others = {(d['machine']['cpu'], d['machine']['cores'], round(d['machine'].get('ram_gib') or 0)) for d in measured}
    lines.append('')
    if len(others) > 1:
        lines += ['The parts were not all measured on the same machine: each section\'s figures are its own machine\'s.', '']
    return lines


def parts_table(data, run):
    lines = ['| part | sections | measured | took (s) | load average (1 min) before / after |', '|---|---|---|---|---|']
    sections = {'variables': '1', 'overhead': '2', 'artifacts': '3, 5', 'logs': '4', 'plot': '6', 'trees': '7', 'fleet': '8'}
    for part in PARTS:
        entry = data.get(part)
        if not entry:
            lines.append('| `%s` | %s | not yet | | |' % (part, sections[part]))
            continue
        meta = entry['meta']
        load = '%.2f / %.2f' % (meta['load_before'], meta['load_after']) if 'load_before' in meta else ''
        fresh = ' (this run)' if part in run['parts'] else ''
        lines.append('| `%s` | %s | %s%s | %.0f | %s |' % (part, sections[part], meta['date'], fresh, meta['seconds'], load))
    return lines


def report(data, run):
    """RESULTS.md as text, from the latest raw results of every part."""
    command = 'tools/bench.sh' + ''.join(' ' + a for a in run['argv'])
    lines = [
        '# Benchmarks of cicd.gitlab',
        '',
        'Generated by `make bench` (`tools/bench.sh` → `benchmarks/bench.py`). Last run: `%s` on %s, %.0f s in all.' % (
            command, run['date'], run['seconds']),
        'Every part can run alone (`tools/bench.sh --only variables`, or `overhead`, `artifacts`, `logs`, `plot`, `trees`); RESULTS.md is',
        'then rebuilt from the latest raw results of every part in `benchmarks/output/` (git-ignored), as the table says.',
        'Everything runs against the bundled fake GitLab (`tests/fake_gitlab`, pure Python) on 127.0.0.1, started afresh',
        'by each part with a generated seed.',
        '',
    ]
    lines += parts_table(data, run)
    lines += ['']
    lines += machine_lines(data)
    lines += [
        'The machine is shared and noisy: every figure is the median of its runs with the min–max range in parentheses.',
        'Ratios are computed per pair of runs made side by side (interleaved, the order alternating), never from',
        'absolute times measured apart; the median of a ratio need not equal the quotient of two medians.',
        '',
        '## Targets',
        '',
        '| section | target | result | verdict |',
        '|---|---|---|---|',
    ]
    rows = []
    floor = statistics.median(data['overhead']['summary']['uri_first']) if data.get('overhead') else None
    for number, part, module in ((1, 'variables', bench_variables), (2, 'overhead', bench_overhead), (3, 'artifacts', bench_artifacts),
                                 (4, 'logs', bench_logs), (7, 'trees', bench_trees), (8, 'fleet', bench_fleet)):
        if not data.get(part):
            rows.append((number, 'part `%s`' % part, 'not measured yet', None, None))
            continue
        found = module.targets(data[part], floor) if part == 'variables' else module.targets(data[part])
        for row in found:
            target, result, met = row[:3]
            reason = row[3] if len(row) > 3 else None
            if part == 'artifacts' and target.startswith('wait'):
                number = 5
            rows.append((number, target, result, met, reason))
    rows.sort(key=lambda row: row[0])
    for number, target, result, met, dummy in rows:
        lines.append('| %d | %s | %s | %s |' % (number, target, result, verdict(met)))
    met = [r for r in rows if r[3]]
    missed = [r for r in rows if r[3] is False]
    unmeasured = len(rows) - len(met) - len(missed)
    lines += ['', 'In short: %d of %d targets met, %d missed%s.' % (
        len(met), len(rows), len(missed), ', %d not measured' % unmeasured if unmeasured else '')]
    if missed:
        lines += ['', 'Missed, and the likely reason:', '']
        for number, target, dummy, dummy2, reason in missed:
            lines.append('- section %d, %s: %s' % (number, target, reason or 'see the section'))
    lines.append('')
    lines += bench_variables.section(data['variables'], 1) if data.get('variables') else not_measured(1, 'CI/CD variables', 'variables')
    lines += bench_overhead.section(data['overhead'], 2) if data.get('overhead') else not_measured(2, 'Per-task overhead', 'overhead')
    if data.get('artifacts'):
        lines += bench_artifacts.download_sections(data['artifacts'], 3)
    else:
        lines += not_measured(3, 'Artifact downloads', 'artifacts')
    lines += bench_logs.section(data['logs'], 4) if data.get('logs') else not_measured(4, 'Job log', 'logs')
    lines += bench_artifacts.wait_section(data['artifacts'], 5) if data.get('artifacts') else not_measured(5, 'Wait latency', 'artifacts')
    lines += plot_section(data.get('plot'), 6)
    lines += bench_trees.section(data['trees'], 7) if data.get('trees') else not_measured(7, 'Pipeline trees', 'trees')
    lines += bench_fleet.section(data['fleet'], 8) if data.get('fleet') else not_measured(8, 'Fleet runs', 'fleet')
    notes = []
    for part in PARTS:
        notes += (data.get(part) or {}).get('meta', {}).get('notes', [])
    for part, error in run.get('errors', {}).items():
        notes.append('The last run of part `%s` failed (its previous results, if any, are shown): %s' % (part, error.splitlines()[0]))
    if run['runs'] < 5:
        notes.append('The last run used --runs %d: fewer than the 5 runs per figure this report is meant to hold.' % run['runs'])
    if notes:
        lines += ['## Notes', ''] + ['- ' + note for note in notes] + ['']
    return '\n'.join(lines)


def plot_section(plot, number):
    lines = ['## %d. Plots' % number, '']
    if not plot:
        return lines + ['Not drawn yet in this checkout: run `tools/bench.sh --only plot` (after the other parts).', '']
    venv = plot['meta']['venv']
    lines += [
        'Drawn %s by `benchmarks/plot.py` with matplotlib %s, in `benchmarks/output/venv-plot` (git-ignored; created %s from' % (
            plot['meta']['date'], plot['meta']['matplotlib'], venv['created']),
        '`benchmarks/requirements-plot.txt` in %.0f s, once), from the raw results %s.' % (
            venv['seconds'], ', '.join('`%s`' % name for name in plot['sources'].values() if name)),
        '',
    ]
    if 'benchmarks/memory.png' in plot['written']:
        lines += ['Peak RSS of the module process against the size of what it writes (sections 3.1 and 4):', '',
                  '![module peak memory against download size](memory.png)', '']
    if 'benchmarks/requests.png' in plot['written']:
        lines += ['HTTP requests of the unchanged variables run against N, both tools (section 1.1):', '',
                  '![requests per unchanged run against N](requests.png)', '']
    return lines


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    run_file = os.path.join(OUTPUT, 'latest-run.json')
    if args.report_only:
        if not os.path.exists(run_file):
            say('nothing measured yet: run tools/bench.sh first')
            return 1
        with open(run_file, encoding='utf-8') as handle:
            run = json.load(handle)
        write_file(args.results, report({part: load_raw(part) for part in PARTS}, run))
        say('== rebuilt %s from the latest raw results' % os.path.relpath(args.results, ROOT))
        return 0
    started = time.monotonic()
    errors = {}
    for part in args.parts:
        try:
            if part == 'plot':
                data = run_plot()
            else:
                data = MEASURED[part].measure(args)
            name = save_raw(part, data)
            say('== %s: raw results in benchmarks/output/%s' % (part, name))
        except BenchError as err:
            errors[part] = str(err)
            say('== %s FAILED: %s' % (part, err))
    run = {'argv': argv, 'parts': args.parts, 'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
           'seconds': time.monotonic() - started, 'runs': args.runs, 'errors': errors}
    write_file(run_file, json.dumps(run, indent=1))
    data = {part: load_raw(part) for part in PARTS}
    write_file(args.results, report(data, run))
    say('== wrote %s (%.0f s)' % (os.path.relpath(args.results, ROOT), run['seconds']))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
