# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ims_image end to end: every creation source, idempotency, check mode, diff, updates, deletion, pre-flight
refusals and the failure modes of the service (job failure, timeout, lost responses, throttling)."""

import pytest
from seed import (
    BASE_DEBIAN,
    DB_SERVER,
    DEBIAN_BACKUP,
    DEBIAN_DATA_DISKS,
    DEBIAN_SERVER,
    ISO_TARGET_VOLUME,
    KMS_KEY,
    OWNER,
    UBUNTU_PUBLIC,
    WEB_GOLDEN,
    WEB_SERVER,
)

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def task(title, **args):
    return {"name": title, "hwcloud.ims.ims_image": args}


def writes(entries):
    """Requests that change something (the tag search is a POST that only reads)."""
    return [entry for entry in entries if entry["method"] in WRITES and not entry["path"].endswith("/resource_instances/action")]


def ims_requests(entries):
    return [entry for entry in entries if entry["path"].startswith(("/v1/", "/v2/"))]


def own_images(control, name):
    images = control.world()["projects"][OWNER]["images"]
    return [image for image in images if image["attributes"]["name"] == name and not image["deleted"]]


def may_fail(title, **args):
    """A task whose failure is expected: the play goes on."""
    return dict(task(title, **args), ignore_errors=True)


def ok(play, name):
    recorded = play.task(name)
    assert recorded["status"] != "failed", recorded["result"]
    return recorded["result"]


def failed(play, name):
    recorded = play.task(name)
    assert recorded["status"] == "failed", recorded["result"]
    assert "Traceback" not in recorded["result"].get("module_stderr", "")
    return recorded["result"]


def run_alone(ansible, **args):
    """One ims_image task that may fail: its result, with ``failed`` set as Ansible decided."""
    play = ansible.play([may_fail("the task", **args)])
    return dict(play.task("the task")["result"], failed=play.task("the task")["status"] == "failed")


@pytest.mark.compat
def test_create_from_stopped_server_then_rerun_changes_nothing(ansible, control):
    create = task(
        "create",
        name="web-1042",
        instance_id=WEB_SERVER,
        description="web golden image, commit abc",
        tags={"family": "web", "channel": "candidate"},
        min_ram=1024,
    )
    play = ansible.play([create, dict(create, name="again")])
    first = ok(play, "create")
    assert first["changed"] is True
    image = first["image"]
    assert image["status"] == "active" and image["name"] == "web-1042"
    assert image["description"] == "web golden image, commit abc" and image["min_ram"] == 1024
    assert image["tags"] == {"family": "web", "channel": "candidate"}
    assert first["job"]["status"] == "SUCCESS" and first["job"]["image_ids"] == [image["id"]]
    assert [entry["id"] for entry in first["images"]] == [image["id"]]

    second = ok(play, "again")
    assert second["changed"] is False and second["image"]["id"] == image["id"]
    log = control.requests()
    during_rerun = ims_requests(play.requests_of("again", log))
    assert writes(during_rerun) == []
    assert len(during_rerun) <= 2, during_rerun  # the benchmark: a no-op run costs at most 2 requests after authentication
    assert len(own_images(control, "web-1042")) == 1


def test_every_creation_source(ansible, control, tmp_path):
    local_file = tmp_path / "appliance.qcow2"
    local_file.write_bytes(b"QFI\xfb" + b"\0" * 4096)
    play = ansible.play(
        [
            task(
                "data disks",
                name="debian-app-1",
                instance_id=DEBIAN_SERVER,
                data_disks=[
                    {"volume_id": DEBIAN_DATA_DISKS[0], "name": "debian-app-1-data-1"},
                    {"volume_id": DEBIAN_DATA_DISKS[1], "name": "debian-app-1-data-2", "tags": {"role": "data"}},
                ],
            ),
            task(
                "file import",
                name="centos-imported",
                image_url="ims-images:centos7.qcow2",
                min_disk=40,
                os_version="CentOS 7.6 64bit",
                is_config=True,
                cmk_id=KMS_KEY,
                data_images=[{"image_url": "ims-images:datadisk.qcow2", "min_disk": 100, "name": "centos-imported-data"}],
            ),
            task("quick import", name="big-raw", image_url="ims-images:bigdisk.raw", quick_import=True, min_disk=300, os_version="CentOS 7.6 64bit"),
            task(
                "register",
                name="centos-registered",
                image_url="ims-images:centos7.vmdk",
                register=True,
                os_version="CentOS 7.6 64bit",
                min_disk=40,
                description="registered from OBS",
                tags={"via": "register"},
            ),
            task("iso import", name="centos-installer", image_url="ims-images:centos7.iso", image_type="IsoImage", min_disk=40, os_version="CentOS 7.6 64bit"),
            task("iso flow", name="centos-from-iso", volume_id=ISO_TARGET_VOLUME, os_version="CentOS 7.6 64bit"),
            task("full-ECS of backup", name="debian-from-backup", backup_id=DEBIAN_BACKUP, whole_image=True),
            task("copy", name="base-debian-copy", source_image="base-debian-10", cmk_id=KMS_KEY, tags={"family": "base"}, min_ram=512),
            task("local file", name="appliance", local_file=str(local_file), os_version="CentOS 7.6 64bit", min_disk=10, description="uploaded"),
        ]
    )
    data_disks = ok(play, "data disks")
    assert [image["name"] for image in data_disks["images"]] == ["debian-app-1", "debian-app-1-data-1", "debian-app-1-data-2"]
    assert data_disks["images"][2]["tags"] == {"role": "data"}
    assert data_disks["image"]["data_origin"] == "instance,%s" % DEBIAN_SERVER

    imported = ok(play, "file import")
    assert [image["name"] for image in imported["images"]] == ["centos-imported", "centos-imported-data"]
    assert imported["image"]["system_cmkid"] == KMS_KEY and imported["image"]["os_version"] == "CentOS 7.6 64bit"

    assert ok(play, "quick import")["image"]["min_disk"] == 300
    registered = ok(play, "register")["image"]
    assert registered["status"] == "active" and registered["description"] == "registered from OBS" and registered["tags"] == {"via": "register"}
    assert ok(play, "iso import")["image"]["virtual_env_type"] == "IsoImage"
    assert ok(play, "iso flow")["image"]["data_origin"] == "volume,%s" % ISO_TARGET_VOLUME
    assert ok(play, "full-ECS of backup")["image"]["whole_image"] is True

    copy = ok(play, "copy")["image"]
    assert copy["originalimagename"] == BASE_DEBIAN and copy["system_cmkid"] == KMS_KEY
    assert copy["tags"] == {"family": "base"} and copy["min_ram"] == 512

    uploaded = ok(play, "local file")
    assert uploaded["image"]["status"] == "active" and uploaded["image"]["description"] == "uploaded" and uploaded["job"] is None
    assert all(ok(play, name)["changed"] for name in ("data disks", "copy", "local file"))


def test_full_ecs_image_of_a_server_and_its_deletion_with_the_backup(ansible, control):
    play = ansible.play(
        [
            task("create", name="debian-full", instance_id=DEBIAN_SERVER, whole_image=True),
            task("delete", name="debian-full", state="absent", delete_backup=True),
            task("delete again", name="debian-full", state="absent"),
        ]
    )
    created = ok(play, "create")["image"]
    assert created["whole_image"] is True and created["backup_id"]
    assert ok(play, "delete")["changed"] is True
    assert ok(play, "delete again")["changed"] is False
    backups = control.world()["projects"][OWNER]["backups"]
    assert created["backup_id"] not in [backup["id"] for backup in backups]
    assert own_images(control, "debian-full") == []
    delete = [entry for entry in play.requests_of("delete", control.requests()) if entry["method"] == "DELETE"]
    assert [entry["path"] for entry in delete] == ["/v2/images/%s" % created["id"]]


def test_check_mode_predicts_the_real_run_and_sends_no_write(ansible, control):
    steps = [
        task("create", name="web-check", instance_id=WEB_SERVER, tags={"family": "web"}),
        task("update", name="base-debian-10", description="changed", tags={"family": "base", "channel": "stable"}),
        task("unchanged", name="base-debian-10", tags={"family": "base"}),
        task("delete", name="data-disk-1", state="absent"),
        task("delete missing", name="no-such-image", state="absent"),
    ]
    checked = ansible.play(steps, check=True, diff=True)
    assert writes(ims_requests(control.requests())) == []
    real = ansible.play(steps)
    for step in steps:
        assert ok(checked, step["name"])["changed"] == ok(real, step["name"])["changed"], step["name"]
    assert [ok(real, step["name"])["changed"] for step in steps] == [True, True, False, True, False]

    diff = ok(checked, "update")["diff"]
    assert diff["before"] == {"description": "Debian 10 base image", "tags": {"family": "base"}} or diff["before"]["tags"] == {"family": "base"}
    assert diff["after"] == {"description": "changed", "tags": {"family": "base", "channel": "stable"}}
    assert ok(checked, "create")["diff"]["after"]["tags"] == {"family": "web"}
    assert ok(checked, "delete")["diff"]["after"] == {}


def test_every_mutable_attribute_in_one_patch(ansible, control):
    attributes = {
        "description": "approved",
        "min_ram": 2048,
        "support_xen": True,
        "support_largememory": True,
        "support_diskintensive": True,
        "support_highperformance": True,
        "support_xen_hana": True,
        "support_xen_gpu_type": "M60_vGPU",
        "support_kvm_gpu_type": "V100",
        "hw_firmware_type": "uefi",
        "hw_vif_multiqueue_enabled": False,
        "is_config_init": True,
    }
    cleared = {"support_xen": False, "support_xen_gpu_type": "", "hw_firmware_type": "bios", "is_config_init": False}
    play = ansible.play(
        [
            task("update", id=WEB_GOLDEN, name="web-golden-renamed", **attributes),
            task("again", id=WEB_GOLDEN, name="web-golden-renamed", **attributes),
            task("clear", id=WEB_GOLDEN, **cleared),
        ],
        diff=True,
    )
    updated = ok(play, "update")
    assert updated["changed"] is True
    image = updated["image"]
    assert image["name"] == "web-golden-renamed" and image["description"] == "approved" and image["min_ram"] == 2048
    assert image["support_xen"] is True and image["support_xen_gpu_type"] == "M60_vGPU" and image["hw_firmware_type"] == "uefi"
    assert image["hw_vif_multiqueue_enabled"] is False and image["is_config_init"] is True
    assert ok(play, "again")["changed"] is False
    cleared_image = ok(play, "clear")["image"]
    assert "support_xen" not in cleared_image and "support_xen_gpu_type" not in cleared_image
    assert cleared_image["hw_firmware_type"] == "bios" and cleared_image["is_config_init"] is False

    log = control.requests()
    patches = [entry for entry in play.requests_of("update", log) if entry["method"] == "PATCH"]
    assert len(patches) == 1
    assert writes(play.requests_of("again", log)) == []


def test_attribute_conflict_is_retried_with_add(ansible, control):
    control.add_fault(
        method="PATCH",
        path="/v2/cloudimages/.*",
        status=400,
        body={"error": {"code": "IMG.0035", "message": "An attribute conflict occurred during the modification."}},
    )
    result = run_alone(ansible, name="base-debian-10", description="after a conflict")
    assert not result.get("failed"), result
    assert result["image"]["description"] == "after a conflict"
    patches = [entry for entry in control.requests() if entry["method"] == "PATCH"]
    assert [entry["status"] for entry in patches] == [400, 200]


def test_immutable_differences_are_warnings(ansible):
    result = run_alone(ansible, name="web-golden-1", instance_id=DEBIAN_SERVER)
    assert result["changed"] is False
    assert any("instance_id" in warning and "cannot change" in warning for warning in result["warnings"])


# One case per kind of rule; the rules themselves are unit-tested (test_image_sources, test_image_attributes).
PURE_INPUT_ERRORS = [
    ({"name": " bad name"}, "cannot start or end with a space"),
    ({"name": "ok", "description": "a <b>"}, "angle brackets"),
    ({"name": "ok", "tags": {"a=b": "c"}}, "contains ="),
    ({"name": "ok", "image_url": "ims-images:centos7.qcow2", "min_disk": 2000}, "from 1 to 1024"),
    ({"name": "ok", "instance_id": WEB_SERVER, "os_version": "CentOS 7.6 64bit"}, "does not apply"),
    ({"name": "web-1042\n", "instance_id": WEB_SERVER}, "may contain only letters"),  # a trailing newline
    ({"name": "ok", "description": "first\tsecond"}, "control characters"),
    ({"name": "ok", "tags": {"build": "42\n"}}, "control character"),
    ({"name": "ok", "image_url": "ims-images:../centos7.qcow2", "min_disk": 40}, "'..' folder"),
]


def test_pure_input_errors_fail_before_any_request(ansible, control):
    play = ansible.play([may_fail("case %d" % number, **args) for number, (args, _message) in enumerate(PURE_INPUT_ERRORS)])
    for number, (_args, message) in enumerate(PURE_INPUT_ERRORS):
        assert message in failed(play, "case %d" % number)["msg"], number
    assert ims_requests(control.requests()) == []


REMOTE_REFUSALS = [
    ({"name": "ok", "image_url": "ims-images:centos7.qcow2", "min_disk": 40, "os_version": "CentOS 99 64bit"}, "not an OS version"),
    ({"name": "ok", "source_image": "app-full-ecs-1"}, "IMG.0130"),
    ({"name": "ok", "source_image": "rescue-iso-1"}, "IMG.0167"),
    ({"name": "ok", "source_image": UBUNTU_PUBLIC}, "IMG.0083"),
    ({"name": "ok", "source_image": "db-encrypted-1", "cmk_id": KMS_KEY}, "IMG.0096"),
    ({"name": "ok", "instance_id": DB_SERVER}, "IMG.0008"),
    ({"name": "ok", "id": UBUNTU_PUBLIC}, "public image"),
    ({"name": "web-golden-1", "state": "absent", "id": UBUNTU_PUBLIC}, "public image"),
]


def test_refusals_that_need_the_service(ansible, control):
    play = ansible.play([may_fail("case %d" % number, **args) for number, (args, _message) in enumerate(REMOTE_REFUSALS)])
    for number, (_args, message) in enumerate(REMOTE_REFUSALS):
        assert message in failed(play, "case %d" % number)["msg"], number
    assert failed(play, "case 5")["error"]["code"] == "IMG.0008"
    sent = writes(ims_requests(control.requests()))
    assert [(entry["path"], entry["status"]) for entry in sent] == [("/v2/cloudimages/action", 400)]  # only the ECS refusal reached IMS


def test_a_protected_image_is_refused_before_any_write(ansible, control):
    control.bulk_images(OWNER, 1, name_prefix="guarded-", protected=True)
    control.clear_requests()
    result = run_alone(ansible, name="guarded-00001", state="absent")
    assert result.get("failed") and "protected" in result["msg"], result
    assert "Traceback" not in result.get("module_stderr", "")
    assert writes(ims_requests(control.requests())) == []
    assert len(own_images(control, "guarded-00001")) == 1


def test_a_large_local_file_needs_token_authentication(ansible, control, tmp_path):
    big_file = tmp_path / "big.raw"
    with open(big_file, "wb") as handle:
        handle.truncate(13 * 1024 * 1024)  # sparse: over the API gateway's 12 MB limit for AK/SK-signed bodies
    control.clear_requests()
    result = run_alone(ansible, name="big-upload", local_file=str(big_file), os_version="CentOS 7.6 64bit", min_disk=10)
    assert result.get("failed") and "token (password) authentication" in result["msg"], result
    assert writes(ims_requests(control.requests())) == []
    assert own_images(control, "big-upload") == []


def test_quota_is_checked_before_creating(ansible, control):
    control.bulk_images(OWNER, 94, name_prefix="filler")
    result = run_alone(ansible, name="debian-app-2", instance_id=DEBIAN_SERVER, data_disks=[{"volume_id": DEBIAN_DATA_DISKS[0], "name": "debian-app-2-data"}])
    assert result.get("failed") and "quota is used up" in result["msg"], result
    assert writes(ims_requests(control.requests())) == []


def test_failed_job_and_wait_timeout(ansible, control):
    control.fail_jobs(1, error_code="IMG.0014", fail_reason="injected failure")
    failure = run_alone(ansible, name="doomed", instance_id=DEBIAN_SERVER)
    assert failure.get("failed") and "IMG.0014" in failure["msg"] and failure["job"]["status"] == "FAIL"

    control.settings(job_seconds=30)
    timeout = run_alone(ansible, name="slow", instance_id=WEB_SERVER, wait_timeout=2)
    assert timeout.get("failed") and "did not finish within 2 seconds" in timeout["msg"], timeout


def test_no_wait_returns_the_job_and_a_rerun_waits_for_the_creation_in_flight(ansible, control):
    control.settings(job_seconds=3)
    play = ansible.play(
        [
            task("start", name="web-inflight", instance_id=WEB_SERVER, wait=False),
            task("still running", name="web-inflight", instance_id=WEB_SERVER, wait=False),
            task("finish", name="web-inflight", instance_id=WEB_SERVER),
            {"name": "resume", "hwcloud.ims.ims_job": {"job_id": "{{ started.job.job_id }}"}},
        ]
    )
    started = ok(play, "start")
    assert started["changed"] is True and started["job"]["job_id"] and started["image"] is None
    assert ok(play, "still running")["changed"] is False
    finished = ok(play, "finish")
    assert finished["changed"] is False and finished["image"]["status"] == "active"
    assert len(own_images(control, "web-inflight")) == 1
    creates = [entry for entry in control.requests() if entry["method"] == "POST" and entry["path"] == "/v2/cloudimages/action"]
    assert len(creates) == 1


def test_several_images_of_the_name_fail_naming_each_and_why(ansible, control):
    ids = [control.bulk_images(OWNER, 1, name_prefix="twice-")["ids"][0] for _copy in range(2)]  # both "twice-00001"
    result = run_alone(ansible, name="twice-00001", instance_id=WEB_SERVER)
    assert result.get("failed"), result
    assert "2 images of project %s have this name" % OWNER in result["msg"] and "raced" in result["msg"]
    created = {image["attributes"]["id"]: image["attributes"]["created_at"] for image in control.world()["projects"][OWNER]["images"]}
    oldest = min(ids, key=lambda image_id: (created[image_id], image_id))  # by creation time, then ID
    assert all(image_id in result["msg"] for image_id in ids) and "keeps the oldest (%s)" % oldest in result["msg"]


def test_a_lost_create_response_makes_exactly_one_image(ansible, control):
    control.add_fault(method="POST", path="/v2/cloudimages/action", action="drop_after")
    result = run_alone(ansible, name="web-lost", instance_id=WEB_SERVER)
    assert not result.get("failed"), result
    assert result["image"]["status"] == "active"
    assert any("may have been executed" in warning for warning in result["warnings"])
    assert len(own_images(control, "web-lost")) == 1


def test_a_lost_metadata_response_resumes_the_registration(ansible, control):
    control.add_fault(method="POST", path="/v2/images", action="drop_after")
    result = run_alone(ansible, name="registered-lost", image_url="ims-images:centos7.qcow2", register=True, os_version="CentOS 7.6 64bit", min_disk=40)
    assert not result.get("failed"), result
    assert result["image"]["status"] == "active"
    assert len(own_images(control, "registered-lost")) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429},
        {"status": 400, "body": {"error": {"code": "IMG.0060", "message": "The number of tasks exceeds the flow control limit."}}, "headers": {}},
    ],
)
def test_throttling_bursts_are_retried(ansible, control, fault):
    control.add_fault(method="POST", path="/v2/cloudimages/action", count=2, **fault)
    result = run_alone(ansible, name="web-throttled", instance_id=WEB_SERVER)
    assert not result.get("failed"), result
    assert result["changed"] is True and len(own_images(control, "web-throttled")) == 1
    assert len([warning for warning in result["warnings"] if "retry" in warning]) == 2
