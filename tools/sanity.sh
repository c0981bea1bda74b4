#!/usr/bin/env bash
# ansible-test sanity on a copy of the checkout laid out as ansible_collections/cicd/gitlab
# (ansible-test only runs from such a path), with no ignore entries.
set -euo pipefail
# shellcheck source=tools/_common.sh
source "$(dirname "$0")/_common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/cicd/gitlab"
mkdir -p "$dest"
(cd "$ROOT" && git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$dest"
if ls "$dest"/tests/sanity/ignore-*.txt >/dev/null 2>&1; then
    echo "tests/sanity/ignore-*.txt must not exist: fix the code instead" >&2
    exit 1
fi
# ansible-test downloads a pip bootstrap script from a host that is unreachable here; the
# stand-in installs pip from the interpreter's ensurepip and PyPI (toolchain.md 2.4).
mkdir -p "$HOME/.ansible/test/cache"
for name in get_pip_24_2.py get_pip_23_1_2.py; do
    cp "$ROOT/.ci/get_pip_shim.py" "$HOME/.ansible/test/cache/$name"
done
cd "$dest"
ansible-test sanity --python 3.11 --venv --color no "$@"
