# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data disk images on their own: of a volume (``volume_id`` with ``image_type: DataImage``, or ``data_disks`` without
``instance_id``) and of an OBS file (``image_url`` with ``image_type: DataImage``), each idempotent by name, in check
mode and diff, with ``wait: false`` and after a lost response like every other source."""

import pytest
from seed import OWNER
from test_preflight_reads import writes

DEBIAN_DATA = ["0e386a7c-bf7b-4a44-bb62-e4a453ce97fa", "7c20f3be-e7e8-4605-ae2a-905458a5a7d4"]

SOURCES = {
    "volume": ({"volume_id": DEBIAN_DATA[0], "image_type": "DataImage", "tags": {"role": "data"}}, "/v2/cloudimages/action", "volume,%s" % DEBIAN_DATA[0]),
    "file": (
        {"image_url": "ims-images:datadisk.qcow2", "image_type": "DataImage", "min_disk": 2048},
        "/v1/cloudimages/dataimages/action",
        "file,ims-images:datadisk.qcow2",
    ),
}


def image_task(title, **args):
    return {"name": title, "hwcloud.ims.ims_image": args}


def named(control, name):
    return [image for image in control.world()["projects"][OWNER]["images"] if image["attributes"]["name"] == name and not image["deleted"]]


@pytest.mark.parametrize("kind", list(SOURCES))
def test_a_data_disk_image_is_created_once_and_predicted_in_check_mode(ansible, control, kind):
    args, path, origin = SOURCES[kind]
    name = "data-%s" % kind
    checked = ansible.play([image_task("create", name=name, **args)], check=True, diff=True).task("create")["result"]
    assert checked["changed"] is True and writes(control) == []
    assert "data disk image" in checked["diff"]["after"]["source"]
    created = ansible.play([image_task("create", name=name, **args)], diff=True).task("create")["result"]
    assert created["changed"] is True, created
    image = created["image"]
    assert (image["name"], image["virtual_env_type"], image["data_origin"], image["status"]) == (name, "DataImage", origin, "active")
    assert ("POST", path) in writes(control)
    control.clear_requests()
    again = ansible.play([image_task("create", name=name, **args)]).task("create")["result"]
    assert again["changed"] is False and again["image"]["id"] == image["id"] and writes(control) == []


def test_data_disks_without_an_instance_make_only_data_disk_images(ansible, control):
    disks = [{"volume_id": DEBIAN_DATA[0], "name": "disk-a"}, {"volume_id": DEBIAN_DATA[1], "name": "disk-b", "tags": {"n": "2"}}]
    result = ansible.play([image_task("create", name="disk-b", data_disks=disks)]).task("create")["result"]
    assert result["changed"] is True and result["image"]["name"] == "disk-b", result
    assert sorted(image["name"] for image in result["images"]) == ["disk-a", "disk-b"]
    assert all(image["virtual_env_type"] == "DataImage" for image in result["images"])
    assert named(control, "disk-b")[0]["tags"] == {"n": "2"}
    refused = ansible.play([dict(image_task("bad", name="disk-c", data_disks=disks), ignore_errors=True)]).task("bad")["result"]
    assert "name must be one of the data_disks names" in refused["msg"]


@pytest.mark.parametrize("kind", list(SOURCES))
def test_wait_false_returns_the_job_and_a_lost_response_makes_no_duplicate(ansible, control, kind):
    args, path, _origin = SOURCES[kind]
    started = ansible.play([image_task("start", name="later-%s" % kind, wait=False, **args)]).task("start")["result"]
    assert started["changed"] is True and started["job"]["job_id"] and started["image"] is None
    waited = ansible.play([{"name": "wait", "hwcloud.ims.ims_job": {"job_id": started["job"]["job_id"]}}]).task("wait")["result"]
    assert waited["job"]["status"] == "SUCCESS"
    control.add_fault(path, action="drop_after", method="POST")
    lost = ansible.play([image_task("lost", name="lost-%s" % kind, **args)]).task("lost")["result"]
    assert lost["changed"] is True and lost["image"]["status"] == "active", lost
    assert any("may have been executed" in warning for warning in lost["warnings"])
    assert len(named(control, "lost-%s" % kind)) == 1
