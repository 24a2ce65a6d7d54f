# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exporting (reference 5.1.7) and replicating images within a region (5.4.1)."""

import uuid

import pytest

from ims_emulator.testing import World, assert_ims_error, unique_name


@pytest.fixture
def image_id(owner, world):
    """A private image whose lineage allows export: imported from an OBS file."""
    return owner.import_image(world.object_url(owner.project_id, ".qcow2"))


@pytest.fixture
def bucket(owner, world):
    return world.bucket(owner.project_id)["name"]


def export(api, image_id, bucket_url, **extra):
    return api.submit("POST", "/v1/cloudimages/%s/file" % image_id, dict({"bucket_url": bucket_url}, **extra))


def copy(api, image_id, **extra):
    return api.submit("POST", "/v1/cloudimages/%s/copy" % image_id, dict({"name": unique_name("copy")}, **extra))


def whole_image(api, world):
    server = world.stopped_server(api.project_id)
    job = api.run_job("POST", "/v1/cloudimages/wholeimages/action", {"name": unique_name("whole"), "instance_id": server["id"]})
    return job.image_id or job.sub_image_ids()[0]


def iso_image(api, world):
    return api.run_job(
        "POST",
        "/v2/cloudimages/action",
        {
            "name": unique_name("iso"),
            "image_url": world.object_url(api.project_id, ".iso"),
            "type": "IsoImage",
            "os_version": "CentOS 7.0 64bit",
            "min_disk": 40,
        },
    ).image_id


@pytest.mark.parametrize("file_format", ["qcow2", "vhd", "zvhd", "vmdk"])
def test_export_writes_the_file_into_the_bucket(owner, control, image_id, bucket, file_format):
    name = "export-%s.%s" % (uuid.uuid4().hex[:8], file_format)
    job = owner.wait_job(owner.start_job("POST", "/v1/cloudimages/%s/file" % image_id, {"bucket_url": "%s:%s" % (bucket, name), "file_format": file_format}))

    assert job.status == "SUCCESS", job.body
    assert job.body["job_type"] == "imsNativeExportImageJob"
    world = World(control.world())
    objects = {world.object_name(obj) for bucket in world.buckets(owner.project_id) for obj in world.objects(bucket)}
    assert name in objects


def test_quick_export(owner, image_id, bucket):
    response = export(owner, image_id, "%s:quick-%s.raw" % (bucket, uuid.uuid4().hex[:8]), is_quick_export=True)
    assert response.status_code == 200, response.text
    assert owner.wait_job(response.json()["job_id"]).status == "SUCCESS"


def test_quick_export_refuses_a_file_format(owner, image_id, bucket):
    response = export(owner, image_id, "%s:quick.qcow2" % bucket, is_quick_export=True, file_format="qcow2")
    assert_ims_error(response, 400)


@pytest.mark.parametrize(
    "body,codes",
    [
        ({"file_format": "iso"}, ("IMG.0072",)),
        ({"file_format": "qcow2", "bucket_url": None}, ()),
        ({"file_format": "qcow2", "bucket_url": "no-colon-here"}, ()),
        ({}, ()),
    ],
    ids=["bad-format", "no-bucket", "bad-bucket-url", "no-format"],
)
def test_export_with_bad_parameters_is_refused(owner, image_id, bucket, body, codes):
    body = dict({"bucket_url": "%s:out.qcow2" % bucket}, **body)
    body = {key: value for key, value in body.items() if value is not None}
    response = owner.submit("POST", "/v1/cloudimages/%s/file" % image_id, body)
    if codes:
        owner.expect_refusal(response, *codes)
    else:
        assert_ims_error(response, 400)


@pytest.mark.parametrize(
    "file_name,code",
    [("", "IMG.0073"), ("f" * 1024, "IMG.0074"), ("with space.qcow2", "IMG.0175"), ("/rooted.qcow2", "IMG.0075"), ("line\nfeed.qcow2", "IMG.0075")],
    ids=["empty", "too-long", "space", "leading-slash", "control-character"],
)
def test_export_file_names_are_checked(owner, image_id, bucket, file_name, code):
    assert_ims_error(export(owner, image_id, "%s:%s" % (bucket, file_name), file_format="qcow2"), 400, code)


def test_export_while_exporting_is_refused(owner, control, image_id, bucket):
    control.settings(job_seconds=2)
    first = owner.start_job("POST", "/v1/cloudimages/%s/file" % image_id, {"bucket_url": "%s:first.qcow2" % bucket, "file_format": "qcow2"})
    owner.expect_refusal(export(owner, image_id, "%s:second.qcow2" % bucket, file_format="qcow2"), "IMG.0148")
    assert owner.wait_job(first).status == "SUCCESS"


def test_export_to_an_existing_file_is_refused(owner, world, image_id):
    url = world.object_url(owner.project_id, ".qcow2")
    owner.expect_refusal(export(owner, image_id, url, file_format="qcow2"), "IMG.0070")


