#!/usr/bin/env bash
# The test command: runs every test of the collection on a fresh clone and prints a summary.
#
#   bash tests/run.sh                   # everything on the default ansible-core, plus the compat passes
#   bash tests/run.sh pytest            # only the named steps: sanity units pytest lint changelog compat
#   bash tests/run.sh --core 2.21       # sanity, units and pytest on another ansible-core (or: --core 2.21 pytest)
#   bash tests/run.sh --matrix          # sanity, units and pytest on every supported ansible-core, with a table
#
# It creates .venv (see tests/harness/bootstrap.sh), stages the collection as ansible_collections/hwcloud/ims in a
# temporary directory and runs, in that copy: ansible-test sanity, ansible-test units, the pytest suites (the
# emulator's, and the end-to-end tests that run Ansible against it), ruff and ansible-lint (production profile) and
# the changelog linter, all with the default ansible-core (tests/requirements-dev.txt). The compat step then runs the
# units and the end-to-end tests marked `compat` (one per module, role and plugin) on the oldest and the newest
# supported ansible-core, each in a virtual environment of its own (.venv-core-<release>-py<python>) on a Python that
# release supports, found on PATH or under $(pyenv root)/versions (PYTHON_2_21=/path/to/python3.12 picks one). A
# release with no such Python is reported as skipped, with how to get one. Exits non-zero when any step fails.
#
# --core RELEASE runs the named steps (default: sanity units pytest) on that release only; PYTHON=/path/to/python
# picks its interpreter. --matrix does the same for every supported release in turn.
set -uo pipefail

# shellcheck source=tests/harness/bootstrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/harness/bootstrap.sh"

usage() {
    sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -uo/d' -e 's/^# \{0,1\}//'
}

MODE=default
CORE=""
STEPS=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --core)
            [ "$#" -ge 2 ] || { echo "--core needs a release (one of ${SUPPORTED_CORES[*]})" >&2; exit 2; }
            MODE=core
            CORE="$2"
            shift 2
            ;;
        --core=*) MODE=core; CORE="${1#--core=}"; shift ;;
        --matrix) MODE=matrix; shift ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
        *) STEPS+=("$1"); shift ;;
    esac
done
if [ "$MODE" = core ] && [[ " ${SUPPORTED_CORES[*]} " != *" $CORE "* ]]; then
    echo "unsupported ansible-core release: $CORE (supported: ${SUPPORTED_CORES[*]})" >&2
    exit 2
fi

DEFAULT_STEPS=(sanity units pytest lint changelog compat)
CORE_STEPS=(sanity units pytest compat)
# The releases the compat step covers: the oldest and the newest supported one.
COMPAT_CORES=("${SUPPORTED_CORES[0]}" "${SUPPORTED_CORES[${#SUPPORTED_CORES[@]} - 1]}")
case "$MODE" in
    default) KNOWN_STEPS=("${DEFAULT_STEPS[@]}") ;;
    *) KNOWN_STEPS=("${CORE_STEPS[@]}") ;;
esac
if [ "$MODE" = core ] && [ "$CORE" = "$DEFAULT_CORE" ]; then KNOWN_STEPS=(sanity units pytest lint changelog compat); fi
if [ "${#STEPS[@]}" -eq 0 ]; then
    case "$MODE" in
        default) STEPS=("${DEFAULT_STEPS[@]}") ;;
        *) STEPS=(sanity units pytest) ;;
    esac
fi
for step in "${STEPS[@]}"; do
    if [[ " ${KNOWN_STEPS[*]} " != *" $step "* ]]; then
        echo "unknown step: $step (known here: ${KNOWN_STEPS[*]})" >&2
        exit 2
    fi
done

BASE_PATH="$PATH"
WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/hwcloud-ims-test.XXXXXX")"
trap 'rm -rf "$WORKDIR"' EXIT
COLLECTION="$(stage_collection "$WORKDIR")"
export ANSIBLE_COLLECTIONS_PATH="$WORKDIR"

# Puts virtual environment $1 (Python $2) first on PATH for the steps that follow (call it in a subshell).
use_venv() {
    export VIRTUAL_ENV="$1"
    export PATH="$1/bin:$BASE_PATH"
    PYVER="$2"
    # ansible-test's HOME, with its caches and pip bootstrap script (see prepare_ansible_test_home).
    ANSIBLE_TEST_HOME="$1/ansible-test-home"
}

# ansible-test bootstraps pip in its virtual environments with a script from Ansible's CI server. Use a HOME of our
# own so its caches stay out of the user's, and fall back to a local stand-in only when that server is unreachable.
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

# The end-to-end tests marked compat (tests/pytest.ini): one per module, role and plugin.
step_compat() {
    run_pytest -m compat tests/functional
}

# Formatting and lint of the Python code (ruff.toml), then ansible-lint's production profile.
step_lint() {
    (cd "$COLLECTION" && ruff format --check --diff . && ruff check . && ansible-lint)
}

step_changelog() {
    (cd "$COLLECTION" && antsibull-changelog lint)
}

# -- results ------------------------------------------------------------------------------------------------------------

declare -a RESULTS=()
passed=0
failed=0
skipped=0

# record STEP CORE PYTHON RESULT SECONDS [NOTE]
record() {
    local seconds="$5"
    [ "$seconds" = - ] || seconds="${seconds}s"
    RESULTS+=("$(printf '%-10s %-13s %-7s %-8s %6s  %s' "$1" "$2" "$3" "$4" "$seconds" "${6:-}")")
    case "$4" in
        ok) passed=$((passed + 1)) ;;
        FAILED) failed=$((failed + 1)) ;;
        SKIPPED) skipped=$((skipped + 1)) ;;
    esac
    MATRIX_CELLS["$2 $1"]="$4"
}
declare -A MATRIX_CELLS=()
declare -A MATRIX_PYTHON=()

