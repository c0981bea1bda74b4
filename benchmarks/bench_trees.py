# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipeline trees: requests per poll, how soon the end is noticed, and ``state: run`` + ``wait`` against a
``uri``-style polling loop.

Part ``trees`` of ``make bench`` (benchmarks/bench.py; section 7 of benchmarks/RESULTS.md).

The module's ``main()`` runs in this process against the fake GitLab (tests/fake_gitlab) in a thread,
and the fake's CI clock, the module's sleep and its clock are one virtual clock (as in
tests/unit/plugins/modules/test_gitlab_ci_job.py): a tree that runs 10 minutes costs no real time, the
fake's durations are exact, and the time a request takes counts as 0. Every figure is therefore
deterministic; one run of each is enough (``--runs`` is not used here).

* Requests per poll: a parent with 5 child pipelines (no ``strategy``) whose jobs run 1/5 .. 5/5 of the
  tree's duration; each poll's requests are counted against the number of pipelines of the tree still
  running at that moment (read from the fake apart from the module's requests).
* From the last job of the tree finishing to the task returning, for trees of 5 s, 60 s and 10 min
  (target: at most the interval cap, 10 s by default, plus 0.5 s).
* One pipeline: ``state: run`` + ``wait`` against a loop in the manner of ``ansible.builtin.uri`` with
  ``until``/``delay``: POST the pipeline, then GET it every ``delay`` seconds until its status is final.
"""

import contextlib
import datetime
import io
import json
import os
import shutil
import sys
import tempfile
import time
from unittest import mock

import requests

from _common import ROOT, collection_tree, machine, part_meta, say

TOKEN = 'glpat-bench-trees-0000000'
PROJECT = 'bench/tree'
SINGLE = 'bench/single'
DURATIONS = (5, 60, 600)
CHILDREN = 5
LATENCY_SLACK = 0.5
CAP = 10.0
FIRST = 5.0


class Clock:
    """Virtual time: ``sleep`` moves it on."""

    def __init__(self):
        self.now = 1750000000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def seed(duration):
    children = []
    for number in range(1, CHILDREN + 1):
        children.append({'name': 'child-%d' % number, 'stage': 'deploy',
                         'trigger': {'include': [{'name': 'work-%d' % number, 'duration': duration * number / CHILDREN}]}})
    return {'users': [{'username': 'root', 'token': TOKEN, 'admin': True}], 'groups': [{'path': 'bench'}],
            'projects': [{'path': PROJECT, 'ci': [{'name': 'build', 'stage': 'build', 'duration': 0.3}] + children},
                         {'path': SINGLE, 'ci': [{'name': 'build', 'stage': 'build', 'duration': duration * 0.4},
                                                 {'name': 'test', 'stage': 'test', 'duration': duration * 0.6}]}]}


@contextlib.contextmanager
def importable():
    """The collection and the fake importable (ansible_collections.cicd.gitlab, tests.fake_gitlab)."""
    base = tempfile.mkdtemp(prefix='cicd-gitlab-bench-trees-')
    collection_tree(base)
    sys.path[:0] = [base, ROOT]
    try:
        yield
    finally:
        for path in (base, ROOT):
            sys.path.remove(path)
        shutil.rmtree(base, ignore_errors=True)


def epoch(stamp):
    return datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp()


class Bench:
    def __init__(self, fake, clock):
        from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_job  # pylint: disable=import-outside-toplevel
        from tests.unit.module_args import patch_module_args  # pylint: disable=import-outside-toplevel
        self.module, self.patch, self.fake, self.clock = gitlab_ci_job, patch_module_args, fake, clock
        self.session = requests.Session()
        self.session.headers['PRIVATE-TOKEN'] = TOKEN

    def get(self, path):
        response = self.session.get(self.fake.api_url + path, timeout=30)
        response.raise_for_status()
        return response.json()

    def tree_ids(self, project, pipeline_id):
        """``[(project, id)]`` of a pipeline and its downstream pipelines, read apart from the module."""
        found, todo = [], [(project, pipeline_id)]
        while todo:
            where, pid = todo.pop()
            found.append((where, pid))
            for bridge in self.get('/projects/%s/pipelines/%d/bridges' % (where, pid)):
                if bridge.get('downstream_pipeline'):
                    todo.append((bridge['downstream_pipeline']['project_id'], bridge['downstream_pipeline']['id']))
        return found

    def running(self, pipelines):
        return sum(1 for where, pid in pipelines
                   if self.get('/projects/%s/pipelines/%d' % (where, pid))['status'] not in ('success', 'failed', 'canceled', 'skipped', 'manual'))

    def run_module(self, project, probe=None, **options):
        """main() with ``options``; returns ``(result, per-poll [(requests, running)], requests in all)``."""
        args = dict(api_url=self.fake.url, api_token=TOKEN, project=project, state='run', ref='main', wait=True,
                    poll_interval=FIRST, poll_interval_max=CAP, wait_timeout=3600, **options)
        polls, total = [], [0]
        where = project.replace('/', '%2F')

        def sleep(seconds):
            """The end of a poll: count what the module sent, then (apart) what still runs; clear the journal."""
            journal = self.fake.journal
            sent = len(journal)
            total[0] += sent
            if probe:
                reads = sum(1 for entry in journal if entry['method'] == 'GET' and entry['path'].rsplit('/', 2)[-2] == 'pipelines'
                            and entry['path'].rsplit('/', 1)[-1].isdigit())
                newest = self.get('/projects/%s/pipelines?per_page=1' % where)[0]['id']
                polls.append((sent, reads, self.running(self.tree_ids(where, newest))))
            self.fake.clear_journal()
            self.clock.sleep(seconds)

        out = io.StringIO()
        self.fake.clear_journal()
        with mock.patch.object(self.module, 'SLEEP', sleep), mock.patch.object(self.module, 'CLOCK', self.clock), \
                self.patch(args), contextlib.redirect_stdout(out):
            try:
                self.module.main()
            except SystemExit:
                pass
        total[0] += len(self.fake.journal)
        result = json.loads(out.getvalue())
        if result.get('failed'):
            raise RuntimeError(result['msg'])
        return result, polls, total[0]

    def last_finish(self, result, project):
        """The latest finished_at of every job of the tree in a module result."""
        stamps = []
        nodes = [(project, result['pipeline'])]
        while nodes:
            where, node = nodes.pop()
            for job in self.get('/projects/%s/pipelines/%d/jobs' % (str(where).replace('/', '%2F'), node['id'])):
                if job.get('finished_at'):
                    stamps.append(epoch(job['finished_at']))
            nodes.extend((child.get('project_id') or where, child) for child in node.get('downstream', ()))
        return max(stamps)

    def uri_loop(self, project, delay):
        """POST the pipeline, then GET it every ``delay`` s until final: ``(requests, return moment)``."""
        where = project.replace('/', '%2F')
        response = self.session.post(self.fake.api_url + '/projects/%s/pipeline' % where, json={'ref': 'main'}, timeout=30)
        response.raise_for_status()
        pipeline, sent = response.json(), 1
        while True:
            status = self.get('/projects/%s/pipelines/%d' % (where, pipeline['id']))['status']
            sent += 1
            if status in ('success', 'failed', 'canceled', 'skipped', 'manual'):
                return sent, self.clock(), pipeline['id']
            self.clock.sleep(delay)


def measure(args):  # pylint: disable=unused-argument
    """Run the trees part; returns its raw data."""
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    rows = {'per_poll': None, 'latency': [], 'single': []}
    with importable():
        from tests.fake_gitlab import FakeGitLab  # pylint: disable=import-outside-toplevel
        for duration in DURATIONS:
            clock = Clock()
            with FakeGitLab(seed=seed(duration)) as fake:
                fake.state.clock = clock
                bench = Bench(fake, clock)
                result, polls, total = bench.run_module(PROJECT, probe=(duration == 60))
                returned = clock()
                last = bench.last_finish(result, PROJECT)
                nodes = 1 + len(result['pipeline']['downstream'])
                rows['latency'].append({'duration': duration, 'pipelines': nodes, 'requests': total, 'latency': returned - last,
                                        'elapsed': returned - result_start(result, clock)})
                say('  tree of %d s: %d pipelines, %d requests, returned %.2f s after the last job finished' % (
                    duration, nodes, total, returned - last))
                if polls:
                    rows['per_poll'] = polls
                for delay in (CAP, FIRST):
                    begin = clock()
                    one, dummy, sent = bench.run_module(SINGLE)
                    ours_end = clock()
                    ours_last = bench.last_finish(one, SINGLE)
                    begin_uri = clock()
                    uri_sent, uri_end, uri_id = bench.uri_loop(SINGLE, delay)
                    uri_last = max(epoch(j['finished_at']) for j in bench.get('/projects/bench%%2Fsingle/pipelines/%d/jobs' % uri_id))
                    rows['single'].append({'duration': duration, 'delay': delay, 'ours_requests': sent, 'uri_requests': uri_sent,
                                           'ours_latency': ours_end - ours_last, 'uri_latency': uri_end - uri_last,
                                           'ours_elapsed': ours_end - begin, 'uri_elapsed': uri_end - begin_uri})
                    say('  one pipeline of %d s, uri delay %g s: ours %d requests (+%.2f s after its end), uri %d (+%.2f s)' % (
                        duration, delay, sent, ours_end - ours_last, uri_sent, uri_end - uri_last))
    return {'machine': machine(), 'meta': part_meta(started, load_before), 'rows': rows,
            'settings': {'poll_interval': FIRST, 'poll_interval_max': CAP, 'children': CHILDREN}}


def result_start(result, clock):  # pylint: disable=unused-argument
    created = result['pipeline'].get('created_at')
    return epoch(created) if created else clock()


def targets(data):
    rows = data['rows']
    latency = [row['latency'] for row in rows['latency']]
    met = all(value <= CAP + LATENCY_SLACK for value in latency)
    same = [row for row in rows['single'] if row['delay'] == CAP]
    requests_met = all(row['ours_requests'] <= row['uri_requests'] for row in same)
    later_met = all(row['ours_latency'] <= row['uri_latency'] + 1e-6 for row in same)
    polls = rows['per_poll'] or []
    # A poll reads (GET /pipelines/:id) only the pipelines still running after the poll before it.
    per_poll_met = all(poll[1] <= before[2] for before, poll in zip(polls, polls[1:])) if polls else None
    return [
        ('trees: end of a tree (5 s / 60 s / 10 min) noticed within the cap (%g s) + %.1f s' % (CAP, LATENCY_SLACK),
         ' / '.join('%.2f s' % value for value in latency), met, 'see section 7'),
        ('trees: a poll reads only the pipelines still running (1 parent + %d children)' % CHILDREN,
         'pipelines read / running before the poll: %s' % ', '.join(
             '%d/%d' % (poll[1], before[2]) for before, poll in zip(polls, polls[1:12])), per_poll_met,
         'see section 7'),
        ('trees: one pipeline, `state: run` + `wait` against a `uri` loop with `delay: %g`: no more requests' % CAP,
         ', '.join('%d s: %d vs %d' % (r['duration'], r['ours_requests'], r['uri_requests']) for r in same), requests_met,
         'the module also reads the ref\'s newest pipeline before starting one (for a lost answer), the new pipeline\'s jobs '
         'and trigger jobs after starting it and its jobs at the end, and polls more often than the cap before its interval '
         'reaches it'),
        ('trees: one pipeline, `state: run` + `wait` against a `uri` loop with `delay: %g`: no later return' % CAP,
         ', '.join('%d s: +%.2f vs +%.2f s' % (r['duration'], r['ours_latency'], r['uri_latency']) for r in same), later_met,
         'see section 7'),
    ]


def section(data, number):
    rows = data['rows']
    meta = data['meta']
    lines = [
        '## %d. Pipeline trees: requests per poll, end noticed, against a `uri` loop' % number,
        '',
        'Part `trees`, measured %s in %.0f s; raw results: `benchmarks/output/%s`.' % (meta['date'], meta['seconds'], data.get('raw_name')),
        '',
        '`gitlab_ci_job` `state: run` + `wait` (`poll_interval: %g`, `poll_interval_max: %g`) runs in-process against the' % (FIRST, CAP),
        'fake GitLab with one virtual clock for the fake\'s CI, the module\'s sleep and its clock: durations are exact, a',
        'request costs no time, and every figure is deterministic (one run each). The tree: a parent (`build`, 0.3 s)',
        'whose %d trigger jobs (no `strategy`) start child pipelines; child *i* runs one job of *i*/%d of the tree\'s duration.' % (
            CHILDREN, CHILDREN),
        '',
        '### %d.1 Requests per poll (tree of 60 s)' % number,
        '',
        'Each poll: the requests the module sent, and the pipelines of the tree still running after it (read apart). A',
        'running pipeline costs one `GET /pipelines/:id`; one whose status changed to an end also costs its jobs (and its',
        'trigger jobs when it has some); a new downstream pipeline costs its jobs and trigger jobs.',
        '',
        '| poll | requests | of which `GET /pipelines/:id` | pipelines running after it |',
        '|---|---|---|---|',
    ]
    for index, (sent, reads, running) in enumerate(rows['per_poll'] or [], 1):
        lines.append('| %d | %d | %d | %d |' % (index, sent, reads, running))
    lines += [
        '',
        'Row 1 is the start (the ref\'s newest pipeline, the POST, the new pipeline\'s jobs and trigger jobs); the first poll',
        'comes `poll_interval` later.',
        '',
        '### %d.2 From the last job finishing to the task returning' % number,
        '',
        '| tree runs | pipelines | requests in all | returned after the last job finished | target ≤ %.1f s |' % (CAP + LATENCY_SLACK),
        '|---|---|---|---|---|',
    ]
    for row in rows['latency']:
        verdict = 'met' if row['latency'] <= CAP + LATENCY_SLACK else '**missed**'
        lines.append('| %d s | %d | %d | %.2f s | %s |' % (row['duration'], row['pipelines'], row['requests'], row['latency'], verdict))
    lines += [
        '',
        '### %d.3 One pipeline: `state: run` + `wait` against a `uri`-style loop' % number,
        '',
        'The loop does what `ansible.builtin.uri` with `until`, `retries` and `delay` does: POST the pipeline, GET it at',
        'once, then every `delay` seconds until its status is final (success, failed, canceled, skipped or manual). The',
        'pipeline: build (40 %) then test (60 %) of the duration. Side by side on the same fake and clock.',
        '',
        '| pipeline runs | uri `delay` | requests: ours / uri | returned after its end: ours / uri |',
        '|---|---|---|---|',
    ]
    for row in rows['single']:
        lines.append('| %d s | %g s | %d / %d | %.2f s / %.2f s |' % (
            row['duration'], row['delay'], row['ours_requests'], row['uri_requests'], row['ours_latency'], row['uri_latency']))
    lines += ['', 'Times are virtual (the fake\'s and the module\'s clock); real request time is not in them.', '']
    return lines


if __name__ == '__main__':
    from _common import save_raw  # pylint: disable=import-outside-toplevel
    DATA = measure(None)
    save_raw('trees', DATA)
    print('\n'.join(section(DATA, 7)))
