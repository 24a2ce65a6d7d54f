# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quota, version documents, schemas, OS versions, request ids and the error shape of bad input."""

import httpx
import pytest

from ims_emulator.testing import assert_ims_error, assert_not_framework_shaped

MISSING = "5f0c2b1e-0000-4000-8000-000000000000"
SCHEMAS = {
    "image": (
        "image",
        {
            "status",
            "tags",
            "container_format",
            "min_ram",
            "visibility",
            "updated_at",
            "owner",
            "file",
            "min_disk",
            "virtual_size",
            "id",
            "size",
            "name",
            "checksum",
            "created_at",
            "disk_format",
            "protected",
            "self",
            "schema",
        },
    ),
    "member": ("member", {"status", "created_at", "updated_at", "image_id", "member_id", "schema"}),
}


def test_quota(any_auth, stopped_server):
    body = any_auth.ok("GET", "/v1/cloudimages/quota")
    resources = body["quotas"]["resources"]
    image = [resource for resource in resources if resource["type"] == "image"]
    assert len(image) == 1
    assert set(image[0]) >= {"type", "used", "quota", "min", "max"}
    assert all(isinstance(image[0][key], int) for key in ("used", "quota", "min", "max"))
    before = image[0]["used"]
    assert before == len(any_auth.all_images({"owner": any_auth.project_id}))
    any_auth.create_image(stopped_server["id"])
    assert any_auth.quota()["used"] == before + 1


def test_quota_is_per_project(owner, consumer, stopped_server):
    before = consumer.quota()["used"]
    owner.create_image(stopped_server["id"])
    assert consumer.quota()["used"] == before


def test_version_list(owner):
    response = owner.get("/")
    assert response.status_code == 300
    versions = response.json()["versions"]
    ids = {version["id"]: version for version in versions}
    assert {"v2.0", "v2.1"} <= set(ids)
    assert any(version["status"] == "CURRENT" for version in versions)
    for version in versions:
        assert version["status"] in ("CURRENT", "SUPPORTED", "DEPRECATED")
        links = [link for link in version["links"] if link["rel"] == "self"]
        assert links and links[0]["href"].startswith(owner.info.endpoint), links
    assert ids["v2.0"]["links"][0]["href"].rstrip("/").endswith("/v2")


@pytest.mark.parametrize("version", ["v2.0", "v2.1"])
def test_single_version(owner, version):
    response = owner.get("/" + version)
    assert response.status_code == 300
    versions = response.json()["versions"]
    assert [item["id"] for item in versions] == [version]
    assert versions[0]["links"][0]["rel"] == "self"


def test_unknown_version_is_404(owner):
    response = owner.get("/v9.9")
    assert response.status_code == 404
    assert_not_framework_shaped(response)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_of_one(owner, name):
    schema_name, properties = SCHEMAS[name]
    body = owner.ok("GET", "/v2/schemas/%s" % name)
    assert body["name"] == schema_name
    assert properties <= set(body["properties"]), sorted(properties - set(body["properties"]))
    if name == "member":
        assert body["properties"]["status"]["enum"] == ["pending", "accepted", "rejected"]
    else:
        assert set(body["properties"]["status"]["enum"]) >= {"queued", "saving", "active", "killed", "deleted"}
        assert {link["rel"] for link in body["links"]} >= {"self", "enclosure", "describedby"}


@pytest.mark.parametrize("name,item", [("images", "image"), ("members", "member")])
def test_schema_of_lists(owner, name, item):
    body = owner.ok("GET", "/v2/schemas/%s" % name)
    assert body["name"] == name
    assert body["properties"][name]["items"]["name"] == item
    assert "describedby" in {link["rel"] for link in body["links"]}


