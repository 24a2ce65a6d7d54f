# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""connect(): each authentication method end to end against a fake IAM and IMS."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import resolve_config
from ansible_collections.hwcloud.ims.plugins.module_utils._client.connection import connect
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import AuthenticationError, ConfigError, ReadOnlyViolation, UnexpectedResponseError
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import Router, answer, body_of

IAM = "https://iam.cloud.example/v3"
IMS = "https://ims.cloud.example"
EXPIRES = (datetime.now(timezone.utc) + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
CATALOG = [
    {"type": "compute", "endpoints": [{"interface": "public", "region_id": "r1", "url": "https://ecs.cloud.example/v2.1/p1"}]},
    {
        "type": "image",
        "endpoints": [
            {"interface": "public", "region_id": "r1", "url": "https://ims.r1.cloud.example/v2"},
            {"interface": "internal", "region_id": "r1", "url": "https://ims-internal.r1.cloud.example"},
            {"interface": "public", "region_id": "r2", "url": "https://ims.r2.cloud.example"},
        ],
    },
]


def token_body(project_id="p1"):
    return {"token": {"expires_at": EXPIRES, "project": {"id": project_id, "name": "r1"}, "catalog": CATALOG}}


@pytest.fixture
def cloud():
    router = Router()
    router.add("POST", "/v3/auth/tokens", lambda request, match: answer(201, token_body(), {"X-Subject-Token": "issued-token"}))
    router.add("GET", "/v3/auth/tokens", lambda request, match: answer(200, token_body("p-scope")))
    router.add("GET", "/v3/projects", lambda request, match: answer(200, {"projects": [{"id": "p-looked-up", "name": "r1"}]}))
    router.add("GET", "/v1/cloudimages/quota", lambda request, match: answer(200, {"quotas": {"resources": [{"type": "image", "used": 1, "quota": 9}]}}))
    return router


def config(**options):
    return resolve_config(options, {}, clouds_yaml_paths=["/nonexistent"])


def test_aksk_looks_up_the_project_then_signs_ims_calls(cloud):
    with connect(config(access_key="AK", secret_key="SK", region="r1", auth_url=IAM, endpoint=IMS), transport=cloud.transport) as ims:
        assert ims.project_id == "p-looked-up" and ims.endpoint == IMS
        ims.get_quota()
    lookup, quota = cloud.requests
    assert lookup.url.raw_path == b"/v3/projects?name=r1" and "X-Project-Id" not in lookup.headers
    assert lookup.headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, ")
    assert quota.headers["X-Project-Id"] == "p-looked-up" and "x-project-id" in quota.headers["Authorization"]


def test_aksk_with_project_id_needs_no_iam(cloud):
    with connect(config(access_key="AK", secret_key="SK", security_token="STS", project_id="p1", endpoint=IMS), transport=cloud.transport) as ims:
        ims.get_quota()
    assert [request.url.path for request in cloud.requests] == ["/v1/cloudimages/quota"]
    assert cloud.requests[0].headers["X-Security-Token"] == "STS"


def test_password_takes_project_and_endpoint_from_iam(cloud, tmp_path):
    options = {"username": "alice", "password": "pw", "domain_name": "dom", "region": "r1", "auth_url": IAM, "token_cache_dir": str(tmp_path)}
    with connect(config(**options), transport=cloud.transport) as ims:
        assert (ims.project_id, ims.endpoint) == ("p1", "https://ims.r1.cloud.example")
    issue = cloud.requests[0]
    assert body_of(issue)["auth"]["scope"] == {"project": {"name": "r1"}}
    with connect(config(**options), transport=cloud.transport) as ims:  # the next task reuses the cached token
        assert ims.project_id == "p1"
    assert len(cloud.calls("POST", "/v3/auth/tokens")) == 1


def test_password_with_explicit_project_and_endpoint(cloud):
    options = {"username": "alice", "password": "pw", "domain_name": "dom", "project_id": "p7", "auth_url": IAM, "endpoint": IMS, "token_cache": False}
    with connect(config(**options), transport=cloud.transport) as ims:
        assert (ims.project_id, ims.endpoint) == ("p7", IMS)
        ims.get_quota()
    assert body_of(cloud.requests[0])["auth"]["scope"] == {"project": {"id": "p7"}}
    assert cloud.requests[1].headers["X-Auth-Token"] == "issued-token"


def test_password_refused_by_iam_names_the_user_not_the_password(tmp_path):
    router = Router().add(
        "POST",
        "/v3/auth/tokens",
        lambda request, match: answer(401, {"error": {"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}}),
    )
    options = {"username": "alice", "password": "hunter2-secret", "domain_name": "dom", "region": "r1", "auth_url": IAM, "token_cache_dir": str(tmp_path)}
    with pytest.raises(AuthenticationError) as caught:
        connect(config(**options), transport=router.transport)
    assert "obtain an IAM token for user alice failed: HTTP 401" in str(caught.value) and "hunter2" not in str(caught.value)


def test_pre_issued_token_is_inspected_for_its_scope(cloud):
    with connect(config(auth_token="pre-issued", region="r1", auth_url=IAM), transport=cloud.transport) as ims:
        assert (ims.project_id, ims.endpoint) == ("p-scope", "https://ims.r1.cloud.example")
        ims.get_quota()
    inspect, quota = cloud.requests
    assert inspect.headers["X-Auth-Token"] == inspect.headers["X-Subject-Token"] == "pre-issued"
    assert quota.headers["X-Auth-Token"] == "pre-issued"


def test_a_pre_issued_token_iam_does_not_validate_names_what_it_lacks(cloud):
    refused = {"error": {"code": 404, "message": "Could not find token.", "title": "Not Found"}}
    cloud.routes.insert(0, ("GET", re.compile("/v3/auth/tokens$"), lambda request, match: answer(404, refused)))
    with pytest.raises(ConfigError) as caught:
        connect(config(auth_token="pre-issued", project_id="p1", auth_url=IAM), transport=cloud.transport)
    message = str(caught.value)
    assert message.startswith("the auth_token could not be validated at %s/auth/tokens (HTTP 404: Could not find token.)" % IAM), message
    assert "gives no IMS endpoint;" in message and "endpoint (the endpoint option, HW_IMS_ENDPOINT" in message
    assert "project_id (" not in message and "pre-issued" not in message and "404 404" not in message


def test_pre_issued_token_with_endpoint_looks_the_project_up_by_name(cloud):
    with connect(config(auth_token="pre-issued", region="r1", auth_url=IAM, endpoint=IMS), transport=cloud.transport) as ims:
        assert ims.project_id == "p-looked-up"
    lookup = cloud.requests[0]
    assert lookup.url.raw_path == b"/v3/projects?name=r1" and lookup.headers["X-Auth-Token"] == "pre-issued"


def test_pre_issued_token_with_project_and_endpoint_needs_no_iam(cloud):
    with connect(config(auth_token="pre-issued", project_id="p1", endpoint=IMS), transport=cloud.transport) as ims:
        ims.get_quota()
    assert len(cloud.requests) == 1


def test_no_endpoint_in_the_catalog(cloud):
    options = {"username": "alice", "password": "pw", "domain_name": "dom", "region": "r3", "auth_url": IAM, "token_cache": False}
    with pytest.raises(ConfigError) as caught:
        connect(config(**options), transport=cloud.transport)
    assert str(caught.value) == "no IMS endpoint: the IAM catalog has no image service for region r3; set the endpoint option"


def test_project_lookup_without_a_match(cloud):
    cloud.routes.insert(0, ("GET", re.compile("/v3/projects$"), lambda request, match: answer(200, {"projects": []})))
    with pytest.raises(UnexpectedResponseError) as caught:
        connect(config(access_key="AK", secret_key="SK", region="r1", auth_url=IAM, endpoint=IMS), transport=cloud.transport)
    assert "IAM knows 0 projects named 'r1'" in str(caught.value)


# --- the account: other regions, projects, agencies --------------------------------------------------------------


def regional_cloud():
    """IAM and IMS answering for the projects r1 and r2 of one account, whatever the host."""

    def projects(request, match):
        known = [{"id": "p1", "name": "r1", "domain_id": "d1"}, {"id": "p2", "name": "r2", "domain_id": "d1"}]
        wanted = request.url.params.get("name")
        return answer(200, {"projects": [project for project in known if wanted in (None, project["name"])]})

    def token(request, match):
        name = body_of(request)["auth"]["scope"]["project"]["name"]
        return answer(
            201,
            {"token": {"expires_at": EXPIRES, "project": {"id": {"r1": "p1", "r2": "p2"}[name], "name": name}, "catalog": CATALOG}},
            {"X-Subject-Token": "t-" + name},
        )

    router = Router()
    router.add("GET", "/v3/projects", projects)
    router.add("POST", "/v3/auth/tokens", token)
    router.add(
        "GET", "/v3.0/OS-AGENCY/agencies", lambda request, match: answer(200, {"agencies": [{"name": "ims_admin_agency", "trust_domain_name": "op_svc_ims"}]})
    )
    router.add("GET", "/v1/cloudimages/quota", lambda request, match: answer(200, {"quotas": {"resources": [{"type": "image", "used": 1, "quota": 9}]}}))
    return router


def test_aksk_reaches_another_region_of_a_derived_cloud():
    router = regional_cloud()
    with connect(config(access_key="AK", secret_key="SK", region="r1", cloud_profile="huaweicloud"), transport=router.transport) as ims:
        assert (ims.region, ims.cloud_profile, ims.endpoint) == ("r1", "huaweicloud", "https://ims.r1.myhuaweicloud.com")
        other = ims.account.client_for_region("r2")
        assert (other.region, other.project_id, other.endpoint) == ("r2", "p2", "https://ims.r2.myhuaweicloud.com")
        other.get_quota()
    lookup, quota = router.requests[-2:]
    assert (lookup.url.host, lookup.url.params["name"]) == ("iam.r1.myhuaweicloud.com", "r2"), "IAM is global: the configured one is asked"
    assert quota.url.host == "ims.r2.myhuaweicloud.com" and quota.headers["X-Project-Id"] == "p2"
    assert quota.headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=AK, "), "the same, account-wide access key"


def test_aksk_with_an_explicit_endpoint_needs_the_other_regions_endpoint():
    router = regional_cloud()
    with connect(config(access_key="AK", secret_key="SK", region="r1", auth_url=IAM, endpoint=IMS), transport=router.transport) as ims:
        with pytest.raises(ConfigError) as caught:
            ims.account.client_for_region("r2")
        assert str(caught.value).startswith("no IMS endpoint for region r2: the endpoint %s is not derived from region r1" % IMS)
        other = ims.account.client_for_region("r2", "https://ims.r2.cloud.example")
        assert (other.endpoint, other.project_id) == ("https://ims.r2.cloud.example", "p2")


def test_a_password_user_gets_a_token_of_the_other_region_with_its_endpoint(tmp_path):
    router = regional_cloud()
    options = {"username": "alice", "password": "pw", "domain_name": "dom", "region": "r1", "auth_url": IAM, "token_cache_dir": str(tmp_path)}
    with connect(config(**options), transport=router.transport) as ims:
        other = ims.account.client_for_region("r2")
        assert (other.project_id, other.endpoint) == ("p2", "https://ims.r2.cloud.example"), "the endpoint of r2 from the token's catalog"
        other.get_quota()
    scopes = [body_of(request)["auth"]["scope"] for request in router.calls("POST", "/v3/auth/tokens")]
    assert scopes == [{"project": {"name": "r1"}}, {"project": {"name": "r2"}}]
    assert router.requests[-1].headers["X-Auth-Token"] == "t-r2"


def test_a_pre_issued_token_reaches_no_other_region(cloud):
    with connect(config(auth_token="pre-issued", project_id="p1", endpoint=IMS), transport=cloud.transport) as ims:
        with pytest.raises(ConfigError) as caught:
            ims.account.client_for_region("r2")
    assert "a pre-issued token (auth_token) is scoped to one project, so it cannot reach region r2" in str(caught.value)


def test_the_accounts_projects_and_agencies():
    router = regional_cloud()
    with connect(config(access_key="AK", secret_key="SK", project_id="p1", region="r1", auth_url=IAM, endpoint=IMS), transport=router.transport) as ims:
        assert ims.account.project("p2") == {"id": "p2", "name": "r2", "domain_id": "d1"}
        assert ims.account.project("p9") is None
        assert [agency["name"] for agency in ims.account.agencies("d1", "ims_admin_agency")] == ["ims_admin_agency"]
        assert ims.account.agencies("d1", "other") == []
    listing = router.calls("GET", "/v3.0/OS-AGENCY/agencies")[0]
    assert (listing.url.host, dict(listing.url.params)) == ("iam.cloud.example", {"domain_id": "d1", "name": "ims_admin_agency"})
    assert listing.headers["X-Project-Id"] == "p1" and listing.headers["Authorization"].startswith("SDK-HMAC-SHA256 ")


def test_other_regions_in_check_mode_are_read_only():
    router = regional_cloud()
    with connect(config(access_key="AK", secret_key="SK", region="r1", cloud_profile="huaweicloud"), transport=router.transport, read_only=True) as ims:
        other = ims.account.client_for_region("r2")
        with pytest.raises(ReadOnlyViolation):
            other.copy_image_cross_region("i1", "web", "r1", "r1", "agency")
    assert router.calls("POST", "/v1/cloudimages/i1/cross_region_copy") == []


@pytest.mark.parametrize(
    "options, secrets",
    [
        ({"access_key": "AK", "secret_key": "SK-1", "security_token": "STS-1", "project_id": "p1", "endpoint": IMS}, ["SK-1", "STS-1"]),
        ({"username": "u", "password": "PW-1", "domain_name": "d", "region": "r1", "auth_url": IAM}, ["PW-1", "issued-token"]),
        ({"auth_token": "TOKEN-1", "project_id": "p1", "endpoint": IMS}, ["TOKEN-1"]),
    ],
    ids=["aksk", "password", "token"],
)
def test_every_secret_is_masked_before_a_request_carries_it(cloud, tmp_path, options, secrets):
    heard, sent_after = [], {}

    def hear(secret):
        heard.append(secret)
        sent_after[secret] = len(cloud.requests)

    with connect(config(token_cache_dir=str(tmp_path), **options), transport=cloud.transport, on_secret=hear) as ims:
        ims.get_quota()
    assert heard == secrets
    # A secret of the settings is heard before any request; the token IAM issues before the request that carries it.
    assert all(sent_after[secret] == 0 for secret in secrets if secret != "issued-token")
    assert sent_after.get("issued-token", 1) == 1
