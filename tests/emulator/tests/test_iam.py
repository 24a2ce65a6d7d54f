# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM (Keystone v3 subset) and token authentication of every IMS call."""

import datetime
import time
import uuid

import pytest

from ims_emulator.testing import assert_gateway_401, assert_ims_error, parse_time

IMAGE = "11111111-2222-3333-4444-555555555555"
JOB = "ff8080814dbd65d7014dbe0d84db0013"
MEMBER = "0123456789abcdef0123456789abcdef"

# Every IMS operation of reference sections 5 and 6 plus the extras the official SDK calls.
IMS_ROUTES = [
    ("GET", "/v2/cloudimages"),
    ("POST", "/v2/cloudimages/action"),
    ("POST", "/v2/cloudimages/quickimport/action"),
    ("POST", "/v1/cloudimages/dataimages/action"),
    ("POST", "/v1/cloudimages/wholeimages/action"),
    ("PATCH", "/v2/cloudimages/{image}"),
    ("PUT", "/v1/cloudimages/{image}/upload"),
    ("POST", "/v1/cloudimages/{image}/file"),
    ("POST", "/v1/cloudimages/{image}/copy"),
    ("GET", "/v1/{project_id}/jobs/{job}"),
    ("GET", "/v1/cloudimages/job/{job}"),
    ("GET", "/v1/cloudimages/quota"),
    ("GET", "/v1/cloudimages/os_version"),
    ("POST", "/v1/cloudimages/members"),
    ("PUT", "/v1/cloudimages/members"),
    ("DELETE", "/v1/cloudimages/members"),
    ("GET", "/v1/{project_id}/cloudimages/{image}/members"),
    ("GET", "/v1/{project_id}/cloudimages/{image}/members/{member}"),
    ("PUT", "/v1/cloudimages/tags"),
    ("GET", "/v1/cloudimages/tags"),
    ("POST", "/v2/{project_id}/images/{image}/tags"),
    ("POST", "/v2/{project_id}/images/{image}/tags/action"),
    ("DELETE", "/v2/{project_id}/images/{image}/tags/key1"),
    ("GET", "/v2/{project_id}/images/{image}/tags"),
    ("GET", "/v2/{project_id}/images/tags"),
    ("POST", "/v2/{project_id}/images/resource_instances/action"),
    ("GET", "/v2/images"),
    ("POST", "/v2/images"),
    ("GET", "/v2/images/{image}"),
    ("PATCH", "/v2/images/{image}"),
    ("DELETE", "/v2/images/{image}"),
    ("PUT", "/v2/images/{image}/file"),
    ("PUT", "/v2/images/{image}/tags/tag1"),
    ("DELETE", "/v2/images/{image}/tags/tag1"),
    ("POST", "/v2/images/{image}/members"),
    ("GET", "/v2/images/{image}/members"),
    ("GET", "/v2/images/{image}/members/{member}"),
    ("PUT", "/v2/images/{image}/members/{member}"),
    ("DELETE", "/v2/images/{image}/members/{member}"),
    ("GET", "/v2/schemas/image"),
    ("GET", "/v2/schemas/images"),
    ("GET", "/v2/schemas/member"),
    ("GET", "/v2/schemas/members"),
    ("DELETE", "/v1.1/images/{image}"),
    ("GET", "/v1.1/images/detail"),
    ("HEAD", "/v1/images/{image}"),
]


def route_path(template):
    return template.replace("{image}", IMAGE).replace("{job}", JOB).replace("{member}", MEMBER)


def iam_url(api, path):
    return api.info.iam_endpoint.rstrip("/") + path


