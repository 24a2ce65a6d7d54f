# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AK/SK authentication: requests signed by the official SDK pass; any alteration is refused by the gateway."""

import datetime
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ims_emulator.testing import assert_gateway_401, unique_name

SIGNING_KINDS = ("aksk", "temporary")
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_AKSK_BODY = 12 * 1024 * 1024


def sdk_date(offset_seconds=0):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return moment.strftime(DATE_FORMAT)


@pytest.fixture(params=SIGNING_KINDS)
def signed_api(request, api, projects):
    return api(projects[0], request.param)


@pytest.mark.parametrize(
    "query",
    [
        {"name": "with space"},
        {"name": "镜像-ünïcode"},
        {"name": "a+b=c&d"},
        {"name": "~!*'()[]:@$,;"},
        [("tag", "b.2"), ("tag", "a.1")],
        {"__imagetype": "gold", "sort_key": "name", "sort_dir": "asc", "limit": 3},
        {"protected": True, "__isregistered": "true"},
    ],
    ids=["space", "unicode", "plus", "reserved", "repeated-key", "several", "booleans"],
)
def test_signed_get_with_query(signed_api, query):
    response = signed_api.get("/v2/cloudimages", query=query)
    if isinstance(query, list):
        assert response.status_code != 401 and "APIGW" not in response.text, response.text
        return
    assert response.status_code == 200, response.text
    name = query.get("name") if isinstance(query, dict) else None
    if name:
        assert all(image["name"] == name for image in response.json()["images"])


def test_signed_query_value_is_decoded_exactly(signed_api):
    name = "sig test a b %s" % uuid.uuid4().hex[:6]
    image = signed_api.glance_create(name=name)
    found = signed_api.ok("GET", "/v2/images", query={"name": name})["images"]
    assert [item["id"] for item in found] == [image["id"]]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=24))
def test_any_signed_query_value_passes(signed_api, value):
    response = signed_api.get("/v2/cloudimages", query={"name": value, "limit": 5})
    assert response.status_code == 200, (value, response.text)
    assert all(image["name"] == value for image in response.json()["images"])


def test_signed_calls_with_bodies(signed_api, stopped_server):
    job_id = signed_api.start_job("POST", "/v2/cloudimages/action", {"name": unique_name(), "instance_id": stopped_server["id"]})
    image_id = signed_api.wait_job(job_id).image_id
    patched = signed_api.ok("PATCH", "/v2/cloudimages/%s" % image_id, json_body=[{"op": "replace", "path": "/name", "value": "signed-rename"}])
    assert patched["name"] == "signed-rename"
    signed_api.ok("PUT", "/v1/cloudimages/tags", status=204, json_body={"image_id": image_id, "tag": "signed.yes"})
    assert signed_api.image_tags(image_id) == {"signed": "yes"}
    body = {"images": [image_id], "projects": [uuid.uuid4().hex]}
    response = signed_api.delete("/v1/cloudimages/members", json_body=body)
    assert response.status_code == 200 and response.json()["job_id"], response.text
    signed_api.ok("DELETE", "/v2/images/%s" % image_id, status=204)


def test_unsigned_payload_content_types(signed_api):
    image = signed_api.glance_create(disk_format="qcow2", container_format="bare")
    signed = signed_api.sign(
        "PATCH",
        "/v2/images/%s" % image["id"],
        body=json.dumps([{"op": "replace", "path": "/name", "value": "patched"}]).encode(),
        headers={"Content-Type": "application/openstack-images-v2.1-json-patch"},
    )
    assert signed.headers.get("X-Sdk-Content-Sha256") == "UNSIGNED-PAYLOAD"
    response = signed_api.send(signed)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "patched"
    response = signed_api.request("PUT", "/v2/images/%s/file" % image["id"], content=b"\0" * 4096, content_type="application/octet-stream")
    assert response.status_code == 204, response.text


def test_project_in_path_needs_no_project_header(signed_api):
    response = signed_api.request("GET", "/v2/{project_id}/images/tags", project_header=False)
    assert response.status_code == 200, response.text


def test_project_header_may_be_added_after_signing(signed_api):
    signed = signed_api.sign("GET", "/v2/cloudimages", query={"limit": 1}, project_header=False)
    assert "x-project-id" not in signed.headers["Authorization"].lower()
    signed.headers["X-Project-Id"] = signed_api.project_id
    response = signed_api.send(signed)
    assert response.status_code == 200, response.text


def test_headers_with_underscores_are_not_signed_and_accepted(signed_api):
    signed = signed_api.sign("GET", "/v2/cloudimages", query={"limit": 1}, headers={"X_Trace_Id": "abc"})
    assert "x_trace_id" not in signed.headers["Authorization"].lower()
    assert signed_api.send(signed).status_code == 200


def test_request_without_project_is_refused(signed_api):
    assert_gateway_401(signed_api.request("GET", "/v2/cloudimages", project_header=False))


def alter_body(signed):
    signed.body = signed.body.replace(b'"count"', b'"filter"')


def alter_path(signed):
    signed.replace_url("/v2/images", "/v2/cloudimages")


def alter_query(signed):
    signed.replace_url("limit=1", "limit=2")


def add_query(signed):
    signed.url += "&name=x"


def alter_signed_header(signed):
    signed.headers["X-Client-Trace"] = "tampered"


