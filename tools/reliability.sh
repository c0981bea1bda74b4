#!/usr/bin/env bash
# make reliability: the full reliability suite and the hostile suite (tests/hostile: a misbehaving
# proxy, hostile values and host) against the bundled fake GitLab, then the whole
# integration suite at -vvv with diff mode (every run's output scanned for secrets by its harness);
# writes reliability/RESULTS.md. A reduced version of tests/reliability runs in make test.
# Exits non-zero when a reliability test failed or a secret leaked unexplained (RESULTS.md is
# written either way).
set -uo pipefail
# shellcheck source=tools/_common.sh
source "$(dirname "$0")/_common.sh"
cd "$ROOT" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

export CICD_RELIABILITY_FULL=1
export CICD_RELIABILITY_REPORT="$work/report.jsonl"
echo "== tests/reliability (full counts) and tests/hostile"
"$BIN/python" -m pytest -q -ra -p no:cacheprovider tests/reliability tests/hostile --junitxml="$work/reliability.xml" "$@"
reliability_rc=$?

echo "== tests/integration with ANSIBLE_VERBOSITY=3 ANSIBLE_DIFF_ALWAYS=1 (secret scan of every output)"
ANSIBLE_VERBOSITY=3 ANSIBLE_DIFF_ALWAYS=1 "$BIN/python" -m pytest -q -ra -p no:cacheprovider tests/integration \
    --junitxml="$work/integration-vvv.xml"
integration_rc=$?

# Exits non-zero on an integration leak RESULTS.md cannot explain (some integration tests fail at
# -vvv for known reasons, listed there with their cause).
"$BIN/python" reliability/write_results.py --report "$work/report.jsonl" --junit "$work/reliability.xml" \
    --integration-junit "$work/integration-vvv.xml" --seconds "$(($(date +%s) - started))" --out reliability/RESULTS.md
results_rc=$?
echo "wrote reliability/RESULTS.md (integration suite at -vvv: rc $integration_rc, see RESULTS.md)"
if [ "$reliability_rc" -ne 0 ] || [ "$results_rc" -ne 0 ]; then
    echo "make reliability: FAILED (tests/reliability and tests/hostile rc $reliability_rc, unexplained leaks rc $results_rc); see reliability/RESULTS.md" >&2
    exit 1
fi
echo "make reliability: all checks passed"
