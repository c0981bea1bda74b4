#!/usr/bin/env bash
# make bench: benchmarks of gitlab_ci_job (artifact download memory and throughput against curl,
# wait latency) against the bundled fake GitLab; writes benchmarks/RESULTS.md and raw samples to
# benchmarks/output/ (git-ignored). Options go to benchmarks/bench_artifacts.py (--help).
set -euo pipefail
# shellcheck source=tools/_common.sh
source "$(dirname "$0")/_common.sh"
cd "$ROOT"
exec "$BIN/python" benchmarks/bench_artifacts.py "$@"
