# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Peak memory of ``cicd.gitlab.gitlab_ci_job`` writing a 200 MiB job log to ``log_dest``.

Part ``logs`` of ``make bench`` (benchmarks/bench.py; section 4 of benchmarks/RESULTS.md).

The fake generates the log (``log_size`` on a ``ci:`` job). ``ansible_python_interpreter`` is the
interpreter wrapper of ``_common.py``: it runs the real Python as a child and records the child's
peak RSS, so the figure is the module process's alone. A job with a tiny log is the baseline;
the two alternate run by run, and the log file is deleted after each run so every run writes it.
"""

import os
import sys
import time

import yaml

from _common import (MIB, TOKEN, BenchError, ansible_env, collection_tree, fake_workspace, machine, part_meta, read_lines, run_playbook, say, spread,
                     write_wrapper)

PROJECT = 'bench/logs'
BIG_LOG = 200 * MIB
MEMORY_LIMIT_MIB = 100
JOBS = (('tiny', 'tiny (one line)'), ('big', '200 MiB'))


def bench_seed():
    jobs = [{'name': 'tiny', 'stage': 'build', 'duration': 0, 'log': 'a tiny log\n'},
            {'name': 'big', 'stage': 'build', 'duration': 0, 'log': 'a big log\n', 'log_size': BIG_LOG}]
    return {'users': [{'username': 'root', 'token': TOKEN, 'admin': True}], 'groups': [{'path': 'bench'}],
            'projects': [{'path': PROJECT, 'ci': jobs}]}


def measure(args):
    """Run the logs part; returns its raw data."""
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    with fake_workspace('logs', bench_seed()) as (work, fake):
        say('== logs: fake GitLab at %s; %d runs of each log, alternating' % (fake.url, args.runs))
        created = fake.start_pipeline(PROJECT)
        jobs = fake.wait_finished(PROJECT, [job['id'] for job in created.values()])
        jobs = {job['name']: job for job in jobs.values()}
        probe_file = os.path.join(work, 'probe.jsonl')
        wrapper = write_wrapper(os.path.join(work, 'python-wrapper'))
        env = ansible_env(work, collection_tree(os.path.join(work, 'collections')), CICD_BENCH_PROBE=probe_file)
        command = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
        playbook = os.path.join(work, 'log.yml')
        with open(playbook, 'w', encoding='utf-8') as handle:
            yaml.safe_dump([{'name': 'Benchmark play', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
                {'name': 'Write the job log', 'cicd.gitlab.gitlab_ci_job': {
                    'api_url': '{{ bench_url }}', 'api_token': '{{ bench_token }}', 'project': PROJECT, 'job_id': '{{ bench_job }}',
                    'log_dest': '{{ bench_dest }}'}}]}], handle, sort_keys=False)
        dest = os.path.join(work, 'logs', 'job.log')
        os.makedirs(os.path.dirname(dest))
        samples = {name: [] for name, dummy in JOBS}
        for index in range(args.runs):
            order = [name for name, dummy in JOBS]
            if index % 2:
                order.reverse()
            for name in order:
                if os.path.exists(probe_file):
                    os.unlink(probe_file)
                variables = {'ansible_python_interpreter': wrapper, 'bench_url': fake.url, 'bench_token': TOKEN,
                             'bench_job': jobs[name]['id'], 'bench_dest': dest}
                wall, dummy = run_playbook(command, playbook, variables, work, env, label='log of %s' % name)
                probes = read_lines(probe_file)
                if len(probes) != 1 or probes[0]['rc'] != 0:
                    raise BenchError('the module run for the %s log failed: %s' % (name, probes))
                size = os.path.getsize(dest)
                os.unlink(dest)
                if name == 'big' and size < BIG_LOG:
                    raise BenchError('the big log was %d bytes, expected at least %d' % (size, BIG_LOG))
                probe = probes[0]
                samples[name].append({'maxrss_mib': probe['maxrss_kib'] / 1024.0, 'module_seconds': probe['end'] - probe['start'],
                                      'playbook_seconds': wall, 'size': size})
                say('  %-5s run %d/%d: %d bytes, module peak RSS %.1f MiB, module %.2f s, playbook %.2f s' % (
                    name, index + 1, args.runs, size, samples[name][-1]['maxrss_mib'], samples[name][-1]['module_seconds'], wall))
        peak = max(s['maxrss_mib'] for s in samples['big'])
        summary = {'peak': peak, 'met': peak < MEMORY_LIMIT_MIB}
        return {'machine': machine(), 'meta': part_meta(started, load_before), 'samples': samples, 'summary': summary}


def targets(data):
    summary = data['summary']
    big = data['samples']['big']
    return [('job log of 200 MiB to `log_dest`: module peak RSS under %d MiB' % MEMORY_LIMIT_MIB,
             'highest peak %.1f MiB; median %s MiB' % (summary['peak'], spread([s['maxrss_mib'] for s in big])),
             summary['met'], 'see section 4')]


def section(data, number):
    meta = data['meta']
    lines = [
        '## %d. Job log of 200 MiB to `log_dest`: peak memory' % number,
        '',
        'Part `logs`, measured %s in %.0f s (load average %.2f / %.2f before / after); raw samples:' % (
            meta['date'], meta['seconds'], meta['load_before'], meta['load_after']),
        '`benchmarks/output/%s`.' % data['raw_name'],
        '',
        'Task: `cicd.gitlab.gitlab_ci_job` with `job_id` and `log_dest` (a file in a temporary directory, deleted after each',
        'run so each run streams the whole log and writes it). The fake generates the log (`log_size` on a `ci:` job: 80-byte',
        'numbered lines). Peak RSS of the module process through the same interpreter wrapper as section 3.1; the job with a',
        'one-line log is the baseline. The two alternate run by run.',
        '',
        '| log | size (bytes) | runs | module peak RSS (MiB) | module process wall time (s) | MB/s (size ÷ module time) | whole ansible-playbook run (s) |',
        '|---|---|---|---|---|---|---|',
    ]
    for name, label in JOBS:
        runs = data['samples'][name]
        rate = spread([s['size'] / s['module_seconds'] / 1e6 for s in runs], '%.0f') if name == 'big' else '—'
        lines.append('| %s | %d | %d | %s | %s | %s | %s |' % (
            label, runs[0]['size'], len(runs), spread([s['maxrss_mib'] for s in runs]), spread([s['module_seconds'] for s in runs], '%.2f'),
            rate, spread([s['playbook_seconds'] for s in runs], '%.2f')))
    lines += ['', 'MB/s includes Python\'s start-up and the module\'s imports, and the fake generating the log as it sends.', '']
    return lines
