# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Creating images (reference 5.1.3-5.1.6, 6.1.4, 6.1.6, 7.1) and the asynchronous jobs behind them."""

import time
import uuid

import pytest

from ims_emulator.testing import World, assert_ims_error, unique_name

JOB_KEYS = {"status", "job_id", "job_type", "begin_time", "end_time", "error_code", "fail_reason", "entities"}
OBS_REFUSALS = ("IMG.0057", "IMG.0069", "IMG.0121", "IMG.0058")
OS_VERSIONS = [
    ("CentOS 7.0 64bit", "CentOS", "Linux", "64"),
    ("Ubuntu 18.04 server 64bit", "Ubuntu", "Linux", "64"),
    ("Windows Server 2016 Standard 64bit", "Windows", "Windows", "64"),
    ("Debian GNU/Linux 10.0.0 64bit", "Debian", "Linux", "64"),
    ("SUSE Linux Enterprise Server 11 SP3 32bit", "SUSE", "Linux", "32"),
    ("Red Hat Linux Enterprise 7.4 64bit", "Red Hat", "Linux", "64"),
    ("EulerOS 2.5 64bit", "EulerOS", "Linux", "64"),
]


def ecs_body(server, **extra):
    return dict({"name": unique_name("ecs"), "instance_id": server["id"]}, **extra)


def test_create_from_stopped_ecs(owner, world, stopped_server):
    quota_before = owner.quota()["used"]
    name = unique_name("ecs")
    job = owner.run_job(
        "POST",
        "/v2/cloudimages/action",
        ecs_body(stopped_server, name=name, description="made by test", min_ram=1024, max_ram=4096, tags=["aaa.111", "bbb.222"]),
    )
    assert JOB_KEYS <= set(job.body)
    assert job.body["job_type"] == "imsCreateImageByInstance" or job.body["job_type"].startswith("createImage")
    assert job.body["job_id"] == job.job_id
    image = owner.images({"id": job.image_id})[0]
    assert image["name"] == name
    assert image["status"] == "active"
    assert image["owner"] == owner.project_id
    assert image["__imagetype"] == "private" and image["visibility"] == "private"
    assert image["virtual_env_type"] == "FusionCompute"
    assert image["__description"] == "made by test"
    assert image["min_ram"] == 1024
    assert image["__originalimagename"] == stopped_server["image_id"]
    system = [volume for volume in world.volumes(owner.project_id) if volume["id"] == stopped_server["system_volume_id"]]
    assert image["min_disk"] == system[0]["size"]
    assert owner.image_tags(job.image_id) == {"aaa": "111", "bbb": "222"}
    assert owner.quota()["used"] == quota_before + 1


def test_create_with_image_tags(owner, stopped_server):
    image_id = owner.create_image(stopped_server["id"], image_tags=[{"key": "k1", "value": "v1"}, {"key": "k2", "value": ""}])

    assert owner.image_tags(image_id) == {"k1": "v1", "k2": ""}


def test_same_name_twice_makes_two_images(owner, stopped_server):
    name = unique_name("twin")
    first = owner.create_image(stopped_server["id"], name=name)
    second = owner.create_image(stopped_server["id"], name=name)
    assert first != second
    assert {image["id"] for image in owner.images({"name": name})} == {first, second}


def test_running_ecs_is_refused(owner, world):
    server = world.running_server(owner.project_id)
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", ecs_body(server)), "IMG.0008")


@pytest.mark.parametrize("whose", ["unknown", "other project"])
def test_unknown_or_foreign_ecs_is_refused(owner, consumer, world, whose):
    if whose == "unknown":
        server = {"id": str(uuid.uuid4())}
    else:
        server = world.stopped_server(consumer.project_id)
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", ecs_body(server)), "IMG.0005")


@pytest.mark.parametrize(
    "name,codes",
    [
        (" leading space", ("IMG.0003",)),
        ("trailing space ", ("IMG.0003",)),
        ("slash/inside", ("IMG.0003",)),
        ("star*inside", ("IMG.0003",)),
        ("x" * 129, ("IMG.0002",)),
        ("", ("IMG.0013", "IMG.0003")),
        ("镜像-web", ("IMG.0003",)),
        ("émile", ("IMG.0003",)),
        ("line-feed-at-the-end\n", ("IMG.0003",)),
        ("tab\tinside", ("IMG.0003",)),
    ],
    ids=["leading", "trailing", "slash", "star", "too-long", "empty", "chinese", "accented", "trailing-newline", "tab"],
)
def test_invalid_names_are_refused(owner, stopped_server, name, codes):
    assert_ims_error(owner.submit("POST", "/v2/cloudimages/action", ecs_body(stopped_server, name=name)), 400, *codes)