def test_os_versions(any_auth):
    body = any_auth.ok("GET", "/v1/cloudimages/os_version")
    assert isinstance(body, list) and body
    platforms = {entry["platform"] for entry in body}
    assert {"CentOS", "Ubuntu", "Windows"} <= platforms
    versions = {item["os_version"] for entry in body for item in entry["version_list"]}
    assert {"CentOS 7.0 64bit", "Ubuntu 18.04 server 64bit", "Windows Server 2016 Standard 64bit"} <= versions
    for entry in body:
        for item in entry["version_list"]:
            assert set(item) >= {"platform", "os_version_key", "os_version", "os_bit", "os_type"}
            assert item["platform"] == entry["platform"]


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/v2/cloudimages"),
        ("GET", "/v2/images/%s" % MISSING),
        ("POST", "/v2/cloudimages/action"),
        ("GET", "/"),
        ("GET", "/v2/no/such/route"),
        ("DELETE", "/v2/cloudimages"),
    ],
)
def test_every_answer_has_a_request_id(owner, method, path):
    first = owner.request(method, path)
    second = owner.request(method, path)
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_iam_answers_have_a_request_id(owner):
    assert owner.issue_token().headers.get("X-Request-Id")
    assert owner.issue_token(password="wrong").headers.get("X-Request-Id")


@pytest.mark.parametrize(
    "method,path,content,content_type",
    [
        ("POST", "/v2/cloudimages/action", b'{"name": ', "application/json"),
        ("POST", "/v2/cloudimages/action", b"name=x", "application/x-www-form-urlencoded"),
        ("POST", "/v1/cloudimages/members", b'{"images": 5, "projects": {}}', "application/json"),
        ("PUT", "/v1/cloudimages/tags", b'{"image_id": 7, "tag": ["a"]}', "application/json"),
        ("POST", "/v2/images", b'{"name": ["list"]}', "application/json"),
        ("POST", "/v2/images", b'{"min_disk": -1}', "application/json"),
        ("POST", "/v1/cloudimages/wholeimages/action", b'"just a string"', "application/json"),
        ("POST", "/v2/cloudimages/quickimport/action", b'{"type": "Floppy"}', "application/json"),
        ("POST", "/v2/{project_id}/images/resource_instances/action", b'{"action": 1}', "application/json"),
        ("PATCH", "/v2/cloudimages/%s" % MISSING, b'{"op": "replace"}', "application/json"),
        ("PUT", "/v1/cloudimages/members", b'{"images": [], "project_id": 1, "status": "accepted"}', "application/json"),
    ],
    ids=[
        "truncated-json",
        "form-body",
        "member-types",
        "tag-types",
        "glance-name-list",
        "glance-negative-disk",
        "string-body",
        "unknown-type",
        "action-int",
        "patch-object",
        "member-project-int",
    ],
)
def test_bad_input_is_an_ims_shaped_4xx(owner, method, path, content, content_type):
    response = owner.request(method, path, content=content, content_type=content_type)
    assert 400 <= response.status_code < 500, response.text
    assert_not_framework_shaped(response)
    if response.status_code == 400:
        assert_ims_error(response, 400)


def error_message(response):
    body = response.json()
    return body["error"]["message"] if isinstance(body.get("error"), dict) else body.get("error_msg")


def test_an_error_code_always_has_the_same_message(owner, bulk):
    image_id = bulk(owner, 1)[0]["id"]
    refusals = [
        owner.request("POST", "/v2/cloudimages/action", content=b'{"name": ', content_type="application/json"),
        owner.request("POST", "/v2/cloudimages/action", content=b"[1, 2]", content_type="application/json"),
        owner.post("/v2/images", json_body={"name": "public-one", "visibility": "public"}),
        owner.patch("/v2/cloudimages/%s" % image_id, json_body=[{"op": "move", "path": "/name", "value": "x"}]),
        owner.post("/v2/{project_id}/images/%s/tags" % MISSING, json_body={"tag": {"key": "k", "value": "v"}}),
        owner.put("/v1/cloudimages/tags", json_body={"image_id": MISSING, "tag": "k.v"}),
    ]
    messages = {}
    for response in refusals:
        code = assert_ims_error(response, response.status_code)
        assert response.status_code in (400, 404)
        messages.setdefault(code, set()).add(error_message(response))
    assert all(len(found) == 1 and all(found) for found in messages.values()), messages


