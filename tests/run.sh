#!/usr/bin/env bash
# The test command: runs every test of the collection on a fresh clone and prints a summary.
#
#   bash tests/run.sh            # everything
#   bash tests/run.sh pytest     # only the named steps: sanity units pytest lint changelog
#
# It creates .venv (see tests/harness/bootstrap.sh), stages the collection as ansible_collections/hwcloud/ims in a
# temporary directory and runs, in that copy: ansible-test sanity, ansible-test units, the pytest suites (the
# emulator's, and the end-to-end tests that run Ansible against it), ruff and ansible-lint (production profile)
# and the changelog linter. Exits non-zero when any step fails.
set -uo pipefail

# shellcheck source=tests/harness/bootstrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/harness/bootstrap.sh"
bootstrap_venv || exit 1

PYVER="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/hwcloud-ims-test.XXXXXX")"
trap 'rm -rf "$WORKDIR"' EXIT
COLLECTION="$(stage_collection "$WORKDIR")"
export ANSIBLE_COLLECTIONS_PATH="$WORKDIR"

# ansible-test bootstraps pip in its virtual environments with a script from Ansible's CI server. Use a HOME of our
# own so its caches stay out of the user's, and fall back to a local stand-in only when that server is unreachable.
ANSIBLE_TEST_HOME="$VENV/ansible-test-home"
prepare_ansible_test_home() {
    local pip_version cache
    mkdir -p "$ANSIBLE_TEST_HOME/.config/pip"
    for conf in "$HOME/.config/pip/pip.conf" "$HOME/.pip/pip.conf"; do
        if [ -f "$conf" ]; then cp "$conf" "$ANSIBLE_TEST_HOME/.config/pip/pip.conf"; fi
    done
    pip_version="$(python - <<'PY'
import pathlib, re, ansible_test
source = (pathlib.Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py').read_text()
print(re.search(r"pip='([0-9.]+)'", source).group(1))
PY
)"
    cache="$ANSIBLE_TEST_HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
    mkdir -p "$(dirname "$cache")"
    if [ ! -s "$cache" ]; then
        if ! curl -fsS --max-time 15 -o "$cache" "https://ci-files.testing.ansible.com/ansible-test/get-pip-${pip_version}.py" 2>/dev/null; then
            cp "$REPO_ROOT/tests/harness/get_pip_standin.py" "$cache"
        fi
    fi
}

step_sanity() {
    prepare_ansible_test_home
    (cd "$COLLECTION" && HOME="$ANSIBLE_TEST_HOME" ansible-test sanity --python "$PYVER" --color no)
}

step_units() {
    if [ -z "$(find "$COLLECTION/tests/unit" -name 'test_*.py' 2>/dev/null)" ]; then
        echo "no unit tests yet"
        return 0
    fi
    prepare_ansible_test_home
    (cd "$COLLECTION" && HOME="$ANSIBLE_TEST_HOME" ansible-test units --python "$PYVER" --color no)
}

# pytest exits 5 when it collects nothing; a suite directory without tests is reported, not failed.
run_pytest() {
    local rc
    (cd "$COLLECTION" && python -m pytest -p no:cacheprovider -n 2 -q "$@")
    rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "pytest collected no tests in: $*"
        return 0
    fi
    return "$rc"
}

step_pytest() {
    run_pytest tests/emulator/tests tests/functional
}

# Formatting and lint of the Python code (ruff.toml), then ansible-lint's production profile.
step_lint() {
    (cd "$COLLECTION" && ruff format --check --diff . && ruff check . && ansible-lint)
}

step_changelog() {
    (cd "$COLLECTION" && antsibull-changelog lint)
}

ALL_STEPS=(sanity units pytest lint changelog)
STEPS=("$@")
if [ "${#STEPS[@]}" -eq 0 ]; then STEPS=("${ALL_STEPS[@]}"); fi

declare -a RESULTS=()
passed=0
failed=0
for step in "${STEPS[@]}"; do
    if ! declare -F "step_$step" >/dev/null; then
        echo "unknown step: $step (known: ${ALL_STEPS[*]})" >&2
        exit 2
    fi
    echo
    echo "==> $step"
    started=$SECONDS
    if "step_$step"; then
        RESULTS+=("$(printf '%-10s ok      %4ds' "$step" $((SECONDS - started)))")
        passed=$((passed + 1))
    else
        RESULTS+=("$(printf '%-10s FAILED  %4ds' "$step" $((SECONDS - started)))")
        failed=$((failed + 1))
    fi
done

echo
echo "==> summary"
printf '%s\n' "${RESULTS[@]}"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