def test_password_token_is_issued_with_catalog(owner):
    response = owner.issue_token()
    assert response.status_code == 201, response.text
    assert response.headers.get("X-Subject-Token")
    token = response.json()["token"]
    assert token["methods"] == ["password"]
    assert token["project"]["id"] == owner.project_id
    assert token["project"]["name"] == owner.project["name"]
    remaining = (parse_time(token["expires_at"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 86400 - 120 < remaining <= 86400 + 5, remaining
    images = [service for service in token["catalog"] if service["type"] == "image"]
    assert len(images) == 1, token["catalog"]
    urls = [endpoint["url"] for endpoint in images[0]["endpoints"]]
    assert urls and all(url.rstrip("/").startswith(owner.info.endpoint.rstrip("/")) for url in urls), urls
    assert any(endpoint.get("region_id", endpoint.get("region")) == owner.info.region for endpoint in images[0]["endpoints"]), images


def test_identity_version_document_and_catalog(owner):
    response = owner.http.get(owner.info.iam_endpoint)
    assert response.status_code == 200, response.text
    version = response.json()["version"]
    assert version["id"].startswith("v3") and version["status"] == "stable"
    token = owner.issue_token().json()["token"]
    identity = [service for service in token["catalog"] if service["type"] == "identity"]
    assert identity and identity[0]["endpoints"][0]["url"].rstrip("/") == owner.info.iam_endpoint.rstrip("/")


def test_token_scoped_by_project_id_works(owner):
    response = owner.issue_token(by_id=True)
    assert response.status_code == 201, response.text
    assert response.json()["token"]["project"]["id"] == owner.project_id


def test_token_of_each_project_sees_its_own_project(api, projects):
    for project in projects:
        client = api(project)
        token = client.issue_token().json()["token"]
        assert token["project"]["id"] == project["id"]
        assert isinstance(client.images(), list)


def test_wrong_credentials_are_refused_with_401(owner):
    messages = set()
    for change in ("password", "username"):
        response = owner.issue_token(**{change: "wrong-" + uuid.uuid4().hex})
        assert response.status_code == 401, response.text
        assert not response.headers.get("X-Subject-Token")
        body = response.json()
        assert body["error"]["code"] == 401, body
        assert body["error"]["message"], body
        messages.add(body["error"]["message"])
    assert len(messages) == 1, "an unknown user and a wrong password must look alike: %s" % messages


def test_token_for_a_foreign_project_is_refused(owner, consumer):
    accessible = owner.http.get(iam_url(owner, "/auth/projects"), headers={"X-Auth-Token": owner.token}).json()
    assert consumer.project_id not in {project["id"] for project in accessible["projects"]}
    response = owner.issue_token(project=consumer.project)
    assert response.status_code == 401, response.text
    response = owner.issue_token(project=consumer.project, by_id=True)
    assert response.status_code == 401, response.text


def test_domain_scoped_token_is_refused_by_ims(owner):
    body = owner.password_auth_body()
    body["auth"]["scope"] = {"domain": {"name": owner.project["domain"]}}
    response = owner.http.post(iam_url(owner, "/auth/tokens"), json=body)
    assert response.status_code == 201, response.text
    assert "project" not in response.json()["token"]
    token = response.headers["X-Subject-Token"]
    assert_gateway_401(owner.request("GET", "/v2/cloudimages", auth=False, headers={"X-Auth-Token": token}))


def test_malformed_token_request_is_refused(owner):
    response = owner.http.post(iam_url(owner, "/auth/tokens"), content=b'{"auth": ', headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 401), response.text
    response = owner.http.post(iam_url(owner, "/auth/tokens"), json={"auth": {"identity": {"methods": ["password"]}}})
    assert response.status_code in (400, 401), response.text


@pytest.mark.parametrize("auth", ["token", "aksk"])
def test_projects_by_name(api, projects, auth):
    client = api(projects[0], auth)
    name = projects[0]["name"]
    if auth == "token":
        response = client.http.get(iam_url(client, "/projects"), params={"name": name}, headers={"X-Auth-Token": client.token})
    else:
        signed = client.sign("GET", "/v3/projects", query={"name": name}, project_header=False)
        response = client.send(signed)
    assert response.status_code == 200, response.text
    found = response.json()["projects"]
    assert [project["id"] for project in found] == [projects[0]["id"]], found
    assert found[0]["name"] == name
    response = client.http.get(iam_url(client, "/projects"), params={"name": "no-such-region"}, headers={"X-Auth-Token": client.token})
    assert response.status_code == 200
    assert response.json()["projects"] == []


def test_auth_projects_lists_the_accessible_projects(owner):
    response = owner.http.get(iam_url(owner, "/auth/projects"), headers={"X-Auth-Token": owner.token})
    assert response.status_code == 200, response.text
    found = {project["id"]: project for project in response.json()["projects"]}
    assert owner.project_id in found
    assert found[owner.project_id]["name"] == owner.project["name"]


def test_iam_calls_need_a_valid_token(owner):
    for headers in ({}, {"X-Auth-Token": "not-a-token"}):
        response = owner.http.get(iam_url(owner, "/auth/projects"), headers=headers)
        assert response.status_code == 401, response.text


@pytest.mark.parametrize("method,template", IMS_ROUTES, ids=["%s %s" % route for route in IMS_ROUTES])
@pytest.mark.parametrize("token", [None, "not-a-valid-token"], ids=["no-token", "bad-token"])
def test_every_ims_call_requires_a_token(owner, method, template, token):
    headers = {"X-Auth-Token": token} if token else {}
    response = owner.request(method, route_path(template), auth=False, headers=headers, json_body=None if method in ("GET", "HEAD", "DELETE") else {})
    if method == "HEAD":
        assert response.status_code == 401
    else:
        assert_gateway_401(response)


def test_version_documents_need_no_token(owner):
    for path in ("/", "/v2.0"):
        assert owner.request("GET", path, auth=False).status_code == 300


def test_expired_tokens_are_refused(owner, control):
    token = owner.token
    assert owner.get("/v2/cloudimages").status_code == 200
    control.expire_tokens()
    assert_gateway_401(owner.get("/v2/cloudimages"))
    owner.forget_token()
    assert owner.token != token
    assert owner.get("/v2/cloudimages").status_code == 200


def test_token_lifetime_setting_applies_to_new_tokens(owner, control):
    old_token = owner.token
    control.settings(token_lifetime=1)
    owner.forget_token()
    response = owner.issue_token()
    expires = parse_time(response.json()["token"]["expires_at"])
    remaining = (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert remaining <= 2, remaining
    owner._token = response.headers["X-Subject-Token"]  # pylint: disable=protected-access
    time.sleep(1.5)
    assert_gateway_401(owner.get("/v2/cloudimages"))
    owner._token = old_token  # pylint: disable=protected-access
    assert owner.get("/v2/cloudimages").status_code == 200, "a token issued before the change must keep its lifetime"


def test_a_token_works_only_for_its_own_project(owner, consumer):
    response = owner.request("GET", "/v2/{project_id}/images/tags".replace("{project_id}", consumer.project_id))
    if response.status_code == 400:
        assert_ims_error(response, 400, "IMG.0030", "IMG.0067")
    else:
        assert response.status_code in (401, 403), response.text


def validate(owner, subject, caller=None, query=""):
    headers = {"X-Auth-Token": caller or subject, "X-Subject-Token": subject}
    return owner.http.get(owner.info.iam_endpoint.rstrip("/") + "/auth/tokens" + query, headers=headers)


def test_a_token_validates_itself_with_its_project_and_catalog(owner):
    answer = validate(owner, owner.token)
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Subject-Token"] == owner.token
    token = answer.json()["token"]
    assert token["project"]["id"] == owner.project_id and parse_time(token["expires_at"]) > parse_time(token["issued_at"])
    services = {service["type"]: service["endpoints"][0]["url"] for service in token["catalog"]}
    assert services["image"] == owner.info.endpoint
    assert "catalog" not in validate(owner, owner.token, query="?nocatalog").json()["token"]


def test_token_validation_refuses_unknown_callers_and_subjects(owner, consumer, control):
    assert validate(owner, owner.token, caller="not-a-token").status_code == 401
    unknown = validate(owner, "MIInot-a-token", caller=owner.token)
    assert unknown.status_code == 404 and unknown.json()["error"]["title"] == "Not Found"
    assert "MIInot-a-token" not in unknown.text
    assert validate(owner, consumer.token, caller=owner.token).json()["token"]["project"]["id"] == consumer.project_id
    missing = owner.http.get(owner.info.iam_endpoint.rstrip("/") + "/auth/tokens", headers={"X-Auth-Token": owner.token})
    assert missing.status_code == 400
    control.expire_tokens()
    assert validate(owner, owner.token).status_code == 401
