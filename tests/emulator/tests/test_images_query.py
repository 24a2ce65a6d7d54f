# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Querying images: GET /v2/cloudimages (all three published variants), Glance GET /v2/images, v1/v1.1 queries."""

import datetime
import os
import re
import urllib.parse
import uuid

import pytest
import yaml

from ims_emulator.testing import EMULATOR_DIR, assert_ims_error, assert_not_framework_shaped, parse_time, unique_name

# Attributes every image of the extension query carries (reference 5.1.1, table 5-2, and its example).
EXTENSION_IMAGE_KEYS = {
    "id",
    "name",
    "status",
    "visibility",
    "owner",
    "protected",
    "container_format",
    "disk_format",
    "min_ram",
    "min_disk",
    "created_at",
    "updated_at",
    "self",
    "file",
    "schema",
    "tags",
    "size",
    "checksum",
    "virtual_size",
    "__imagetype",
    "__isregistered",
    "__os_type",
    "__platform",
    "__os_bit",
    "__os_version",
    "__image_source_type",
    "virtual_env_type",
}
# A data disk image has no operating system.
OS_KEYS = {"__os_version", "__platform", "__os_bit"}
# Attributes of a Glance image (reference 6.1.2 and its example).
GLANCE_IMAGE_KEYS = {
    "id",
    "name",
    "status",
    "visibility",
    "owner",
    "protected",
    "container_format",
    "disk_format",
    "min_ram",
    "min_disk",
    "created_at",
    "updated_at",
    "self",
    "file",
    "schema",
    "tags",
    "size",
    "checksum",
    "virtual_size",
}
V1_IMAGE_KEYS = {
    "status",
    "virtual_size",
    "name",
    "deleted",
    "container_format",
    "created_at",
    "disk_format",
    "updated_at",
    "properties",
    "owner",
    "protected",
    "min_ram",
    "checksum",
    "min_disk",
    "is_public",
    "deleted_at",
    "id",
    "size",
}
STRING_FILTERS = [
    "__imagetype",
    "visibility",
    "owner",
    "id",
    "status",
    "name",
    "container_format",
    "disk_format",
    "__os_bit",
    "__platform",
    "__os_type",
    "virtual_env_type",
    "__isregistered",
    "__system__cmkid",
    "__support_kvm",
    "__support_xen",
    "__support_largememory",
    "__support_diskintensive",
    "__support_highperformance",
    "__support_xen_gpu_type",
    "__support_kvm_gpu_type",
    "__support_xen_hana",
    "__support_kvm_infiniband",
    "enterprise_project_id",
]
INTEGER_FILTERS = ["min_ram", "min_disk"]
BOOLEAN_FILTERS = ["protected", "__whole_image"]
# Attributes of special ECS types, spread over images because some of them exclude others (reference 5.1.2).
SPECIAL_ATTRIBUTES = [
    {"__support_largememory": "true", "__support_diskintensive": "true", "__support_highperformance": "true"},
    {"__support_xen_gpu_type": "M60_vGPU"},
    {"__support_kvm_gpu_type": "V100"},
    {"__support_xen_hana": "true"},
]
SORT_KEYS = ["name", "container_format", "disk_format", "status", "id", "size", "created_at"]
TIME_OPERATORS = {
    "gt": lambda value, pivot: value > pivot,
    "gte": lambda value, pivot: value >= pivot,
    "lt": lambda value, pivot: value < pivot,
    "lte": lambda value, pivot: value <= pivot,
    "eq": lambda value, pivot: value == pivot,
    "neq": lambda value, pivot: value != pivot,
}
UTC_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
TIME_FORMATS = {"iso": "%Y-%m-%dT%H:%M:%SZ", "space": "%Y-%m-%d %H:%M:%S"}


