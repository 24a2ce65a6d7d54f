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

# Credentials go into the environment variables a user would set, the builder project's AK/SK for the modules and
# plugins, the consumer's for accepting the shared image; the play gets only what is not secret.
eval "$(python - "$WORKDIR/emulator.json" "$WORKDIR" <<'PY'
import json, shlex, sys, urllib.request
info = json.load(open(sys.argv[1]))
workdir = sys.argv[2]
projects = {project['name']: project for project in info['projects']}
builder, apps = projects[info['region']], projects[info['region'] + '_apps']
world = json.load(urllib.request.urlopen(info['control_endpoint'] + '/world'))
server_id = next(server['id'] for server in world['projects'][builder['id']]['servers'] if server['name'] == 'builder-web-01')
env = {
    'HW_REGION_NAME': info['region'], 'HW_AUTH_URL': info['iam_endpoint'], 'HW_IMS_ENDPOINT': info['endpoint'],
    'HW_PROJECT_ID': builder['id'], 'HW_ACCESS_KEY': builder['ak'], 'HW_SECRET_KEY': builder['sk'],
    'IMS_CONSUMER_PROJECT_ID': apps['id'], 'IMS_CONSUMER_ACCESS_KEY': apps['ak'], 'IMS_CONSUMER_SECRET_KEY': apps['sk'],
}
regions = {region['name']: region for region in info['regions']}
replication = {
    key: {'region': name, 'project_id': regions[name]['projects'][0]['id'], 'endpoint': regions[name]['endpoint']}
    for key, name in (('demo_hk', 'ap-southeast-1'), ('demo_sg', 'ap-southeast-3'))
}
with open(workdir + '/demo-world.json', 'w') as handle:
    json.dump(dict(replication, demo_builder_server_id=server_id, demo_apps_project_id=apps['id']), handle)
for name, value in env.items():
    print('export %s=%s' % (name, shlex.quote(value)))
PY
)"

run_demo() {
    # Modules run with the virtual environment's Python, which has the collection's requirements.
    ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$VENV/bin/python" \
        -e "@$REPO_ROOT/playbooks/vars/demo.yml" -e "@$WORKDIR/demo-world.json" "$REPO_ROOT/playbooks/demo.yml"
}

echo "==> running playbooks/demo.yml"
run_demo
echo "==> running it again: the image of this build is found, nothing is built, shared or promoted again"
run_demo
