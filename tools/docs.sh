#!/usr/bin/env bash
# Build the collection tarball, install it, and render every module's documentation.
set -euo pipefail
# shellcheck source=tools/_common.sh
source "$(dirname "$0")/_common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$ROOT"
ansible-galaxy collection build --force --output-path "$work/dist" >/dev/null
tarball=$(ls "$work"/dist/cicd-gitlab-*.tar.gz)
# The tarball must hold the collection and none of the build or test litter.
if tar -tzf "$tarball" | grep -E '(^|/)(\.venv|\.ansible|\.pytest_cache|__pycache__|collections|tests/output)(/|$)'; then
    echo "the tarball contains build or test litter (see above); extend build_ignore in galaxy.yml" >&2
    exit 1
fi
ansible-galaxy collection install "$tarball" -p "$work/inst" --force --offline >/dev/null 2>&1
count=0
for module in plugins/modules/*.py; do
    name=$(basename "$module" .py)
    ANSIBLE_COLLECTIONS_PATH="$work/inst" ansible-doc "cicd.gitlab.$name" >"$work/doc.txt"
    grep -q "cicd.gitlab.$name" "$work/doc.txt"
    count=$((count + 1))
done
lookups=0
for lookup in plugins/lookup/*.py; do
    [ -f "$lookup" ] || continue
    name=$(basename "$lookup" .py)
    ANSIBLE_COLLECTIONS_PATH="$work/inst" ansible-doc -t lookup "cicd.gitlab.$name" >"$work/doc.txt"
    grep -q "cicd.gitlab.$name" "$work/doc.txt"
    lookups=$((lookups + 1))
done
for role in roles/*/; do
    [ -d "$role" ] || continue
    ANSIBLE_COLLECTIONS_PATH="$work/inst" ansible-doc -t role "cicd.gitlab.$(basename "$role")" >/dev/null
done
echo "docs: built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB), rendered $count module and $lookups lookup docs"
