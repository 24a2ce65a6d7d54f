# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Updating (reference 5.1.2, 6.1.3) and deleting images (6.1.5, 6.1.7)."""

import time
import uuid

import pytest

from ims_emulator.testing import World, assert_ims_error, eventually, unique_name

PATCH_RESPONSE_KEYS = {
    "file",
    "owner",
    "id",
    "size",
    "self",
    "schema",
    "status",
    "tags",
    "visibility",
    "name",
    "checksum",
    "protected",
    "container_format",
    "min_ram",
    "updated_at",
    "__os_bit",
    "__os_version",
    "disk_format",
    "__isregistered",
    "__platform",
    "__os_type",
    "min_disk",
    "virtual_env_type",
    "__image_source_type",
    "__imagetype",
    "created_at",
    "virtual_size",
}
JSON_PATCH_21 = "application/openstack-images-v2.1-json-patch"
JSON_PATCH_20 = "application/openstack-images-v2.0-json-patch"


@pytest.fixture
def image_id(owner, stopped_server):
    return owner.create_image(stopped_server["id"])


def patch(api, image_id, *operations):
    return api.patch("/v2/cloudimages/%s" % image_id, json_body=list(operations))


def op(operation, path, value=None):
    body = {"op": operation, "path": path}
    if value is not None:
        body["value"] = value
    return body


def test_replace_name_answers_the_whole_image(any_auth, stopped_server):
    image_id = any_auth.create_image(stopped_server["id"])
    before = any_auth.images({"id": image_id})[0]
    time.sleep(1.1)
    response = patch(any_auth, image_id, op("replace", "/name", "ims_test"))
    assert response.status_code == 200, response.text
    image = response.json()
    assert PATCH_RESPONSE_KEYS <= set(image), sorted(PATCH_RESPONSE_KEYS - set(image))
    assert image["name"] == "ims_test"
    assert image["id"] == image_id
    assert image["updated_at"] != before["updated_at"]
    assert any_auth.images({"id": image_id})[0]["name"] == "ims_test"


@pytest.mark.parametrize(
    "path,value",
    [
        ("/__description", "new description"),
        ("/min_ram", 2048),
        ("/hw_firmware_type", "uefi"),
        ("/__support_xen", "true"),
        ("/hw_vif_multiqueue_enabled", "true"),
        ("/__is_config_init", "true"),
    ],
)
def test_add_then_replace_documented_attributes(owner, image_id, path, value):
    attribute = path[1:]
    response = patch(owner, image_id, op("add", path, value))
    assert response.status_code == 200, response.text
    assert str(response.json()[attribute]) == str(value)
    response = patch(owner, image_id, op("replace", path, value))
    assert response.status_code == 200, response.text
    assert str(owner.images({"id": image_id})[0][attribute]) == str(value)


def test_replace_of_a_missing_attribute_conflicts_but_add_works(owner, image_id):
    image = owner.images({"id": image_id})[0]
    assert "__support_xen_hana" not in image
    assert_ims_error(patch(owner, image_id, op("replace", "/__support_xen_hana", "true")), 400, "IMG.0035")
    assert "__support_xen_hana" not in owner.images({"id": image_id})[0]
    response = patch(owner, image_id, op("add", "/__support_xen_hana", "true"))
    assert response.status_code == 200, response.text
    assert owner.images({"id": image_id})[0]["__support_xen_hana"] == "true"


def test_remove_drops_an_attribute(owner, image_id):
    patch(owner, image_id, op("add", "/__support_highperformance", "true"))
    response = patch(owner, image_id, op("remove", "/__support_highperformance"))
    assert response.status_code == 200, response.text
    assert "__support_highperformance" not in response.json()
    assert "__support_highperformance" not in owner.images({"id": image_id})[0]


@pytest.mark.parametrize("attribute", ["__support_kvm", "__support_kvm_infiniband", "__support_amd", "__my_flag"])
def test_extension_attributes_are_added_and_removed(owner, image_id, attribute):
    """5.1.2: "You can add or delete extension attributes", beyond the attributes it lists."""
    response = patch(owner, image_id, op("add", "/" + attribute, "true"))
    assert response.status_code == 200, response.text
    assert owner.images({"id": image_id})[0][attribute] == "true"
    response = patch(owner, image_id, op("remove", "/" + attribute))
    assert response.status_code == 200, response.text
    assert attribute not in owner.images({"id": image_id})[0]


