# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet runs (issue #15): gitlab_ci_settings against today's looped role, unchanged runs.

``python benchmarks/bench_fleet.py [--projects 100,1000] [--delay 0.02] [--loop-max 100] [--limit 2000]``

* N projects with 10 variables and one trigger each, already converged; every request gets ``--delay`` s more.
  The module (one task, ``select`` + ``defaults``) and the old role loop (one gitlab_ci_variable task per project,
  one gitlab_ci_trigger task per trigger, as roles/ci_settings did before) run side by side; the loop only up
  to ``--loop-max`` projects (it costs about 0.3 s per task). Wall time of ansible-playbook and requests from the
  fake's journal.
* N projects under a ``--limit`` requests/minute rate limit (the fake's RateLimit-* headers): failed owners and
  wall time against requests / limit.
* Peak memory of the module run: ru_maxrss of the largest process of the run (the module process, or ansible-playbook itself), read by a fresh wrapper process.
Prints one JSON document.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from _common import ROOT, collection_tree, machine, part_meta

if ROOT not in sys.path:
    sys.path.insert(0, ROOT)   # tests.fake_gitlab

TOKEN = 'glpat-root-000000000000'
VARIABLES = [{'key': 'FLEET_VAR_%02d' % index, 'value': 'fleet-value-%04d' % index} for index in range(10)]
TRIGGER = 'fleet deploy'


def seed(count):
    return {'users': [{'username': 'root', 'token': TOKEN, 'admin': True}],
            'groups': [{'path': 'fleet'}],
            'projects': [{'path': 'fleet/p%04d' % index, 'variables': VARIABLES,
                          'triggers': [{'description': TRIGGER, 'owner': 'root'}]} for index in range(count)]}


PEAK_WRAPPER = ('import resource, subprocess, sys\n'
                'code = subprocess.run(sys.argv[1:], check=False).returncode\n'
                'sys.stderr.write("%d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n'
                'sys.exit(code)\n')


def play(fake, tasks, work):
    path = os.path.join(work, 'play.json')
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(work, 'collections'), GITLAB_URL=fake.url, GITLAB_TOKEN=TOKEN,
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    fake.clear_journal()
    started = time.monotonic()
    # A fresh wrapper process runs ansible-playbook, so its RUSAGE_CHILDREN peak is that of this run's
    # largest process (the module's, or ansible-playbook's own), not of any earlier child of the bench.
    proc = subprocess.run([sys.executable, '-c', PEAK_WRAPPER, os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), path,
                           '-e', 'ansible_python_interpreter=%s' % sys.executable],
                          capture_output=True, text=True, env=env, check=False)
    wall = time.monotonic() - started
    peak = int(proc.stderr.strip().splitlines()[-1]) if proc.stderr.strip() else 0
    if proc.returncode != 0:
        raise SystemExit('playbook failed:\n' + proc.stdout[-3000:])
    journal = fake.journal
    return {'wall_s': round(wall, 2), 'requests': len(journal), 'writes': sum(1 for e in journal if e['method'] != 'GET'),
            'throttled': sum(1 for e in journal if e['status'] == 429), 'peak_rss_mib_max_child': round(peak / 1024, 1),
            'changed': 'changed=0' not in proc.stdout.split('PLAY RECAP')[-1]}


def module_task(extra=None):
    args = {'select': {'group': 'fleet'}, 'defaults': {'variables': VARIABLES, 'triggers': [{'description': TRIGGER}]}}
    args.update(extra or {})
    return [{'cicd.gitlab.gitlab_ci_settings': args, 'no_log': True}]


def loop_tasks(count):
    projects = ['fleet/p%04d' % index for index in range(count)]
    return [{'cicd.gitlab.gitlab_ci_variable': {'project': '{{ item }}', 'variables': VARIABLES}, 'loop': projects, 'no_log': True},
            {'cicd.gitlab.gitlab_ci_trigger': {'project': '{{ item }}', 'description': TRIGGER}, 'loop': projects, 'no_log': True}]


def set_delay(fake, delay):
    fake.clear_faults()
    if delay:
        fake.add_fault({'method': '*', 'path': '', 'delay': delay, 'rate': 1, 'seed': 1})


