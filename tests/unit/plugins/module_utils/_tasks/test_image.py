# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ImageLifecycle, the task of ims_image, against a small stateful fake IMS (fakes.FakeIms) over a real ImsClient.

Every test asserts on the requests actually sent (``fake.writes()``: method, path, body of each request that is no
read) and on the result. Check mode runs on a read-only session, as the module does: a write would raise instead
of being sent. Waiting runs on the fake clock, so nothing sleeps.
"""

import fcntl
import hashlib
import os
import stat

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.auth import AkSkAuth
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import (
    ApiError,
    JobFailedError,
    JobTimeoutError,
    ResponseLostError,
    ValidationError,
    WaitTimeoutError,
)
from ansible_collections.hwcloud.ims.plugins.module_utils._client.ims_client import ImsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.signer import AkSkSigner
from ansible_collections.hwcloud.ims.plugins.module_utils._client.waiting import LOST_RESPONSE_ATTEMPTS, UNSETTLED_GRACE_MIN
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks import image as image_task
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image import ImageLifecycle, ImageStateError, name_lock
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_ref import ImageReferenceError
from ansible_collections.hwcloud.ims.plugins.modules.ims_image import ARGUMENT_SPEC
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import FakeIms, ims_error

ENDPOINT = "https://ims.example.com"
# The options as the module hands them over: every option present, defaults applied.
DEFAULTS = {option: spec.get("default") for option, spec in ARGUMENT_SPEC.items()}
UBUNTU = "Ubuntu 22.04 server 64bit"
CREATE = "/v2/cloudimages/action"
METADATA = "/v2/images"


@pytest.fixture
def fake():
    return FakeIms()


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    """A private XDG_CACHE_HOME: the name lock's files go there, never into the user's cache."""
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def lifecycle(fake, make_session):
    """lifecycle(check_mode=False, auth=None, **options) -> (ImageLifecycle, warnings it gave)."""

    def build(check_mode=False, auth=None, **options):
        ims = ImsClient(make_session(fake, read_only=check_mode), ENDPOINT, fake.project_id, auth)
        warnings = []

        def warn(message):
            # No ECS or OBS client is attached here: the pre-flight reads of those are the subject of
            # test_source_checks.py, and the warnings that they were skipped are left out of these tests.
            if "is not checked before the request" not in message:
                warnings.append(message)

        return ImageLifecycle(ims, dict(DEFAULTS, **options), check_mode=check_mode, warn=warn), warnings

    return build


def image_path(image_id):
    return "/v2/cloudimages/%s" % image_id


def tag_path(image_id):
    return "/v2/p1/images/%s/tags/action" % image_id


def only_image_named(fake, name):
    (image_id,) = [image_id for image_id, image in fake.images.items() if image["name"] == name]
    return image_id


def lock_directory(cache_home):
    return cache_home / "hwcloud.ims" / "locks"


# --- creating ---------------------------------------------------------------------------------------------------


def test_create_from_an_ecs_waits_for_its_job_and_sets_what_the_request_cannot_carry(lifecycle, fake):
    task, warnings = lifecycle(name="web", instance_id="i-1", description="web servers", tags={"family": "web"}, hw_firmware_type="uefi")
    result = task.present()
    image_id = only_image_named(fake, "web")
    assert fake.writes() == [
        ("POST", CREATE, {"name": "web", "description": "web servers", "image_tags": [{"key": "family", "value": "web"}], "instance_id": "i-1"}),
        # The boot mode is no field of the creation request: it is patched in once the image is active. The tags
        # went with the creation, so no tag request follows.
        ("PATCH", image_path(image_id), [{"op": "add", "path": "/hw_firmware_type", "value": "uefi"}]),
    ]
    assert result["changed"] is True
    assert result["diff"] == {
        "before": {},
        "after": {"name": "web", "description": "web servers", "hw_firmware_type": "uefi", "tags": {"family": "web"}, "source": "an image of ECS i-1"},
    }
    assert result["job"]["status"] == "SUCCESS" and result["job"]["image_ids"] == [image_id]
    image = result["image"]
    assert (image["id"], image["status"], image["hw_firmware_type"], image["tags"]) == (image_id, "active", "uefi", {"family": "web"})
    assert result["images"] == [image]
    assert warnings == []


def test_create_without_wait_returns_the_job_to_resume(lifecycle, fake):
    task, _warnings = lifecycle(name="web", instance_id="i-1", wait=False)
    result = task.present()
    job_id = next(iter(fake.jobs))
    assert result == {
        "changed": True,
        "diff": {"before": {}, "after": {"name": "web", "tags": {}, "source": "an image of ECS i-1"}},
        "job": {"job_id": job_id},
        "image": None,
        "images": [],
    }
    assert [method for method, _path, _body in fake.writes()] == ["POST"]
    assert fake.calls("GET", r"/v1/p1/jobs/.*") == []


def test_a_multi_image_job_returns_every_image(lifecycle, fake):
    data_disk = {"volume_id": "v-1", "name": "web-data", "description": None, "tags": {"role": "data"}}
    task, _warnings = lifecycle(name="web", instance_id="i-1", data_disks=[data_disk])
    result = task.present()
    system_id, data_id = only_image_named(fake, "web"), only_image_named(fake, "web-data")
    assert fake.writes() == [
        (
            "POST",
            CREATE,
            {"name": "web", "instance_id": "i-1", "data_images": [{"volume_id": "v-1", "name": "web-data", "tags": ["role.data"]}]},
        )
    ]
    assert result["job"]["image_ids"] == [system_id, data_id]
    assert [(image["id"], image["status"]) for image in result["images"]] == [(system_id, "active"), (data_id, "active")]
    assert result["image"] == result["images"][0]


def test_check_mode_predicts_the_creation_after_every_read(lifecycle, fake):
    task, _warnings = lifecycle(check_mode=True, name="web", image_url="bucket:web.qcow2", min_disk=40, os_version=UBUNTU, min_ram=1024, tags={"a": "1"})
    result = task.present()
    assert result == {
        "changed": True,
        "diff": {"before": {}, "after": {"name": "web", "min_ram": 1024, "tags": {"a": "1"}, "source": "an image of OBS file bucket:web.qcow2"}},
        "image": None,
        "images": [],
        "job": None,
    }
    assert fake.writes() == []
    # The pre-flight reads run in check mode too: what would fail, fails there.
    assert [request.url.path for request in fake.requests] == ["/v2/cloudimages", "/v1/cloudimages/quota", "/v1/cloudimages/os_version"]
    assert fake.images == {}


@pytest.mark.parametrize(
    "existing, data_disks, message",
    [
        (3, [], "3 of 3 images exist and an image of ECS i-1 makes 1"),
        (2, [{"volume_id": "v-1", "name": "web-data", "description": None, "tags": None}], "2 of 3 images exist and an image of ECS i-1 makes 2"),
    ],
    ids=["full", "room-for-one-of-two"],
)
def test_a_used_up_quota_refuses_before_the_creation(lifecycle, fake, existing, data_disks, message):
    fake.quota = 3
    for number in range(existing):
        fake.add_image("other-%d" % number)
    task, _warnings = lifecycle(name="web", instance_id="i-1", data_disks=data_disks)
    with pytest.raises(ValidationError, match="quota is used up: " + message) as raised:
        task.present()
    assert raised.value.field == "name"
    assert fake.writes() == []


def test_an_os_version_the_region_does_not_know_is_refused_before_the_creation(lifecycle, fake):
    task, _warnings = lifecycle(name="web", image_url="bucket:web.qcow2", min_disk=40, os_version="Ubuntu 4.10 server 32bit")
    with pytest.raises(ValidationError, match="'Ubuntu 4.10 server 32bit' is not an OS version this region accepts") as raised:
        task.present()
    assert raised.value.field == "os_version"
    assert fake.calls("GET", "/v1/cloudimages/os_version") and fake.writes() == []


@pytest.mark.parametrize(
    "attributes, cmk_id, field, code",
    [
        ({"visibility": "public", "imagetype": "gold", "owner": "p0"}, None, "source_image", "IMG.0083"),
        ({"whole_image": "true"}, None, "source_image", "IMG.0130"),
        ({"virtual_env_type": "IsoImage", "disk_format": "iso"}, None, "source_image", "IMG.0167"),
        ({"owner": "p2", "visibility": "shared", "system_cmkid": "key-1"}, None, "source_image", "IMG.0197"),
        ({"status": "saving"}, None, "source_image", "IMG.0046"),
        ({"system_cmkid": "key-1"}, "key-1", "cmk_id", "IMG.0096"),
    ],
    ids=["public", "full-ecs", "iso", "encrypted-and-shared", "not-active", "same-key"],
)
def test_copies_the_reference_forbids_are_refused_before_the_request(lifecycle, fake, attributes, cmk_id, field, code):
    source_id = fake.add_image("base", **dict({"status": "active"}, **attributes))
    task, _warnings = lifecycle(name="web", source_image=source_id, cmk_id=cmk_id)
    with pytest.raises(ValidationError, match=r"image %s \(base\).*\(%s\)" % (source_id, code)) as raised:
        task.present()
    assert raised.value.field == field
    assert fake.writes() == []


def test_a_copy_of_an_unknown_image_is_refused(lifecycle, fake):
    task, _warnings = lifecycle(name="web", source_image="base")
    with pytest.raises(ImageReferenceError, match="image base: no such image visible to project p1"):
        task.present()
    assert fake.writes() == []


def test_a_copy_by_source_name_gets_the_tags_the_copy_call_cannot_carry(lifecycle, fake):
    source_id = fake.add_image("base", tags={"family": "base"})
    task, _warnings = lifecycle(name="web", source_image="base", description="copy of base", tags={"family": "web"})
    result = task.present()
    copy_id = only_image_named(fake, "web")
    assert fake.writes() == [
        ("POST", "/v1/cloudimages/%s/copy" % source_id, {"name": "web", "description": "copy of base"}),
        ("POST", tag_path(copy_id), {"action": "create", "tags": [{"key": "family", "value": "web"}]}),
    ]
    assert result["image"]["tags"] == {"family": "web"} and fake.tags_of(copy_id) == {"family": "web"}
    assert result["image"]["originalimagename"] == source_id


def test_a_failed_job_fails_the_task_with_the_job(lifecycle, fake):
    fake.job_failure = ("IMS.0012", "the ECS is not stopped")
    task, _warnings = lifecycle(name="web", instance_id="i-1")
    with pytest.raises(JobFailedError) as raised:
        task.present()
    assert (raised.value.error_code, raised.value.job.status) == ("IMS.0012", "FAIL")
    assert [path for _method, path, _body in fake.writes()] == [CREATE]


def test_an_image_that_fails_after_its_job_succeeded_fails_the_task(lifecycle, fake):
    fake.job_final_status = "killed"
    task, _warnings = lifecycle(name="web", instance_id="i-1", support_xen=True)
    with pytest.raises(ImageStateError, match=r"image \S+ \(web\) was created but failed \(status killed\)"):
        task.present()
    # Nothing is patched on a failed image.
    assert [method for method, _path, _body in fake.writes()] == ["POST"]


def test_register_creates_the_metadata_then_registers_the_file_and_waits(lifecycle, fake):
    task, _warnings = lifecycle(name="web", image_url="bucket:web.qcow2", register=True, os_version=UBUNTU, min_disk=40, disk_format="qcow2")
    result = task.present()
    image_id = only_image_named(fake, "web")
    assert fake.writes() == [
        (
            "POST",
            METADATA,
            {
                "name": "web",
                "__os_version": UBUNTU,
                "disk_format": "qcow2",
                "container_format": "bare",
                "min_disk": 40,
                "visibility": "private",
                "protected": False,
            },
        ),
        ("PUT", "/v1/cloudimages/%s/upload" % image_id, {"image_url": "bucket:web.qcow2"}),
    ]
    assert result["job"]["status"] == "SUCCESS" and result["image"]["status"] == "active"
    assert result["image"]["data_origin"] == "file,bucket:web.qcow2"


def test_an_upload_sends_the_file_into_new_metadata(lifecycle, fake, tmp_path):
    disk = tmp_path / "web.qcow2"
    disk.write_bytes(b"QFI\xfb" + b"\0" * 1020)
    task, _warnings = lifecycle(name="web", local_file=str(disk), min_disk=1)
    result = task.present()
    image_id = only_image_named(fake, "web")
    writes = fake.writes()
    assert [(method, path) for method, path, _body in writes] == [("POST", METADATA), ("PUT", "/v2/images/%s/file" % image_id)]
    assert writes[0][2]["disk_format"] == "qcow2"
    assert fake.calls("PUT", "/v2/images/.*/file")[0].content == disk.read_bytes()
    # An upload has no job: the image itself is waited for.
    assert result["job"] is None and result["image"]["status"] == "active"


def test_an_upload_too_large_for_aksk_is_refused_before_the_metadata(lifecycle, fake, tmp_path):
    disk = tmp_path / "web.raw"
    with open(disk, "wb") as stream:
        stream.truncate(13 * 1024 * 1024)  # sparse: no 13 MB written
    task, _warnings = lifecycle(name="web", local_file=str(disk), auth=AkSkAuth(AkSkSigner("AK", "SK"), "p1"))
    with pytest.raises(ValidationError, match="uploads over 12 MB need token"):
        task.present()
    assert fake.writes() == []


# --- a creation whose response was lost -------------------------------------------------------------------------


def test_a_lost_creation_that_took_effect_is_waited_for_not_sent_again(lifecycle, fake):
    fake.lose_next("POST", CREATE, executed=True)
    task, warnings = lifecycle(name="web", instance_id="i-1")
    result = task.present()
    image_id = only_image_named(fake, "web")
    assert [(method, path) for method, path, _body in fake.writes()] == [("POST", CREATE)]
    assert result["changed"] is True and result["image"]["id"] == image_id and result["image"]["status"] == "active"
    # The job ID was in the lost answer: the image is waited for instead.
    assert result["job"] is None
    assert len(warnings) == 1
    assert warnings[0].startswith("create image 'web' from ECS i-1 failed: ReadTimeout: the response was lost; the request may have been executed")
    assert warnings[0].endswith("; looking for a new image named 'web' for up to %g s before sending anything again" % UNSETTLED_GRACE_MIN)


def test_a_lost_metadata_creation_is_resumed_with_its_file_step(lifecycle, fake):
    fake.lose_next("POST", METADATA, executed=True)
    task, warnings = lifecycle(name="web", image_url="bucket:web.qcow2", register=True, os_version=UBUNTU)
    result = task.present()
    image_id = only_image_named(fake, "web")
    assert [(method, path) for method, path, _body in fake.writes()] == [("POST", METADATA), ("PUT", "/v1/cloudimages/%s/upload" % image_id)]
    assert result["job"]["status"] == "SUCCESS" and result["image"]["status"] == "active"
    assert len(warnings) == 1


def test_a_lost_creation_that_did_not_take_effect_is_sent_again_once_after_the_grace(lifecycle, fake, clock):
    fake.lose_next("POST", CREATE, executed=False)
    task, warnings = lifecycle(name="web", instance_id="i-1")
    started = clock()
    result = task.present()
    creations = fake.calls("POST", CREATE)
    assert len(creations) == 2 and creations[0].content == creations[1].content
    assert len(fake.images) == 1 and result["image"]["status"] == "active" and result["job"]["status"] == "SUCCESS"
    # No answer came, in no time: the shortest look for the effect, then the second attempt.
    assert clock() - started >= UNSETTLED_GRACE_MIN
    assert warnings[1] == "a new image named 'web' did not appear within %g s: sending the request again (attempt 2 of %d)" % (
        UNSETTLED_GRACE_MIN,
        LOST_RESPONSE_ATTEMPTS,
    )


def test_the_grace_of_a_lost_creation_is_bounded_by_wait_timeout(lifecycle, fake):
    fake.lose_next("POST", CREATE, executed=False)
    task, warnings = lifecycle(name="web", instance_id="i-1", wait_timeout=1, wait=False)
    task.present()
    assert "did not appear within 1 s" in warnings[1]
    assert len(fake.calls("POST", CREATE)) == 2


def test_a_creation_lost_on_every_attempt_fails_after_the_last(lifecycle, fake):
    for _attempt in range(LOST_RESPONSE_ATTEMPTS):
        fake.lose_next("POST", CREATE, executed=False)
    task, _warnings = lifecycle(name="web", instance_id="i-1")
    with pytest.raises(ResponseLostError):
        task.present()
    assert len(fake.calls("POST", CREATE)) == LOST_RESPONSE_ATTEMPTS and fake.images == {}


def test_the_shared_deadline_leaves_the_job_what_the_grace_did_not_spend(lifecycle, fake):
    fake.job_polls = 10**6
    fake.lose_next("POST", CREATE, executed=False)
    task, _warnings = lifecycle(name="web", instance_id="i-1", wait_timeout=100)
    with pytest.raises(JobTimeoutError) as raised:
        task.present()
    assert raised.value.timeout == 100 - UNSETTLED_GRACE_MIN


# --- an image of the name in flight -----------------------------------------------------------------------------


def test_a_queued_image_of_a_metadata_source_is_resumed(lifecycle, fake):
    image_id = fake.add_image("web", status="queued")
    task, _warnings = lifecycle(name="web", image_url="bucket:web.qcow2", register=True)
    result = task.present()
    assert fake.writes() == [("PUT", "/v1/cloudimages/%s/upload" % image_id, {"image_url": "bucket:web.qcow2"})]
    assert result["image"]["status"] == "active" and result["images"] == [result["image"]]


def test_a_queued_image_whose_file_step_runs_is_waited_for(lifecycle, fake):
    image_id = fake.add_image("web", status="queued")
    fake.start_file_step(image_id)
    task, _warnings = lifecycle(name="web", image_url="bucket:web.qcow2", register=True)
    result = task.present()
    # The register was tried once and answered IMG.0046: the file step already runs, so the image is waited for.
    assert [(method, path) for method, path, _body in fake.writes()] == [("PUT", "/v1/cloudimages/%s/upload" % image_id)]
    assert result["image"]["status"] == "active"


def test_another_refusal_of_the_resumption_fails_the_task(lifecycle, fake):
    image_id = fake.add_image("web", status="queued")
    fake.answer_next("PUT", "/v1/cloudimages/.*/upload", ims_error(400, "IMG.0010", "the OBS file does not exist"))
    task, _warnings = lifecycle(name="web", image_url="bucket:web.qcow2", register=True)
    with pytest.raises(ApiError) as raised:
        task.present()
    assert raised.value.code == "IMG.0010"
    assert len(fake.calls("PUT", "/v1/cloudimages/%s/upload" % image_id)) == 1


def test_a_resumed_image_not_waited_for_returns_its_job(lifecycle, fake):
    image_id = fake.add_image("web", status="queued")
    task, _warnings = lifecycle(name="web", image_url="bucket:web.qcow2", register=True, wait=False)
    result = task.present()
    job_id = next(iter(fake.jobs))
    assert result["job"] == {"job_id": job_id} and result["image"]["id"] == image_id and result["image"]["status"] == "queued"
    assert result["images"] == [result["image"]]


@pytest.mark.parametrize("wait", [True, False])
def test_resuming_an_interrupted_creation_is_a_change(lifecycle, fake, wait):
    fake.add_image("web", status="queued")
    task, _warnings = lifecycle(name="web", image_url="bucket:web.qcow2", register=True, wait=wait)
    result = task.present()
    assert fake.writes() and result["changed"] is True


def test_check_mode_predicts_the_resumption_of_a_queued_image(lifecycle, fake):
    fake.add_image("web", status="queued")
    task, _warnings = lifecycle(check_mode=True, name="web", image_url="bucket:web.qcow2", register=True, wait_timeout=600)
    result = task.present()
    assert result["changed"] is True and fake.writes() == []


def test_an_image_being_created_elsewhere_is_waited_for_then_updated(lifecycle, fake):
    image_id = fake.add_image("web", status="saving")
    fake.creating(image_id)
    task, _warnings = lifecycle(name="web", instance_id="i-1", description="new")
    result = task.present()
    # No second creation: the in-flight image is the one the task means.
    assert fake.writes() == [("PATCH", image_path(image_id), [{"op": "add", "path": "/__description", "value": "new"}])]
    assert result["changed"] is True and result["image"]["status"] == "active" and result["image"]["description"] == "new"


def test_an_image_in_flight_not_waited_for_is_returned_as_it_is(lifecycle, fake):
    image_id = fake.add_image("web", status="saving")
    task, _warnings = lifecycle(name="web", wait=False)
    result = task.present()
    assert result == {"changed": False, "image": result["image"], "images": [result["image"]], "job": None}
    assert (result["image"]["id"], result["image"]["status"]) == (image_id, "saving")
    assert fake.writes() == []


def test_an_image_in_flight_that_fails_fails_the_task(lifecycle, fake):
    fake.job_failure = ("IMG.0001", "conversion failed")
    image_id = fake.add_image("web", status="saving")
    fake.creating(image_id)
    task, _warnings = lifecycle(name="web")
    with pytest.raises(ImageStateError, match=r"image %s \(web\) failed to be created \(status killed\); delete it" % image_id):
        task.present()
    assert fake.writes() == []


# --- finding ----------------------------------------------------------------------------------------------------


def test_several_live_images_of_the_name_are_an_error_listing_their_ids(lifecycle, fake):
    first, second = fake.add_image("web"), fake.add_image("web", status="saving")
    task, _warnings = lifecycle(name="web", instance_id="i-1")
    with pytest.raises(
        ImageReferenceError, match=r"image web: 2 images of project p1 have this name: %s \(.*\), %s \(.*give the ID of the one you mean" % (first, second)
    ):
        task.present()
    assert fake.writes() == []


def test_failed_and_deleted_images_of_the_name_are_ignored_the_failed_ones_with_a_warning(lifecycle, fake):
    killed = fake.add_image("web", status="killed")
    fake.add_image("web", status="deleted")
    task, warnings = lifecycle(name="web", instance_id="i-1", wait=False)
    result = task.present()
    assert result["changed"] is True and [path for _method, path, _body in fake.writes()] == [CREATE]
    assert warnings == ["image %s of the same name failed to be created (status killed) and is ignored; delete it" % killed]


def test_no_image_of_the_name_and_no_source_is_an_error_naming_the_sources(lifecycle, fake):
    task, _warnings = lifecycle(name="web", description="x")
    with pytest.raises(ValidationError, match=r"no image named 'web' in project p1, and no source to create it from \(instance_id, volume_id,") as raised:
        task.present()
    assert raised.value.field == "name" and fake.writes() == []


def test_an_unknown_id_is_not_created(lifecycle, fake):
    unknown = "00000000-0000-4000-8000-00000000abcd"
    task, _warnings = lifecycle(id=unknown, name="web", instance_id="i-1")
    with pytest.raises(ImageReferenceError, match="image %s: no such image in project p1; an image is created by name, without id" % unknown):
        task.present()
    assert fake.writes() == []


@pytest.mark.parametrize(
    "attributes, message",
    [
        ({"owner": "p2", "visibility": "shared"}, "belongs to project p2, not to project p1"),
        ({"owner": "p0", "visibility": "public", "imagetype": "gold"}, "is a public image"),
    ],
    ids=["shared", "public"],
)
def test_an_id_of_an_image_of_another_project_is_refused(lifecycle, fake, attributes, message):
    image_id = fake.add_image("web", **attributes)
    task, _warnings = lifecycle(id=image_id, description="mine now")
    with pytest.raises(ImageReferenceError, match=message):
        task.present()
    assert fake.writes() == []


def test_a_failed_image_given_by_id_is_an_error(lifecycle, fake):
    image_id = fake.add_image("web", status="killed")
    task, _warnings = lifecycle(id=image_id)
    with pytest.raises(ImageStateError, match="status killed"):
        task.present()


@pytest.mark.parametrize(
    "options, field",
    [
        ({"name": "web", "min_ram": -1}, "min_ram"),
        ({"name": "web", "tags": {"a/b": "1"}}, "tags"),
        ({"name": "web", "image_url": "nobucket", "min_disk": 40}, "image_url"),
    ],
    ids=["attribute", "tags", "source"],
)
def test_bad_input_is_refused_before_any_request(lifecycle, fake, options, field):
    task, _warnings = lifecycle(**options)
    with pytest.raises(ValidationError) as raised:
        task.present()
    assert raised.value.field == field and fake.requests == []


# --- updating ---------------------------------------------------------------------------------------------------


def test_an_image_as_wanted_sends_nothing(lifecycle, fake):
    image_id = fake.add_image("web", description="web servers", tags={"family": "web"})
    task, _warnings = lifecycle(name="web", description="web servers", tags={"family": "web"}, min_ram=0)
    result = task.present()
    assert fake.writes() == []
    assert result["changed"] is False and result["job"] is None and result["image"]["id"] == image_id
    before = {"description": "web servers", "min_ram": 0, "tags": {"family": "web"}}
    assert result["diff"] == {"before": before, "after": before}


def test_an_update_is_one_patch_and_the_tag_plan(lifecycle, fake):
    image_id = fake.add_image("web", description="old", tags={"family": "web", "stale": "yes"})
    task, _warnings = lifecycle(name="web", description="new", support_xen=True, tags={"family": "web", "channel": "stable"}, purge_tags=True)
    result = task.present()
    assert fake.writes() == [
        (
            "PATCH",
            image_path(image_id),
            [{"op": "replace", "path": "/__description", "value": "new"}, {"op": "add", "path": "/__support_xen", "value": "true"}],
        ),
        ("POST", tag_path(image_id), {"action": "delete", "tags": [{"key": "stale"}]}),
        ("POST", tag_path(image_id), {"action": "create", "tags": [{"key": "channel", "value": "stable"}]}),
    ]
    assert result["changed"] is True
    assert result["diff"] == {
        "before": {"description": "old", "support_xen": False, "tags": {"family": "web", "stale": "yes"}},
        "after": {"description": "new", "support_xen": True, "tags": {"channel": "stable", "family": "web"}},
    }
    image = result["image"]
    assert (image["description"], image["support_xen"], image["tags"]) == ("new", True, {"channel": "stable", "family": "web"})
    assert fake.tags_of(image_id) == {"channel": "stable", "family": "web"}


def test_tags_alone_send_no_patch(lifecycle, fake):
    image_id = fake.add_image("web")
    task, _warnings = lifecycle(name="web", tags={"a": "1"})
    assert task.present()["changed"] is True
    assert fake.writes() == [("POST", tag_path(image_id), {"action": "create", "tags": [{"key": "a", "value": "1"}]})]


def test_an_image_given_by_id_is_renamed(lifecycle, fake):
    image_id = fake.add_image("web")
    task, _warnings = lifecycle(id=image_id, name="web-2")
    result = task.present()
    assert fake.writes() == [("PATCH", image_path(image_id), [{"op": "replace", "path": "/name", "value": "web-2"}])]
    assert result["image"]["name"] == "web-2" and result["diff"]["before"]["name"] == "web"


def test_check_mode_predicts_the_update_without_writing(lifecycle, fake):
    image_id = fake.add_image("web", description="old", tags={"stale": "yes"})
    task, _warnings = lifecycle(check_mode=True, name="web", description="new", tags={}, purge_tags=True)
    result = task.present()
    assert fake.writes() == []
    assert result["changed"] is True
    assert result["diff"] == {"before": {"description": "old", "tags": {"stale": "yes"}}, "after": {"description": "new", "tags": {}}}
    # The image as it is now, with the tags it would have.
    assert (result["image"]["id"], result["image"]["description"], result["image"]["tags"]) == (image_id, "old", {})


# --- creation options an existing image contradicts -------------------------------------------------------------


@pytest.mark.parametrize(
    "attributes, options, warned",
    [
        ({"data_origin": "instance,i-1"}, {"instance_id": "i-2"}, [("instance_id", "'i-2'", "'instance,i-1'")]),
        ({"data_origin": "instance,i-1"}, {"instance_id": "i-1"}, []),
        ({}, {"instance_id": "i-2"}, []),
        (
            {"data_origin": "file,bucket:a.qcow2", "os_version": UBUNTU},
            {"image_url": "bucket:a.qcow2", "min_disk": 40, "os_version": "CentOS 7.9 64bit"},
            [("os_version", "'CentOS 7.9 64bit'", repr(UBUNTU))],
        ),
        (
            {"data_origin": "file,bucket:a.qcow2"},
            {"image_url": "bucket:b.qcow2", "register": True},
            [("image_url", "'bucket:b.qcow2'", "'file,bucket:a.qcow2'")],
        ),
        ({"data_origin": "file,bucket:a.qcow2"}, {"image_url": "bucket:a.qcow2", "register": True, "min_disk": 50}, [("min_disk", "50", "40")]),
        ({}, {"volume_id": "v-1", "os_version": UBUNTU, "image_type": "BMS"}, [("image_type", "'BMS'", "'FusionCompute'")]),
        ({"whole_image": "false"}, {"instance_id": "i-1", "whole_image": True}, [("whole_image", "True", "False")]),
        (
            {"system_cmkid": "key-1", "originalimagename": "00000000-0000-4000-8000-000000000777"},
            {"source_image": "base", "cmk_id": "key-2"},
            [("cmk_id", "'key-2'", "'key-1'")],
        ),
        (
            {"originalimagename": "00000000-0000-4000-8000-000000000777"},
            {"source_image": "00000000-0000-4000-8000-000000000888"},
            [("source_image", "'00000000-0000-4000-8000-000000000888'", "'00000000-0000-4000-8000-000000000777'")],
        ),
    ],
    ids=[
        "other-ecs",
        "same-ecs",
        "origin-not-reported",
        "os-version",
        "other-obs-file",
        "min-disk",
        "image-type",
        "not-full-ecs",
        "key-of-a-copy-by-name",
        "source-image-by-id",
    ],
)
def test_creation_options_the_image_contradicts_are_warned_about_never_acted_on(lifecycle, fake, attributes, options, warned):
    image_id = fake.add_image("web", **attributes)
    task, warnings = lifecycle(name="web", **options)
    result = task.present()
    expected = [
        "image %s (web): %s is %s, but the image has %s; IMS cannot change it, so it is left as is (delete the image to create it anew)"
        % (image_id, option, wanted, actual)
        for option, wanted, actual in warned
    ]
    assert warnings == expected
    assert result["changed"] is False and fake.writes() == []


# --- state=absent -----------------------------------------------------------------------------------------------


def test_absent_deletes_and_waits_until_the_image_is_no_longer_listed(lifecycle, fake):
    fake.deleted_linger = 3
    image_id = fake.add_image("web")
    task, warnings = lifecycle(name="web", state="absent")
    result = task.absent()
    assert fake.writes() == [("DELETE", "/v2/images/%s" % image_id, None)]
    assert result["changed"] is True and result["image"]["id"] == image_id
    assert result["diff"] == {"before": result["image"], "after": {}}
    assert image_id not in fake.images and len([r for r in fake.requests if r.url.params.get("id") == image_id]) == 3
    assert warnings == []


def test_absent_gives_up_waiting_at_wait_timeout(lifecycle, fake):
    fake.deleted_linger = 10**6
    fake.add_image("web")
    task, _warnings = lifecycle(name="web", state="absent", wait_timeout=20)
    with pytest.raises(WaitTimeoutError, match="was deleted but is still listed after 20 seconds"):
        task.absent()


def test_absent_without_wait_does_not_look_again(lifecycle, fake):
    fake.deleted_linger = 10**6
    image_id = fake.add_image("web")
    task, _warnings = lifecycle(id=image_id, state="absent", wait=False)
    assert task.absent()["changed"] is True
    assert [request.method for request in fake.requests] == ["GET", "DELETE"]


def test_absent_of_nothing_is_no_change(lifecycle, fake):
    task, _warnings = lifecycle(name="web", state="absent")
    assert task.absent() == {"changed": False, "image": None}
    assert fake.writes() == []


def test_an_image_gone_before_its_delete_is_no_change(lifecycle, fake):
    fake.add_image("web")
    fake.answer_next("DELETE", "/v2/images/.*", ims_error(404, "IMG.0001", "gone"))
    task, _warnings = lifecycle(name="web", state="absent")
    result = task.absent()
    assert result["changed"] is False and result["diff"] == {"before": {}, "after": {}}
    assert len(fake.calls("DELETE", "/v2/images/.*")) == 1


@pytest.mark.parametrize(
    "status, protected, message",
    [("active", True, "is protected and cannot be deleted; unprotect it first"), ("saving", False, r"is being created \(status saving\).*\(IMG.0090\)")],
    ids=["protected", "in-flight"],
)
def test_absent_refuses_what_cannot_be_deleted(lifecycle, fake, status, protected, message):
    fake.add_image("web", status=status, protected=protected)
    task, _warnings = lifecycle(name="web", state="absent")
    with pytest.raises(ImageStateError, match=message):
        task.absent()
    assert fake.writes() == []


def test_delete_backup_goes_with_a_full_ecs_image_only(lifecycle, fake):
    whole = fake.add_image("whole", whole_image="true")
    plain = fake.add_image("plain")
    task, warnings = lifecycle(name="whole", state="absent", delete_backup=True)
    task.absent()
    assert warnings == []
    task, warnings = lifecycle(name="plain", state="absent", delete_backup=True)
    task.absent()
    assert warnings == ["delete_backup only applies to full-ECS images; image %s is not one" % plain]
    assert fake.writes() == [("DELETE", "/v2/images/%s" % whole, {"delete_backup": True}), ("DELETE", "/v2/images/%s" % plain, None)]


def test_check_mode_predicts_the_deletion(lifecycle, fake):
    image_id = fake.add_image("web")
    task, _warnings = lifecycle(check_mode=True, name="web", state="absent")
    result = task.absent()
    assert result["changed"] is True and result["diff"]["after"] == {} and result["image"]["id"] == image_id
    assert fake.writes() == [] and image_id in fake.images


def test_absent_checks_the_name_before_any_request(lifecycle, fake):
    task, _warnings = lifecycle(name=" web", state="absent")
    with pytest.raises(ValidationError):
        task.absent()
    assert fake.requests == []


# --- the time budget --------------------------------------------------------------------------------------------


def test_remaining_counts_down_from_wait_timeout_and_never_below_one(lifecycle, clock):
    task, _warnings = lifecycle(name="web", wait_timeout=100)
    assert task.remaining() == 100
    clock.sleep(39.6)
    assert task.remaining() == 60
    clock.sleep(1000)
    assert task.remaining() == 1
    task, _warnings = lifecycle(name="web", wait_timeout=0)
    assert task.remaining() == 1


def test_a_job_longer_than_wait_timeout_times_out_and_may_still_run(lifecycle, fake):
    fake.job_polls = 10**6
    task, _warnings = lifecycle(name="web", instance_id="i-1", wait_timeout=60)
    with pytest.raises(JobTimeoutError, match="did not finish within 60 seconds") as raised:
        task.present()
    assert raised.value.job.status == "RUNNING"


# --- the name lock ----------------------------------------------------------------------------------------------


def lock_is_held(directory, project_id, name):
    """Whether some open file holds the name lock of ``name`` (flock locks exclude other open files, also in this process)."""
    path = directory / (hashlib.sha256(("%s\0%s" % (project_id, name)).encode()).hexdigest() + ".lock")
    if not path.exists():
        return False
    with open(path, "rb") as other:
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False


def test_a_creation_holds_the_lock_of_its_name_in_a_private_directory(lifecycle, fake, cache_home):
    directory = lock_directory(cache_home)
    held_while_creating = []
    fake.observe("POST", CREATE, lambda _request: held_while_creating.append(lock_is_held(directory, "p1", "web")))
    task, _warnings = lifecycle(name="web", instance_id="i-1")
    task.present()
    assert held_while_creating == [True]
    assert not lock_is_held(directory, "p1", "web")
    (lock_file,) = os.listdir(directory)
    assert lock_file == hashlib.sha256(b"p1\0web").hexdigest() + ".lock"
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(directory / lock_file).st_mode) == 0o600


def test_the_name_lock_excludes_the_same_name_only(tmp_path):
    directory = tmp_path / "locks"
    with name_lock("p1", "web", directory=str(directory)):
        assert lock_is_held(directory, "p1", "web")
        with name_lock("p1", "db", directory=str(directory)):
            assert lock_is_held(directory, "p1", "db")
        assert not lock_is_held(directory, "p1", "db") and not lock_is_held(directory, "p2", "web")
    assert not lock_is_held(directory, "p1", "web")


@pytest.mark.parametrize("options", [{"check_mode": True, "name": "web"}, {"name": "web", "id": "00000000-0000-4000-8000-000000000001"}], ids=["check", "id"])
def test_check_mode_and_an_image_given_by_id_take_no_lock(lifecycle, fake, cache_home, options):
    fake.add_image("web", id="00000000-0000-4000-8000-000000000001")
    task, _warnings = lifecycle(**options)
    task.present()
    assert not lock_directory(cache_home).exists()


def test_a_directory_open_to_others_is_not_used_for_locks(lifecycle, fake, cache_home):
    directory = lock_directory(cache_home)
    directory.mkdir(parents=True)
    directory.chmod(0o755)
    task, warnings = lifecycle(name="web", instance_id="i-1", wait=False)
    assert task.present()["changed"] is True
    assert warnings == ["not locking the image name against other forks: %s is not a private directory of this user" % directory]
    assert os.listdir(directory) == []


def test_a_lock_directory_that_cannot_be_made_warns_and_locks_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    warnings = []
    with name_lock("p1", "web", warn=warnings.append, directory=str(blocker / "locks")):
        pass
    assert warnings == ["not locking the image name against other forks: Not a directory"]
    with name_lock("p1", "web", directory=str(blocker / "locks")):  # nobody to warn: still no lock, and no error
        pass


def test_without_flock_nothing_is_locked(tmp_path, monkeypatch):
    monkeypatch.setattr(image_task, "fcntl", None)
    with name_lock("p1", "web", directory=str(tmp_path / "locks")):
        pass
    with name_lock("p1", "web", enabled=False, directory=str(tmp_path / "locks")):
        pass
    assert not (tmp_path / "locks").exists()
