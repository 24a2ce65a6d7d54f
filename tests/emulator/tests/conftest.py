# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the emulator's black-box test suite.

Every pytest-xdist worker starts its own emulator (session scope); the world is reset before each test.  Requests
go out through :class:`Api`, one object per project and kind of authentication: ``token`` (IAM token from
``POST /v3/auth/tokens``), ``aksk`` (permanent AK/SK) or ``temporary`` (temporary AK/SK with a security token).
AK/SK requests are signed by the official ``huaweicloudsdkcore`` signer, never by the emulator's own code.
"""

import dataclasses
import json
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ims_emulator.testing import (  # noqa: E402 pylint: disable=wrong-import-position
    ControlClient,
    EmulatorProcess,
    World,
    assert_ims_error,
    unique_name,
)

JOB_SECONDS = 0.3
JOB_TIMEOUT = 30.0
AUTH_KINDS = ("token", "aksk", "temporary")
FINAL_JOB_STATES = ("SUCCESS", "FAIL")


def encode(value):
    """Percent-encode like the signer does: keep only A-Za-z0-9-_.~ (space is %20, never +)."""
    return urllib.parse.quote(str(value), safe="~")


def query_pairs(query):
    """A query given as dict (values may be lists) or as (key, value) pairs, as a list of pairs."""
    if not query:
        return []
    items = query.items() if isinstance(query, dict) else query
    pairs = []
    for key, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, bool):
                item = str(item).lower()
            pairs.append((key, str(item)))
    return pairs


def query_string(pairs):
    """The canonical query string of the signer (pairs sorted, both sides percent-encoded)."""
    return "&".join("%s=%s" % (encode(key), encode(value)) for key, value in sorted(pairs))


@dataclass
class Signed:
    """A request signed by the official SDK signer, ready to be sent (and to be tampered with)."""

    method: str
    url: str
    headers: dict
    body: bytes = b""

    def replace_url(self, old, new):
        self.url = self.url.replace(old, new, 1)
        return self


class SdkSigner:
    """Signs raw requests with ``huaweicloudsdkcore`` (BasicCredentials.sign_request, the SDK's own path)."""

    def __init__(self, endpoint):
        parsed = urllib.parse.urlsplit(endpoint)
        self.scheme = parsed.scheme
        self.host = parsed.netloc

    def sign(self, method, path, ak, sk, *, query=None, body=b"", headers=None, project_id=None, security_token=None, sdk_date=None):
        """Sign ``method path?query`` (path already percent-encoded where needed); return a :class:`Signed`."""
        credentials = BasicCredentials(ak, sk, project_id)
        if security_token is not None:
            credentials.with_security_token(security_token)
        header_params = dict(headers or {})
        if sdk_date is not None:
            header_params["X-Sdk-Date"] = sdk_date
        request = SdkRequest(
            method=method.upper(),
            schema=self.scheme,
            host=self.host,
            resource_path=path,
            query_params=query_pairs(query),
            header_params=header_params,
            body=body or b"",
        )
        request = credentials.sign_request(request)
        return Signed(
            method=method.upper(), url="%s://%s%s" % (self.scheme, self.host, request.uri), headers=dict(request.header_params), body=request.body or b""
        )


@dataclass
class Job:
    """A finished (or timed-out) asynchronous job and everything observed while polling it."""

    job_id: str
    body: dict
    statuses: list = field(default_factory=list)
    percents: list = field(default_factory=list)

    @property
    def status(self):
        return self.body.get("status")

    @property
    def entities(self):
        return self.body.get("entities") or {}

    @property
    def image_id(self):
        return self.entities.get("image_id")

    def sub_image_ids(self):
        """The image ids of the sub-jobs (data disks, full-ECS ...)."""
        return [sub.get("entities", {}).get("image_id") for sub in self.entities.get("sub_jobs_result") or []]


class Api:
    """IMS/IAM client of one project with one kind of authentication."""

    def __init__(self, info, project, auth, http, signer):
        self.info = info
        self.project = project
        self.auth = auth
        self.http = http
        self.signer = signer
        self._token = None

    def __repr__(self):
        return "Api(%s, %s)" % (self.project["name"], self.auth)

    @property
    def project_id(self):
        return self.project["id"]

    # -- authentication -------------------------------------------------------------------------------------------

    def password_auth_body(self, project=None, password=None, username=None, by_id=False):
        """A password-method, project-scoped body for POST /v3/auth/tokens."""
        project = project or self.project
        scope = {"id": project["id"]} if by_id else {"name": project["name"], "domain": {"name": project["domain"]}}
        return {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": username or self.project["username"],
                            "password": password if password is not None else self.project["password"],
                            "domain": {"name": self.project["domain"]},
                        }
                    },
                },
                "scope": {"project": scope},
            }
        }

    def issue_token(self, **kwargs):
        """POST /v3/auth/tokens (the raw response)."""
        return self.http.post(self.info.iam_endpoint.rstrip("/") + "/auth/tokens", json=self.password_auth_body(**kwargs))

    @property
    def token(self):
        if self._token is None:
            response = self.issue_token()
            assert response.status_code == 201, response.text
            self._token = response.headers["X-Subject-Token"]
        return self._token

    def forget_token(self):
        self._token = None

    def credentials(self):
        """(ak, sk, security_token) of this client's AK/SK kind."""
        if self.auth == "temporary":
            temporary = self.info.temporary_credential(self.project["name"])
            return temporary["ak"], temporary["sk"], temporary["security_token"]
        return self.project["ak"], self.project["sk"], None

    # -- requests -------------------------------------------------------------------------------------------------

    def sign(self, method, path, *, query=None, body=b"", headers=None, project_header=True, sdk_date=None):
        """The signed form of a request, for tests that alter it before sending."""
        ak, sk, security_token = self.credentials()
        path = path.replace("{project_id}", self.project_id)
        return self.signer.sign(
            method,
            path,
            ak,
            sk,
            query=query,
            body=body,
            headers=headers,
            project_id=self.project_id if project_header else None,
            security_token=security_token,
            sdk_date=sdk_date,
        )

    def send(self, signed):
        """Send a :class:`Signed` request as it is."""
        return self.http.request(signed.method, signed.url, headers=signed.headers, content=signed.body)

    def request(self, method, path, *, query=None, json_body=None, content=None, content_type=None, headers=None, auth=True, project_header=True):
        """One request to the emulator; ``path`` may carry ``{project_id}``.  Checks X-Request-Id."""
        path = path.replace("{project_id}", self.project_id)
        if json_body is not None:
            content = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        elif isinstance(content, str):
            content = content.encode()
        headers = dict(headers or {})
        if content_type:
            headers["Content-Type"] = content_type
        if not auth:
            response = self.http.request(method, self._url(path, query), headers=headers, content=content)
        elif self.auth == "token":
            headers["X-Auth-Token"] = self.token
            response = self.http.request(method, self._url(path, query), headers=headers, content=content)
        else:
            response = self.send(self.sign(method, path, query=query, body=content or b"", headers=headers, project_header=project_header))
        assert response.headers.get("X-Request-Id"), "no X-Request-Id on %s %s" % (method, path)
        return response

    def _url(self, path, query):
        url = self.info.endpoint.rstrip("/") + path
        pairs = query_pairs(query)
        return url + ("?" + query_string(pairs) if pairs else "")

    def get(self, path, query=None, **kwargs):
        return self.request("GET", path, query=query, **kwargs)

    def post(self, path, json_body=None, **kwargs):
        return self.request("POST", path, json_body=json_body, **kwargs)

    def put(self, path, json_body=None, **kwargs):
        return self.request("PUT", path, json_body=json_body, **kwargs)

    def patch(self, path, json_body=None, **kwargs):
        return self.request("PATCH", path, json_body=json_body, **kwargs)

    def delete(self, path, json_body=None, **kwargs):
        return self.request("DELETE", path, json_body=json_body, **kwargs)

    def ok(self, method, path, status=200, **kwargs):
        """A request that must answer ``status``; returns the decoded body (None when empty)."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    # -- images ---------------------------------------------------------------------------------------------------

    def images(self, query=None):
        """GET /v2/cloudimages (one page)."""
        return self.ok("GET", "/v2/cloudimages", query=query)["images"]

    def all_images(self, query=None, limit=500):
        """Every image GET /v2/cloudimages lists for this query, following markers."""
        query = dict(query or {})
        found = []
        while True:
            page = self.images(dict(query, limit=limit))
            found.extend(page)
            if len(page) < limit:
                return found
            query["marker"] = page[-1]["id"]

    def image(self, image_id):
        """GET /v2/images/{id}; None when the image is not visible."""
        response = self.get("/v2/images/%s" % image_id)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return response.json()

    def image_tags(self, image_id):
        """{key: value} from GET /v2/{project_id}/images/{image_id}/tags."""
        body = self.ok("GET", "/v2/{project_id}/images/%s/tags" % image_id)
        return {tag["key"]: tag["value"] for tag in body["tags"]}

    def glance_create(self, status=201, **body):
        """POST /v2/images; returns the new image."""
        body.setdefault("name", unique_name("glance"))
        return self.ok("POST", "/v2/images", status=status, json_body=body)

    def quota(self):
        body = self.ok("GET", "/v1/cloudimages/quota")
        return next(item for item in body["quotas"]["resources"] if item["type"] == "image")

    # -- jobs -----------------------------------------------------------------------------------------------------

    def submit(self, method, path, body):
        """Submit an asynchronous call: the raw response (200 with a job_id when accepted)."""
        return self.request(method, path, json_body=body)

    def start_job(self, method, path, body):
        response = self.submit(method, path, body)
        assert response.status_code == 200, (path, response.status_code, response.text)
        job_id = response.json()["job_id"]
        assert isinstance(job_id, str) and job_id
        return job_id

    def wait_job(self, job_id, timeout=JOB_TIMEOUT, interval=0.05):
        """Poll GET /v1/{project_id}/jobs/{job_id} until SUCCESS or FAIL (a 404 right after creation is tolerated)."""
        deadline = time.monotonic() + timeout
        job = Job(job_id=job_id, body={})
        while time.monotonic() < deadline:
            response = self.get("/v1/{project_id}/jobs/%s" % job_id)
            if response.status_code == 404:
                time.sleep(interval)
                continue
            assert response.status_code == 200, response.text
            job.body = response.json()
            if not job.statuses or job.statuses[-1] != job.status:
                job.statuses.append(job.status)
            percent = job.entities.get("process_percent")
            if percent is not None:
                job.percents.append(percent)
            if job.status in FINAL_JOB_STATES:
                return job
            time.sleep(interval)
        raise AssertionError("job %s did not finish within %s s: %r" % (job_id, timeout, job.body))

    def run_job(self, method, path, body, expect="SUCCESS"):
        """Submit, wait, and check the final status; returns the :class:`Job`."""
        job = self.wait_job(self.start_job(method, path, body))
        if expect:
            assert job.status == expect, job.body
        return job

    def create_image(self, server_id, name=None, **extra):
        """A system disk image of a (stopped) ECS; returns the new image's id."""
        body = {"name": name or unique_name("ecs"), "instance_id": server_id, **extra}
        job = self.run_job("POST", "/v2/cloudimages/action", body)
        assert job.image_id, job.body
        return job.image_id

    def import_image(self, image_url, name=None, os_version="CentOS 7.0 64bit", min_disk=40, **extra):
        """A system disk image from an OBS file; returns the new image's id."""
        body = {"name": name or unique_name("obs"), "image_url": image_url, "os_version": os_version, "min_disk": min_disk, **extra}
        job = self.run_job("POST", "/v2/cloudimages/action", body)
        assert job.image_id, job.body
        return job.image_id

    def share(self, image_ids, project_ids, expect="SUCCESS"):
        return self.run_job("POST", "/v1/cloudimages/members", {"images": list(image_ids), "projects": list(project_ids)}, expect=expect)

    def answer_share(self, image_ids, status, expect="SUCCESS"):
        """The consumer's accept/reject (PUT /v1/cloudimages/members with its own project id)."""
        return self.run_job("PUT", "/v1/cloudimages/members", {"images": list(image_ids), "project_id": self.project_id, "status": status}, expect=expect)

    def expect_refusal(self, response, *codes):
        """A request refused either at once (HTTP 400) or by its job (FAIL), with one of ``codes``."""
        if response.status_code == 200 and "job_id" in (response.json() or {}):
            job = self.wait_job(response.json()["job_id"])
            assert job.status == "FAIL", job.body
            code = job.body.get("error_code") or job.entities.get("error_code")
            assert code in codes, (code, codes, job.body)
            return code
        return assert_ims_error(response, 400, *codes)