#: The messages of the reference's error table (ims-error-codes.txt) for the codes provoked below.
TABLE_MESSAGES = {
    "IMG.0001": "The request message format is invalid.",
    "IMG.0023": "An exception occurred during task query.",
    "IMG.0046": "The image is unavailable.",
    "IMG.0047": "This operation can be performed only by the image owner.",
}


def test_documented_codes_carry_the_table_message(owner, consumer, bulk):
    """Whatever the situation (and whatever status the emulator chooses), a code of the table has its message."""
    image_id = bulk(owner, 1)[0]["id"]
    members = "/v2/images/%s/members" % image_id
    assert owner.post(members, json_body={"member": consumer.project_id}).status_code == 200
    refusals = [
        (owner.post("/v2/images", json_body={"name": "public-one", "visibility": "public"}), 400, "IMG.0001"),
        (owner.request("PATCH", "/v2/images/%s" % image_id, content=b"[]", content_type="application/json"), 415, "IMG.0001"),
        (
            owner.request(
                "PATCH",
                "/v2/images/%s" % image_id,
                content_type="application/openstack-images-v2.1-json-patch",
                json_body=[{"op": "replace", "path": "/id", "value": MISSING}],
            ),
            403,
            "IMG.0001",
        ),
        (owner.request("PUT", "/v2/images/%s/file" % image_id, content=b"x", content_type="text/plain"), 415, "IMG.0001"),
        (owner.request("PUT", "/v2/images/%s/file" % image_id, content=b"x", content_type="application/octet-stream"), 409, "IMG.0046"),
        (owner.post(members, json_body={"member": consumer.project_id}), 409, "IMG.0001"),
        (owner.put("%s/%s" % (members, consumer.project_id), json_body={"status": "accepted"}), 403, "IMG.0047"),
        (owner.get("/v1/{project_id}/jobs/%s" % MISSING), 400, "IMG.0023"),
        (owner.get("/v1/cloudimages/job/%s" % MISSING), 400, "IMG.0023"),
    ]
    for response, status, code in refusals:
        assert assert_ims_error(response, status, code) == code
        assert error_message(response) == TABLE_MESSAGES[code], response.text


DEEP = b"[" * 100_000


@pytest.mark.parametrize("method,path", [("POST", "/v2/cloudimages/action"), ("PATCH", "/v2/cloudimages/%s" % MISSING), ("POST", "/v2/images")])
def test_a_deeply_nested_body_is_a_clean_400(owner, emulator, method, path):
    response = owner.request(method, path, content=DEEP, content_type="application/json")
    assert_ims_error(response, 400, "IMG.0001")
    assert "Traceback" not in emulator.stderr_text() and "IMG.0061" not in response.text


def test_iam_and_control_answer_a_deeply_nested_body_in_their_own_shape(owner, emulator, control):
    response = owner.http.post(owner.info.iam_endpoint + "/auth/tokens", content=DEEP, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == 400 and response.json()["error"]["title"], response.text
    response = owner.http.post(control.control_endpoint + "/faults", content=DEEP)
    assert response.status_code == 400 and isinstance(response.json()["error"], str), response.text
    assert "Traceback" not in emulator.stderr_text()


@pytest.mark.parametrize("path", ["/v3.0/OS-AGENCY/nothing", "/v3.0", "/v3/nothing"])
def test_unknown_iam_paths_answer_in_keystones_shape(owner, path):
    response = owner.http.get(owner.info.endpoint + path)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == 404 and response.json()["error"]["title"] == "Not Found"


@pytest.mark.parametrize("method,path,status", [("GET", "/reset", 405), ("POST", "/no-such-call", 404), ("DELETE", "/settings", 405)])
def test_control_refusals_answer_in_its_own_shape(control, method, path, status):
    response = httpx.request(method, control.control_endpoint + path)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"} and isinstance(response.json()["error"], str)


def test_method_not_allowed_is_not_framework_shaped(owner):
    response = owner.request("PUT", "/v2/cloudimages")
    assert response.status_code in (404, 405)
    assert_not_framework_shaped(response)
