# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The openstack.cloud collection for the benchmarks, and the tasks that list images with it through the emulator.

openstack.cloud is not a requirement of this project. The benchmark takes it from the ``ansible`` community package
on PyPI, which bundles it: ``pip download`` fetches that wheel once (no dependencies, nothing installed), and only
``ansible_collections/openstack/cloud/`` is unpacked into a cache directory that later runs reuse.

openstacksdk comes from tests/requirements-dev.txt, but the openstack.cloud of the ansible 12 line (2.5.0) cannot use
openstacksdk 4.15 or later: its modules read ``openstack.version.__version__`` right after ``import openstack``, and from
4.15 on ``import openstack`` no longer imports that submodule, so every module fails with "module 'openstack' has no
attribute 'version'" (openstack.cloud 2.6.0 fixed this, but no ansible 12.x release bundles it, and Galaxy is out of
reach). When the installed openstacksdk is such a version, the openstack.cloud tasks run under a Python of their own: a
virtual environment in the cache with the last openstacksdk that collection works with.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

#: The community package whose bundled openstack.cloud is used; its 12.x line goes with ansible-core 2.19.
ANSIBLE_PACKAGE = "ansible==12.3.0"
MEMBER_PREFIX = "ansible_collections/openstack/cloud/"
#: The last openstacksdk whose ``import openstack`` also imports ``openstack.version``, which openstack.cloud 2.5.0 reads.
FALLBACK_SDK = "openstacksdk==4.14.0"


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
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:", "-d", scratch, ANSIBLE_PACKAGE], check=True)
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


def sdk_python():
    """The Python interpreter for openstack.cloud modules, and the openstacksdk version it has: this one when its
    openstacksdk suits openstack.cloud 2.5.0, else a cached virtual environment with FALLBACK_SDK (made on first use)."""
    probe = "import openstack; print(openstack.version.__version__)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return sys.executable, done.stdout.strip()
    venv = cache_root() / ("%s-py%d.%d" % (FALLBACK_SDK.replace("==", "-"), *sys.version_info[:2]))
    python = venv / "bin" / "python"
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False) if python.exists() else None
    if done is None or done.returncode != 0:
        print(
            "the installed openstacksdk lacks openstack.version, which openstack.cloud 2.5.0 reads: making a virtual "
            "environment with %s (once; kept in %s)" % (FALLBACK_SDK, venv),
            flush=True,
        )
        if venv.exists():
            shutil.rmtree(venv)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", FALLBACK_SDK], check=True)
        done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True)
    return str(python), done.stdout.strip()


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
