# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A task pays only for what it uses: a module whose arguments are wrong fails before the client's libraries load.

Each case runs a module in a fresh interpreter, as Ansible runs it (arguments in a JSON file), and reports which of
the heavy libraries were imported by the time it exited. Nothing is timed: the figures are in docs/benchmarks.md.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# The directory holding ansible_collections/, where this interpreter finds the collection (…/hwcloud/ims/plugins/modules).
COLLECTIONS_ROOT = Path(importlib.util.find_spec("ansible_collections.hwcloud.ims.plugins.modules.ims_job").origin).parents[5]
# httpx and pydantic are what the client needs once it connects; click, rich and pygments are httpx's command-line
# extras, which a task never needs (see _client/deps.py); PyYAML is for clouds.yaml only.
HEAVY = ("httpx", "httpcore", "pydantic", "pydantic_core", "yaml", "click", "rich", "pygments")
PROBE = """
import json, runpy, sys
sys.argv = ["module", sys.argv[1]]
try:
    runpy.run_module(%r, run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(name for name in %r if name in sys.modules)), file=sys.stderr)
"""
# An unroutable endpoint on loopback: a task that gets past its checks tries to connect and fails at once.
CONNECTION = {"access_key": "AK", "secret_key": "SK", "project_id": "0" * 32, "region": "eu-de", "endpoint": "http://127.0.0.1:9"}


def run_module(tmp_path, module, args):
    """(the module's result, the heavy libraries loaded when it exited)."""
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}), encoding="utf-8")
    name = "ansible_collections.hwcloud.ims.plugins.modules.%s" % module
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(COLLECTIONS_ROOT)] + sys.path))
    completed = subprocess.run([sys.executable, "-c", PROBE % (name, HEAVY), str(args_file)], capture_output=True, text=True, env=env, timeout=120, check=False)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    loaded = json.loads(completed.stderr.strip().splitlines()[-1])
    return result, loaded


BAD_INPUT = [
    ("ims_image", {"name": "web", "min_disk": "many"}, "min_disk"),  # the argument spec
    ("ims_image", {"name": "web", "tags": {"a=b": "c"}}, "tags"),  # a rule of the task, before it connects
    ("ims_image", {"name": "web", "image_url": "bucket-without-file", "min_disk": 40}, "image_url"),
    ("ims_image_info", {"created_at": {"gt": "yesterday"}}, "created_at.gt"),
    ("ims_image_tag", {"image": "web", "tags": {"k": "v" * 44}}, "tags"),
    ("ims_image_member", {"image": ["web"], "projects": ["p"], "status": "accepted"}, "projects"),
    ("ims_image_export", {"image": "web", "bucket_url": "bucket:my file.qcow2", "file_format": "qcow2"}, "bucket_url"),
    ("ims_job", {"job_id": "j", "wait_timeout": -1}, "wait_timeout"),
    ("ims_quota_info", {"region": 5, "retries": "often"}, "retries"),
]


@pytest.mark.parametrize("module, args, option", BAD_INPUT, ids=["%s-%s" % (case[0], case[2]) for case in BAD_INPUT])
def test_bad_input_fails_before_the_client_loads(tmp_path, module, args, option):
    result, loaded = run_module(tmp_path, module, dict(CONNECTION, **args))
    assert result.get("failed") is True and option in result["msg"], result
    assert loaded == [], "a task refused for its arguments loaded %s" % ", ".join(loaded)


def test_a_task_that_passes_its_checks_loads_the_client_but_not_httpx_command_line(tmp_path):
    result, loaded = run_module(tmp_path, "ims_quota_info", dict(CONNECTION, retries=0))
    assert result.get("failed") is True and "127.0.0.1:9" in result["msg"], result  # it tried to connect
    assert {"httpx", "pydantic"} <= set(loaded)
    assert not {"click", "rich", "pygments"} & set(loaded)
