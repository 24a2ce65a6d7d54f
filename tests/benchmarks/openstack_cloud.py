# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The openstack.cloud collection for the benchmarks, and the tasks that list images with it through the emulator.

openstack.cloud is not a requirement of this project. The benchmark takes it from the ``ansible`` community package
on PyPI, which bundles it: ``pip download`` fetches that wheel once (no dependencies, nothing installed), and only
``ansible_collections/openstack/cloud/`` is unpacked into a cache directory that later runs reuse.

The ``ansible`` 14 line bundles openstack.cloud 2.6.0, which works with the openstacksdk of tests/requirements-dev.txt
(the 2.5.0 of the ansible 12 line read ``openstack.version`` without importing it, which openstacksdk 4.15 and later
no longer import with ``openstack``, so it needed a virtual environment with openstacksdk 4.14; 2.6.0 does not). The
wheel of ansible 14 declares Python >= 3.12 for the ansible-core 2.21 it depends on; only its openstack.cloud is used
here, and that runs on the ansible-core and Python of this project's virtual environment, so ``pip download`` is told
``--python-version`` to fetch the wheel on an older Python too.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

#: The community package whose bundled openstack.cloud (2.6.0) is used, and the Python its wheel declares.
ANSIBLE_PACKAGE = "ansible==14.5.0"
WHEEL_PYTHON = "3.12"
MEMBER_PREFIX = "ansible_collections/openstack/cloud/"


def cache_root():
    """Where the benchmarks keep what they download: $XDG_CACHE_HOME (else ~/.cache)/hwcloud-ims-bench."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hwcloud-ims-bench"


def collections_dir():
    """A directory for ANSIBLE_COLLECTIONS_PATH that holds ansible_collections/openstack/cloud, made on first use."""
    target = cache_root() / ("openstack-cloud-from-%s" % ANSIBLE_PACKAGE.replace("==", "-"))
    if (target / MEMBER_PREFIX / "MANIFEST.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as scratch:
        print("fetching openstack.cloud: pip download %s --no-deps (once; kept in %s)" % (ANSIBLE_PACKAGE, target), flush=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:", "--python-version", WHEEL_PYTHON]
        subprocess.run(command + ["-d", scratch, ANSIBLE_PACKAGE], check=True)
        wheels = list(Path(scratch).glob("ansible-*.whl"))
        if len(wheels) != 1:
            raise RuntimeError("pip download %s left %s in %s" % (ANSIBLE_PACKAGE, wheels, scratch))
        unpacked = Path(scratch) / "unpacked"
        with zipfile.ZipFile(wheels[0]) as wheel:
            members = [name for name in wheel.namelist() if name.startswith(MEMBER_PREFIX) and ".." not in name.split("/")]
            if not any(name.endswith("/plugins/modules/image_info.py") for name in members):
                raise RuntimeError("%s has no openstack.cloud.image_info" % wheels[0].name)
            wheel.extractall(unpacked, members)
        if target.exists():  # a half-made directory of an interrupted run
            shutil.rmtree(target)
        unpacked.rename(target)
    return target


def collection_version(directory):
    manifest = json.loads((Path(directory) / MEMBER_PREFIX / "MANIFEST.json").read_text(encoding="utf-8"))
    return manifest["collection_info"]["version"]


def image_info_task(info, project, name_pattern):
    """An openstack.cloud.image_info task listing the images whose name matches a glob (openstacksdk lists every
    image through Glance and matches names itself), as a user of the emulator's Glance API writes it: password
    authentication at the emulator's IAM, Glance found through the token's catalog."""
    entry = info.project(project)
    auth = {
        "auth_url": info.iam_endpoint,
        "username": entry["username"],
        "password": entry["password"],
        "project_name": entry["name"],
        "user_domain_name": entry["domain"],
        "project_domain_name": entry["domain"],
    }
    args = {"name": name_pattern, "auth": auth, "auth_type": "password", "region_name": info.region, "interface": "public"}
    if info.ca_file:
        args["ca_cert"] = info.ca_file
    return {"openstack.cloud.image_info": args}
