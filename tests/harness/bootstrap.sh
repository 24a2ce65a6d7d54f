# shellcheck shell=bash
# Sourced by tests/run.sh and playbooks/demo.sh: makes sure the project's virtual environment exists and holds
# requirements.txt + tests/requirements-dev.txt, then puts it first on PATH.
#
# HWCLOUD_IMS_VENV overrides the location (default: .venv in the repository); PYTHON picks the interpreter that
# creates it (default: python3, which must be 3.11 or newer).

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
        (cd "$REPO_ROOT" && tar --exclude=.venv --exclude=.git --exclude=tests/output -cf - .) | (cd "$dest" && tar -xf -)
    fi
    echo "$dest"
}
