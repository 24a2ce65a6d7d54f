# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image tags: extension APIs (reference 5.2), Glance tags (6.2) and the data formats of 9.2."""

import uuid

import pytest

from ims_emulator.testing import assert_ims_error, assert_not_framework_shaped, unique_name

TAG_REFUSALS = ("IMG.0115", "IMG.0001")
INVALID_KEYS = ["k" * 37, "", " lead", "trail ", "a=b", "a*b", "a<b", "a>b", "a\\b", "a,b", "a|b", "a/b", "line\n", "a\tb"]
INVALID_VALUES = ["v" * 44, " lead", "trail ", "a=b", "a*b", "a<b", "a>b", "a\\b", "a,b", "a|b", "a/b", "line\n", "a\x1bb"]
VALID_PAIRS = [("k" * 36, "v" * 43), ("key", ""), ("标签", "值"), ("with space", "in side"), ("a-b_c.d", "x-y_z")]


@pytest.fixture
def image_id(owner, bulk):
    return bulk(owner, 1)[0]["id"]


def add_tag(api, image_id, key, value):
    return api.post("/v2/{project_id}/images/%s/tags" % image_id, json_body={"tag": {"key": key, "value": value}})


def batch(api, image_id, action, tags):
    return api.post(
        "/v2/{project_id}/images/%s/tags/action" % image_id, json_body={"action": action, "tags": [{"key": key, "value": value} for key, value in tags]}
    )


def test_put_v1_tag_in_both_formats(any_auth, bulk):
    image_id = bulk(any_auth, 1)[0]["id"]
    response = any_auth.put("/v1/cloudimages/tags", json_body={"image_id": image_id, "tag": "aaaa.1111"})
    assert response.status_code == 204 and response.content == b"", response.text
    body = {"image_id": image_id, "image_tag": {"key": "key1", "value": "value1"}}
    response = any_auth.put("/v1/cloudimages/tags", json_body=body)
    assert response.status_code == 204, response.text
    assert any_auth.image_tags(image_id) == {"aaaa": "1111", "key1": "value1"}
    any_auth.ok("PUT", "/v1/cloudimages/tags", status=204, json_body={"image_id": image_id, "tag": "aaaa.2222"})
    assert any_auth.image_tags(image_id)["aaaa"] == "2222"


@pytest.mark.parametrize("tag", ["bad key.v", "k" * 37 + ".v", "key." + "v" * 44, "key.v/x", ".value"])
def test_put_v1_tag_format_rules(owner, image_id, tag):
    assert_ims_error(owner.put("/v1/cloudimages/tags", json_body={"image_id": image_id, "tag": tag}), 400)
    assert owner.image_tags(image_id) == {}


def test_put_v1_tag_of_a_missing_image(owner):
    response = owner.put("/v1/cloudimages/tags", json_body={"image_id": str(uuid.uuid4()), "tag": "a.b"})
    assert response.status_code in (400, 404), response.text


def test_get_v1_tags_lists_tags_of_the_matching_images(owner, bulk):
    first, second = bulk(owner, 2)
    owner.ok("PUT", "/v1/cloudimages/tags", status=204, json_body={"image_id": first["id"], "tag": "first.one"})
    owner.ok("PUT", "/v1/cloudimages/tags", status=204, json_body={"image_id": second["id"], "tag": "second.two"})
    tags = owner.ok("GET", "/v1/cloudimages/tags")["tags"]
    assert {"first.one", "second.two"} <= {tag.replace("=", ".") for tag in tags}, tags
    only_first = owner.ok("GET", "/v1/cloudimages/tags", query={"id": first["id"]})["tags"]
    assert [tag.replace("=", ".") for tag in only_first] == ["first.one"]


def test_add_single_tag_and_update_it(any_auth, bulk):
    image_id = bulk(any_auth, 1)[0]["id"]
    response = add_tag(any_auth, image_id, "key1", "value1")
    assert response.status_code == 204 and response.content == b"", response.text
    assert add_tag(any_auth, image_id, "key1", "value1").status_code == 204
    assert add_tag(any_auth, image_id, "key1", "value2").status_code == 204
    assert any_auth.image_tags(image_id) == {"key1": "value2"}


@pytest.mark.parametrize("key,value", VALID_PAIRS, ids=["longest", "empty-value", "cjk", "space", "punctuation"])
def test_valid_tag_edge_cases(owner, image_id, key, value):
    assert add_tag(owner, image_id, key, value).status_code == 204
    assert owner.image_tags(image_id) == {key: value}


