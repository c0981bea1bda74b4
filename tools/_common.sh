# shellcheck shell=bash
# Shared by the tools/*.sh scripts (sourced, not run).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
BIN=$VENV/bin
export PATH="$BIN:$PATH"
# Interpreter discovery can pick a broken pyenv shim; pin the venv's Python for localhost.
export ANSIBLE_PYTHON_INTERPRETER="$BIN/python"
export ANSIBLE_NOCOLOR=1

# A temporary ansible_collections/cicd/gitlab tree that links to this checkout.
link_tree() {
    local tree
    tree=$(mktemp -d)
    mkdir -p "$tree/ansible_collections/cicd"
    ln -s "$ROOT" "$tree/ansible_collections/cicd/gitlab"
    echo "$tree"
}
