#!/usr/bin/env bash
# The demo: starts the bundled IMS emulator with its default seed, runs playbooks/demo.yml against it and stops
# the emulator again. Needs only Python 3.11+ and access to PyPI (it sets up .venv like the test command).
set -euo pipefail

# shellcheck source=tests/harness/bootstrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/harness/bootstrap.sh"
bootstrap_venv

WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/hwcloud-ims-demo.XXXXXX")"
EMULATOR_PID=""
cleanup() {
    if [ -n "$EMULATOR_PID" ]; then kill "$EMULATOR_PID" 2>/dev/null || true; wait "$EMULATOR_PID" 2>/dev/null || true; fi
    rm -rf "$WORKDIR"
}
trap cleanup EXIT

stage_collection "$WORKDIR" >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$WORKDIR"

echo "==> starting the IMS emulator"
PYTHONPATH="$REPO_ROOT/tests/emulator" python -m ims_emulator --port 0 --job-seconds 2 \
    > "$WORKDIR/emulator.json" 2> "$WORKDIR/emulator.log" &
EMULATOR_PID=$!
# The emulator prints one JSON line (endpoints and credentials) when it is ready.
for _ in $(seq 300); do
    if [ -s "$WORKDIR/emulator.json" ] || ! kill -0 "$EMULATOR_PID" 2>/dev/null; then break; fi
    sleep 0.1
done
if [ ! -s "$WORKDIR/emulator.json" ]; then
    echo "the emulator did not start:" >&2
    cat "$WORKDIR/emulator.log" >&2
    exit 1
fi

echo "==> running playbooks/demo.yml"
# Modules run with the virtual environment's Python, which has the collection's requirements.
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$VENV/bin/python" \
    "$REPO_ROOT/playbooks/demo.yml" -e "@$WORKDIR/emulator.json"