@pytest.mark.parametrize(
    "key", INVALID_KEYS, ids=["too-long", "empty", "leading", "trailing", "eq", "star", "lt", "gt", "backslash", "comma", "bar", "slash", "newline", "tab"]
)
def test_invalid_tag_keys_are_refused(owner, image_id, key):
    assert_ims_error(add_tag(owner, image_id, key, "v"), 400, *TAG_REFUSALS)
    assert_ims_error(batch(owner, image_id, "create", [(key, "v")]), 400, *TAG_REFUSALS)
    assert owner.image_tags(image_id) == {}


@pytest.mark.parametrize(
    "value", INVALID_VALUES, ids=["too-long", "leading", "trailing", "eq", "star", "lt", "gt", "backslash", "comma", "bar", "slash", "newline", "escape"]
)
def test_invalid_tag_values_are_refused(owner, image_id, value):
    assert_ims_error(add_tag(owner, image_id, "k", value), 400, *TAG_REFUSALS)
    assert_ims_error(batch(owner, image_id, "create", [("k", value)]), 400, *TAG_REFUSALS)
    assert owner.image_tags(image_id) == {}


def test_missing_value_is_refused(owner, image_id):
    response = owner.post("/v2/{project_id}/images/%s/tags" % image_id, json_body={"tag": {"key": "k"}})
    assert_ims_error(response, 400)


def test_ten_tags_at_most(owner, image_id):
    for number in range(10):
        assert add_tag(owner, image_id, "k%d" % number, "v").status_code == 204
    assert_ims_error(add_tag(owner, image_id, "k10", "v"), 400, "IMG.0116")
    assert add_tag(owner, image_id, "k3", "updated").status_code == 204
    assert_ims_error(batch(owner, image_id, "create", [("k11", "v")]), 400, "IMG.0116")
    tags = owner.image_tags(image_id)
    assert len(tags) == 10 and tags["k3"] == "updated"


def test_batch_create_is_idempotent_and_overwrites(any_auth, bulk):
    image_id = bulk(any_auth, 1)[0]["id"]
    tags = [("key1", "value1"), ("key2", "value2"), ("key3", "")]
    for _attempt in range(2):
        response = batch(any_auth, image_id, "create", tags)
        assert response.status_code == 204 and response.content == b"", response.text
        assert any_auth.image_tags(image_id) == dict(tags)
    assert batch(any_auth, image_id, "create", [("key1", "changed")]).status_code == 204
    assert any_auth.image_tags(image_id) == {"key1": "changed", "key2": "value2", "key3": ""}


def test_batch_delete_ignores_missing_tags_and_unchecked_values(owner, image_id):
    batch(owner, image_id, "create", [("key1", "value1"), ("key2", "value2")])
    response = batch(owner, image_id, "delete", [("key1", "value1"), ("absent", "x"), ("k" * 100, "any/value*")])
    assert response.status_code == 204, response.text
    assert owner.image_tags(image_id) == {"key2": "value2"}


def test_batch_create_with_more_than_ten_tags_is_refused(owner, image_id):
    assert_ims_error(batch(owner, image_id, "create", [("k%d" % number, "v") for number in range(11)]), 400, "IMG.0116")
    assert owner.image_tags(image_id) == {}


@pytest.mark.parametrize(
    "body",
    [
        {"action": "update", "tags": [{"key": "k", "value": "v"}]},
        {"action": "CREATE", "tags": [{"key": "k", "value": "v"}]},
        {"action": "create", "tags": [{"key": "k", "value": "a"}, {"key": "k", "value": "b"}]},
        {"action": "create"},
        {"tags": [{"key": "k", "value": "v"}]},
        {"action": "create", "tags": "k=v"},
    ],
    ids=["unknown-action", "case-sensitive", "duplicate-keys", "no-tags", "no-action", "tags-string"],
)
def test_bad_batch_bodies_are_refused(owner, image_id, body):
    assert_ims_error(owner.post("/v2/{project_id}/images/%s/tags/action" % image_id, json_body=body), 400)
    assert owner.image_tags(image_id) == {}


def test_delete_single_tag_is_not_idempotent(any_auth, bulk):
    image_id = bulk(any_auth, 1)[0]["id"]
    add_tag(any_auth, image_id, "key1", "value1")
    response = any_auth.delete("/v2/{project_id}/images/%s/tags/key1" % image_id)
    assert response.status_code == 204 and response.content == b""
    assert any_auth.image_tags(image_id) == {}
    assert any_auth.delete("/v2/{project_id}/images/%s/tags/key1" % image_id).status_code == 404


def test_tags_of_a_foreign_or_missing_image(owner, consumer, image_id):
    add_tag(owner, image_id, "key1", "value1")
    foreign = consumer.get("/v2/{project_id}/images/%s/tags" % image_id)
    missing = consumer.get("/v2/{project_id}/images/%s/tags" % uuid.uuid4())
    assert foreign.status_code == missing.status_code and foreign.status_code in (400, 404)
    assert add_tag(consumer, image_id, "x", "y").status_code == missing.status_code
    assert owner.image_tags(image_id) == {"key1": "value1"}