def run_all(projects, delay, loop_max, limit, limit_projects, work):
    """Every measurement; returns the raw rows."""
    from tests.fake_gitlab import FakeGitLab  # pylint: disable=import-outside-toplevel
    collection_tree(os.path.join(work, 'collections'))
    report = {'delay_s': delay, 'unchanged': [], 'rate_limited': None}
    for count in projects:
        with FakeGitLab(seed=seed(count)) as fake:
            set_delay(fake, delay)
            row = {'projects': count, 'module': play(fake, module_task(), work)}
            if count <= loop_max:
                row['loop'] = play(fake, loop_tasks(count), work)
                row['wall_ratio'] = round(row['module']['wall_s'] / row['loop']['wall_s'], 3)
            report['unchanged'].append(row)
    if limit_projects:
        with FakeGitLab(seed=seed(limit_projects)) as fake:
            fake.rate_limits.configure(limit=limit, period=60)
            row = play(fake, module_task(), work)
            row.update(bound_s=round(row['requests'] / (limit / 60.0), 2), projects=limit_projects, limit_per_minute=limit)
            report['rate_limited'] = row
    return report


# ---- the make bench part (benchmarks/bench.py) -------------------------------------------------------

def measure(args):  # pylint: disable=unused-argument
    """The ``fleet`` part of make bench: 100 (with the loop) and 1,000 projects, and the rate-limited run."""
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as work:
        rows = run_all([100, 1000], 0.02, 100, 2000, 1000, work)
    return {'machine': machine(), 'meta': part_meta(started, load_before), 'rows': rows}


def targets(data):
    rows = data['rows']
    hundred = next((r for r in rows['unchanged'] if r['projects'] == 100 and 'loop' in r), None)
    out = []
    if hundred:
        out.append(('fleet: 100 projects unchanged, 20 ms per request: module wall at most 0.1x the looped role',
                    '%.2f s vs %.2f s (%.3fx)' % (hundred['module']['wall_s'], hundred['loop']['wall_s'], hundred['wall_ratio']),
                    hundred['wall_ratio'] <= 0.1, 'see section 8'))
    for row in rows['unchanged']:
        minimum = 2 * row['projects'] + -(-row['projects'] // 100)
        out.append(('fleet: %d projects unchanged: requests = one variables and one triggers page per project (+ listing)' % row['projects'],
                    '%d (minimum %d)' % (row['module']['requests'], minimum), row['module']['requests'] == minimum, 'see section 8'))
        out.append(('fleet: %d projects: peak memory of the module process under 150 MiB' % row['projects'],
                    '%.1f MiB (largest process of the run)' % row['module']['peak_rss_mib_max_child'],
                    row['module']['peak_rss_mib_max_child'] < 150, 'ru_maxrss of the largest child process'))
    limited = rows.get('rate_limited')
    if limited:
        target = 'fleet: %d projects under %d requests/minute: no failed owner, wall within 1.15x of requests / limit' % (
            limited['projects'], limited['limit_per_minute'])
        result = '%.1f s for %d requests (bound %.1f s), %d throttled' % (
            limited['wall_s'], limited['requests'], limited['bound_s'], limited['throttled'])
        out.append((target, result, limited['wall_s'] <= 1.15 * limited['bound_s'], 'see section 8'))
    return out


def section(data, number):
    rows = data['rows']
    meta = data['meta']
    lines = ['## %d. Fleet runs: gitlab_ci_settings against the looped role' % number, '',
             'Part `fleet`, measured %s in %.0f s; raw results: `benchmarks/output/%s`. One run per figure (no median).' % (
                 meta['date'], meta['seconds'], data.get('raw_name')), '',
             'Unchanged runs, 10 variables and one trigger per project, %g ms added to every request:' % (rows['delay_s'] * 1000), '',
             '| projects | module wall (s) | module requests | loop wall (s) | loop requests | ratio |', '|---|---|---|---|---|---|']
    for row in rows['unchanged']:
        loop = row.get('loop')
        lines.append('| %d | %.2f | %d | %s | %s | %s |' % (
            row['projects'], row['module']['wall_s'], row['module']['requests'], '%.2f' % loop['wall_s'] if loop else 'not run',
            loop['requests'] if loop else '', '%.3fx' % row['wall_ratio'] if loop else ''))
    limited = rows.get('rate_limited')
    if limited:
        lines += ['', 'Rate-limited: %d projects, the fake limiting to %d requests per minute (fixed windows, RateLimit-* headers): '
                  '%.1f s, %d requests, %d answered 429; requests / limit = %.1f s.' % (
                      limited['projects'], limited['limit_per_minute'], limited['wall_s'], limited['requests'], limited['throttled'],
                      limited['bound_s'])]
    return lines + ['']


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--projects', default='100,1000')
    parser.add_argument('--delay', type=float, default=0.02)
    parser.add_argument('--loop-max', type=int, default=100)
    parser.add_argument('--limit', type=int, default=2000)
    parser.add_argument('--limit-projects', type=int, default=1000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        report = run_all([int(n) for n in args.projects.split(',') if n], args.delay, args.loop_max, args.limit,
                         args.limit_projects, work)
    print(json.dumps(report, indent=2))


if __name__ == '__main__':
    main()
