# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One rule for how long modules wait: every module with ``wait_timeout`` defaults to one hour and says so."""

import json
import subprocess
import sys
from pathlib import Path

WAITING_MODULES = ("ims_image", "ims_image_export", "ims_image_member", "ims_job")
RULE = "Every module of this collection that waits waits at most one hour (3600 s) by default, long enough for the slowest IMS job"


def test_every_waiting_module_defaults_to_one_hour_and_documents_the_rule(ansible):
    command = [str(Path(sys.executable).parent / "ansible-doc"), "-j"] + ["hwcloud.ims.%s" % module for module in WAITING_MODULES]
    done = subprocess.run(command, env=ansible.base_env(), capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    docs = json.loads(done.stdout)
    for module in WAITING_MODULES:
        option = docs["hwcloud.ims.%s" % module]["doc"]["options"]["wait_timeout"]
        assert option["default"] == 3600, module
        assert RULE in " ".join(option["description"]), module