def test_valid_name_edge_cases(owner, stopped_server):
    for name in ("x" * 128, "a-b.c_d e 9"):
        image_id = owner.create_image(stopped_server["id"], name=name)
        assert owner.image(image_id)["name"] == name


def test_huawei_cloud_names_may_have_chinese_characters(region_api, control):
    """Huawei Cloud's own (Chinese) reference adds Chinese characters to 9.1's set; other scripts stay refused."""
    api = region_api("ap-southeast-1")
    server = World(control.world()).stopped_server(api.project_id)
    image_id = api.create_image(server["id"], name="镜像-web 1")
    assert api.image(image_id)["name"] == "镜像-web 1"
    renamed = api.patch("/v2/cloudimages/%s" % image_id, json_body=[{"op": "replace", "path": "/name", "value": "黄金镜像"}])
    assert renamed.status_code == 200 and renamed.json()["name"] == "黄金镜像", renamed.text
    assert_ims_error(api.submit("POST", "/v2/cloudimages/action", ecs_body(server, name="émile")), 400, "IMG.0003")
    assert_ims_error(api.submit("POST", "/v2/cloudimages/action", ecs_body(server, name="이미지")), 400, "IMG.0003")


@pytest.mark.parametrize(
    "body,codes",
    [
        ({"instance_id": "SERVER"}, ("IMG.0013", "IMG.0001")),
        ({"name": "no-source"}, ("IMG.0012", "IMG.0001", "IMG.0021")),
        ({"name": "long-desc", "instance_id": "SERVER", "description": "d" * 1025}, ("IMG.0004",)),
        ({"name": "bad-desc", "instance_id": "SERVER", "description": "a <b> c"}, ("IMG.0054",)),
        ({"name": "cr-desc", "instance_id": "SERVER", "description": "first\r\nsecond"}, ("IMG.0054",)),
        ({"name": "tab-desc", "instance_id": "SERVER", "description": "a\tb"}, ("IMG.0054",)),
        ({"name": "both-tags", "instance_id": "SERVER", "tags": ["a.1"], "image_tags": [{"key": "b", "value": "2"}]}, ()),
        ({"name": 12, "instance_id": "SERVER"}, ()),
        ({"name": "ram", "instance_id": "SERVER", "min_ram": "lots"}, ()),
        ({"name": "tags", "instance_id": "SERVER", "tags": "a.1"}, ()),
    ],
    ids=[
        "no-name",
        "no-source",
        "long-description",
        "angle-brackets",
        "line-break",
        "tab",
        "both-tag-formats",
        "name-int",
        "min-ram-string",
        "tags-string",
    ],
)
def test_invalid_create_bodies_are_refused(owner, stopped_server, body, codes):
    body = {key: stopped_server["id"] if value == "SERVER" else value for key, value in body.items()}
    assert_ims_error(owner.submit("POST", "/v2/cloudimages/action", body), 400, *codes)


@pytest.mark.parametrize(
    "content,codes",
    [
        (b"", ("IMG.0007", "IMG.0001")),
        (b'{"name": "x", ', ("IMG.0001",)),
        (b"[1, 2]", ("IMG.0001",)),
    ],
    ids=["empty", "truncated", "array"],
)
def test_malformed_bodies_are_refused(owner, content, codes):
    response = owner.request("POST", "/v2/cloudimages/action", content=content, content_type="application/json")
    assert_ims_error(response, 400, *codes)


def test_data_disk_images_of_an_ecs_take_tags_as_strings_only(owner, world):
    """Table 5-5 lists ``tags`` (strings) for an ECS's data disks, no ``image_tags``: those are not a field there."""
    server = next(server for server in world.servers(owner.project_id, world.STOPPED) if len(world.data_volumes(server["id"], owner.project_id)) >= 2)
    first, second = world.data_volumes(server["id"], owner.project_id)[:2]
    data_images = [
        {"name": unique_name("strings"), "volume_id": first["id"], "tags": ["role.data"]},
        {"name": unique_name("objects"), "volume_id": second["id"], "image_tags": [{"key": "role", "value": "data"}]},
    ]
    owner.run_job("POST", "/v2/cloudimages/action", ecs_body(server, data_images=data_images))
    tags = [owner.image_tags(owner.images({"name": item["name"]})[0]["id"]) for item in data_images]
    assert tags == [{"role": "data"}, {}]


