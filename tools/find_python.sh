#!/usr/bin/env bash
# Print the path of a Python that can run the development toolchain (ansible-core 2.21 needs
# Python 3.12, 3.13 or 3.14 on the controller), or say what to install and exit 1.
#   tools/find_python.sh            a controller Python for the pinned ansible-core
#   tools/find_python.sh 3.9        that exact Python version (used for the matrix and sanity)
# $PYTHON, when set, must fit. Then python3 and python3.1x on PATH, then pyenv's versions.
# Each candidate is run, because a pyenv shim for a version that is not active exists but fails.
set -uo pipefail
want=${1:-}

fits() {
    local version
    version=$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || return 1
    if [ -n "$want" ]; then
        [ "$version" = "$want" ]
    else
        case "$version" in 3.12|3.13|3.14) return 0 ;; *) return 1 ;; esac
    fi
}

if [ -n "${PYTHON:-}" ]; then
    if path=$(command -v "$PYTHON" 2>/dev/null) && fits "$path"; then
        "$path" -c 'import sys; print(sys.executable)'
        exit 0
    fi
    echo "PYTHON=$PYTHON does not run as Python ${want:-3.12, 3.13 or 3.14}; unset it or name another." >&2
    exit 1
fi
candidates=()
if [ -n "$want" ]; then
    candidates+=("python$want")
else
    candidates+=(python3 python3.13 python3.12 python3.14)
fi
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
command -v pyenv >/dev/null 2>&1 && pyenv_root=$(pyenv root)
while read -r dir; do
    [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
done < <(printf '%s\n' "$pyenv_root"/versions/3.* | sort -rV)

for candidate in "${candidates[@]}"; do
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if fits "$path"; then
        # A pyenv shim resolves to the real interpreter; print that, it is what a venv should use.
        "$path" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done

if [ -n "$want" ]; then
    echo "Python $want was not found (looked at \$PYTHON, python$want on PATH and $pyenv_root/versions)." >&2
    echo "Install it, e.g. 'pyenv install $want', or your system's python$want package." >&2
else
    cat >&2 <<'MSG'
The development tools (ansible-core 2.21, ansible-lint) need Python 3.12, 3.13 or 3.14, and none
was found (looked at $PYTHON, python3, python3.12/3.13/3.14 on PATH and pyenv's versions).
Install one, then run the command again:
  Ubuntu 24.04 / Debian 13:  sudo apt install python3 python3-venv      (3.12 / 3.13)
  Debian 12, Ubuntu 22.04:   pyenv install 3.13   (https://github.com/pyenv/pyenv)
  Fedora / RHEL 10:          sudo dnf install python3                   (3.12+)
  macOS:                     brew install python@3.13
or name one explicitly:      make test PYTHON=/path/to/python3.12
MSG
fi
exit 1