# -- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def emulator():
    """This worker's emulator (fast jobs)."""
    process = EmulatorProcess(job_seconds=JOB_SECONDS)
    process.start()
    yield process
    process.close()


@pytest.fixture(scope="session")
def info(emulator):
    return emulator.info


@pytest.fixture(scope="session")
def control(info):
    with ControlClient.for_emulator(info) as client:
        yield client


@pytest.fixture(autouse=True)
def _reset_world(request):
    """Every test starts from the seed (only when the test uses this worker's emulator)."""
    if "emulator" in request.fixturenames:
        request.getfixturevalue("control").reset()


@pytest.fixture(scope="session")
def http(info):
    with httpx.Client(verify=info.verify, timeout=60.0) as client:
        yield client


@pytest.fixture(scope="session")
def projects(info):
    assert len(info.projects) >= 2, "the seed needs an owner and a consumer project"
    return info.projects


@pytest.fixture(scope="session")
def make_api():
    """Factory for clients of any emulator: ``make_api(info, http, project=None, auth='token')`` -> :class:`Api`."""

    def make(info, http, project=None, auth="token"):
        return Api(info, project or info.projects[0], auth, http, SdkSigner(info.endpoint))

    return make


@pytest.fixture
def api(info, http, make_api):
    """Factory: ``api(project, auth)`` -> :class:`Api` of this worker's emulator (defaults: first project, token)."""

    def make(project=None, auth="token"):
        return make_api(info, http, project, auth)

    return make


