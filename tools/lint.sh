#!/usr/bin/env bash
# ansible-lint (production profile) over the collection, fully offline.
set -euo pipefail
# shellcheck source=tools/_common.sh
source "$(dirname "$0")/_common.sh"
tree=$(link_tree)
trap 'rm -rf "$tree"' EXIT
cd "$ROOT"
# --offline skips Galaxy; the link tree lets it resolve our own FQCNs without writing .ansible/.
ANSIBLE_COLLECTIONS_PATH="$tree" ANSIBLE_LINT_SKIP_SCHEMA_UPDATE=1 ansible-lint --offline