def test_quota_exhausted_is_refused(owner, control, stopped_server):
    quota = owner.quota()
    assert quota["used"] < quota["quota"] and quota["min"] <= quota["quota"] <= quota["max"]
    control.bulk_images(owner.project_id, quota["quota"] - quota["used"], name_prefix=unique_name("fill"))
    assert owner.quota()["used"] == quota["quota"]
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", ecs_body(stopped_server)), "IMG.0015")


def test_data_disks_of_an_ecs_become_data_images(owner, world):
    server = next((server for server in world.servers(owner.project_id, world.STOPPED) if world.data_volumes(server["id"], owner.project_id)), None)
    assert server, "the seed needs a stopped ECS with data disks"
    volumes = world.data_volumes(server["id"], owner.project_id)
    data_images = [{"name": unique_name("disk"), "volume_id": volume["id"], "description": "data", "tags": ["d.1"]} for volume in volumes]
    job = owner.run_job("POST", "/v2/cloudimages/action", ecs_body(server, data_images=data_images))
    assert len(job.entities["sub_jobs_result"]) >= len(volumes), job.body
    made = set(job.sub_image_ids()) | {job.image_id} - {None}
    for data_image in data_images:
        found = owner.images({"name": data_image["name"]})
        assert len(found) == 1, data_image
        assert found[0]["id"] in made
        assert found[0]["virtual_env_type"] == "DataImage"
        assert found[0]["status"] == "active"
    sizes = {volume["id"]: volume["size"] for volume in world.volumes(owner.project_id)}
    for data_image, volume in zip(data_images, volumes, strict=False):
        assert owner.images({"name": data_image["name"]})[0]["min_disk"] == sizes[volume["id"]]
    for sub in job.entities["sub_jobs_result"]:
        assert sub["status"] == "SUCCESS" and sub["job_id"], sub
    assert sum(sub["job_type"] == "imsVolumeCreateImageJob" for sub in job.entities["sub_jobs_result"]) == len(volumes)
    assert set(job.entities.get("sub_jobs_list", [])) >= {sub["job_id"] for sub in job.entities["sub_jobs_result"]}


def test_ecs_with_a_task_in_progress_is_refused(owner, control, stopped_server):
    control.settings(job_seconds=2)
    first = owner.start_job("POST", "/v2/cloudimages/action", ecs_body(stopped_server))
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", ecs_body(stopped_server)), "IMG.0010")
    assert owner.wait_job(first).status == "SUCCESS"


@pytest.mark.parametrize("which", ["system disk", "unattached disk", "faulty disk"])
def test_unusable_volumes_are_refused(owner, world, which):
    volumes = world.volumes(owner.project_id)
    system_ids = {server["system_volume_id"] for server in world.servers(owner.project_id)}
    if which == "system disk":
        candidates = [volume for volume in volumes if volume["id"] in system_ids]
    elif which == "unattached disk":
        candidates = [volume for volume in volumes if not volume.get("server_id") and volume.get("status") == "available"]
    else:
        candidates = [volume for volume in volumes if volume.get("status") == "error"]
    assert candidates, "the seed needs a %s" % which
    body = {"name": unique_name("vol"), "volume_id": candidates[0]["id"], "type": "ECS", "os_version": "CentOS 7.0 64bit"}
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", body), "IMG.0120", "IMG.0022", "IMG.0006")


def test_data_volume_of_another_server_is_refused(owner, world):
    servers = [server for server in world.servers(owner.project_id) if world.data_volumes(server["id"], owner.project_id)]
    others = [server for server in world.servers(owner.project_id, world.STOPPED) if server["id"] != servers[0]["id"]]
    assert servers and others, "the seed needs two stopped ECSs, one with data disks"
    volume = world.data_volumes(servers[0]["id"], owner.project_id)[0]
    body = ecs_body(others[0], data_images=[{"name": unique_name("disk"), "volume_id": volume["id"]}])
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", body), "IMG.0140", "IMG.0120")


