#!/usr/bin/env bash
# make matrix: for every ansible-core line that meta/runtime.yml's requires_ansible claims
# (tests/matrix/lines.txt names the release and the controller Python of each):
#   1. a virtualenv .matrix/<release> with that ansible-core and requests;
#   2. build the collection tarball with it and install the tarball;
#   3. ansible-test sanity on the installed collection's shipped content (not tests/), on that Python;
#   4. tests/matrix/smoke.yml (every module) against the bundled fake GitLab, with the output
#      scanned for the secrets the playbook uses.
# Prints a table (release x Python x sanity/smoke) and fails if any cell failed.
# Usage: tools/matrix.sh [2.18 2.21 ...]   only those lines (MATRIX_JOBS=1: one line at a time;
#        MATRIX_SANITY_DONE="<release> <python>": that line's sanity already ran, as .ci/run's make test does)
set -uo pipefail
# shellcheck source=tools/_common.sh
source "$(dirname "$0")/_common.sh"
cd "$ROOT" || exit 1
dev_python=$BIN/python
work=$(mktemp -d)
fake_pid=
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# The lines that requires_ansible claims, up to the newest line listed.
minimum=$("$dev_python" - <<'PY'
import re, yaml
spec = yaml.safe_load(open('meta/runtime.yml'))['requires_ansible']
match = re.fullmatch(r'>=\s*(\d+)\.(\d+)\.\d+', spec.strip())
if not match:
    raise SystemExit('tools/matrix.sh understands requires_ansible of the form ">=2.X.0", not %r' % spec)
print('%s.%s' % match.groups())
PY
) || exit 1
releases=()
pythons=()
while read -r release python; do
    case "$release" in ''|\#*) continue ;; esac
    releases+=("$release")
    pythons+=("$python")