def normalized(value):
    """Query strings compare with image attributes as text; booleans as true/false."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def ids(images):
    return {image["id"] for image in images}


@pytest.fixture
def varied_images(owner, world, bulk, stopped_server):
    """A mix of the owner's images: from an ECS, an OBS data disk file, Glance metadata (queued, protected)."""
    owner.create_image(stopped_server["id"], image_tags=[{"key": "env", "value": "prod"}])
    owner.run_job(
        "POST",
        "/v1/cloudimages/dataimages/action",
        {"name": unique_name("data"), "image_url": world.object_url(owner.project_id, ".qcow2"), "min_disk": 40, "os_type": "Linux"},
    )
    owner.glance_create(disk_format="qcow2", protected=True, min_disk=7, min_ram=512)
    for image, attributes in zip(bulk(owner, 4), SPECIAL_ATTRIBUTES, strict=False):
        operations = [{"op": "add", "path": "/" + key, "value": value} for key, value in attributes.items()]
        owner.ok("PATCH", "/v2/cloudimages/%s" % image["id"], json_body=operations)
    return owner.all_images()


def test_extension_query_returns_documented_image_objects(owner, varied_images):
    assert varied_images
    for image in varied_images:
        keys = EXTENSION_IMAGE_KEYS - (OS_KEYS if image["virtual_env_type"] == "DataImage" else set())
        assert keys <= set(image), (image["name"], sorted(keys - set(image)))
        assert image["self"] == "/v2/images/%s" % image["id"]
        assert image["file"] == "/v2/images/%s/file" % image["id"]
        assert image["schema"] == "/v2/schemas/image"
        assert isinstance(image["protected"], bool)
        assert isinstance(image["min_disk"], int) and isinstance(image["min_ram"], int)
        assert isinstance(image["tags"], list)
        assert image["__imagetype"] in ("gold", "private", "shared")
        assert image["visibility"] in ("public", "private", "shared")
        assert re.match(UTC_TIME, image["created_at"]) and re.match(UTC_TIME, image["updated_at"]), image
    public = [image for image in varied_images if image["__imagetype"] == "gold"]
    assert public and all(image["visibility"] == "public" for image in public)
    mine = [image for image in varied_images if image["owner"] == owner.project_id]
    assert mine and all(image["__imagetype"] in ("private", "shared") for image in mine)
    assert all(image["__imagetype"] == "private" for image in mine if image["name"].startswith("bulk"))


@pytest.mark.parametrize("key", STRING_FILTERS + INTEGER_FILTERS + BOOLEAN_FILTERS)
def test_filter_matches_exactly_the_images_with_that_attribute(owner, varied_images, key):
    values = sorted({normalized(image[key]) for image in varied_images if image.get(key) not in (None, "")})
    if key in ("id", "name"):
        values = values[:3]
    for value in values or ["true"]:
        expected = {image["id"] for image in varied_images if normalized(image.get(key)) == value}
        found = owner.all_images({key: value})
        assert ids(found) == expected, (key, value)


@pytest.mark.parametrize("key,value", [("__imagetype", "gold"), ("status", "deleted"), ("min_disk", 4096), ("protected", "false"), ("name", "no such image")])
def test_filter_without_match_or_with_match(owner, varied_images, key, value):
    expected = {image["id"] for image in varied_images if normalized(image.get(key)) == normalized(value)}
    assert ids(owner.all_images({key: value})) == expected


def test_filters_combine(owner, varied_images):
    query = {"__imagetype": "private", "status": "active", "owner": owner.project_id}
    expected = {image["id"] for image in varied_images if all(normalized(image.get(key)) == value for key, value in query.items())}
    assert expected
    assert ids(owner.all_images(query)) == expected


def test_tag_filter(owner, stopped_server):
    tagged = owner.create_image(stopped_server["id"], image_tags=[{"key": "team", "value": "blue"}])
    owner.create_image(stopped_server["id"], image_tags=[{"key": "team", "value": "red"}])
    image = owner.images({"id": tagged})[0]
    assert len(image["tags"]) == 1, image["tags"]
    found = owner.all_images({"tag": image["tags"][0]})
    assert ids(found) == {tagged}