@pytest.mark.parametrize("os_version,platform,os_type,os_bit", OS_VERSIONS, ids=[row[0] for row in OS_VERSIONS])
def test_import_from_obs_sets_the_os_attributes(owner, world, os_version, platform, os_type, os_bit):
    image_id = owner.import_image(world.object_url(owner.project_id, ".qcow2"), os_version=os_version, min_disk=40)
    image = owner.images({"id": image_id})[0]
    assert image["__os_version"] == os_version
    assert image["__platform"] == platform
    assert image["__os_type"] == os_type
    assert image["__os_bit"] == os_bit
    assert image["min_disk"] == 40
    assert image["virtual_env_type"] == "FusionCompute"
    assert image.get("__root_origin") == "file"
    assert not image.get("__originalimagename")


def test_import_job_type(owner, world):
    job = owner.run_job(
        "POST",
        "/v2/cloudimages/action",
        {"name": unique_name(), "image_url": world.object_url(owner.project_id, ".qcow2"), "os_version": "CentOS 7.0 64bit", "min_disk": 40},
    )
    assert job.body["job_type"] == "imsImportImageJob"


def test_import_unknown_os_version_is_refused(owner, world):
    body = {"name": unique_name(), "image_url": world.object_url(owner.project_id, ".qcow2"), "os_version": "Plan 9 From Bell Labs 64bit", "min_disk": 40}
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", body), "IMG.0056")


@pytest.mark.parametrize("min_disk,accepted", [(0, False), (1, True), (1024, True), (1025, False)])
def test_import_min_disk_range(owner, world, min_disk, accepted):
    body = {"name": unique_name(), "image_url": world.object_url(owner.project_id, ".qcow2"), "os_version": "CentOS 7.0 64bit", "min_disk": min_disk}
    if accepted:
        job = owner.run_job("POST", "/v2/cloudimages/action", body)
        assert owner.image(job.image_id)["min_disk"] == min_disk
    else:
        owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", body), "IMG.0055", "IMG.0001")


@pytest.mark.parametrize(
    "name,codes",
    [("empty.qcow2", ("IMG.0057",)), ("readme.txt", ("IMG.0057", "IMG.0072")), ("bigdisk.raw", ("IMG.0059",))],
    ids=["empty", "not-an-image", "over-128-GB"],
)
def test_import_refuses_unusable_files(owner, world, name, codes):
    body = {"name": unique_name(), "image_url": world.object_url(owner.project_id, name), "os_version": "CentOS 7.0 64bit", "min_disk": 1024}
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", body), *codes)


def test_import_without_min_disk_is_refused(owner, world):
    body = {"name": unique_name(), "image_url": world.object_url(owner.project_id, ".qcow2"), "os_version": "CentOS 7.0 64bit"}
    assert_ims_error(owner.submit("POST", "/v2/cloudimages/action", body), 400)


@pytest.mark.parametrize("where", ["missing object", "missing bucket", "foreign bucket", "non-standard bucket"])
def test_import_needs_an_existing_object_in_a_standard_bucket(owner, consumer, world, where):
    if where == "missing object":
        url = world.object_url(owner.project_id, ".qcow2").split(":")[0] + ":no-such-file.qcow2"
    elif where == "missing bucket":
        url = "no-such-bucket-%s:file.qcow2" % uuid.uuid4().hex[:8]
    elif where == "foreign bucket":
        url = world.object_url(consumer.project_id, ".qcow2")
    else:
        bucket = next((bucket for bucket in world.buckets(owner.project_id) if bucket.get("storage_class", "STANDARD") != "STANDARD"), None)
        assert bucket, "the seed needs a non-Standard bucket"
        assert world.objects(bucket), "the seed needs an object in a non-Standard bucket"
        url = "%s:%s" % (bucket["name"], world.object_name(world.objects(bucket)[0]))
    body = {"name": unique_name(), "image_url": url, "os_version": "CentOS 7.0 64bit", "min_disk": 40}
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", body), *OBS_REFUSALS)


def test_import_with_data_disk_files(owner, world):
    data_images = [
        {"name": unique_name("dd"), "image_url": world.object_url(owner.project_id, suffix), "min_disk": 50} for suffix in ("datadisk.qcow2", ".vmdk")
    ]
    job = owner.run_job(
        "POST",
        "/v2/cloudimages/action",
        {
            "name": unique_name("sys"),
            "image_url": world.object_url(owner.project_id, "centos7.qcow2"),
            "os_version": "CentOS 7.0 64bit",
            "min_disk": 40,
            "data_images": data_images,
        },
    )
    for data_image in data_images:
        found = owner.images({"name": data_image["name"]})
        assert len(found) == 1 and found[0]["virtual_env_type"] == "DataImage", found
        assert found[0]["id"] in job.sub_image_ids()