done < tests/matrix/lines.txt
newest=${releases[${#releases[@]}-1]}
line_of() { echo "${1%.*}"; }
if ! printf '%s\n' "${releases[@]}" | sed 's/\.[0-9]*$//' | grep -qx "$minimum"; then
    echo "requires_ansible claims ansible-core $minimum, which tests/matrix/lines.txt does not test" >&2
    exit 1
fi
wanted=("$@")

# Every line builds from one snapshot of the checkout (tracked and untracked files, as git sees
# them), so an edit made while the matrix runs cannot change a tarball halfway.
snapshot=$work/checkout
mkdir -p "$snapshot"
git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$snapshot"

# The fake GitLab runs on the development venv; each line only runs the collection.
start_fake() {  # release -> GITLAB_URL, fake_pid (each line has its own fake and its own output file)
    local out=$work/$1.fake.out
    (cd "$snapshot" && exec "$dev_python" -m tests.fake_gitlab --port 0 --seed tests/fake_gitlab/seeds/demo.yml) >"$out" 2>&1 &
    fake_pid=$!
    for _ in $(seq 300); do grep -q '^URL=' "$out" && break; sleep 0.1; done
    GITLAB_URL=$(sed -n 's/^URL=//p' "$out")
    [ -n "$GITLAB_URL" ] || { cat "$out"; echo "the fake GitLab did not start" >&2; exit 1; }
}
stop_fake() {
    kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null; fake_pid=
}

# What sanity checks on each line: the content that users run on that line (modules, module_utils,
# lookups, doc fragments, roles, playbooks, metadata, docs). The test suite (tests/) runs only on the
# development pin, and make test runs sanity on the whole checkout with it.
shipped=(plugins/ roles/ playbooks/ meta/ docs/ changelogs/ README.md)

run_line() {  # release python -> prints "sanity smoke" results; logs in $work/<release>.*.log
    local release=$1 version=$2 line venv python tarball inst status_sanity=fail status_smoke=fail
    line=$(line_of "$release")
    venv=$ROOT/.matrix/$release
    if ! python=$(tools/find_python.sh "$version"); then
        echo "missing missing"
        return
    fi
    if [ ! -x "$venv/bin/ansible-test" ] || [ "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$version" ]; then
        rm -rf "$venv"
        if ! { "$python" -m venv "$venv" &&
               "$venv/bin/python" -m pip install -q --disable-pip-version-check "ansible-core==$release" \
                   "$(grep -E '^requests==' tests/requirements-dev.txt)"; } >"$work/$release.venv.log" 2>&1; then
            cat "$work/$release.venv.log" >&2
            echo "fail fail"
            return
        fi
    fi
    inst=$work/$release/inst
    mkdir -p "$work/$release/dist" "$inst"
    if ! { "$venv/bin/ansible-galaxy" collection build --force --output-path "$work/$release/dist" "$snapshot" &&
           tarball=$(ls "$work/$release"/dist/cicd-gitlab-*.tar.gz) &&
           "$venv/bin/ansible-galaxy" collection install "$tarball" -p "$inst" --force --offline; } >"$work/$release.build.log" 2>&1; then
        cat "$work/$release.build.log" >&2
        echo "fail fail"
        return
    fi
    if [ "${MATRIX_SANITY_DONE:-}" = "$release $version" ]; then
        # .ci/run's make test has just run sanity with this release on this Python, on the checkout
        # (a superset of the tarball): it is not run twice.
        status_sanity="pass(make-test)"
    elif VENV=$venv tools/sanity.sh --tree "$inst/ansible_collections/cicd/gitlab" --pythons "" "${shipped[@]}" >"$work/$release.sanity.log" 2>&1; then
        status_sanity=pass
    else
        grep -E "ERROR|FATAL" "$work/$release.sanity.log" | head -40 >&2
    fi
    start_fake "$release"
    mkdir -p "$work/$release/smoke"
    if GITLAB_URL=$GITLAB_URL GITLAB_TOKEN=glpat-root-000000000000 SMOKE_DIR=$work/$release/smoke \
        ANSIBLE_COLLECTIONS_PATH=$inst ANSIBLE_PYTHON_INTERPRETER=$venv/bin/python \
        "$venv/bin/ansible-playbook" -v "$snapshot/tests/matrix/smoke.yml" >"$work/$release.smoke.log" 2>&1; then
        status_smoke=pass
    else
        tail -40 "$work/$release.smoke.log" >&2
    fi
    stop_fake
    # The token and the secret values the playbook uses must not appear in its output.
    if grep -qE 'smoke-s3cr3t-value-0042|glpat-root-000000000000|glptt-[0-9a-f]{20}' "$work/$release.smoke.log"; then
        echo "ansible-core $release: a secret appears in the smoke playbook's output" >&2
        status_smoke=fail
    fi
    echo "$status_sanity $status_smoke"
}

# The lines run MATRIX_JOBS at a time (default 2): each spends most of its time in ansible-test and
# ansible-playbook, and has its own venv, tarball, install tree and fake GitLab.
jobs=${MATRIX_JOBS:-2}
selected=()
for i in "${!releases[@]}"; do
    line=$(line_of "${releases[$i]}")
    # Lines older than requires_ansible's minimum are not claimed, so not tested.
    if [ "$(printf '%s\n%s\n' "$minimum" "$line" | sort -V | head -1)" != "$minimum" ]; then continue; fi
    if [ ${#wanted[@]} -gt 0 ] && ! printf '%s\n' "${wanted[@]}" | grep -qx "$line"; then continue; fi
    selected+=("$i")
done
running=()
for i in "${selected[@]}"; do
    (
        started=$SECONDS
        run_line "${releases[$i]}" "${pythons[$i]}" >"$work/line-$i.result" 2>"$work/line-$i.err"
        echo $((SECONDS - started)) >"$work/line-$i.seconds"
    ) &
    running+=("$!")
    if [ ${#running[@]} -ge "$jobs" ]; then
        wait "${running[0]}"
        running=("${running[@]:1}")
    fi
done
wait
rows=()
failed=0
for i in "${selected[@]}"; do
    release=${releases[$i]}
    echo "== ansible-core $release on Python ${pythons[$i]}"
    cat "$work/line-$i.err" >&2
    read -r sanity smoke <"$work/line-$i.result" || { sanity=fail; smoke=fail; }
    echo "   sanity: $sanity, smoke: $smoke ($(cat "$work/line-$i.seconds" 2>/dev/null || echo '?') s)"
    [ "$sanity" = "pass(make-test)" ] && sanity="pass (make test ran it)"
    rows+=("| $(line_of "$release") | $release | ${pythons[$i]} | $sanity | $smoke |")
    case "$sanity" in pass*) ;; *) failed=1 ;; esac
    [ "$smoke" = pass ] || failed=1
done
echo
echo "| ansible-core line | release | controller Python | sanity | smoke (every module) |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "(the development line $newest also runs the whole test suite and sanity on target Pythons 3.9-3.13: make test)"
exit $failed
