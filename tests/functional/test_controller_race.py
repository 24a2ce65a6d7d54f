# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two controllers (separate HOME and caches, as two AWX execution nodes) create the same image name at the same
moment: exactly one image remains, whichever creation IMS answers first, and both tasks report it.

A lock on one controller cannot see the other, so both look the name up, find nothing and create. To make that race
certain rather than likely, the emulator holds each creation for a moment before it handles it (a ``delay`` fault),
so that the second controller's lookup happens while the first one's creation is on its way; the emulator's
``latency`` adds the network round trip of a real cloud. The request log proves that both controllers created.
"""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import AnsibleRunner
from seed import OWNER

CREATE = "/v2/cloudimages/action"
ROUNDS = 3
HOLD_SECONDS = 3.0


def create_task(name):
    return {
        "name": "create",
        "hwcloud.ims.ims_image": {
            "name": name,
            "image_url": "ims-images:centos7.qcow2",
            "os_version": "CentOS 7.6 64bit",
            "min_disk": 40,
            "tags": {"raced": "yes"},
        },
    }


@pytest.mark.parametrize("latency", [0.05, 0.1])
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_two_controllers_racing_for_one_name_leave_one_image(emulator, collections_path, control, tmp_path, latency, round_number):
    controllers = [AnsibleRunner(emulator, collections_path, tmp_path / name) for name in ("controller-a", "controller-b")]
    name = "raced-%d-%d" % (int(latency * 1000), round_number)
    control.settings(latency=latency)
    # Long enough for the second controller to look the name up even when the machine is busy and it starts late.
    control.add_fault(CREATE, method="POST", action="delay", count=2, delay=HOLD_SECONDS + latency)
    with ThreadPoolExecutor(max_workers=2) as pool:
        plays = list(pool.map(lambda runner: runner.play([create_task(name)]), controllers))

    creates = [entry for entry in control.requests() if entry["method"] == "POST" and entry["path"] == CREATE and entry["status"] == 200]
    assert len(creates) == 2, "both controllers must have created (the race did not happen)"
    world = control.world()
    remaining = [image for image in world["projects"][OWNER]["images"] if image["attributes"]["name"] == name and not image["deleted"]]
    assert len(remaining) == 1, [(image["attributes"]["id"], image["attributes"]["status"]) for image in remaining]
    assert remaining[0]["tags"] == {"raced": "yes"}
    for play in plays:
        task = play.task("create")
        assert task["status"] == "ok", task["result"]
        assert task["result"]["image"]["id"] == remaining[0]["attributes"]["id"]
    warnings = [warning for play in plays for warning in play.task("create")["result"].get("warnings", [])]
    assert any(re.search(r"Kept the oldest, %s" % remaining[0]["attributes"]["id"], warning) for warning in warnings), warnings