def test_all_tags_of_the_project(owner, bulk):
    first, second = bulk(owner, 2)
    batch(owner, first["id"], "create", [("key3", "valueXX"), ("key8", "")])
    batch(owner, second["id"], "create", [("key3", "value3"), ("key9", "value9")])
    body = owner.ok("GET", "/v2/{project_id}/images/tags")
    found = {tag["key"]: sorted(tag["values"]) for tag in body["tags"]}
    assert found["key3"] == ["value3", "valueXX"]
    assert found["key8"] == [""]
    assert found["key9"] == ["value9"]


def test_glance_tags(any_auth, bulk):
    image_id = bulk(any_auth, 1)[0]["id"]
    response = any_auth.put("/v2/images/%s/tags/aaaa" % image_id)
    assert response.status_code == 204 and response.content == b""
    assert "aaaa" in any_auth.image(image_id)["tags"]
    assert any_auth.put("/v2/images/%s/tags/aaaa" % image_id).status_code == 204
    assert any_auth.image(image_id)["tags"].count("aaaa") == 1
    assert any_auth.delete("/v2/images/%s/tags/aaaa" % image_id).status_code == 204
    assert "aaaa" not in any_auth.image(image_id)["tags"]


def test_glance_tag_rules(owner, image_id):
    assert_ims_error(owner.put("/v2/images/%s/tags/a=b" % image_id), 400)
    assert 400 <= owner.put("/v2/images/%s/tags/%s" % (image_id, "t" * 256)).status_code < 500
    assert owner.put("/v2/images/%s/tags/%s" % (image_id, "t" * 255)).status_code == 204
    assert owner.put("/v2/images/%s/tags/x" % uuid.uuid4()).status_code == 404


def test_tags_of_public_images_cannot_be_changed(owner):
    public = owner.images({"__imagetype": "gold", "limit": 1})[0]
    attempts = [
        owner.post("/v2/{project_id}/images/%s/tags" % public["id"], json_body={"tag": {"key": "a", "value": "b"}}),
        owner.put("/v1/cloudimages/tags", json_body={"image_id": public["id"], "tag": "a.b"}),
        owner.put("/v2/images/%s/tags/a" % public["id"]),
        batch(owner, public["id"], "create", [("a", "b")]),
    ]
    for response in attempts:
        assert 400 <= response.status_code < 500, response.text
        assert_not_framework_shaped(response)
    assert owner.images({"id": public["id"]})[0]["tags"] == public["tags"]


def test_tags_at_image_creation_count_against_the_limit(owner, stopped_server):
    body = {"name": unique_name(), "instance_id": stopped_server["id"], "image_tags": [{"key": "k%d" % number, "value": "v"} for number in range(11)]}
    owner.expect_refusal(owner.submit("POST", "/v2/cloudimages/action", body), "IMG.0116")


# -- querying images by tag (5.2.3) --------------------------------------------------------------------------------

GROUPS = {"a": ({"env": "prod", "team": "blue"}, 2), "b": ({"env": "dev", "team": "blue"}, 2), "c": ({"env": "prod"}, 1), "d": (None, 2)}


@pytest.fixture
def tagged(owner, control):
    """Images with known tags whose names share a unique prefix; returns (prefix, {group: [ids]})."""
    prefix = "rt%s" % uuid.uuid4().hex[:8]
    groups = {}
    for group, (tags, count) in GROUPS.items():
        control.bulk_images(owner.project_id, count, name_prefix="%s-%s-" % (prefix, group), tags=tags)
        groups[group] = {image["id"] for image in owner.all_images({"owner": owner.project_id}) if image["name"].startswith("%s-%s-" % (prefix, group))}
        assert len(groups[group]) == count
    return prefix, groups


def find(api, body, prefix):
    body = dict(body, matches=[{"key": "resource_name", "value": prefix}] + body.get("matches", []))
    return api.ok("POST", "/v2/{project_id}/images/resource_instances/action", json_body=body)


def spec(pairs):
    return [{"key": key, "values": values} for key, values in pairs]


