#!/usr/bin/env bash
# make venv: the development virtualenv (.venv) with the pinned tests/requirements-dev.txt, on a
# Python that ansible-core 2.21 supports as a controller (tools/find_python.sh finds one).
# A .venv left from an older Python is rebuilt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
if [ -x "$VENV/bin/python" ] && ! PYTHON="$VENV/bin/python" "$ROOT/tools/find_python.sh" >/dev/null 2>&1; then
    echo "$VENV runs $("$VENV/bin/python" -V 2>&1); rebuilding it on a newer Python"
    rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
    python=$("$ROOT/tools/find_python.sh")
    echo "creating $VENV with $python ($("$python" -V 2>&1))"
    "$python" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/tests/requirements-dev.txt"
touch "$VENV/.requirements-installed"