def alter_date(signed):
    moment = datetime.datetime.strptime(signed.headers["X-Sdk-Date"], DATE_FORMAT)
    signed.headers["X-Sdk-Date"] = (moment + datetime.timedelta(seconds=1)).strftime(DATE_FORMAT)


def drop_signed_header(signed):
    del signed.headers["X-Client-Trace"]


def drop_date(signed):
    del signed.headers["X-Sdk-Date"]


def alter_method(signed):
    signed.method = "POST"


def alter_signature(signed):
    value = signed.headers["Authorization"]
    signed.headers["Authorization"] = value[:-1] + ("0" if value[-1] != "0" else "1")


def drop_authorization(signed):
    del signed.headers["Authorization"]


def garble_authorization(signed):
    signed.headers["Authorization"] = "SDK-HMAC-SHA256 garbage"


ALTERATIONS = [
    alter_body,
    alter_path,
    alter_query,
    add_query,
    alter_signed_header,
    drop_signed_header,
    alter_date,
    drop_date,
    alter_method,
    alter_signature,
    drop_authorization,
    garble_authorization,
]


def sign_sample(signed_api, alteration):
    """A request that passes as signed: a POST with a body for body changes, else a GET with a query."""
    headers = {"X-Client-Trace": "original"}
    if alteration is alter_body:
        headers["Content-Type"] = "application/json"
        return signed_api.sign("POST", "/v2/{project_id}/images/resource_instances/action", headers=headers, body=json.dumps({"action": "count"}).encode())
    return signed_api.sign("GET", "/v2/images", query={"limit": 1}, headers=headers)


@pytest.mark.parametrize("alteration", ALTERATIONS, ids=[alteration.__name__ for alteration in ALTERATIONS])
def test_altered_requests_are_refused(signed_api, alteration):
    signed = sign_sample(signed_api, alteration)
    assert signed_api.send(signed).status_code == 200
    alteration(signed)
    assert_gateway_401(signed_api.send(signed))


@pytest.mark.parametrize("offset,accepted", [(-16 * 60, False), (16 * 60, False), (-14 * 60, True), (14 * 60, True)])
def test_date_skew_limit_is_15_minutes(signed_api, offset, accepted):
    signed = signed_api.sign("GET", "/v2/cloudimages", query={"limit": 1}, sdk_date=sdk_date(offset))
    response = signed_api.send(signed)
    if accepted:
        assert response.status_code == 200, response.text
    else:
        assert_gateway_401(response)


def test_unknown_access_key_is_refused(signed_api):
    signed = signed_api.signer.sign("GET", "/v2/cloudimages", "UNKNOWNAK" + uuid.uuid4().hex[:11].upper(), uuid.uuid4().hex, project_id=signed_api.project_id)
    assert_gateway_401(signed_api.send(signed))


def test_wrong_secret_key_is_refused(signed_api):
    ak, _sk, security_token = signed_api.credentials()
    signed = signed_api.signer.sign("GET", "/v2/cloudimages", ak, uuid.uuid4().hex, project_id=signed_api.project_id, security_token=security_token)
    assert_gateway_401(signed_api.send(signed))


def test_temporary_key_needs_its_security_token(api, projects):
    temporary = api(projects[0], "temporary")
    ak, sk, token = temporary.credentials()
    for security_token in (None, token[:-2] + "xx"):
        signed = temporary.signer.sign("GET", "/v2/cloudimages", ak, sk, project_id=temporary.project_id, security_token=security_token)
        assert_gateway_401(temporary.send(signed))


def test_permanent_key_with_a_security_token_is_refused(api, projects):
    permanent = api(projects[0], "aksk")
    token = permanent.info.temporary_credential(projects[0]["name"])["security_token"]
    signed = permanent.signer.sign(
        "GET", "/v2/cloudimages", permanent.project["ak"], permanent.project["sk"], project_id=permanent.project_id, security_token=token
    )
    assert_gateway_401(permanent.send(signed))


def test_key_with_a_foreign_project_is_refused(signed_api, projects):
    foreign = [project for project in projects if project["username"] != signed_api.project["username"]]
    assert foreign, "the seed needs a project of another user"
    ak, sk, security_token = signed_api.credentials()
    signed = signed_api.signer.sign("GET", "/v2/cloudimages", ak, sk, project_id=foreign[0]["id"], security_token=security_token)
    assert_gateway_401(signed_api.send(signed))
    signed = signed_api.signer.sign("GET", "/v2/%s/images/tags" % foreign[0]["id"], ak, sk, security_token=security_token)
    assert_gateway_401(signed_api.send(signed))


def test_aksk_body_over_12_mb_is_refused_but_a_token_may_send_it(api, projects):
    signed_api = api(projects[0], "aksk")
    token_api = api(projects[0], "token")
    image = token_api.glance_create(disk_format="raw", container_format="bare")
    big = b"\0" * (MAX_AKSK_BODY + 1)
    response = signed_api.request("PUT", "/v2/images/%s/file" % image["id"], content=big, content_type="application/octet-stream")
    assert response.status_code == 413, response.status_code
    assert response.json()["error_code"].startswith("APIGW.")
    assert token_api.image(image["id"])["status"] == "queued"
    response = token_api.request("PUT", "/v2/images/%s/file" % image["id"], content=big, content_type="application/octet-stream")
    assert response.status_code == 204, response.text