@pytest.fixture
def region_api(info, http):
    """Factory: ``region_api(region, project=None, auth='token')`` -> :class:`Api` of a project of the named region
    (default: its first one), sending to that region's endpoint."""

    def make(region_name, project=None, auth="token"):
        region = info.region_info(region_name)
        at_region = dataclasses.replace(info, endpoint=region.endpoint, iam_endpoint=region.iam_endpoint)
        return Api(at_region, region.project(project) if project else region.projects[0], auth, http, SdkSigner(region.endpoint))

    return make


@pytest.fixture
def owner(api, projects):
    """The first project with token authentication."""
    return api(projects[0])


@pytest.fixture
def consumer(api, projects):
    """The second project with token authentication (receives shared images)."""
    return api(projects[1])


@pytest.fixture(params=AUTH_KINDS)
def any_auth(request, api, projects):
    """The first project once per kind of authentication."""
    return api(projects[0], request.param)


@pytest.fixture
def bulk(control):
    """Factory: ``bulk(api, count, tags=None)`` adds active private images quickly; returns them (sorted by name)."""

    def make(api, count=1, tags=None, prefix=None):
        prefix = prefix or unique_name("bulk")
        control.bulk_images(api.project_id, count, name_prefix=prefix, tags=tags)
        found = [image for image in api.all_images({"owner": api.project_id}) if image["name"].startswith(prefix)]
        assert len(found) == count, (prefix, [image["name"] for image in found])
        return sorted(found, key=lambda image: image["name"])

    return make


@pytest.fixture
def world(control):
    return World(control.world())


@pytest.fixture
def stopped_server(world, owner):
    return world.stopped_server(owner.project_id)
