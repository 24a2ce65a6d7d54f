# shellcheck shell=bash
# Sourced by tests/run.sh and playbooks/demo.sh: makes sure the project's virtual environment exists and holds
# requirements.txt + tests/requirements-dev.txt, then puts it first on PATH.
#
# HWCLOUD_IMS_VENV overrides the location (default: .venv in the repository); PYTHON picks the interpreter that
# creates it (default: python3, which must be 3.11 or newer).
#
# tests/run.sh --core/--matrix also use bootstrap_core_venv, below: one virtual environment per supported ansible-core
# release (.venv-core-<release>-py<python>), on a Python that release supports.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${HWCLOUD_IMS_VENV:-$REPO_ROOT/.venv}"

bootstrap_venv() {
    local python="${PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "error: $python must be Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
        return 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> creating virtual environment $VENV"
        "$python" -m venv "$VENV" || return 1
    fi
    # Reinstall only when the requirement files changed since the last successful install.
    local stamp="$VENV/.requirements.sha256"
    local wanted
    wanted="$(cat "$REPO_ROOT/requirements.txt" "$REPO_ROOT/tests/requirements-dev.txt" | sha256sum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
        echo "==> installing requirements into $VENV"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip || return 1
        "$VENV/bin/python" -m pip install --quiet -r "$REPO_ROOT/requirements.txt" \
            -r "$REPO_ROOT/tests/requirements-dev.txt" || return 1
        echo "$wanted" > "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
    export VIRTUAL_ENV="$VENV"
}

# Copies the collection's files (tracked and untracked-but-not-ignored) into DEST/ansible_collections/hwcloud/ims,
# the layout ansible-test and Ansible's collection loader require.
stage_collection() {
    local dest="$1/ansible_collections/hwcloud/ims"
    mkdir -p "$dest"
    if git -C "$REPO_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard \
            | while IFS= read -r -d '' path; do [ -e "$path" ] && printf '%s\0' "$path"; done \
            | xargs -0 cp --parents -t "$dest")
    else
        (cd "$REPO_ROOT" && tar --exclude=.venv --exclude='.venv-core-*' --exclude=.git --exclude=tests/output -cf - .) | (cd "$dest" && tar -xf -)
    fi
    echo "$dest"
}

# -- ansible-core releases ---------------------------------------------------------------------------------------------

# The ansible-core releases the collection supports (meta/runtime.yml's requires_ansible), oldest first, and the one
# tests/requirements-dev.txt pins (the default test run's). tests/run.sh uses them.
# shellcheck disable=SC2034
SUPPORTED_CORES=(2.17 2.18 2.19 2.20 2.21)
# shellcheck disable=SC2034
DEFAULT_CORE=2.19
# Packages of tests/requirements-dev.txt that only the default release's lint and changelog steps use: left out of
# another release's environment when they cannot be installed with that release (ansible-lint needs ansible-core
# 2.18 or newer).
LINT_ONLY_REQUIREMENTS=(ansible-lint)

# The controller Pythons (among 3.11, 3.12, 3.13) a release supports: its requires-python on PyPI (2.17: >=3.10,
# 2.18 and 2.19: >=3.11, 2.20 and 2.21: >=3.12) capped by the newest Python its ansible-test accepts as controller.
core_pythons() {
    case "$1" in
        2.17) echo "3.11 3.12" ;;
        2.18 | 2.19) echo "3.11 3.12 3.13" ;;
        2.20 | 2.21) echo "3.12 3.13" ;;
        *) return 1 ;;
    esac
}

