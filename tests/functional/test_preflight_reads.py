# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode that sees what IMS cannot: ECS and OBS are read (never written) before any write, in check mode too, so
that a running ECS, a missing OBS file or an export's existing file fail or are predicted exactly as the real run
ends; without an endpoint, with token credentials for OBS, or without the permission (403), the collection says so and
leaves the decision to IMS."""

import pytest
from seed import DB_SERVER, DEBIAN_DATA_DISKS, WEB_SERVER

WRITES = ("POST", "PUT", "PATCH", "DELETE")
CREATE = ("POST", "/v2/cloudimages/action")


def peers(ansible):
    """The environment that points the collection at the emulator's ECS and OBS endpoints."""
    return {"HW_ECS_ENDPOINT": ansible.emulator.info.ecs_endpoint, "HW_OBS_ENDPOINT": ansible.emulator.info.obs_endpoint}


def image_task(title, **args):
    return {"name": title, "hwcloud.ims.ims_image": args, "ignore_errors": True}


def export_task(title, **args):
    return {"name": title, "hwcloud.ims.ims_image_export": args, "ignore_errors": True}


def writes(control):
    return [
        (entry["method"], entry["path"])
        for entry in control.requests()
        if entry["method"] in WRITES and not entry["path"].startswith(("/v3", "/_emulator")) and not entry["path"].endswith("/resource_instances/action")
    ]


def reads_of(control, prefix):
    return [(entry["method"], entry["path"], entry["status"]) for entry in control.requests() if entry["path"].startswith(prefix)]


REFUSED_BEFORE_ANY_WRITE = [
    (
        {"name": "from-running", "instance_id": DB_SERVER},
        "ECS %s (builder-db-01, ACTIVE): a system disk image needs an ECS that is SHUTOFF (IMG.0008)" % DB_SERVER,
    ),
    ({"name": "from-nowhere", "instance_id": "00000000-0000-4000-8000-000000000000"}, "does not exist in project"),
    (
        {"name": "foreign-disk", "instance_id": WEB_SERVER, "data_disks": [{"volume_id": DEBIAN_DATA_DISKS[0], "name": "d"}]},
        "volume %s is not attached to ECS %s" % (DEBIAN_DATA_DISKS[0], WEB_SERVER),
    ),
    ({"name": "no-file", "image_url": "ims-images:missing.qcow2", "min_disk": 40}, "OBS file ims-images:missing.qcow2 does not exist (IMG.0057)"),
    ({"name": "empty-file", "image_url": "ims-images:empty.qcow2", "min_disk": 40}, "is empty (IMG.0057)"),
    ({"name": "no-bucket", "image_url": "no-such-bucket:a.qcow2", "min_disk": 40}, "OBS bucket no-such-bucket does not exist (IMG.0069)"),
    ({"name": "warm", "image_url": "ims-archive:a.qcow2", "min_disk": 40}, "is of the WARM storage class"),
    ({"name": "too-big", "image_url": "ims-images:bigdisk.raw", "min_disk": 300, "os_version": "CentOS 7.6 64bit"}, "up to 128 GB (IMG.0059)"),
    ({"name": "data-missing", "image_url": "ims-images:missing.qcow2", "min_disk": 40, "image_type": "DataImage"}, "does not exist (IMG.0057)"),
]


@pytest.mark.parametrize("check", [True, False], ids=["check", "real"])
def test_what_ims_would_refuse_fails_before_any_write_in_both_modes(ansible, control, check):
    tasks = [image_task("case %d" % number, **args) for number, (args, _message) in enumerate(REFUSED_BEFORE_ANY_WRITE)]
    play = ansible.play(tasks, check=check, env=peers(ansible))
    for number, (_args, message) in enumerate(REFUSED_BEFORE_ANY_WRITE):
        recorded = play.task("case %d" % number)
        assert recorded["status"] == "failed" and message in recorded["result"]["msg"], (number, recorded["result"])
    assert writes(control) == []
    assert ("GET", "/v1/67477b5b052646869adfd66f5cb8d955/cloudservers/%s" % DB_SERVER, 200) in reads_of(control, "/v1/")
    assert ("HEAD", "/ims-images/missing.qcow2", 404) in reads_of(control, "/ims-images")