def test_import_with_a_duplicate_file_address_is_refused(owner, world):
    url = world.object_url(owner.project_id, ".qcow2")
    body = {
        "name": unique_name("sys"),
        "image_url": url,
        "os_version": "CentOS 7.0 64bit",
        "min_disk": 40,
        "data_images": [{"name": unique_name("dd"), "image_url": url, "min_disk": 50}],
    }
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", body), "IMG.0123")


def test_import_encrypted_with_a_kms_key(owner, world):
    key = world.kms_key(owner.project_id)
    image_id = owner.import_image(world.object_url(owner.project_id, ".qcow2"), cmk_id=key)
    assert owner.images({"id": image_id})[0]["__system__cmkid"] == key
    encrypted = owner.images({"__system__cmkid": key})
    assert image_id in {image["id"] for image in encrypted}
    assert all(image["__system__cmkid"] == key for image in encrypted)


def test_import_with_an_unknown_kms_key_is_refused(owner, world):
    body = {
        "name": unique_name(),
        "image_url": world.object_url(owner.project_id, ".qcow2"),
        "os_version": "CentOS 7.0 64bit",
        "min_disk": 40,
        "cmk_id": str(uuid.uuid4()),
    }
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", body), "IMG.0095")


def test_is_quick_import_needs_os_version(owner, world):
    body = {"name": unique_name(), "image_url": world.object_url(owner.project_id, ".zvhd2"), "min_disk": 40, "is_quick_import": True}
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", body), "IMG.0056", "IMG.0001", "IMG.0122")


def test_quick_import_of_a_system_disk(owner, world):
    job = owner.run_job(
        "POST",
        "/v2/cloudimages/quickimport/action",
        {
            "name": unique_name("quick"),
            "image_url": world.object_url(owner.project_id, ".zvhd2"),
            "os_version": "CentOS 7.0 64bit",
            "min_disk": 40,
            "type": "ECS",
            "tags": ["q.1"],
        },
    )
    image = owner.images({"id": job.image_id})[0]
    assert image["virtual_env_type"] == "FusionCompute"
    assert image["__os_version"] == "CentOS 7.0 64bit"
    assert owner.image_tags(job.image_id) == {"q": "1"}


def test_quick_import_of_a_file_over_128_gb_then_only_quick_export(owner, world):
    job = owner.run_job(
        "POST",
        "/v2/cloudimages/quickimport/action",
        {"name": unique_name("big"), "image_url": world.object_url(owner.project_id, "bigdisk.raw"), "os_version": "CentOS 7.0 64bit", "min_disk": 1024},
    )
    bucket = world.bucket(owner.project_id)["name"]
    response = owner.submit("POST", "/v1/cloudimages/%s/file" % job.image_id, {"bucket_url": "%s:big.qcow2" % bucket, "file_format": "qcow2"})
    owner.expect_refusal(response, "IMG.0160")
    owner.run_job("POST", "/v1/cloudimages/%s/file" % job.image_id, {"bucket_url": "%s:big.raw" % bucket, "is_quick_export": True})


def test_quick_import_of_a_data_disk(owner, world):
    job = owner.run_job(
        "POST",
        "/v2/cloudimages/quickimport/action",
        {"name": unique_name("quickdata"), "image_url": world.object_url(owner.project_id, ".zvhd2"), "os_type": "Linux", "min_disk": 40, "type": "DataImage"},
    )
    assert owner.images({"id": job.image_id})[0]["virtual_env_type"] == "DataImage"


def test_quick_import_arm_boots_uefi(owner, world):
    job = owner.run_job(
        "POST",
        "/v2/cloudimages/quickimport/action",
        {
            "name": unique_name("arm"),
            "image_url": world.object_url(owner.project_id, ".zvhd2"),
            "os_version": "CentOS 7.0 64bit",
            "min_disk": 40,
            "architecture": "arm",
        },
    )
    image = owner.images({"id": job.image_id})[0]
    assert image["hw_firmware_type"] == "uefi"
    assert [found["id"] for found in owner.images({"architecture": "arm", "id": job.image_id})] == [job.image_id]


