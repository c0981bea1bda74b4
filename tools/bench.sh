#!/usr/bin/env bash
# make bench: benchmarks against the bundled fake GitLab (variables against community.general,
# per-task overhead, artifact downloads against curl, a 200 MiB job log, wait latency, plots);
# writes benchmarks/RESULTS.md, benchmarks/memory.png and benchmarks/requests.png, raw samples and
# the benchmark virtualenvs to benchmarks/output/ (git-ignored). Options go to benchmarks/bench.py
# (--help), e.g. tools/bench.sh --only variables.
set -euo pipefail
# shellcheck source=tools/_common.sh
source "$(dirname "$0")/_common.sh"
cd "$ROOT"
exec "$BIN/python" benchmarks/bench.py "$@"
