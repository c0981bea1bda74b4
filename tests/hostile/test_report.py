"""The hostile section of reliability/RESULTS.md (reliability/write_results.py), from a synthetic report."""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = os.path.join(ROOT, 'reliability', 'write_results.py')

JUNIT = '''<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.hostile.test_hostile" name="test_case[cred-01]" time="0.1"/>
<testcase classname="tests.hostile.test_hostile" name="test_case[url-01]" time="0.1"><failure message="url-01: not refused">x</failure></testcase>
<testcase classname="tests.hostile.test_proxy" name="test_drip_sends_slowly" time="0.2"/>
</testsuite></testsuites>'''


def test_hostile_section_counts_per_class(tmp_path):
    entry = {'part': '7. hostile', 'check': 'hostile cases', 'mode': 'reduced', 'cases': 2, 'passed': 1, 'seconds': 3.5,
             'classes': {'url': {'passed': 0, 'total': 1}, 'credentials': {'passed': 1, 'total': 1}},
             'outcomes': [{'id': 'cred-01', 'class': 'credentials', 'title': 'a token | with a pipe', 'passed': True, 'problems': [], 'msg': ''},
                          {'id': 'url-01', 'class': 'url', 'title': 'artifact_path ..', 'passed': False, 'problems': ['not refused'], 'msg': ''}]}
    report, junit, out = tmp_path / 'r.jsonl', tmp_path / 'j.xml', tmp_path / 'RESULTS.md'
    report.write_text(json.dumps(entry) + '\n', encoding='utf-8')
    junit.write_text(JUNIT, encoding='utf-8')
    proc = subprocess.run([sys.executable, SCRIPT, '--report', str(report), '--junit', str(junit), '--seconds', '5', '--out', str(out)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding='utf-8')
    assert '| 7. Hostile answers, values and host (tests/hostile) | 1/2 cases passed (credentials 1/1, url 0/1) | **FAILED** (1 of 3 tests) |' in text
    assert '## 7. Hostile answers, values and host (tests/hostile)' in text
    section = text.split('## 7.')[1]
    assert section.index('| credentials | 1 / 1 |') < section.index('| url | 0 / 1 |')
    assert '| cred-01 | credentials | a token \\| with a pipe | passed |' in section
    assert '| url-01 | url | artifact_path .. | **failed**: not refused |' in section
    assert '1 hostile cases failed: see section 7.' in text