@pytest.mark.parametrize(
    "change,codes",
    [
        ({"os_version": None}, ("IMG.0056", "IMG.0001", "IMG.0122")),
        ({"architecture": "sparc"}, ("IMG.0212",)),
        ({"suffix": ".qcow2"}, ("IMG.0072", "IMG.0057", "IMG.0001")),
        ({"min_disk": 2048}, ("IMG.0055", "IMG.0001")),
        ({"suffix": ".vhd"}, ("IMG.0072", "IMG.0057")),
        ({"suffix": "nobitmap.raw"}, ("IMG.0057",)),
    ],
    ids=["no-os-version", "bad-architecture", "qcow2-file", "min-disk", "vhd-file", "raw-without-bitmap"],
)
def test_quick_import_constraints(owner, world, change, codes):
    suffix = change.pop("suffix", ".zvhd2")
    body = {"name": unique_name(), "image_url": world.object_url(owner.project_id, suffix), "os_version": "CentOS 7.0 64bit", "min_disk": 40}
    body.update(change)
    body = {key: value for key, value in body.items() if value is not None}
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/quickimport/action", body), *codes)


def test_data_image_from_an_obs_file(owner, world):
    job = owner.run_job(
        "POST",
        "/v1/cloudimages/dataimages/action",
        {"name": unique_name("dataobs"), "image_url": world.object_url(owner.project_id, ".qcow2"), "min_disk": 40, "os_type": "Linux", "tags": ["x.y"]},
    )
    assert job.body["job_type"] == "imsImportDataImageJob"
    image = owner.images({"id": job.image_id})[0]
    assert image["virtual_env_type"] == "DataImage"
    assert owner.image_tags(job.image_id) == {"x": "y"}


def test_iso_flow_of_section_7_1(owner, world, stopped_server):
    job = owner.run_job(
        "POST",
        "/v2/cloudimages/action",
        {
            "name": unique_name("iso"),
            "image_url": world.object_url(owner.project_id, ".iso"),
            "os_type": "Linux",
            "os_version": "CentOS 7.0 64bit",
            "type": "IsoImage",
            "min_disk": 40,
            "image_tags": [{"key": "key1", "value": "value1"}],
        },
    )
    iso = owner.images({"id": job.image_id})[0]
    assert iso["virtual_env_type"] == "IsoImage"
    assert iso["disk_format"] == "iso"
    volumes = world.data_volumes(stopped_server["id"], owner.project_id) or [
        volume for server in world.servers(owner.project_id) for volume in world.data_volumes(server["id"], owner.project_id)
    ]
    assert volumes, "the seed needs a data disk"
    job = owner.run_job(
        "POST", "/v2/cloudimages/action", {"name": unique_name("fromdisk"), "volume_id": volumes[0]["id"], "type": "ECS", "os_version": "CentOS 7.0 64bit"}
    )
    image = owner.images({"id": job.image_id})[0]
    assert image["virtual_env_type"] == "FusionCompute"
    assert image["__os_version"] == "CentOS 7.0 64bit"


def test_iso_without_os_version_is_refused(owner, world):
    body = {"name": unique_name("iso"), "image_url": world.object_url(owner.project_id, ".iso"), "type": "IsoImage", "min_disk": 40}
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", body), "IMG.0166")


def test_full_ecs_image_from_an_ecs(owner, world):
    servers = world.servers(owner.project_id, world.STOPPED)
    job = owner.run_job(
        "POST",
        "/v1/cloudimages/wholeimages/action",
        {"name": unique_name("whole"), "instance_id": servers[0]["id"], "image_tags": [{"key": "w", "value": "1"}]},
    )
    assert job.body["job_type"] == "imsCreateWholeImageByInstanceJob"
    image_id = job.image_id or job.sub_image_ids()[0]
    image = owner.images({"id": image_id})[0]
    assert str(image["__whole_image"]).lower() == "true"
    assert image["id"] in {found["id"] for found in owner.images({"__whole_image": "true"})}
    assert owner.image_tags(image_id) == {"w": "1"}


def test_full_ecs_image_of_an_ecs_being_backed_up_is_refused(owner, world):
    busy = {backup.get("server_id") for backup in world.backups(owner.project_id) if str(backup.get("status", "")).lower() in ("protecting", "creating")}
    servers = [server for server in world.servers(owner.project_id) if server["id"] in busy]
    assert servers, "the seed needs an ECS with a backup in progress"
    body = {"name": unique_name("busy"), "instance_id": servers[0]["id"]}
    owner.expect_refusal(owner.submit("POST", "/v1/cloudimages/wholeimages/action", body), "IMG.0136")


