#!/usr/bin/env bash
# make demo: run the collection's demo playbook twice (the second run changes nothing)
# against the bundled fake GitLab, or against a real GitLab when GITLAB_URL and GITLAB_TOKEN are set
# (then GITLAB_PROJECT names the project to use).
set -euo pipefail
# shellcheck source=tools/_common.sh
source "$(dirname "$0")/_common.sh"
tree=$(link_tree)
fake_pid=
cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
    rm -rf "$tree"
}
trap cleanup EXIT
cd "$ROOT"

if [ -n "${GITLAB_URL:-}" ] && [ -n "${GITLAB_TOKEN:-}" ]; then
    : "${GITLAB_PROJECT:?set GITLAB_PROJECT to the full path of a project the demo may change}"
    echo "== demo against $GITLAB_URL, project $GITLAB_PROJECT"
else
    out=$(mktemp)
    python -m tests.fake_gitlab --port 0 --seed tests/fake_gitlab/seeds/demo.yml >"$out" 2>&1 &
    fake_pid=$!
    for _ in $(seq 100); do grep -q '^URL=' "$out" && break; sleep 0.1; done
    GITLAB_URL=$(sed -n 's/^URL=//p' "$out")
    [ -n "$GITLAB_URL" ] || { cat "$out"; echo "the fake GitLab did not start" >&2; exit 1; }
    export GITLAB_URL GITLAB_TOKEN=glpat-root-000000000000 GITLAB_PROJECT=demo/web DEMO_DIR="$tree/downloads"
    echo "== demo against the bundled fake GitLab at $GITLAB_URL (project $GITLAB_PROJECT)"
fi
export ANSIBLE_COLLECTIONS_PATH="$tree"

echo "== the whole story: configure variables and a trigger, run a pipeline with it, wait for it and its child pipeline,"
echo "   play the manual deploy job, download the build artifact, show the log tail,"
echo "   read the latest pipeline of the ref back and the VERSION file of its build"
ansible-playbook cicd.gitlab.demo
echo
echo "== the configuration again: nothing left to change (expect changed=0)"
ansible-playbook cicd.gitlab.configure | tee "$tree/second.log"
grep -Eq 'changed=0 ' "$tree/second.log" || { echo "the second run changed something" >&2; exit 1; }
