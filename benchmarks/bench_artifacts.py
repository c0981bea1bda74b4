# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of ``cicd.gitlab.gitlab_ci_job``: artifact downloads and waiting, against the bundled fake.

Parts ``artifacts`` of ``make bench`` (tools/bench.sh -> benchmarks/bench.py, which writes
``benchmarks/RESULTS.md``; sections 3 and 5 come from here). Everything else (seed, playbooks,
downloads, the interpreter wrapper, a temporary ``ansible_collections`` tree) lives in a temporary
directory removed at the end.

What is measured, in one run of the fake GitLab seeded with generated projects:

1. Peak RSS of the module process for artifact archives of 10 MiB, 100 MiB and 1 GiB (and a tiny
   one, the baseline): ``ansible_python_interpreter`` is a wrapper that runs the real Python as a
   child and records ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` once it has exited.
2. Download throughput of the collection's HTTP client (``GitLabClient.download_artifacts``, timed
   in-process) against ``curl`` fetching the same URL from the same fake, interleaved run by run;
   the whole ``ansible-playbook`` task is timed too, for context.
3. Wait latency: a job that runs for a known time is started, the module waits for it with
   ``wait: true, poll_interval: 1``; latency is the module process's exit time minus the job's
   ``finished_at`` on the fake (both clocks on this machine).
"""

import hashlib
import importlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

import requests
import yaml

from _common import MIB, TOKEN, BenchError, ansible_env, collection_tree, epoch, fake_workspace, machine, part_meta, say, spread, write_wrapper

PROJECT = 'bench/artifacts'
SLOW_PROJECT = 'bench/slow'
SLOW_SECONDS = 5
POLL_INTERVAL = 1
WAIT_TIMEOUT = 120
# Start offsets of the waiting module, so the job finishes at different points of a poll interval.
WAIT_OFFSETS = (0.0, 0.3, 0.6, 0.9, 1.2)
# A run whose job finished before the module started (a slow machine) measures no wait: tried again.
WAIT_ATTEMPTS = 3
# (job name, label, bytes of the one generated file in the archive); the tiny one is the baseline.
SIZES = (('tiny', 'tiny (2 B file)', None), ('a10m', '10 MiB', 10 * MIB), ('a100m', '100 MiB', 100 * MIB), ('a1g', '1 GiB', 1024 * MIB))
RATIO_SIZES = ('a100m', 'a1g')
MEMORY_LIMIT_MIB = 100
FLAT_MIB = 10
RATIO_TARGET = 0.8
WAIT_SLACK = 0.5


# ---- set-up ------------------------------------------------------------------------------------

def bench_seed():
    """The fake's seed: one project whose pipeline makes every archive, one with a slow job."""
    jobs = []
    for name, dummy, size in SIZES:
        entry = {'path': 'tiny.txt', 'content': 'x\n'} if size is None else {'path': 'blob-%s.bin' % name, 'size': size}
        jobs.append({'name': name, 'stage': 'build', 'duration': 0, 'artifacts': [entry]})
    return {
        'users': [{'username': 'root', 'token': TOKEN, 'admin': True}],
        'groups': [{'path': 'bench'}],
        'projects': [
            {'path': PROJECT, 'ci': jobs},
            {'path': SLOW_PROJECT, 'ci': [{'name': 'sleep', 'duration': SLOW_SECONDS, 'log': 'sleeping\n'}]},
        ],
    }


# ---- the three ways of downloading -------------------------------------------------------------

class Bench:
    """Holds the fake, the temporary directory and the collection's modules for the measurements."""

    def __init__(self, fake, work, collections):
        self.fake = fake
        self.work = work
        self.collections = collections
        self.downloads = os.path.join(work, 'downloads')
        os.makedirs(self.downloads)
        self.probe_file = os.path.join(work, 'probe.jsonl')
        self.wrapper = write_wrapper(os.path.join(work, 'python-wrapper'))
        self.playbook = os.path.join(work, 'job.yml')
        play = [{
            'name': 'Benchmark play', 'hosts': 'localhost', 'gather_facts': False,
            'tasks': [{'name': 'Run gitlab_ci_job', 'cicd.gitlab.gitlab_ci_job': '{{ bench_args }}'}],
        }]
        with open(self.playbook, 'w', encoding='utf-8') as handle:
            yaml.safe_dump(play, handle, sort_keys=False)
        sys.path.insert(0, collections)
        self.client_module = importlib.import_module('ansible_collections.cicd.gitlab.plugins.module_utils._client')
        self.jobs_logic = importlib.import_module('ansible_collections.cicd.gitlab.plugins.module_utils._jobs')
        self.curl = shutil.which('curl')

    def artifacts_url(self, job_id):
        return '%s/api/v4/projects/%s/jobs/%s/artifacts' % (self.fake.url, requests.utils.quote(PROJECT, safe=''), job_id)

    def clean_downloads(self):
        for name in os.listdir(self.downloads):
            os.unlink(os.path.join(self.downloads, name))

    def warm_up(self, job_id):
        """Fetch an archive once, untimed, so no side pays for the fake's first generation of it."""
        with self.fake.session.get(self.artifacts_url(job_id), stream=True, timeout=60) as response:
            for dummy in response.iter_content(MIB):
                pass

    def run_curl(self, job_id, size):
        """curl's own transfer time (``time_total``) in seconds."""
        dest = os.path.join(self.downloads, 'curl.zip')
        proc = subprocess.run([self.curl, '-s', '-S', '-f', '-o', dest, '-H', 'PRIVATE-TOKEN: ' + TOKEN,
                               '-w', '%{time_total} %{size_download}', self.artifacts_url(job_id)],
                              capture_output=True, text=True, check=False)
        self.clean_downloads()
        if proc.returncode != 0:
            raise BenchError('curl failed (%s): %s' % (proc.returncode, proc.stderr))
        seconds, got = proc.stdout.split()
        if int(got) != size:
            raise BenchError('curl got %s bytes, expected %s' % (got, size))
        return float(seconds)

    def run_plain(self, job_id, size):
        """A typical script, for context: ``requests`` streaming in 1 MiB chunks, sha256, one write per chunk; seconds."""
        dest = os.path.join(self.downloads, 'plain.zip')
        digest = hashlib.sha256()
        got = 0
        start = time.perf_counter()
        with requests.get(self.artifacts_url(job_id), headers={'PRIVATE-TOKEN': TOKEN}, stream=True, timeout=60) as response:
            with open(dest, 'wb') as handle:
                for chunk in response.iter_content(MIB):
                    got += len(chunk)
                    digest.update(chunk)
                    handle.write(chunk)
        seconds = time.perf_counter() - start
        self.clean_downloads()
        if got != size:
            raise BenchError('plain requests got %s bytes, expected %s' % (got, size))
        return seconds

    def run_move(self, job_id, size):
        """The client's own way of moving the bytes, minus sha256: ``readinto`` 1 MiB, 16 KiB writes; seconds."""
        dest = os.path.join(self.downloads, 'move.zip')
        slice_size = self.client_module.WRITE_SLICE
        view = memoryview(bytearray(MIB))
        got = 0
        start = time.perf_counter()
        with requests.get(self.artifacts_url(job_id), headers={'PRIVATE-TOKEN': TOKEN}, stream=True, timeout=60) as response:
            raw = response.raw._fp  # pylint: disable=protected-access
            with open(dest, 'wb') as handle:
                while True:
                    count = raw.readinto(view)
                    if not count:
                        break
                    got += count
                    for offset in range(0, count, slice_size):
                        handle.write(view[offset:min(offset + slice_size, count)])
        seconds = time.perf_counter() - start
        self.clean_downloads()
        if got != size:
            raise BenchError('the no-hash loop got %s bytes, expected %s' % (got, size))
        return seconds

    @staticmethod
    def run_hash(dummy_job_id, size):
        """sha256 of ``size`` bytes already in memory, 1 MiB at a time (no network, no disk); seconds."""
        block = memoryview(bytes(range(256)) * (MIB // 256))
        digest = hashlib.sha256()
        start = time.perf_counter()
        left = size
        while left > 0:
            digest.update(block[:min(left, MIB)])
            left -= MIB
        return time.perf_counter() - start

    def run_client(self, job_id, size):
        """``GitLabClient.download_artifacts`` timed in-process: ``(seconds, sha256)``."""
        client = self.client_module.GitLabClient(self.fake.url, token=TOKEN)
        dest = os.path.join(self.downloads, 'client.zip')
        start = time.perf_counter()
        with open(dest, 'w+b') as handle:
            info = client.download_artifacts(PROJECT, job_id, handle, size=size)
        seconds = time.perf_counter() - start
        self.clean_downloads()
        if info['size'] != size:
            raise BenchError('the client got %s bytes, expected %s' % (info['size'], size))
        return seconds, info['sha256']

    def run_module(self, args):
        """One ansible-playbook run of the module with ``args``: the wrapper's probe, the result, the wall time."""
        if os.path.exists(self.probe_file):
            os.unlink(self.probe_file)
        variables = {'ansible_python_interpreter': self.wrapper, 'bench_args': dict(args, api_url=self.fake.url, api_token=TOKEN)}
        varfile = os.path.join(self.work, 'vars.json')
        with open(varfile, 'w', encoding='utf-8') as handle:
            json.dump(variables, handle)
        env = ansible_env(self.work, self.collections, CICD_BENCH_PROBE=self.probe_file)
        playbook_cmd = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
        start = time.perf_counter()
        proc = subprocess.run([playbook_cmd, self.playbook, '-e', '@' + varfile], capture_output=True, text=True, env=env, cwd=self.work, check=False)
        wall = time.perf_counter() - start
        returned = time.time()
        probes = []
        if os.path.exists(self.probe_file):
            with open(self.probe_file, encoding='utf-8') as handle:
                probes = [json.loads(line) for line in handle if line.strip()]
        if proc.returncode != 0 or len(probes) != 1 or probes[0]['rc'] != 0:
            raise BenchError('the module run failed (rc %s, %d probes):\n%s\n%s' % (proc.returncode, len(probes), proc.stdout[-3000:], proc.stderr[-2000:]))
        probe = probes[0]
        result = json.loads(probe['stdout'][probe['stdout'].index('{'):])
        return {'maxrss_mib': probe['maxrss_kib'] / 1024.0, 'module_seconds': probe['end'] - probe['start'],
                'module_start': probe['start'], 'module_end': probe['end'], 'playbook_seconds': wall,
                'playbook_end': returned, 'result': result}

    def module_download(self, job_id, size):
        dest = os.path.join(self.downloads, 'module.zip')
        run = self.run_module({'project': PROJECT, 'job_id': job_id, 'artifacts_dest': dest, 'force': True})
        self.clean_downloads()
        artifacts = run['result'].get('artifacts') or {}
        if artifacts.get('size') != size or not run['result'].get('changed'):
            raise BenchError('the module did not download %s bytes: %s' % (size, run['result'].get('msg')))
        run['sha256'] = artifacts.get('sha256')
        del run['result']
        return run


# ---- measurements ------------------------------------------------------------------------------

def measure_downloads(bench, jobs, runs, big_runs):
    """Per archive, ``runs`` interleaved rounds of curl, the in-process client and the module."""
    samples = {}
    for name, label, dummy in SIZES:
        job = jobs[name]
        size = job['artifacts_file']['size']
        count = big_runs if name == 'a1g' else runs
        rows = []
        bench.warm_up(job['id'])
        for index in range(count):
            row = {}
            steps = [('curl', bench.run_curl), ('client', bench.run_client), ('plain', bench.run_plain), ('move', bench.run_move),
                     ('hash', bench.run_hash), ('module', bench.module_download)]
            if bench.curl is None:
                steps = steps[1:]
            # Rotate the order so no side always runs first (cold caches) or right after the module.
            shift = index % len(steps)
            for step, call in steps[shift:] + steps[:shift]:
                row[step] = call(job['id'], size)
            client_seconds, client_sha = row.pop('client')
            row['client_seconds'] = client_seconds
            row['plain_seconds'] = row.pop('plain')
            row['move_seconds'] = row.pop('move')
            row['hash_seconds'] = row.pop('hash')
            if row['module']['sha256'] != client_sha:
                raise BenchError('the module and the client wrote different bytes for %s' % label)
            if 'curl' in row:
                row['curl_seconds'] = row.pop('curl')
            rows.append(row)
            say('  %-16s run %d/%d: module peak RSS %.1f MiB, module %.2f s, playbook %.2f s, client %.3f s%s' % (
                label, index + 1, count, row['module']['maxrss_mib'], row['module']['module_seconds'], row['module']['playbook_seconds'],
                client_seconds, ', curl %.3f s' % row['curl_seconds'] if 'curl_seconds' in row else ''))
        samples[name] = {'label': label, 'size': size, 'job_id': job['id'], 'runs': rows}
    return samples


def interval_in_force(logic, elapsed):
    """The poll interval the module slept just before its last poll, from the ``waited X s`` it reports.

    The module polls at 0, i1, i1+i2, ... seconds after it starts waiting (``poll_intervals``); the
    last poll is the cumulative sum nearest to ``elapsed``. Returns ``(interval, polls)``.
    """
    intervals = logic.poll_intervals(POLL_INTERVAL, logic.interval_cap(WAIT_TIMEOUT))
    sums, slept = [0.0], []
    while sums[-1] < elapsed + 60:
        slept.append(next(intervals))
        sums.append(sums[-1] + slept[-1])
    polls = min(range(len(sums)), key=lambda k: abs(sums[k] - elapsed))
    return (slept[polls - 1] if polls else 0.0), polls + 1


def measure_wait(bench, runs):
    """Start the slow job, let the module wait for it, compare its exit with the job's ``finished_at``."""
    rows = []
    for index in range(runs):
        offset = WAIT_OFFSETS[index % len(WAIT_OFFSETS)]
        for attempt in range(WAIT_ATTEMPTS):
            job = bench.fake.start_pipeline(SLOW_PROJECT)['sleep']
            time.sleep(offset)
            run = bench.run_module({'project': SLOW_PROJECT, 'job_id': job['id'], 'wait': True, 'poll_interval': POLL_INTERVAL,
                                    'wait_timeout': WAIT_TIMEOUT})
            final = bench.fake.job(SLOW_PROJECT, job['id'])
            if final['status'] != 'success' or run['result']['job']['status'] != 'success':
                raise BenchError('the slow job did not end in success: %s' % run['result'].get('msg'))
            finished = epoch(final['finished_at'])
            waited = [float(m.group(1)) for m in (re.search(r'^waited ([0-9.]+) s', a) for a in run['result']['actions']) if m]
            if waited:
                break
            # The machine was so slow that the job had finished before the module started: no wait to measure.
            say('  wait run %d/%d: the job had finished before the module started (attempt %d of %d), again' % (
                index + 1, runs, attempt + 1, WAIT_ATTEMPTS))
        else:
            raise BenchError('the module did not wait (the job had finished before it started, %d times): %s'
                             % (WAIT_ATTEMPTS, run['result'].get('msg')))
        interval, polls = interval_in_force(bench.jobs_logic, waited[0])
        row = {'offset': offset, 'job_id': job['id'], 'finished_at': finished, 'module_start': run['module_start'],
               'module_end': run['module_end'], 'waited': waited[0], 'polls': polls, 'interval': interval,
               'latency': run['module_end'] - finished, 'playbook_latency': run['playbook_end'] - finished,
               'module_started_before_finish': finished - run['module_start']}
        row['met'] = row['latency'] <= interval + WAIT_SLACK
        rows.append(row)
        say('  wait run %d/%d: latency %.2f s (interval in force %.2f s, %d polls, waited %.1f s), playbook returned after %.2f s' % (
            index + 1, runs, row['latency'], interval, polls, waited[0], row['playbook_latency']))
    return rows


# ---- report ------------------------------------------------------------------------------------

def mbps(size, seconds):
    return size / seconds / 1e6


def summarize(samples, waits):
    """The numbers and verdicts the report shows."""
    out = {'sizes': {}}
    for name, sample in samples.items():
        runs = sample['runs']
        size = sample['size']
        entry = {'label': sample['label'], 'size': size, 'runs': len(runs),
                 'rss': [r['module']['maxrss_mib'] for r in runs],
                 'module_seconds': [r['module']['module_seconds'] for r in runs],
                 'playbook_seconds': [r['module']['playbook_seconds'] for r in runs],
                 'client_mbps': [mbps(size, r['client_seconds']) for r in runs],
                 'plain_mbps': [mbps(size, r['plain_seconds']) for r in runs]}
        if all('move_seconds' in r for r in runs):  # raw results older than these two columns lack them
            entry['move_mbps'] = [mbps(size, r['move_seconds']) for r in runs]
            entry['hash_mbps'] = [mbps(size, r['hash_seconds']) for r in runs]
            # One core doing both in turn: the time per byte adds up.
            entry['ceiling_mbps'] = [mbps(size, r['move_seconds'] + r['hash_seconds']) for r in runs]
        if all('curl_seconds' in r for r in runs):
            entry['curl_mbps'] = [mbps(size, r['curl_seconds']) for r in runs]
            entry['ratio'] = [r['curl_seconds'] / r['client_seconds'] for r in runs]
        out['sizes'][name] = entry
    sizes = out['sizes']
    baseline = statistics.median(sizes['tiny']['rss'])
    peak = max(max(e['rss']) for e in sizes.values())
    growth = statistics.median(sizes['a1g']['rss']) - baseline
    out['memory'] = {'baseline': baseline, 'peak': peak, 'growth': growth,
                     'met': peak < MEMORY_LIMIT_MIB and growth < FLAT_MIB}
    out['ratio'] = {}
    for name in RATIO_SIZES:
        if 'ratio' in sizes[name]:
            out['ratio'][name] = statistics.median(sizes[name]['ratio']) >= RATIO_TARGET
    out['wait'] = {'latency': [w['latency'] for w in waits], 'interval': [w['interval'] for w in waits],
                   'met_runs': sum(1 for w in waits if w['met']), 'runs': len(waits)}
    return out


def ratio_reason(entry):
    """Why the throughput ratio is what it is, from the context columns of section 3.2."""
    median = statistics.median
    noise = ('on this 2-core machine the pure-Python fake, generating the zip as it sends, takes one core and every client '
             'shares the other, so the runs are noisy (see the ranges)')
    if 'ceiling_mbps' not in entry:
        return noise
    ceiling = median(entry['ceiling_mbps'])
    return ('the client moves %.0f MB/s, %.2f× the one-core ceiling of %.0f MB/s (3.2: the client\'s receive-and-write loop '
            'without hashing, %.0f MB/s, plus sha256 alone, %.0f MB/s, done in turn), and that ceiling is only %.2f× curl: the '
            'sha256 the module returns costs about as much per byte as the transfer itself and curl hashes nothing, while the '
            'other core is busy with the fake, so there is no idle core to hash on in parallel; %s' % (
                median(entry['client_mbps']), median(entry['client_mbps']) / ceiling, ceiling, median(entry['move_mbps']),
                median(entry['hash_mbps']), ceiling / median(entry['curl_mbps']), noise))


def targets(data):
    """The rows of the report's target table: ``(target, result, met)``; ``met`` is None when not measured."""
    summary = data['summary']
    sizes = summary['sizes']
    mem = summary['memory']
    rows = [('module peak RSS under %d MiB and flat from 10 MiB to 1 GiB (artifacts)' % MEMORY_LIMIT_MIB,
             'highest peak %.1f MiB; 1 GiB median is %+.1f MiB from the tiny-artifact baseline (flat: under %d MiB)' % (
                 mem['peak'], mem['growth'], FLAT_MIB), mem['met'])]
    for name in RATIO_SIZES:
        entry = sizes[name]
        if 'ratio' in entry:
            rows.append(('download throughput ≥ %.1f× curl, %s' % (RATIO_TARGET, entry['label']),
                         'ours/curl %s' % spread(entry['ratio'], '%.2f'), summary['ratio'][name], ratio_reason(entry)))
        else:
            rows.append(('download throughput ≥ %.1f× curl, %s' % (RATIO_TARGET, entry['label']), 'curl not installed', None))
    wait = summary['wait']
    rows.append(('wait latency within the poll interval in force + %.1f s' % WAIT_SLACK,
                 '%s s after an interval of %s s; %d of %d runs within' % (
                     spread(wait['latency'], '%.2f'), spread(wait['interval'], '%.2f'), wait['met_runs'], wait['runs']),
                 wait['met_runs'] == wait['runs']))
    return rows


def download_sections(data, number):
    """Markdown lines of the memory and throughput sections (``number``.1 and ``number``.2)."""
    summary = data['summary']
    sizes = summary['sizes']
    mem = summary['memory']
    meta = data['meta']
    lines = [
        '## %d. Artifact downloads: memory and throughput' % number,
        '',
        'Part `artifacts`, measured %s in %.0f s (load average %.2f / %.2f before / after); raw samples:' % (
            meta['date'], meta['seconds'], meta['load_before'], meta['load_after']),
        '`benchmarks/output/%s`. The fake generates the zip archives on the fly (stored entries, deterministic' % data['raw_name'],
        'bytes), so it uses one core while serving. Downloads go to a temporary directory under `%s` and are' % meta['tmp_base'],
        'deleted after each run.',
        '',
        '### %d.1 Peak memory of the module process' % number,
        '',
        '`ansible_python_interpreter` is a wrapper (written by the bench into its temporary directory) that runs the venv\'s',
        'Python as a child with the same arguments and stdin, and records `getrusage(RUSAGE_CHILDREN).ru_maxrss` after it',
        'exits: the peak resident set of the module process alone (AnsiballZ runs the module in that process), not of',
        'the controller. Task: `gitlab_ci_job` with `job_id`, `artifacts_dest` (a file) and `force: true`; the file',
        'is deleted after each run, so each run downloads the whole archive and writes it.',
        '',
        '| archive | size (bytes) | runs | module peak RSS (MiB) | module process wall time (s) | whole ansible-playbook run (s) |',
        '|---|---|---|---|---|---|',
    ]
    for name, dummy, dummy2 in SIZES:
        entry = sizes[name]
        lines.append('| %s | %d | %d | %s | %s | %s |' % (
            entry['label'], entry['size'], entry['runs'], spread(entry['rss']), spread(entry['module_seconds'], '%.2f'),
            spread(entry['playbook_seconds'], '%.2f')))
    lines += [
        '',
        'The tiny archive is the baseline: Python, Ansible\'s module runtime, `requests` and the module with nothing',
        'big to fetch (%.1f MiB). The module process wall time includes Python\'s start-up and the module\'s own' % mem['baseline'],
        'imports; the whole ansible-playbook run adds the controller\'s start-up and task overhead.',
        '',
        '### %d.2 Download throughput against curl' % number,
        '',
        'Ours: `GitLabClient.download_artifacts()` (the call the module makes) timed in-process around the call, through',
        'a temporary `ansible_collections` symlink tree: request, reading in 1 MiB chunks, sha256, writing in 16 KiB',
        'slices to a temporary file, then the atomic rename. curl: `curl -s -o FILE -H "PRIVATE-TOKEN: ..." URL`, timed',
        'by its own `time_total`. Both fetch the same job\'s archive from the same fake in the same round; each round runs',
        'curl, the client, the three context measurements and the module, in an order rotated round by round. The ratio',
        'is ours/curl throughput per round (curl time ÷ our time), and its median need not equal the quotient of the two',
        'MB/s medians. MB/s = 10^6 bytes per second.',
        '',
        'For context only (not part of the target):',
        '',
        '- *move only*: the client\'s own receive-and-write loop with the sha256 left out (`readinto` 1 MiB, 16 KiB writes).',
        '- *sha256 alone*: hashing as many bytes from memory, no network, no disk.',
        '- *one-core ceiling*: both in turn (their times added): the most a client that hashes every byte on the core it',
        '  receives on can reach while the fake holds the other core.',
        '- *requests script*: what a typical script does: `requests.get(stream=True)`, `iter_content(1 MiB)`, sha256 and',
        '  `write()` of each 1 MiB chunk.',
        '',
        '| archive | size (bytes) | runs | ours, in-process client (MB/s) | curl (MB/s) | ours/curl '
        '| one-core ceiling (MB/s) | move only (MB/s) | sha256 alone (MB/s) | requests script (MB/s) |',
        '|---|---|---|---|---|---|---|---|---|---|',
    ]
    for name, dummy, dummy2 in SIZES[1:]:
        entry = sizes[name]
        curl = spread(entry['curl_mbps'], '%.0f') if 'curl_mbps' in entry else 'not measured'
        ratio = spread(entry['ratio'], '%.2f') if 'ratio' in entry else 'not measured'
        context = [spread(entry[key], '%.0f') if key in entry else 'not measured' for key in ('ceiling_mbps', 'move_mbps', 'hash_mbps')]
        lines.append('| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |' % (
            entry['label'], entry['size'], entry['runs'], spread(entry['client_mbps'], '%.0f'), curl, ratio,
            context[0], context[1], context[2], spread(entry['plain_mbps'], '%.0f')))
    lines += [
        '',
        'The %.1f× target is for 100 MiB and 1 GiB; the 10 MiB row (a few tens of milliseconds per download) is' % RATIO_TARGET,
        'for context. The whole-task times of %d.1 show what a playbook user waits for. On this 2-core machine the' % number,
        'fake GitLab (pure Python, generating the zip and its CRC-32 as it sends) takes one core while serving, so every',
        'client shares the other core with the system; absolute MB/s are the fake\'s as much as the client\'s.',
        '',
    ]
    ceilings = ['%s %.2f' % (sizes[name]['label'], statistics.median(sizes[name]['ceiling_mbps']) / statistics.median(sizes[name]['curl_mbps']))
                for name in RATIO_SIZES if 'ceiling_mbps' in sizes[name] and 'curl_mbps' in sizes[name]]
    if ceilings:
        lines += [
            'The one-core ceiling against curl (medians) is %s: a median ratio above that comes from curl\'s own slow' % ', '.join(ceilings),
            'runs (see its range), not from the client outrunning the ceiling.',
            '',
        ]
    lines += [
        'Two things tried, and why the client is as it is (measured by hand on 2026-11-25, same machine):',
        '',
        '- Writing each 1 MiB chunk with one `write()` (the requests-script column does) made a 1 GiB download swing',
        '  between 390 and 1090 MB/s, with up to 2.4 s of kernel time: large writes make Linux allocate large page-cache',
        '  folios, which on this VM are far dearer than small ones (`dd` of 1 GiB: bs=1M 490-560 MB/s, bs=16K',
        '  3900-4100 MB/s). Writing in 16 KiB slices, the size curl writes, gave a steady 1000-1070 MB/s.',
        '- Hashing on a second thread while the main thread receives and writes was slower, not faster (775-947 MB/s',
        '  at 100 MiB against 950-1040 without): with the fake on one core there is no idle core for the hash, and the',
        '  hand-off adds work. On a machine with spare cores it could pay; it is not worth its complexity here.',
        '',
    ]
    return lines


def wait_section(data, number):
    """Markdown lines of the wait-latency section."""
    wait = data['summary']['wait']
    meta = data['meta']
    lines = [
        '## %d. Wait latency' % number,
        '',
        'Part `artifacts` (same run as section 3). A pipeline of `%s` runs one job for %s s (`duration` in the seed).' % (SLOW_PROJECT, SLOW_SECONDS),
        'Right after starting it (plus a start offset of %s s, so the job ends at different points of a poll' % ', '.join('%.1f' % o for o in WAIT_OFFSETS),
        'interval) the module runs with `state: present, job_id, wait: true, poll_interval: %s`. Latency = the module' % POLL_INTERVAL,
        'process\'s exit (recorded by the interpreter wrapper) − the job\'s `finished_at` on the fake; both clocks are this',
        'machine\'s. The module sleeps `poll_interval`, then ×%s each time (at most %s s): the interval in force is the' % (
            meta['poll_growth'], meta['poll_cap']),
        'one slept before the poll that saw the job finished, found from the `waited X s` the module reports.',
        'Target: latency ≤ that interval + %.1f s.' % WAIT_SLACK,
        '',
        '| run | start offset (s) | polls | interval in force (s) | latency: module exit − finished_at (s) '
        '| ansible-playbook exit − finished_at (s) | within target |',
        '|---|---|---|---|---|---|---|',
    ]
    for index, row in enumerate(data['wait'], 1):
        lines.append('| %d | %.1f | %d | %.2f | %.2f | %.2f | %s |' % (
            index, row['offset'], row['polls'], row['interval'], row['latency'], row['playbook_latency'], 'yes' if row['met'] else 'no'))
    lines += [
        '',
        'Median latency %s s; median interval in force %s s.' % (spread(wait['latency'], '%.2f'), spread(wait['interval'], '%.2f')),
        '',
    ]
    return lines


# ---- the part ----------------------------------------------------------------------------------

def measure(args):
    """Run the artifacts part (``args.runs``, ``args.big_runs``, ``args.wait_runs``); returns its raw data."""
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    with fake_workspace('artifacts', bench_seed()) as (work, fake):
        say('== artifacts: fake GitLab at %s (work directory %s)' % (fake.url, work))
        bench = Bench(fake, work, collection_tree(os.path.join(work, 'collections')))
        notes = []
        if bench.curl is None:
            notes.append('curl is not installed: the throughput comparison was skipped (make bench installs nothing).')
        created = fake.start_pipeline(PROJECT)
        jobs = fake.wait_finished(PROJECT, [job['id'] for job in created.values()])
        jobs = {job['name']: job for job in jobs.values()}
        say('== downloads (%d rounds, %d for 1 GiB): curl, in-process client, module' % (args.runs, args.big_runs))
        samples = measure_downloads(bench, jobs, args.runs, args.big_runs)
        say('== wait latency (%d runs)' % args.wait_runs)
        waits = measure_wait(bench, args.wait_runs)
        if args.big_runs < 5:
            notes.append('The 1 GiB archive was measured in %d round(s) instead of 5 (--big-runs).' % args.big_runs)
        meta = part_meta(started, load_before)
        meta.update({'tmp_base': os.path.dirname(work), 'notes': notes,
                     'poll_growth': bench.jobs_logic.POLL_GROWTH, 'poll_cap': bench.jobs_logic.MAX_POLL_INTERVAL})
        return {'machine': machine(), 'meta': meta, 'downloads': samples, 'wait': waits, 'summary': summarize(samples, waits)}


def main(argv=None):
    """Kept for ``python benchmarks/bench_artifacts.py``: the same as ``benchmarks/bench.py --only artifacts``."""
    bench_main = importlib.import_module('bench').main
    return bench_main(['--only', 'artifacts'] + list(sys.argv[1:] if argv is None else argv))


if __name__ == '__main__':
    sys.exit(main())
