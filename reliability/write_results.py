"""Write reliability/RESULTS.md from one run of the reliability suite (called by tools/reliability.sh).

Inputs: the JSON lines the tests of tests/reliability and tests/hostile append to $CICD_RELIABILITY_REPORT (what ran,
counts, outcomes), the JUnit XML of that pytest run (which tests passed, with their failure messages)
and, optionally, the JUnit XML of the integration suite run at -vvv with diff mode.

    python reliability/write_results.py --report R.jsonl --junit reliability.xml [--integration-junit it.xml]
        --seconds 312 --out reliability/RESULTS.md
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

PARTS = [
    ('1. faults', 'test_faults', 'Transient faults on 20 % of requests'),
    ('2. downloads', 'test_downloads', 'Interrupted downloads'),
    ('3. secrets', 'test_secrets', 'Secrets in -vvv and diff output'),
    ('4. bad input', 'test_bad_input', 'Bad input to the modules and roles'),
    ('5. concurrency', 'test_concurrency', 'Concurrent runs (forks)'),
    ('6. TLS', 'test_tls', 'TLS with a self-signed certificate'),
    ('7. hostile', ('test_hostile', 'test_proxy'), 'Hostile answers, values and host (tests/hostile)'),
]
HOSTILE_CLASSES = ('credentials', 'url', 'answers', 'lost', 'files', 'values', 'options', 'messages')

# Why a reliability test fails, once understood: {test name (with or without its parameters): cause},
# shown under a failed test. Empty while every test passes; the bugs this suite found (creates not
# sent again after a lost answer, REQUESTS_CA_BUNDLE overriding ca_path) are fixed.
KNOWN_CAUSES = {}

# Integration tests known to fail at -vvv, and why (shown only when they fail). A leak in any other
# integration test makes write_results.py exit non-zero.
INTEGRATION_CAUSES = {
    ('test_trigger_playbooks', 'test_'): (
        'gitlab_ci_trigger/trigger.yml registers the module\'s result without no_log, on purpose (the tests read the '
        'token); at -v and above ansible-playbook prints every task result, the returned trigger token included. This '
        'is the documented contract (README: put no_log: true on a task that registers the token); a module cannot '
        'hide a value it returns. Every playbook here that registers a token with no_log showed none.'),
    ('test_lost_answers_playbooks', 'test_a_trigger_create'): (
        'the same playbook as test_trigger_playbooks (gitlab_ci_trigger/trigger.yml registers the result without no_log '
        'so the test can read the adopted token): at -v and above ansible-playbook prints the returned trigger token.'),
    ('test_lost_answers_playbooks', 'test_a_rotation'): (
        'the same playbook as test_trigger_playbooks (gitlab_ci_trigger/trigger.yml registers the result without no_log '
        'so the test can read the new token): at -v and above ansible-playbook prints the returned trigger token.'),
    ('test_awx', 'test_demo_job_runs_through_ansible_runner_like_awx'): (
        'a verbosity artefact: the test expects the first ansible-runner event to be playbook_on_start, and at -vvv '
        'runner emits verbose events first; no secret is involved.'),
    ('test_roles', 'test_role_documentation_renders'): (
        'a verbosity artefact: ansible-doc prints lines before its JSON at ANSIBLE_VERBOSITY=3 and the test parses its '
        'stdout as JSON; no secret is involved.'),
}


def integration_cause(case):
    for (test_file, prefix), cause in INTEGRATION_CAUSES.items():
        if case['file'] == test_file and case['name'].startswith(prefix):
            return cause
    return None


def unexplained_leaks(integration):
    """Integration tests that failed on a leaked secret without a known cause."""
    return [c for c in integration if c['outcome'] in ('failed', 'error') and 'leaked' in c['message'] and integration_cause(c) is None]


def machine():
    """CPU, cores, RAM, OS and versions, as a list of (label, value)."""
    cpu = 'unknown'
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            found = re.search(r'^model name\s*:\s*(.+)$', handle.read(), re.M)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    ram = 'unknown'
    try:
        with open('/proc/meminfo', encoding='utf-8') as handle:
            found = re.search(r'^MemTotal:\s*(\d+) kB', handle.read(), re.M)
        ram = '%.1f GiB' % (int(found.group(1)) / 1024 / 1024) if found else ram
    except OSError:
        pass
    versions = []
    for name in ('ansible-core', 'requests'):
        try:
            versions.append((name, _version(name)))
        except Exception:  # pylint: disable=broad-except
            # Justified: a missing package only leaves a gap in the table.
            versions.append((name, 'unknown'))
    openssl = subprocess.run(['openssl', 'version'], capture_output=True, text=True, check=False).stdout.strip() or 'not installed'
    return [('CPU', '%s, %s cores' % (cpu, os.cpu_count())), ('RAM', ram), ('OS', platform.platform()),
            ('Python', platform.python_version())] + versions + [('openssl', openssl),
                                                                 ('load average (1 min) at the end', '%.2f' % os.getloadavg()[0])]


def _version(name):
    from importlib.metadata import version  # pylint: disable=import-outside-toplevel
    return version(name)


def read_report(path):
    entries = []
    if path and os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            entries = [json.loads(line) for line in handle if line.strip()]
    return entries


def read_junit(path):
    """``[{file, name, seconds, outcome, message}]`` from a JUnit XML file (empty when missing)."""
    if not path or not os.path.exists(path):
        return []
    cases = []
    for case in ET.parse(path).getroot().iter('testcase'):
        outcome, message = 'passed', ''
        for kind in ('failure', 'error', 'skipped'):
            node = case.find(kind)
            if node is not None:
                outcome = {'failure': 'failed', 'error': 'error', 'skipped': 'skipped'}[kind]
                message = (node.get('message') or node.text or '').strip()
                break
        cases.append({'file': case.get('classname', '').rsplit('.', 1)[-1], 'name': case.get('name'),
                      'seconds': float(case.get('time') or 0), 'outcome': outcome, 'message': message})
    return cases


def first_line(text, limit=300):
    line = next((line.strip() for line in text.splitlines() if line.strip()), '')
    return line if len(line) <= limit else line[:limit] + ' ...'


def cell(text):
    return str(text).replace('|', '\\|').replace('\n', ' ')


# ---- one section per part ----------------------------------------------------------------------------------


def faults_section(entries):
    lines = []
    for entry in entries:
        if entry['check'] == 'variables converge':
            faulted = entry.get('faulted', 'every request')
            lines += ['### %d variables with purge converge (faults on %s)' % (entry['variables'], faulted),
                      '',
                      '%(converged)d of %(runs)d runs converged (%(variables)d variables with purge, %(fault_rate_pct)s of %(which)s faulted), '
                      'in %(seconds)s s.' % dict(entry, fault_rate_pct='%d %%' % (entry['fault_rate'] * 100),
                                                 which='requests' if faulted == 'every request' else 'GET, PUT and DELETE requests'),
                      'Each run: a fresh fake; the project starts with 10 unrelated variables, 5 declared keys with stale values and '
                      'a declared key in an unlisted scope; the fault seed is the run number; `api_retries: 10`. Converged = the '
                      'task succeeded, the server holds exactly the declared set (keys, scopes, values, attributes), and a second '
                      'run without faults reports `ok` with no write.',
                      '',
                      '| run | task | requests | faults injected (429 / 502 / 503 / reset) | seconds | converged | re-run | problem |',
                      '|---|---|---|---|---|---|---|---|']
            for run in entry['outcomes']:
                hits = run['faults']
                lines.append('| %s | %s | %s | %s (%s / %s / %s / %s) | %s | %s | %s | %s |' % (
                    run['run'], run['status'], run['requests'], run['faulted'], hits.get('429', 0), hits.get('502', 0), hits.get('503', 0),
                    hits.get('reset', 0), run['seconds'], 'yes' if run['converged'] else '**no**',
                    '%s, %s writes' % (run['rerun_status'], run['rerun_writes']) if 'rerun_status' in run else '-',
                    cell(first_line(run['msg'], 160) or '; '.join(run['problems'][:2]) or '')))
            lines.append('')
        elif entry['check'] == 'one pipeline per task':
            lines += ['### `state: run` never starts two pipelines for one task',
                      '',
                      '%(tasks)d tasks (%(rounds)d per fault kind), at most %(most_pipelines_per_task)d pipeline per task, in %(seconds)s s. '
                      'A fault on `POST .../pipeline` per task, and 20 %% of the reads faulted in the background; pipelines counted '
                      'on the server after each task.' % entry,
                      '',
                      '| fault on the POST | tasks | outcomes | pipelines per task | POSTs per task |',
                      '|---|---|---|---|---|']
            for case in entry['cases']:
                tasks = case['tasks']
                lines.append('| %s | %d | %s | %s | %s |' % (
                    case['fault'], len(tasks), ', '.join(sorted({t['status'] for t in tasks})),
                    ', '.join(sorted({str(t['created']) for t in tasks})), ', '.join(sorted({str(t['posts']) for t in tasks}))))
            failed = [t for case in entry['cases'] for t in case['tasks'] if t['status'] == 'failed']
            if failed:
                lines += ['', 'Example failure messages:', '']
                for message in sorted({first_line(t['msg'], 200) for t in failed})[:4]:
                    lines.append('- `%s`' % message.replace('`', "'"))
            lines.append('')
        elif entry['check'] == 'retry budget exhausted':
            lines += ['### Failures that outlast the retry budget',
                      '',
                      '%(clear)d of %(cases)d tasks with `api_retries: 1` and every matching request faulted failed with a message '
                      'naming the status or cause (and no traceback), in %(seconds)s s.' % entry,
                      '',
                      '| case | task | message |',
                      '|---|---|---|']
            for outcome in entry['outcomes']:
                lines.append('| %s | %s | %s |' % (outcome['case'], outcome['status'], cell(first_line(outcome['msg'], 220))))
            lines.append('')
    return lines


def downloads_section(entries):
    lines = []
    for entry in entries:
        lines += ['%(downloads)d downloads cut at random points: %(complete)d complete, %(untouched)d untouched, %(partial)d partial; '
                  'files left behind: %(leftover_count)d; in %(seconds)s s.' % dict(entry, leftover_count=len(entry['leftovers'])),
                  'Kinds in turn: the whole artifacts archive, one file of it (`artifact_path`), the job log (`log_dest`); every other '
                  'destination held an older file. The cut point (`drop_at`) is a seeded random fraction of the body or number of '
                  'bytes; a point at or past the end leaves the answer whole. Only the first answer of each task is cut: '
                  'tasks with retries (the default `api_retries`; %s of them) must fetch it again and complete, the others '
                  '(`api_retries: 0`) must fail and leave the destination as it was.' % entry.get('retried', 'none'),
                  '',
                  '| # | kind | cut at | older file | retries | task | destination after |',
                  '|---|---|---|---|---|---|---|']
        for outcome in entry['outcomes']:
            cut = outcome['drop_at']
            lines.append('| %s | %s | %s | %s | %s | %s | %s |' % (
                outcome['index'], outcome['kind'], ('%.3f of the body' % cut) if isinstance(cut, float) else '%s bytes' % cut,
                'yes' if outcome['older_file'] else 'no', 'yes' if outcome.get('retries') else 'no', outcome['task'], outcome['outcome']))
        lines.append('')
    return lines


def secrets_section(entries, integration):
    lines = []
    for entry in entries:
        lines += ['%(runs)d playbook runs at `-vvv --diff`: %(bytes_scanned)d bytes of stdout, stderr and recorded results scanned for '
                  '%(secrets)d secrets (every token the fake knows, every masked or hidden value it stores, every value the tests '
                  'registered): **%(hits)d hits**; in %(seconds)s s.' % entry,
                  '',
                  'Playbooks: ' + '; '.join(entry['playbooks']) + '.',
                  '']
    if integration:
        total = len(integration)
        failed = [c for c in integration if c['outcome'] in ('failed', 'error')]
        skipped = sum(c['outcome'] == 'skipped' for c in integration)
        leaks = [c for c in failed if 'leaked' in c['message']]
        lines += ['The whole integration suite (`tests/integration`) with `ANSIBLE_VERBOSITY=3 ANSIBLE_DIFF_ALWAYS=1`: %d tests, %d passed, '
                  '%d skipped, %d failed; **%d failed on a leaked secret**; in %.0f s. Its harness scans every run\'s output for the '
                  'registered secrets and every token the fake knows.' % (
                      total, total - len(failed) - skipped, skipped, len(failed), len(leaks), sum(c['seconds'] for c in integration)),
                  '']
        for case in failed:
            cause = integration_cause(case)
            lines.append('- %s::%s: %s%s' % (case['file'], case['name'], cell(first_line(case['message'], 250)),
                                             ('\n  Cause: ' + cause) if cause else '\n  Cause: **not understood; look into it**'))
        if failed:
            lines.append('')
    return lines


def bad_input_section(entries):
    lines = []
    for entry in entries:
        lines += ['%(cases)d cases (%(module_cases)d module, %(role_cases)d role): %(clear)d refused with a clear message naming the problem '
                  'and no traceback; writes accepted by GitLab: %(accepted_writes)d (%(attempted_writes)d requests GitLab itself refused); '
                  'in %(seconds)s s. The module tables of the integration tests hold %(table_cases_available)d cases.' % entry,
                  '',
                  '| case | target | refused by | message (first line) |',
                  '|---|---|---|---|']
        for outcome in entry['outcomes']:
            lines.append('| %s | %s | %s | %s%s |' % (
                cell(outcome['case']), outcome['target'].replace('cicd.gitlab.', ''), cell(outcome['failed_task'] or '-'),
                cell(first_line(outcome['msg'], 160)), (' **%s**' % outcome['problem']) if outcome['problem'] else ''))
        lines.append('')
    return lines


def hostile_section(entries):
    """Counts per class, then every case with its first problem."""
    lines = []
    for entry in entries:
        classes = entry['classes']
        lines += ['%(passed)d of %(cases)d hostile cases passed, in %(seconds)s s (two playbooks at -vvv in parallel, each against its own fake '
                  'GitLab behind the misbehaving proxy of tests/hostile/proxy.py). Every case asserts its message, no traceback, no write on '
                  'GitLab (the fake\'s journal) unless the case is about a write, no change on the host (its directory\'s listing) unless it '
                  'is about a file, and no secret in any form (raw, repr-escaped, JSON-escaped, URL-encoded) in stdout, stderr or the recorded '
                  'results.' % entry,
                  '',
                  '| class | passed / total |',
                  '|---|---|']
        for name in sorted(classes, key=lambda c: HOSTILE_CLASSES.index(c) if c in HOSTILE_CLASSES else len(HOSTILE_CLASSES)):
            lines.append('| %s | %d / %d |' % (name, classes[name]['passed'], classes[name]['total']))
        lines += ['', '| case | class | what | result |', '|---|---|---|---|']
        for outcome in entry['outcomes']:
            result = 'passed' if outcome['passed'] else '**failed**: %s' % cell(first_line('; '.join(outcome['problems']), 200))
            lines.append('| %s | %s | %s | %s |' % (outcome['id'], outcome['class'], cell(outcome['title']), result))
        lines.append('')
    return lines


def concurrency_section(entries):
    lines = []
    for entry in entries:
        lines += ['%(converged)d of %(rounds)d rounds converged: %(hosts)d hosts (forks) declaring the same %(variables)d variables with '
                  'purge on one project at once; every task succeeded and the server held exactly the declared set; in %(seconds)s s. '
                  'Each round changes values and swaps three keys.' % entry,
                  '',
                  '| round | tasks ok | reported changed | creates (201) | "has already been taken" (400) | purge 404s | exact |',
                  '|---|---|---|---|---|---|---|']
        for outcome in entry['outcomes']:
            lines.append('| %(round)s | %(succeeded)s / %(hosts)s | %(changed)s | %(creates)s | %(taken_answers)s | %(deletes_404)s | %(shown)s |' % dict(
                outcome, shown='yes' if outcome['exact'] else '**no**'))
        lines.append('')
    return lines


def tls_section(entries):
    lines = ['The fake serves HTTPS with a one-day self-signed certificate for 127.0.0.1 made with openssl at test time. '
             'Status `ignored` is a failure the play tolerated (`ignore_errors`): expected for "Refuse the self-signed '
             'certificate", a failure anywhere else.', ''] if entries else []
    for entry in entries:
        lines += ['%s (%s s):' % (entry['check'], entry['seconds']), '', '| task | status | message |', '|---|---|---|']
        for name, (status, msg) in entry['outcomes'].items():
            lines.append('| %s | %s | %s |' % (name, status, cell(first_line(msg, 200))))
        lines.append('')
    return lines


# ---- the document ------------------------------------------------------------------------------------------


def summary_line(part, entries, tests):
    """Verdict and one-line result of a part."""
    failed = [t for t in tests if t['outcome'] in ('failed', 'error')]
    if not tests:
        verdict = 'not run'
    elif failed:
        verdict = '**FAILED** (%d of %d tests)' % (len(failed), len(tests))
    else:
        verdict = 'passed'
    facts = []
    for entry in entries:
        if entry['check'] == 'variables converge':
            facts.append('%d/%d runs converged (faults on %s)' % (entry['converged'], entry['runs'], entry.get('faulted', 'every request')))
        elif entry['check'] == 'one pipeline per task':
            facts.append('%d tasks, at most %d pipeline per task' % (entry['tasks'], entry['most_pipelines_per_task']))
        elif entry['check'] == 'retry budget exhausted':
            facts.append('%d/%d clear failures' % (entry['clear'], entry['cases']))
        elif entry['check'] == 'interrupted downloads':
            facts.append('%d downloads (%s with retries): %d complete, %d untouched, %d partial, %d leftovers' % (
                entry['downloads'], entry.get('retried', 'none'), entry['complete'], entry['untouched'], entry['partial'], len(entry['leftovers'])))
        elif entry['check'] == 'playbooks at -vvv with --diff':
            facts.append('%d runs, %d bytes, %d hits' % (entry['runs'], entry['bytes_scanned'], entry['hits']))
        elif entry['check'] == 'refused clearly, no writes':
            facts.append('%d/%d cases clear, %d writes' % (entry['clear'], entry['cases'], entry['accepted_writes']))
        elif entry['check'] == 'hostile cases':
            facts.append('%d/%d cases passed (%s)' % (entry['passed'], entry['cases'], ', '.join(
                '%s %d/%d' % (name, counts['passed'], counts['total']) for name, counts in sorted(entry['classes'].items()))))
        elif entry['check'] == 'forks converge':
            facts.append('%d/%d rounds exact' % (entry['converged'], entry['rounds']))
        elif part == '6. TLS':
            statuses = [status for status, dummy_msg in entry['outcomes'].values()]
            facts.append('%s: %s' % (entry['check'], ', '.join('%d %s' % (statuses.count(s), s) for s in sorted(set(statuses)))))
    return verdict, '; '.join(facts) or '-'


def render(args):
    entries = read_report(args.report)
    tests = read_junit(args.junit)
    integration = read_junit(args.integration_junit)
    mode = entries[0]['mode'] if entries else 'unknown'
    now = datetime.datetime.now().strftime('%Y-%m-%d %H:%M')
    lines = ['# Reliability: faults, cut downloads, secrets at -vvv, bad input, concurrency, TLS, hostile cases',
             '',
             'Generated by `make reliability` (`tools/reliability.sh`) on %s, in %d s (%s run). Everything runs against the '
             'bundled fake GitLab (`tests/fake_gitlab`) on 127.0.0.1 with real `ansible-playbook` runs of the collection.' % (
                 now, args.seconds, mode),
             'Reproduce with `make reliability`; a reduced version of every part runs in `make test` '
             '(`pytest tests/reliability`; `CICD_RELIABILITY_FULL=1` raises the counts).',
             '',
             '## Machine',
             '',
             '| | |',
             '|---|---|']
    lines += ['| %s | %s |' % item for item in machine()]
    lines += ['', '## Summary', '', '| part | result | verdict | time (s) |', '|---|---|---|---|']
    by_part = {}
    for part, test_file, title in PARTS:
        part_entries = [e for e in entries if e['part'] == part]
        part_tests = [t for t in tests if t['file'] in (test_file if isinstance(test_file, tuple) else (test_file,))]
        by_part[part] = (part_entries, part_tests)
        verdict, facts = summary_line(part, part_entries, part_tests)
        lines.append('| %s %s | %s | %s | %.0f |' % (part.split('.', maxsplit=1)[0] + '.', title, facts, verdict, sum(t['seconds'] for t in part_tests)))
    if integration:
        failed = [c for c in integration if c['outcome'] in ('failed', 'error')]
        unexplained = [c for c in failed if integration_cause(c) is None]
        if not failed:
            verdict = 'passed'
        elif unexplained:
            verdict = '**FAILED** (%d not understood)' % len(unexplained)
        else:
            verdict = '%d failed, every one understood (see section 3)' % len(failed)
        lines.append('| 3. integration suite at -vvv + diff | %d tests, %d failed, %d on a leak (%d unexplained) | %s | %.0f |' % (
            len(integration), len(failed), sum('leaked' in c['message'] for c in failed), len(unexplained_leaks(integration)),
            verdict, sum(c['seconds'] for c in integration)))
    failures = [t for t in tests if t['outcome'] in ('failed', 'error')]
    hostile_failures = [t for t in failures if t['file'] == 'test_hostile' and t['name'].startswith('test_case[')]
    failures = [t for t in failures if t not in hostile_failures]
    lines += ['']
    if hostile_failures:
        lines += ['%d hostile cases failed: see section 7.' % len(hostile_failures), '']
    if failures:
        lines += ['## What failed, and why', '']
        for test in failures:
            lines.append('- **%s::%s**: %s' % (test['file'], test['name'], cell(first_line(test['message'], 400))))
            cause = next((text for name, text in KNOWN_CAUSES.items() if name in (test['name'], test['name'].split('[')[0])), None)
            if cause:
                lines.append('  Cause: %s' % cause)
        lines.append('')
    elif not hostile_failures:
        lines += ['Every reliability test passed.', '']
    sections = {'1. faults': faults_section, '2. downloads': downloads_section, '4. bad input': bad_input_section,
                '5. concurrency': concurrency_section, '6. TLS': tls_section, '7. hostile': hostile_section}
    for part, dummy_file, title in PARTS:
        part_entries, part_tests = by_part[part]
        lines += ['## %s %s' % (part.split('.', maxsplit=1)[0] + '.', title), '']
        if part == '3. secrets':
            lines += secrets_section(part_entries, integration)
        else:
            lines += sections[part](part_entries)
        if not part_entries:
            lines += ['No results were recorded for this part (see the failures above).', '']
    return '\n'.join(lines).rstrip('\n') + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description='Write reliability/RESULTS.md from a reliability run.')
    parser.add_argument('--report', required=True, help='JSON lines written by the tests (CICD_RELIABILITY_REPORT)')
    parser.add_argument('--junit', required=True, help='JUnit XML of pytest tests/reliability tests/hostile')
    parser.add_argument('--integration-junit', help='JUnit XML of the integration suite at -vvv with diff')
    parser.add_argument('--seconds', type=float, default=0, help='wall time of the whole run')
    parser.add_argument('--out', required=True, help='the Markdown file to write')
    args = parser.parse_args(argv)
    text = render(args)
    with open(args.out, 'w', encoding='utf-8') as handle:
        handle.write(text)
    leaks = unexplained_leaks(read_junit(args.integration_junit))
    for case in leaks:
        sys.stderr.write('unexplained leak at -vvv: %s::%s\n' % (case['file'], case['name']))
    return 3 if leaks else 0


if __name__ == '__main__':
    sys.exit(main())