@pytest.mark.parametrize("attribute", ["__imagetype", "__os_version", "__platform", "__image_size", "__originalimagename", "__whole_image"])
def test_extension_attributes_ims_keeps_cannot_be_added_or_removed(owner, image_id, attribute):
    before = owner.images({"id": image_id})[0]
    assert_ims_error(patch(owner, image_id, op("remove", "/" + attribute)), 400, "IMG.0001")
    assert_ims_error(patch(owner, image_id, op("add", "/" + attribute, "x")), 400, "IMG.0001")
    assert owner.images({"id": image_id})[0].get(attribute) == before.get(attribute)


def test_only_listed_attributes_are_replaced(owner, image_id):
    patch(owner, image_id, op("add", "/__support_kvm", "true"))
    assert_ims_error(patch(owner, image_id, op("replace", "/__support_kvm", "false")), 400, "IMG.0001")
    assert owner.images({"id": image_id})[0]["__support_kvm"] == "true"


def test_several_operations_apply_in_order(owner, image_id):
    response = patch(owner, image_id, op("replace", "/name", "first"), op("add", "/__description", "d"), op("replace", "/name", "second"))
    assert response.status_code == 200, response.text
    image = owner.images({"id": image_id})[0]
    assert (image["name"], image["__description"]) == ("second", "d")


@pytest.mark.parametrize(
    "operations,codes",
    [
        ([op("replace", "/hw_firmware_type", "coreboot")], ("IMG.0141",)),
        ([op("replace", "/name", " bad name")], ("IMG.0003",)),
        ([op("replace", "/name", "n" * 129)], ("IMG.0002",)),
        ([op("add", "/__description", "x" * 1025)], ("IMG.0004",)),
        ([op("move", "/name", "x")], ()),
        ([{"path": "/name", "value": "x"}], ()),
        ([op("replace", "name", "x")], ()),
        ([op("replace", "/min_ram", "much")], ()),
        ({"op": "replace", "path": "/name", "value": "x"}, ()),
        ([], ()),
    ],
    ids=[
        "firmware",
        "name-format",
        "name-length",
        "description-length",
        "unknown-op",
        "no-op",
        "path-without-slash",
        "min-ram-text",
        "object-not-array",
        "empty",
    ],
)
def test_invalid_patches_are_refused(owner, image_id, operations, codes):
    before = owner.images({"id": image_id})[0]
    response = owner.patch("/v2/cloudimages/%s" % image_id, json_body=operations)
    assert_ims_error(response, 400, *codes)
    assert owner.images({"id": image_id})[0]["name"] == before["name"]


def test_only_active_images_can_be_updated(owner):
    queued = owner.glance_create()
    assert_ims_error(patch(owner, queued["id"], op("replace", "/name", "renamed")), 400)
    assert owner.image(queued["id"])["name"] == queued["name"]


def test_patch_of_foreign_or_missing_image(owner, consumer, image_id):
    foreign = patch(consumer, image_id, op("replace", "/name", "stolen"))
    missing = patch(consumer, str(uuid.uuid4()), op("replace", "/name", "stolen"))
    assert foreign.status_code == missing.status_code
    assert foreign.status_code in (400, 404)
    assert owner.images({"id": image_id})[0]["name"] != "stolen"


@pytest.mark.parametrize(
    "content_type,operations",
    [
        (JSON_PATCH_21, [{"op": "replace", "path": "/name", "value": "glance21"}, {"op": "add", "path": "/custom_key", "value": "custom"}]),
        (JSON_PATCH_20, [{"replace": "/name", "value": "glance21"}, {"add": "/custom_key", "value": "custom"}]),
    ],
    ids=["v2.1", "v2.0"],
)
def test_glance_patch_formats(any_auth, stopped_server, content_type, operations):
    image_id = any_auth.create_image(stopped_server["id"])
    response = any_auth.request("PATCH", "/v2/images/%s" % image_id, json_body=operations, content_type=content_type)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "glance21"
    assert response.json()["custom_key"] == "custom"
    assert any_auth.image(image_id)["custom_key"] == "custom"