def test_full_ecs_image_from_a_backup_only_once(owner, world):
    backups = [
        backup for backup in world.backups(owner.project_id) if str(backup.get("status", "available")).lower() == "available" and not backup.get("image_id")
    ]
    assert backups, "the seed needs an available, unused CSBS backup"
    body = {"name": unique_name("backup"), "backup_id": backups[0]["id"]}
    job = owner.run_job("POST", "/v1/cloudimages/wholeimages/action", body)
    assert job.body["job_type"] == "imsCreateWholeImageByBackupJob"
    image = owner.images({"id": job.image_id or job.sub_image_ids()[0]})[0]
    assert str(image["__whole_image"]).lower() == "true"
    assert image["__backup_id"] == backups[0]["id"]
    again = owner.submit("POST", "/v1/cloudimages/wholeimages/action", dict(body, name=unique_name("again")))
    owner.expect_refusal(again, "IMG.0134", "IMG.0029")


@pytest.mark.parametrize("state,codes", [("used", ("IMG.0134", "IMG.0029")), ("busy", ("IMG.0132", "IMG.0032"))])
def test_full_ecs_image_from_a_used_or_busy_backup_is_refused(owner, world, state, codes):
    if state == "used":
        backups = [backup for backup in world.backups(owner.project_id) if backup.get("image_id")]
    else:
        backups = [backup for backup in world.backups(owner.project_id) if str(backup.get("status", "available")).lower() != "available"]
    assert backups, "the seed needs a %s backup" % state
    body = {"name": unique_name("backup"), "backup_id": backups[0]["id"]}
    owner.expect_refusal(owner.submit("POST", "/v1/cloudimages/wholeimages/action", body), *codes)


@pytest.mark.parametrize(
    "source,codes",
    [
        ("backup_id", ("IMG.0127", "IMG.0020", "IMG.0198")),
        ("instance_id", ("IMG.0005", "IMG.0137")),
    ],
)
def test_full_ecs_image_from_an_unknown_source_is_refused(owner, source, codes):
    body = {"name": unique_name("whole"), source: str(uuid.uuid4())}
    owner.expect_refusal(owner.submit("POST", "/v1/cloudimages/wholeimages/action", body), *codes)


def test_glance_metadata_then_register_an_obs_file(owner, world):
    image = owner.glance_create(disk_format="qcow2", min_disk=40, __os_version="Ubuntu 18.04 server 64bit", tags=["test=testvalue"])
    assert image["status"] == "queued"
    assert image["visibility"] == "private" and image["protected"] is False
    assert image["__os_version"] == "Ubuntu 18.04 server 64bit"
    assert image["tags"] == ["test=testvalue"]
    job = owner.run_job("PUT", "/v1/cloudimages/%s/upload" % image["id"], {"image_url": world.object_url(owner.project_id, ".qcow2")})
    assert job.body["job_type"] == "imsNativeImportImageJob"
    assert owner.image(image["id"])["status"] == "active"


def test_register_a_missing_file_is_refused(owner, world):
    image = owner.glance_create(disk_format="qcow2", min_disk=40)
    bucket = world.object_url(owner.project_id, ".qcow2").split(":")[0]
    response = owner.submit("PUT", "/v1/cloudimages/%s/upload" % image["id"], {"image_url": bucket + ":missing.qcow2"})
    owner.expect_refusal(response, *OBS_REFUSALS)


def test_glance_upload_makes_the_image_active(owner):
    image = owner.glance_create(disk_format="raw", container_format="bare", min_disk=1)
    response = owner.request("PUT", "/v2/images/%s/file" % image["id"], content=b"x" * 65536, content_type="application/octet-stream")
    assert response.status_code == 204, response.text
    assert response.content == b""
    deadline = time.monotonic() + 10
    statuses = []
    while time.monotonic() < deadline:
        statuses.append(owner.image(image["id"])["status"])
        if statuses[-1] == "active":
            break
        time.sleep(0.05)
    assert statuses[-1] == "active", statuses
    assert set(statuses) <= {"saving", "active"}, statuses
    again = owner.request("PUT", "/v2/images/%s/file" % image["id"], content=b"y", content_type="application/octet-stream")
    assert again.status_code == 409, again.text


