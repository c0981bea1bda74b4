#!/usr/bin/env bash
# ansible-test sanity on a copy of the checkout laid out as ansible_collections/cicd/gitlab
# (ansible-test only runs from such a path), with no ignore entries:
#   1. every sanity test on the controller's Python;
#   2. compile and import on every Python the modules claim on the managed host (3.9 to 3.13,
#      tests/config.yml), so that syntax or an import an old target cannot run fails here.
# Usage: tools/sanity.sh [--tree DIR] [--pythons "3.9 3.10"] [ansible-test sanity options...]
#   --tree DIR      test DIR (an installed collection) instead of a copy of the checkout
#   --pythons LIST  the target Pythons of step 2 (default: 3.9 3.10 3.11 3.12 3.13; "" skips it)
# A target Python that is not on the machine fails the run when CICD_REQUIRE_PYTHONS=1 (.ci/run
# sets it) and is skipped with a warning otherwise.
set -euo pipefail
# shellcheck source=tools/_common.sh
source "$(dirname "$0")/_common.sh"
tree=
pythons="3.9 3.10 3.11 3.12 3.13"
while [ $# -gt 0 ]; do
    case "$1" in
        --tree) tree=$2; shift 2 ;;
        --pythons) pythons=$2; shift 2 ;;
        *) break ;;
    esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$tree" ]; then
    tree="$work/ansible_collections/cicd/gitlab"
    mkdir -p "$tree"
    (cd "$ROOT" && git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$tree"
fi
if ls "$tree"/tests/sanity/ignore-*.txt >/dev/null 2>&1; then
    echo "tests/sanity/ignore-*.txt must not exist: fix the code instead" >&2
    exit 1
fi

# ansible-test bootstraps pip in its venvs with a get-pip script that it downloads from
# ci-files.testing.ansible.com, which these machines cannot reach; .ci/get_pip_shim.py installs
# pip from the interpreter's ensurepip and PyPI instead. The script's name carries the pip
# version that this ansible-test pins (ansible_test/_internal/python_requirements.py).
ansible_test_dir=$(python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
mkdir -p "$HOME/.ansible/test/cache"
while read -r version; do
    cp "$ROOT/.ci/get_pip_shim.py" "$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
done < <(grep -ohE "pip='[0-9.]+'" "$ansible_test_dir/_internal/python_requirements.py" | grep -oE "[0-9.]+" | sort -u)

# ansible-test's delegated process drops PYENV_VERSION, so pyenv shims do not work for it:
# put each target Python's own bin directory on PATH.
controller=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
targets=()
for version in $pythons; do
    [ "$version" = "$controller" ] && continue
    if python_path=$("$ROOT/tools/find_python.sh" "$version" 2>/dev/null); then
        PATH="$PATH:$(dirname "$python_path")"
        targets+=("$version")
    elif [ "${CICD_REQUIRE_PYTHONS:-}" = 1 ]; then
        "$ROOT/tools/find_python.sh" "$version" >/dev/null
        exit 1
    else
        echo "warning: Python $version not found; sanity does not check the modules on it" >&2
    fi
done
export PATH

cd "$tree"
ansible-test sanity --python "$controller" --venv --color no "$@"
for version in "${targets[@]}"; do
    ansible-test sanity --python "$version" --venv --color no --test compile --test import "$@"
done