def test_glance_patch_remove_and_replace_rules(owner, image_id):
    url = "/v2/images/%s" % image_id
    ok = owner.request("PATCH", url, json_body=[{"op": "add", "path": "/k", "value": "v"}], content_type=JSON_PATCH_21)
    assert ok.status_code == 200, ok.text
    removed = owner.request("PATCH", url, json_body=[{"op": "remove", "path": "/k"}], content_type=JSON_PATCH_21)
    assert removed.status_code == 200 and "k" not in removed.json()
    missing = owner.request("PATCH", url, json_body=[{"op": "replace", "path": "/k", "value": "v"}], content_type=JSON_PATCH_21)
    assert 400 <= missing.status_code < 500
    unknown = owner.request("PATCH", url, json_body=[{"op": "jump", "path": "/k"}], content_type=JSON_PATCH_21)
    assert 400 <= unknown.status_code < 500


@pytest.mark.parametrize("path", ["/id", "/owner", "/status", "/created_at", "/visibility"])
def test_glance_patch_of_read_only_attributes_is_refused(owner, image_id, path):
    before = owner.image(image_id)
    response = owner.request("PATCH", "/v2/images/%s" % image_id, content_type=JSON_PATCH_21, json_body=[{"op": "replace", "path": path, "value": "public"}])
    assert 400 <= response.status_code < 500, response.text
    assert owner.image(image_id)[path[1:]] == before[path[1:]]


def test_glance_delete_answers_at_once_and_the_image_disappears(any_auth, stopped_server):
    image_id = any_auth.create_image(stopped_server["id"])
    used = any_auth.quota()["used"]
    response = any_auth.delete("/v2/images/%s" % image_id)
    assert response.status_code == 204 and response.content == b""
    assert eventually(lambda: not any_auth.images({"id": image_id}))
    assert any_auth.image(image_id) is None
    assert any_auth.quota()["used"] == used - 1
    assert any_auth.delete("/v2/images/%s" % image_id).status_code == 404


@pytest.mark.parametrize("delete_backup", [True, False])
def test_deleting_a_full_ecs_image_with_or_without_its_backup(owner, control, world, delete_backup):
    backups = [backup for backup in world.backups(owner.project_id) if backup.get("status") == "available" and not backup.get("image_id")]
    assert backups, "the seed needs an available, unused CSBS backup"
    job = owner.run_job("POST", "/v1/cloudimages/wholeimages/action", {"name": unique_name("whole"), "backup_id": backups[0]["id"]})
    owner.ok("DELETE", "/v2/images/%s" % job.image_id, status=204, json_body={"delete_backup": delete_backup})
    assert eventually(lambda: owner.image(job.image_id) is None)
    remaining = {backup["id"] for backup in World(control.world()).backups(owner.project_id)}
    assert (backups[0]["id"] in remaining) is not delete_backup


def test_v11_delete(owner, image_id):
    response = owner.delete("/v1.1/images/%s" % image_id)
    assert response.status_code == 204
    assert eventually(lambda: owner.image(image_id) is None)
    assert owner.delete("/v1.1/images/%s" % image_id).status_code == 404


def test_protected_image_cannot_be_deleted(owner):
    image = owner.glance_create(protected=True)
    response = owner.delete("/v2/images/%s" % image["id"])
    if response.status_code == 400:
        assert_ims_error(response, 400, "IMG.0028")
    else:
        assert response.status_code == 403, response.text
    assert owner.image(image["id"]) is not None


def test_public_image_cannot_be_deleted(owner):
    public = owner.images({"__imagetype": "gold", "limit": 1})[0]
    response = owner.delete("/v2/images/%s" % public["id"])
    if response.status_code == 400:
        assert_ims_error(response, 400, "IMG.0094", "IMG.0092")
    else:
        assert response.status_code in (403, 404), response.text
    assert owner.image(public["id"]) is not None


def test_foreign_image_delete_is_answered_like_a_missing_one(owner, consumer, image_id):
    foreign = consumer.delete("/v2/images/%s" % image_id)
    missing = consumer.delete("/v2/images/%s" % uuid.uuid4())
    assert foreign.status_code == missing.status_code == 404
    assert owner.image(image_id) is not None


def test_image_being_created_cannot_be_deleted(owner, control, stopped_server):
    control.settings(job_seconds=3)
    name = unique_name("busy")
    job_id = owner.start_job("POST", "/v2/cloudimages/action", {"name": name, "instance_id": stopped_server["id"]})
    deadline = time.monotonic() + 5
    found = []
    while not found and time.monotonic() < deadline:
        found = owner.images({"name": name})
        time.sleep(0.05)
    assert found, "the image being created is not listed"
    assert found[0]["status"] != "active"
    assert_ims_error(owner.delete("/v2/images/%s" % found[0]["id"]), 400, "IMG.0090")
    assert owner.wait_job(job_id).status == "SUCCESS"
