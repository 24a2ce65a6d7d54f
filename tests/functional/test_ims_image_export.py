# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ims_image_export end to end: an export, check mode, a re-run, a lost response, and the refusals made before any
export request."""

import pytest
from seed import BASE_DEBIAN, OWNER, UBUNTU_PUBLIC


def export(title, **args):
    return {"name": title, "hwcloud.ims.ims_image_export": args, "ignore_errors": True}


@pytest.mark.compat
def test_export_and_check_mode(ansible, control):
    step = export("export", image="base-debian-10", bucket_url="ims-exports:base-debian-10.qcow2", file_format="qcow2")
    checked = ansible.play([step], check=True)
    result = checked.task("export")["result"]
    assert checked.task("export")["status"] == "ok" and result["changed"] is True
    assert result["msg"] == "would export image %s (base-debian-10) to ims-exports:base-debian-10.qcow2" % BASE_DEBIAN
    assert [entry for entry in control.requests() if entry["method"] == "POST" and entry["path"].startswith("/v1/")] == []

    real = ansible.play([step, export("quick", image=BASE_DEBIAN, bucket_url="ims-exports:fast.zvhd2", quick_export=True, wait=False)])
    exported = real.task("export")["result"]
    assert real.task("export")["status"] == "ok" and exported["changed"] is True and exported["job"]["status"] == "SUCCESS"
    assert real.task("quick")["result"]["job"]["job_id"]
    bucket = [bucket for bucket in control.world()["projects"][OWNER]["buckets"] if bucket["name"] == "ims-exports"][0]
    assert "base-debian-10.qcow2" in [obj["name"] for obj in bucket["objects"]]


def exported_files(control, name):
    bucket = [bucket for bucket in control.world()["projects"][OWNER]["buckets"] if bucket["name"] == "ims-exports"][0]
    return [obj for obj in bucket["objects"] if obj["name"] == name]


def test_a_rerun_keeps_the_existing_file_or_fails_when_asked_to(ansible, control):
    step = export("export", image="base-debian-10", bucket_url="ims-exports:again.qcow2", file_format="qcow2")
    strict = export("strict", image="base-debian-10", bucket_url="ims-exports:again.qcow2", file_format="vmdk", existing_file="fail")
    first = ansible.play([step])
    assert first.task("export")["result"]["changed"] is True
    control.clear_requests()
    again = ansible.play([step, strict])
    kept = again.task("export")["result"]
    assert again.task("export")["status"] == "ok" and kept["changed"] is False and kept["job"] is None
    assert kept["msg"] == "ims-exports:again.qcow2 already exists; image %s (base-debian-10) not exported again" % BASE_DEBIAN
    refused = again.task("strict")
    assert refused["status"] == "failed" and refused["result"]["error"]["code"] == "IMG.0070"
    # One export request per task, both refused: nothing else was written.
    writes = [entry for entry in control.requests() if entry["method"] != "GET" and not entry["path"].startswith(("/v3", "/_emulator"))]
    assert [(entry["path"], entry["status"]) for entry in writes] == [("/v1/cloudimages/%s/file" % BASE_DEBIAN, 400)] * 2
    assert len(exported_files(control, "again.qcow2")) == 1


def test_an_export_whose_response_was_lost_is_not_made_twice(ansible, control):
    control.add_fault("/v1/cloudimages/[^/]+/file", action="drop_after", method="POST")
    play = ansible.play([export("export", image="base-debian-10", bucket_url="ims-exports:lost.qcow2", file_format="qcow2")])
    recorded = play.task("export")
    assert recorded["status"] == "ok" and recorded["result"]["changed"] is True, recorded["result"]
    assert "may have been executed" in " ".join(recorded["result"].get("warnings", []))
    assert len(exported_files(control, "lost.qcow2")) == 1


REFUSALS = [
    ({"image": "app-full-ecs-1", "bucket_url": "ims-exports:a.qcow2", "file_format": "qcow2"}, "IMG.0128"),
    ({"image": "rescue-iso-1", "bucket_url": "ims-exports:a.qcow2", "file_format": "qcow2"}, "IMG.0167"),
    ({"image": "web-golden-1", "bucket_url": "ims-exports:a.qcow2", "file_format": "qcow2"}, "IMG.0071"),
    ({"image": UBUNTU_PUBLIC, "bucket_url": "ims-exports:a.qcow2", "file_format": "qcow2"}, "IMG.0077"),
    ({"image": "base-debian-10", "bucket_url": "ims-exports", "file_format": "qcow2"}, "bucket:file"),
    ({"image": "base-debian-10", "bucket_url": "ims-exports:../escape.qcow2", "file_format": "qcow2"}, "'..' folder"),
    ({"image": "base-debian-10", "bucket_url": "ims-exports:dir//a.qcow2", "file_format": "qcow2"}, "empty"),
    ({"image": "base-debian-10", "bucket_url": "ims-exports:a.qcow2"}, "file_format: is required"),
    ({"image": "base-debian-10", "bucket_url": "ims-exports:a.qcow2", "file_format": "qcow2", "quick_export": True}, "leave file_format out"),
    ({"image": "base-debian-10", "bucket_url": "ims-archive:a.qcow2", "file_format": "qcow2"}, "IMG.0069"),
]


def test_refusals(ansible, control):
    play = ansible.play([export("case %d" % number, **args) for number, (args, _message) in enumerate(REFUSALS)])
    for number, (_args, message) in enumerate(REFUSALS):
        recorded = play.task("case %d" % number)
        assert recorded["status"] == "failed" and message in recorded["result"]["msg"], (number, recorded["result"])
    sent = [entry for entry in control.requests() if entry["method"] == "POST" and entry["path"].endswith("/file")]
    assert len(sent) == 1  # only the bucket refusal, which only OBS knows about, reached IMS