def test_export_to_a_missing_or_non_standard_bucket_is_refused(owner, world, image_id):
    refusals = ("IMG.0069", "IMG.0068", "IMG.0057", "IMG.0058")
    owner.expect_refusal(export(owner, image_id, "no-such-bucket-%s:x.qcow2" % uuid.uuid4().hex[:6], file_format="qcow2"), *refusals)
    cold = [bucket for bucket in world.buckets(owner.project_id) if bucket.get("storage_class", "STANDARD") != "STANDARD"]
    assert cold, "the seed needs a non-Standard bucket"
    owner.expect_refusal(export(owner, image_id, "%s:x.qcow2" % cold[0]["name"], file_format="qcow2"), *refusals)


def test_full_ecs_image_cannot_be_exported(owner, world, bucket):
    response = export(owner, whole_image(owner, world), "%s:whole.qcow2" % bucket, file_format="qcow2")
    owner.expect_refusal(response, "IMG.0128", "IMG.0130")


def test_iso_image_cannot_be_exported(owner, world, bucket):
    response = export(owner, iso_image(owner, world), "%s:iso.qcow2" % bucket, file_format="qcow2")
    owner.expect_refusal(response, "IMG.0167", "IMG.0071")


def test_public_image_cannot_be_exported(owner, bucket):
    public = owner.images({"__imagetype": "gold", "limit": 1})[0]
    owner.expect_refusal(export(owner, public["id"], "%s:public.qcow2" % bucket, file_format="qcow2"), "IMG.0077")


def test_image_of_a_licensed_public_lineage_cannot_be_exported(owner, world, bucket):
    servers = world.servers_by_lineage(owner.project_id, owner.all_images({"__imagetype": "gold"}), licensed=True)
    assert servers, "the seed needs a stopped ECS built from a Windows/SUSE/Red Hat/Ubuntu/Oracle Linux image"
    image_id = owner.create_image(servers[0]["id"])
    response = export(owner, image_id, "%s:lineage.qcow2" % bucket, file_format="qcow2")
    owner.expect_refusal(response, "IMG.0079", "IMG.0071", "IMG.0077")


def test_foreign_image_cannot_be_exported(consumer, image_id, world):
    bucket = world.bucket(consumer.project_id)["name"]
    response = export(consumer, image_id, "%s:stolen.qcow2" % bucket, file_format="qcow2")
    assert 400 <= response.status_code < 500, response.text


def test_copy_within_the_region(any_auth, world):
    image_id = any_auth.import_image(world.object_url(any_auth.project_id, ".qcow2"), os_version="Ubuntu 18.04 server 64bit")
    name = unique_name("copy")
    job = any_auth.run_job("POST", "/v1/cloudimages/%s/copy" % image_id, {"name": name, "description": "copied"})
    assert job.body["job_type"] == "imsCopyImageInRegionJob"
    copied = any_auth.images({"id": job.image_id})[0]
    source = any_auth.images({"id": image_id})[0]
    assert copied["id"] != image_id
    assert copied["name"] == name
    assert copied["__description"] == "copied"
    assert copied["status"] == "active"
    assert copied["__os_version"] == source["__os_version"]
    assert copied["min_disk"] == source["min_disk"]


def test_copy_with_encryption(owner, world, image_id):
    key = world.kms_key(owner.project_id)
    job = owner.run_job("POST", "/v1/cloudimages/%s/copy" % image_id, {"name": unique_name("enc"), "cmk_id": key})
    assert owner.images({"id": job.image_id})[0]["__system__cmkid"] == key


@pytest.mark.parametrize("key_state,codes", [("unknown", ("IMG.0095",)), ("disabled", ("IMG.0097",)), ("same as the image", ("IMG.0096",))])
def test_copy_with_a_bad_key_is_refused(owner, world, image_id, key_state, codes):
    if key_state == "unknown":
        key = str(uuid.uuid4())
    elif key_state == "disabled":
        key = world.kms_key(owner.project_id, enabled=False)
    else:
        key = world.kms_key(owner.project_id)
        image_id = owner.run_job("POST", "/v1/cloudimages/%s/copy" % image_id, {"name": unique_name("enc"), "cmk_id": key}).image_id
    owner.expect_refusal(copy(owner, image_id, cmk_id=key), *codes)


def test_full_ecs_image_cannot_be_copied(owner, world):
    owner.expect_refusal(copy(owner, whole_image(owner, world)), "IMG.0130")


def test_iso_image_cannot_be_copied(owner, world):
    owner.expect_refusal(copy(owner, iso_image(owner, world)), "IMG.0167")


def test_copy_needs_a_valid_name(owner, image_id):
    assert_ims_error(owner.submit("POST", "/v1/cloudimages/%s/copy" % image_id, {}), 400)
    assert_ims_error(copy(owner, image_id, name="bad/name"), 400, "IMG.0003")


def test_copy_of_a_missing_image_is_refused(owner):
    response = copy(owner, str(uuid.uuid4()))
    assert 400 <= response.status_code < 500, response.text


def test_shared_image_must_be_accepted_before_it_is_copied(owner, consumer, image_id):
    owner.share([image_id], [consumer.project_id])
    consumer.expect_refusal(copy(consumer, image_id), "IMG.0196")
    consumer.answer_share([image_id], "accepted")
    job = consumer.run_job("POST", "/v1/cloudimages/%s/copy" % image_id, {"name": unique_name("mine")})
    assert consumer.images({"id": job.image_id})[0]["owner"] == consumer.project_id