@pytest.mark.parametrize("operator", sorted(TIME_OPERATORS))
@pytest.mark.parametrize("time_format", sorted(TIME_FORMATS))
@pytest.mark.parametrize("field", ["created_at", "updated_at"])
def test_time_filters(owner, varied_images, field, operator, time_format):
    times = sorted({parse_time(image[field]) for image in varied_images})
    pivot = times[len(times) // 2]
    expected = {image["id"] for image in varied_images if TIME_OPERATORS[operator](parse_time(image[field]), pivot)}
    value = "%s:%s" % (operator, pivot.astimezone(datetime.timezone.utc).strftime(TIME_FORMATS[time_format]))
    assert ids(owner.all_images({field: value})) == expected, value


def test_enterprise_project_filter(owner, varied_images):
    assert ids(owner.all_images({"enterprise_project_id": "all_granted_eps"})) == ids(varied_images)
    default = {image["id"] for image in varied_images if normalized(image.get("enterprise_project_id", "0")) == "0"}
    assert ids(owner.all_images({"enterprise_project_id": "0"})) == default


def test_architecture_filter(owner, varied_images):
    arm = owner.all_images({"architecture": "arm"})
    x86 = owner.all_images({"architecture": "x86"})
    assert not ids(arm) & ids(x86)
    assert ids(arm) | ids(x86) == ids(varied_images)
    assert x86 and arm
    assert all(image.get("__support_arm") == "true" for image in arm)
    assert all(image.get("__support_arm") != "true" for image in x86)


def default_seed_flavors():
    with open(os.path.join(EMULATOR_DIR, "ims_emulator", "default_seed.yaml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["flavors"]


@pytest.mark.parametrize("flavor", default_seed_flavors(), ids=lambda flavor: flavor["id"])
def test_flavor_filter_returns_the_public_images_that_fit(owner, flavor):
    found = owner.all_images({"flavor_id": flavor["id"]})
    assert found
    arm = flavor.get("architecture") == "arm"
    for image in found:
        assert image["__imagetype"] == "gold"
        assert image["min_ram"] <= flavor["ram"]
        assert (image.get("__support_arm") == "true") == arm, image["name"]


def test_unknown_flavor_is_refused(owner):
    assert_ims_error(owner.get("/v2/cloudimages", query={"flavor_id": "no.such.flavor"}), 400, "IMG.0192")


def sort_value(image, key):
    value = image.get(key)
    return parse_time(value) if key == "created_at" else (value if value is not None else "")


@pytest.mark.parametrize("sort_dir", ["asc", "desc"])
@pytest.mark.parametrize("sort_key", SORT_KEYS)
def test_sorting(owner, varied_images, sort_key, sort_dir):
    found = owner.images({"sort_key": sort_key, "sort_dir": sort_dir})
    assert ids(found) == ids(varied_images)
    values = [sort_value(image, sort_key) for image in found]
    assert values == sorted(values, reverse=sort_dir == "desc"), values


def test_default_order_is_newest_first(owner, bulk, stopped_server):
    bulk(owner, 2)
    newest = owner.create_image(stopped_server["id"])
    found = owner.images()
    assert found[0]["id"] == newest
    values = [parse_time(image["created_at"]) for image in found]
    assert values == sorted(values, reverse=True)


def owned_by_name(api):
    """The ids of the project's own images, sorted by name."""
    return [image["id"] for image in sorted(api.all_images({"owner": api.project_id}), key=lambda image: image["name"])]


@pytest.mark.parametrize("limit", [1, 5, 7])
def test_marker_pagination_walks_every_image_once(owner, bulk, limit):
    bulk(owner, 23)
    query = {"owner": owner.project_id, "sort_key": "name", "sort_dir": "asc", "limit": limit}
    seen = []
    while True:
        page = owner.images(query)
        assert len(page) <= limit
        seen.extend(page)
        if len(page) < limit:
            break
        query["marker"] = page[-1]["id"]
    assert [image["id"] for image in seen] == owned_by_name(owner)


def test_other_projects_private_images_are_invisible(owner, consumer, bulk):
    hidden = bulk(owner, 1)[0]
    assert hidden["id"] not in ids(consumer.all_images())
    assert not consumer.images({"id": hidden["id"]})
    foreign = consumer.get("/v2/images/%s" % hidden["id"])
    missing = consumer.get("/v2/images/%s" % uuid.uuid4())
    assert foreign.status_code == missing.status_code == 404
    assert (foreign.headers.get("Content-Type"), error_shape(foreign)) == (missing.headers.get("Content-Type"), error_shape(missing))


def error_shape(response):
    """The parts of an error answer that must not reveal whether a resource exists."""
    try:
        body = response.json()
    except ValueError:
        return response.text.replace(response.request.url.path.rsplit("/", 1)[-1], "<id>")
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("code")
    return body.get("error_code") if isinstance(body, dict) else None


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "abc"},
        {"limit": -1},
        {"sort_dir": "sideways"},
        {"sort_key": "no_such_key"},
        {"created_at": "after:2020-01-01T00:00:00Z"},
        {"created_at": "gt:yesterday"},
        {"updated_at": "lt"},
        {"protected": "maybe"},
        {"min_disk": "big"},
        {"min_ram": "1.5"},
        {"marker": str(uuid.UUID(int=7))},
        {"member_status": "sometimes", "visibility": "shared"},
    ],
    ids=lambda query: "&".join("%s=%s" % item for item in query.items()),
)
def test_bad_query_values_are_refused(owner, query):
    assert_ims_error(owner.get("/v2/cloudimages", query=query), 400)