def test_glance_create_defaults_and_constraints(owner):
    image = owner.glance_create()
    assert image["container_format"] == "bare"
    assert image["disk_format"] == "zvhd2"
    assert image["__os_version"] == "Other Linux(64 bit)"
    assert image["min_ram"] == 0
    assert image["__imagetype"] == "private"
    assert image["owner"] == owner.project_id
    for body in ({"visibility": "public"}, {"disk_format": "floppy"}, {"min_disk": "ten"}, {"protected": "yes"}):
        assert_ims_error(owner.post("/v2/images", json_body=dict(body, name=unique_name())), 400)


def record(states, state):
    """Append a state when it differs from the last one seen."""
    if not states or states[-1] != state:
        states.append(state)


def in_order(states, order):
    return states == [state for state in order if state in states]


def test_job_lifecycle_and_image_states(owner, control, stopped_server):
    control.settings(job_seconds=2)
    name = unique_name("slow")
    job_id = owner.start_job("POST", "/v2/cloudimages/action", ecs_body(stopped_server, name=name))
    job_states, percents, image_states = [], [], []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (job_states and job_states[-1] in ("SUCCESS", "FAIL")):
        response = owner.get("/v1/{project_id}/jobs/%s" % job_id)
        if response.status_code == 200:
            body = response.json()
            record(job_states, body["status"])
            if body["status"] == "RUNNING" and body["entities"].get("process_percent") is not None:
                percents.append(float(body["entities"]["process_percent"]))
        for image in owner.images({"name": name}):
            record(image_states, image["status"])
        time.sleep(0.05)
    for image in owner.images({"name": name}):
        record(image_states, image["status"])
    assert job_states[-1] == "SUCCESS", job_states
    assert "RUNNING" in job_states and in_order(job_states, ("INIT", "RUNNING", "SUCCESS")), job_states
    assert percents == sorted(percents) and len(set(percents)) >= 2, percents
    assert image_states[-1] == "active", image_states
    assert len(image_states) >= 2 and in_order(image_states, ("queued", "saving", "active")), image_states


def test_job_fail_injection_kills_the_image(owner, control, stopped_server):
    control.fail_jobs(count=1, error_code="IMG.0014", fail_reason="injected by test")
    name = unique_name("doomed")
    job = owner.run_job("POST", "/v2/cloudimages/action", ecs_body(stopped_server, name=name), expect="FAIL")
    assert job.body["error_code"] == "IMG.0014"
    assert job.body["fail_reason"] == "injected by test"
    assert job.entities.get("error_code") == "IMG.0014" or job.entities.get("fail_reason") == "injected by test"
    for image in owner.images({"name": name}):
        assert image["status"] == "killed"
    owner.create_image(stopped_server["id"])


def test_job_fail_injection_by_job_type(owner, control, stopped_server):
    control.fail_jobs(count=1, job_type="imsCopyImageInRegionJob")
    image_id = owner.create_image(stopped_server["id"])
    job = owner.run_job("POST", "/v1/cloudimages/%s/copy" % image_id, {"name": unique_name("copy")}, expect="FAIL")
    assert job.body["job_type"] == "imsCopyImageInRegionJob"
    owner.run_job("POST", "/v1/cloudimages/%s/copy" % image_id, {"name": unique_name("copy")})


def test_job_progress_api(owner, stopped_server):
    job_id = owner.start_job("POST", "/v2/cloudimages/action", ecs_body(stopped_server))
    owner.wait_job(job_id)
    body = owner.ok("GET", "/v1/cloudimages/job/%s" % job_id)
    assert body["job_id"] == job_id
    assert body["status"] == "SUCCESS"
    assert body["entities"]["image_id"]
    assert "process_percent" in body["entities"]


def test_jobs_are_private_to_their_project(owner, consumer, stopped_server):
    # Another project's job is as unknown as a job that never was: 400 IMG.0023 (the error table).
    job_id = owner.start_job("POST", "/v2/cloudimages/action", ecs_body(stopped_server))
    owner.wait_job(job_id)
    assert_ims_error(consumer.get("/v1/{project_id}/jobs/%s" % job_id), 400, "IMG.0023")
    assert_ims_error(owner.get("/v1/{project_id}/jobs/%s" % uuid.uuid4().hex), 400, "IMG.0023")