@pytest.mark.parametrize(
    "criteria,expected",
    [
        ({"tags": spec([("env", ["prod"])])}, "ac"),
        ({"tags": spec([("env", ["prod"]), ("team", ["blue"])])}, "a"),
        ({"tags": spec([("env", [])])}, "abc"),
        ({"tags": spec([("env", ["prod", "dev"])])}, "abc"),
        ({"tags_any": spec([("env", ["dev"]), ("team", ["blue"])])}, "ab"),
        ({"not_tags": spec([("env", ["prod"])])}, "bd"),
        ({"not_tags": spec([("env", ["prod"]), ("team", ["blue"])])}, "bcd"),
        ({"not_tags_any": spec([("env", ["prod"]), ("team", ["blue"])])}, "d"),
        ({"without_any_tag": True, "tags": spec([("env", ["prod"])])}, "d"),
        ({"tags": spec([("team", ["blue"])]), "not_tags_any": spec([("env", ["dev"])])}, "a"),
        ({}, "abcd"),
    ],
    ids=[
        "tags",
        "tags-all",
        "tags-any-value",
        "tags-several-values",
        "tags_any",
        "not_tags",
        "not_tags-all",
        "not_tags_any",
        "without_any_tag",
        "combined",
        "no-criteria",
    ],
)
def test_resource_instances_filter_and_count(owner, tagged, criteria, expected):
    prefix, groups = tagged
    wanted = set().union(*(groups[group] for group in expected))
    counted = find(owner, dict(criteria, action="count"), prefix)
    assert counted["total_count"] == len(wanted)
    assert "resources" not in counted or not counted["resources"]
    filtered = find(owner, dict(criteria, action="filter", limit="100"), prefix)
    assert filtered["total_count"] == len(wanted)
    assert {resource["resource_id"] for resource in filtered["resources"]} == wanted


def test_resource_instances_resource_shape(owner, tagged):
    prefix, groups = tagged
    body = find(owner, {"action": "filter", "tags": spec([("team", ["blue"])]), "limit": "100"}, prefix)
    for resource in body["resources"]:
        assert set(resource) >= {"resource_id", "resource_name", "resource_detail", "tags"}
        assert resource["resource_name"].startswith(prefix)
        assert resource["resource_detail"]["status"] == "active"
        assert {"key": "team", "value": "blue"} in resource["tags"]
        assert resource["resource_id"] in groups["a"] | groups["b"]


def test_resource_instances_limit_and_offset(owner, tagged):
    prefix, groups = tagged
    everything = set().union(*groups.values())
    default = find(owner, {"action": "filter"}, prefix)
    assert default["total_count"] == len(everything) and len(default["resources"]) == min(10, len(everything))
    seen = []
    for offset in range(0, len(everything), 2):
        page = find(owner, {"action": "filter", "limit": "2", "offset": str(offset)}, prefix)
        assert page["total_count"] == len(everything)
        assert len(page["resources"]) <= 2
        seen.extend(resource["resource_id"] for resource in page["resources"])
    assert sorted(seen) == sorted(everything)


def test_resource_instances_matches(owner, tagged):
    prefix, groups = tagged
    image_id = sorted(groups["a"])[0]
    body = find(owner, {"action": "filter", "matches": [{"key": "resource_id", "value": image_id}]}, prefix)
    assert [resource["resource_id"] for resource in body["resources"]] == [image_id]
    body = owner.ok(
        "POST",
        "/v2/{project_id}/images/resource_instances/action",
        json_body={"action": "filter", "limit": "100", "matches": [{"key": "resource_name", "value": prefix + "-b"}]},
    )
    assert {resource["resource_id"] for resource in body["resources"]} == groups["b"]


@pytest.mark.parametrize(
    "body",
    [
        {"action": "list"},
        {"action": "Filter"},
        {"action": "filter", "limit": "0"},
        {"action": "filter", "limit": "1001"},
        {"action": "filter", "offset": "-1"},
        {"action": "filter", "limit": "ten"},
        {"action": "filter", "tags": [{"key": "k%d" % number, "values": ["v"]} for number in range(11)]},
        {"action": "filter", "tags": [{"key": "", "values": ["v"]}]},
        {"action": "filter", "tags": [{"key": "k", "values": ["v%d" % number for number in range(11)]}]},
        {"action": "filter", "tags": [{"key": "k", "values": ["v"]}, {"key": "k", "values": ["w"]}]},
        {"action": "filter", "matches": [{"key": "resource_color", "value": "red"}]},
        {"limit": "10"},
    ],
    ids=[
        "unknown-action",
        "case-sensitive",
        "limit-0",
        "limit-1001",
        "negative-offset",
        "limit-text",
        "eleven-keys",
        "empty-key",
        "eleven-values",
        "duplicate-keys",
        "unknown-match-key",
        "no-action",
    ],
)
def test_resource_instances_bad_bodies(owner, body):
    response = owner.post("/v2/{project_id}/images/resource_instances/action", json_body=body)
    assert_ims_error(response, 400)


def test_resource_instances_only_sees_own_images(consumer, tagged):
    prefix, _groups = tagged
    assert find(consumer, {"action": "count"}, prefix)["total_count"] == 0