def follow(api, link):
    """GET a Glance pagination link (a path with a query)."""
    parts = urllib.parse.urlsplit(link)
    return api.ok("GET", parts.path, query=urllib.parse.parse_qsl(parts.query, keep_blank_values=True))


def test_glance_list_paginates_with_next_links(owner, bulk):
    bulk(owner, 30)
    expected = owned_by_name(owner)
    assert 25 < len(expected) <= 50
    body = owner.ok("GET", "/v2/images", query={"owner": owner.project_id, "sort_key": "name", "sort_dir": "asc"})
    assert body["schema"] == "/v2/schemas/images"
    assert body["first"].startswith("/v2/images")
    assert len(body["images"]) == 25
    seen = list(body["images"])
    pages = 1
    while "next" in body:
        body = follow(owner, body["next"])
        seen.extend(body["images"])
        pages += 1
    assert pages == 2
    assert [image["id"] for image in seen] == expected
    for image in seen:
        assert GLANCE_IMAGE_KEYS <= set(image), sorted(GLANCE_IMAGE_KEYS - set(image))


def test_glance_list_with_limit_and_marker(owner, bulk):
    bulk(owner, 6)
    expected = owned_by_name(owner)
    query = {"owner": owner.project_id, "sort_key": "name", "sort_dir": "asc", "limit": 4}
    pages = [owner.ok("GET", "/v2/images", query=query)]
    while "next" in pages[-1]:
        pages.append(follow(owner, pages[-1]["next"]))
    assert [len(page["images"]) for page in pages[:-1]] == [4] * (len(pages) - 1)
    assert [image["id"] for page in pages for image in page["images"]] == expected
    marker = expected[3]
    after = owner.ok("GET", "/v2/images", query=dict(query, marker=marker, limit=100))["images"]
    assert [image["id"] for image in after] == expected[4:]


def test_glance_list_filters(owner, varied_images):
    for key, value in (("visibility", "public"), ("__imagetype", "private"), ("status", "queued"), ("protected", "true"), ("disk_format", "qcow2")):
        expected = {image["id"] for image in varied_images if normalized(image.get(key)) == value}
        found = owner.ok("GET", "/v2/images", query={key: value, "limit": 1000})["images"]
        assert ids(found) == expected, (key, value)