# run_step STEP CORE PYTHON VENV: runs step_STEP in a subshell with that virtual environment first on PATH.
run_step() {
    local step="$1" core="$2" pyver="$3" venv="$4" started
    echo
    echo "==> $step (ansible-core $core, Python $pyver)"
    started=$SECONDS
    if (use_venv "$venv" "$pyver" && "step_$step"); then
        record "$step" "$core" "$pyver" ok $((SECONDS - started))
    else
        record "$step" "$core" "$pyver" FAILED $((SECONDS - started))
    fi
}

# run_core CORE STEP...: runs the steps on ansible-core release CORE, in its own virtual environment. The default
# release uses .venv when PYTHON (default python3) suits it and .venv, if it exists, has that Python; any other
# Python gets .venv-core-<release>-py<python>.
run_core() {
    local core="$1" python pyver venv started step note
    shift
    python=""
    if [ "$core" = "$DEFAULT_CORE" ]; then
        pyver="$(python_version_of "${PYTHON:-python3}")"
        if [ -n "$pyver" ] && [[ " $(core_pythons "$core") " == *" $pyver "* ]] \
            && { [ ! -x "$VENV/bin/python" ] || [ "$(python_version_of "$VENV/bin/python")" = "$pyver" ]; }; then
            echo
            echo "==> virtual environment for ansible-core $core ($VENV, Python $pyver)"
            started=$SECONDS
            if (bootstrap_venv); then
                MATRIX_PYTHON[$core]="$pyver"
                record venv "$core" "$pyver" ok $((SECONDS - started))
                for step in "$@"; do run_step "$step" "$core" "$pyver" "$VENV"; done
            else
                record venv "$core" "$pyver" FAILED $((SECONDS - started)) "could not set up $VENV"
            fi
            return
        fi
    fi
    if [ "$MODE" = core ] && [ -n "${PYTHON:-}" ]; then
        # PYTHON picks the interpreter of the one release --core runs.
        export "PYTHON_${core//./_}=$PYTHON"
    fi
    # Look on the PATH the command was started with, not behind .venv/bin.
    if ! python="$(PATH="$BASE_PATH" find_core_python "$core")"; then
        note="$(core_python_hint "$core")"
        echo
        echo "==> skipping ansible-core $core: $note"
        for step in "$@"; do record "$step" "$core" - SKIPPED - "$note"; note="(no Python, see above)"; done
        return
    fi
    pyver="$(python_version_of "$python")"
    MATRIX_PYTHON[$core]="$pyver"
    venv="$REPO_ROOT/.venv-core-$core-py$pyver"
    echo
    echo "==> virtual environment for ansible-core $core ($venv, $python)"
    started=$SECONDS
    if ! bootstrap_core_venv "$core" "$venv" "$python"; then
        record venv "$core" "$pyver" FAILED $((SECONDS - started)) "could not install the requirements into $venv"
        return
    fi
    note=""
    if [ -s "$venv/.left-out" ]; then
        note="left out (cannot be installed with this release; only lint uses them): $(tr '\n' ' ' < "$venv/.left-out")"
        echo "$note"
    fi
    record venv "$core" "$pyver" ok $((SECONDS - started)) "$note"
    for step in "$@"; do run_step "$step" "$core" "$pyver" "$venv"; done
}

# -- the plan -----------------------------------------------------------------------------------------------------------

started_all=$SECONDS
case "$MODE" in
    default)
        default_steps=()
        compat=false
        for step in "${STEPS[@]}"; do
            if [ "$step" = compat ]; then compat=true; else default_steps+=("$step"); fi
        done
        if [ "${#default_steps[@]}" -gt 0 ]; then
            # The default release, on PYTHON (default python3), in .venv: as the README's two commands set it up.
            bootstrap_venv || exit 1
            PYVER="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
            for step in "${default_steps[@]}"; do run_step "$step" "$DEFAULT_CORE" "$PYVER" "$VENV"; done
        fi
        if $compat; then
            for core in "${COMPAT_CORES[@]}"; do run_core "$core" units compat; done
        fi
        ;;
    core)
        run_core "$CORE" "${STEPS[@]}"
        ;;
    matrix)
        for core in "${SUPPORTED_CORES[@]}"; do run_core "$core" "${STEPS[@]}"; done
        ;;
esac

echo
echo "==> summary"
printf '%-10s %-13s %-7s %-8s %7s  %s\n' step ansible-core python result time note
printf '%s\n' "${RESULTS[@]}"
if [ "$MODE" = matrix ]; then
    echo
    echo "==> matrix"
    header="$(printf '%-13s %-7s' ansible-core python)"
    for step in venv "${STEPS[@]}"; do header+="$(printf ' %-8s' "$step")"; done
    echo "$header"
    for core in "${SUPPORTED_CORES[@]}"; do
        line="$(printf '%-13s %-7s' "$core" "${MATRIX_PYTHON[$core]:--}")"
        for step in venv "${STEPS[@]}"; do line+="$(printf ' %-8s' "${MATRIX_CELLS["$core $step"]:--}")"; done
        echo "$line"
    done
fi
echo "total time: $((SECONDS - started_all))s"
echo "steps: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