def test_check_mode_predicts_a_creation_from_a_stopped_ecs_and_shows_its_source(ansible, control):
    args = {"name": "web-checked", "instance_id": WEB_SERVER}
    checked = ansible.play([image_task("create", **args)], check=True, diff=True, env=peers(ansible)).task("create")["result"]
    assert checked["changed"] is True and writes(control) == []
    assert checked["diff"]["after"]["source"] == "an image of ECS %s (builder-web-01, SHUTOFF)" % WEB_SERVER
    real = ansible.play([image_task("create", **args)], diff=True, env=peers(ansible)).task("create")["result"]
    assert real["changed"] is True and real["image"]["name"] == "web-checked"
    assert real["diff"]["after"]["source"] == checked["diff"]["after"]["source"]
    file_diff = ansible.play(
        [image_task("file", name="file-checked", image_url="ims-images:centos7.qcow2", min_disk=40)], check=True, diff=True, env=peers(ansible)
    )
    assert file_diff.task("file")["result"]["diff"]["after"]["source"].startswith("an image of OBS file ims-images:centos7.qcow2 (")


def test_an_export_to_an_existing_file_is_predicted_exactly(ansible, control):
    export = {"image": "base-debian-10", "bucket_url": "ims-exports:base.qcow2", "file_format": "qcow2"}
    first = ansible.play([export_task("export", **export)], env=peers(ansible)).task("export")["result"]
    assert first["changed"] is True
    control.clear_requests()
    play = ansible.play([export_task("export", **export), export_task("strict", existing_file="fail", **export)], check=True, env=peers(ansible))
    kept = play.task("export")["result"]
    assert kept["changed"] is False and kept["msg"].startswith("ims-exports:base.qcow2 already exists")
    assert play.task("strict")["status"] == "failed" and "IMS never overwrites a file (IMG.0070)" in play.task("strict")["result"]["msg"]
    again = ansible.play([export_task("export", **export)], env=peers(ansible)).task("export")["result"]
    assert again["changed"] is False
    assert writes(control) == []  # neither check mode nor the real re-run asked IMS to export
    predicted = ansible.play(
        [export_task("new", image="base-debian-10", bucket_url="ims-exports:new.qcow2", file_format="qcow2")], check=True, env=peers(ansible)
    )
    assert predicted.task("new")["result"]["changed"] is True


def test_without_permission_the_check_is_left_to_ims_with_a_warning(ansible, control):
    # apps-images belongs to a project the builder may not use: OBS answers 403.
    play = ansible.play([image_task("foreign bucket", name="foreign", image_url="apps-images:app.qcow2", min_disk=40)], env=peers(ansible))
    result = play.task("foreign bucket")["result"]
    assert any("is not checked before the request, IMS decides: the credentials may not read it" in warning for warning in result["warnings"]), result
    assert play.task("foreign bucket")["status"] == "failed" and result["error"]["code"] == "IMG.0069"
    control.add_fault("/v1/[^/]+/cloudservers/.*", method="GET", status=403, body={"error": {"code": "Ecs.0001", "message": "policy forbids"}})
    play = ansible.play([image_task("denied ecs", name="denied", instance_id=DB_SERVER)], env=peers(ansible))
    result = play.task("denied ecs")["result"]
    assert any("ECS %s is not checked before the request" % DB_SERVER in warning for warning in result["warnings"]), result
    assert result["error"]["code"] == "IMG.0008"  # IMS refused it, as without the check
    assert CREATE in writes(control)


def test_token_credentials_read_ecs_but_not_obs(ansible, control):
    play = ansible.play(
        [image_task("running", name="r", instance_id=DB_SERVER), image_task("file", name="f", image_url="ims-images:missing.qcow2", min_disk=40)],
        auth="password",
        check=True,
    )
    assert "needs an ECS that is SHUTOFF (IMG.0008)" in play.task("running")["result"]["msg"]  # ECS from the IAM catalog
    file_result = play.task("file")["result"]
    assert file_result["changed"] is True
    assert any("OBS takes AK/SK signatures only" in warning for warning in file_result["warnings"]), file_result
    assert reads_of(control, "/ims-images") == []


def test_without_endpoints_the_checks_are_left_to_ims_with_a_warning(ansible, control):
    result = ansible.play([image_task("running", name="r", instance_id=DB_SERVER)]).task("running")["result"]
    assert result["error"]["code"] == "IMG.0008"
    assert any("no ECS endpoint is known (set ecs_endpoint" in warning and "HW_ECS_ENDPOINT" in warning for warning in result["warnings"]), result