def test_glance_show_image(owner, varied_images):
    for image in varied_images[:5]:
        shown = owner.image(image["id"])
        assert GLANCE_IMAGE_KEYS <= set(shown)
        assert shown["id"] == image["id"] and shown["name"] == image["name"]
        assert shown["self"] == "/v2/images/%s" % image["id"]


def test_v11_image_details(owner, varied_images):
    body = owner.ok("GET", "/v1.1/images/detail")
    assert body["images"]
    for image in body["images"]:
        assert V1_IMAGE_KEYS <= set(image), sorted(V1_IMAGE_KEYS - set(image))
        assert isinstance(image["properties"], dict)
        assert image["deleted"] is False
    qcow2 = owner.ok("GET", "/v1.1/images/detail", query={"disk_format": "qcow2"})["images"]
    expected = {image["id"] for image in varied_images if image["disk_format"] == "qcow2"}
    assert ids(qcow2) == expected
    name = varied_images[0]["name"]
    assert all(image["name"] == name for image in owner.ok("GET", "/v1.1/images/detail", query={"name": name})["images"])


def test_v11_images_are_never_created_after_their_last_update(owner, stopped_server):
    """created_at and updated_at are both the image's own stamps: a new image has them equal, never reversed."""
    image_id = owner.create_image(stopped_server["id"])
    for image in v11_details(owner):
        assert parse_time(image["created_at"]) <= parse_time(image["updated_at"]), image
    created = next(image for image in v11_details(owner) if image["id"] == image_id)
    shown = owner.images({"id": image_id})[0]
    assert parse_time(created["created_at"]) == parse_time(shown["created_at"])


def v11_details(api, query=None):
    return api.ok("GET", "/v1.1/images/detail", query=query)["images"]


def test_v11_size_filters(owner, varied_images):
    del varied_images
    everything = v11_details(owner)
    sizes = sorted(image["size"] for image in everything)
    pivot = sizes[len(sizes) // 2]
    assert ids(v11_details(owner, {"size_min": pivot})) == {image["id"] for image in everything if image["size"] >= pivot}
    assert ids(v11_details(owner, {"size_max": pivot})) == {image["id"] for image in everything if image["size"] <= pivot}


@pytest.mark.parametrize("style", ["as-returned", "iso-z", "iso-offset", "space"])
def test_v11_changes_since(owner, style):
    everything = v11_details(owner)
    moments = sorted({parse_time(image["updated_at"]) for image in everything})
    moment = moments[len(moments) // 2] - datetime.timedelta(seconds=1)
    value = {
        "as-returned": moment.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "iso-z": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "iso-offset": moment.isoformat(),
        "space": moment.strftime("%Y-%m-%d %H:%M:%S"),
    }[style]
    expected = {image["id"] for image in everything if parse_time(image["updated_at"]) >= moment}
    assert ids(v11_details(owner, {"changes-since": value})) == expected, value


def test_v1_head_image_metadata(owner, varied_images):
    image = varied_images[0]
    response = owner.request("HEAD", "/v1/images/%s" % image["id"])
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["X-Image-Meta-Id"] == image["id"]
    assert response.headers["X-Image-Meta-Name"] == image["name"]
    assert response.headers["X-Image-Meta-Status"] == image["status"]
    assert response.headers["X-Image-Meta-Disk_format"] == image["disk_format"]
    missing = owner.request("HEAD", "/v1/images/%s" % uuid.uuid4())
    assert missing.status_code == 404


def test_unknown_route_is_ims_shaped_404(owner):
    response = owner.get("/v2/cloudimages/%s/nothing-here" % uuid.uuid4())
    assert response.status_code == 404
    assert_not_framework_shaped(response)