# Prints X.Y of an interpreter that really runs and can make virtual environments (a pyenv shim of a version that is
# not selected fails here); nothing for anything else.
python_version_of() {
    "$1" -c 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

# Like python_version_of, for an interpreter that is not itself in a virtual environment (such as .venv's).
base_python_version_of() {
    "$1" -c 'import sys, venv, ensurepip; sys.prefix == sys.base_prefix and print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

# Finds an interpreter for ansible-core release $1: $PYTHON_<release with _> (PYTHON_2_21=...) if set, then
# pythonX.Y / python3 on PATH, then $(pyenv root)/versions/X.Y.*/bin/pythonX.Y, each for the release's Pythons
# oldest first, never one of a virtual environment. Prints its path; fails when there is none.
find_core_python() {
    local core="$1" override_var wanted version candidate pyenv_root
    override_var="PYTHON_${core//./_}"
    if [ -n "${!override_var:-}" ]; then
        version="$(python_version_of "${!override_var}")"
        if [ -n "$version" ] && [[ " $(core_pythons "$core") " == *" $version "* ]]; then
            echo "${!override_var}"
            return 0
        fi
        echo "error: $override_var=${!override_var} is not one of Python $(core_pythons "$core")" >&2
        return 1
    fi
    for wanted in $(core_pythons "$core"); do
        for candidate in "python$wanted" python3; do
            candidate="$(command -v "$candidate" 2>/dev/null)" || continue
            if [ "$(base_python_version_of "$candidate")" = "$wanted" ]; then
                echo "$candidate"
                return 0
            fi
        done
    done
    pyenv_root="${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}"
    for wanted in $(core_pythons "$core"); do
        # The newest patch release first.
        while IFS= read -r candidate; do
            if [ -n "$candidate" ] && [ "$(base_python_version_of "$candidate")" = "$wanted" ]; then
                echo "$candidate"
                return 0
            fi
        done < <(find "$pyenv_root/versions" -mindepth 3 -maxdepth 3 -path "*/versions/$wanted.*/bin/python$wanted" 2>/dev/null | sort -V -r)
    done
    return 1
}

# How to get a Python for release $1, for messages.
core_python_hint() {
    local core="$1" pythons
    pythons="$(core_pythons "$core")"
    echo "ansible-core $core needs Python ${pythons// / or }: none was found on PATH or under \$(pyenv root)/versions;" \
        "install one (e.g. 'pyenv install ${pythons%% *}') or set PYTHON_${core//./_}=/path/to/python${pythons%% *}"
}

# The next minor release after X.Y.
next_minor() {
    echo "${1%%.*}.$((${1#*.} + 1))"
}

# Makes sure $2 (a virtual environment made with interpreter $3) holds requirements.txt and
# tests/requirements-dev.txt with ansible-core pinned to release $1. A package of LINT_ONLY_REQUIREMENTS that cannot
# be installed with that release is left out, and named in $2/.left-out.
bootstrap_core_venv() {
    local core="$1" venv="$2" python="$3" wanted stamp requirements package
    if [ ! -x "$venv/bin/python" ]; then
        echo "==> creating virtual environment $venv"
        "$python" -m venv "$venv" || return 1
    fi
    requirements="$venv/requirements-core.txt"
    sed -e "s/^ansible-core[<>=!~ ].*/ansible-core>=$core,<$(next_minor "$core")/" \
        "$REPO_ROOT/tests/requirements-dev.txt" > "$requirements"
    stamp="$venv/.requirements.sha256"
    wanted="$(cat "$REPO_ROOT/requirements.txt" "$requirements" | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    echo "==> installing requirements with ansible-core $core into $venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip || return 1
    rm -f "$venv/.left-out"
    if ! "$venv/bin/python" -m pip install --quiet -r "$REPO_ROOT/requirements.txt" -r "$requirements"; then
        echo "==> retrying without the lint-only packages (${LINT_ONLY_REQUIREMENTS[*]})"
        for package in "${LINT_ONLY_REQUIREMENTS[@]}"; do
            grep -q "^${package}[<>=!~ \[]" "$requirements" && echo "$package" >> "$venv/.left-out"
            sed -i -e "/^${package}[<>=!~ \[]/d" "$requirements"
        done
        "$venv/bin/python" -m pip install --quiet -r "$REPO_ROOT/requirements.txt" -r "$requirements" || return 1
    fi
    echo "$wanted" > "$stamp"
}
