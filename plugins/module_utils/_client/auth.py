# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Authentication: AK/SK signing, IAM tokens (password or pre-issued) and the IAM calls they need.

An authenticator has two methods, used by HttpSession:

* ``authorize(request)`` returns the headers to send the OutgoingRequest with;
* ``reauthenticate()`` is called once after an HTTP 401 and returns True when a retry may succeed.

Internal to this collection, may change in any release.
"""

import re
from urllib.parse import urlsplit

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import UnexpectedResponseError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.session import read_json
from ansible_collections.hwcloud.ims.plugins.module_utils._client.timestamps import parse_time
from ansible_collections.hwcloud.ims.plugins.module_utils._client.token_cache import CachedToken, cache_key

# Huawei Cloud IAM's own APIs (agencies) live beside Keystone's /v3, under /v3.0.
_KEYSTONE_VERSION = re.compile(r"/v3/?$")
# A catalog URL may end in an API version and a project ID ("https://ims.example.com/v2/<project>"); the client
# adds those itself, so they are cut off.
_CATALOG_URL_SUFFIX = re.compile(r"/v\d+(\.\d+)?(/[0-9A-Fa-f-]{32,36})?/?$")


class AkSkAuth:
    """Signs every request with the AK/SK; adds X-Project-Id and, for temporary credentials, X-Security-Token."""

    def __init__(self, signer, project_id=None, security_token=None):
        self._signer = signer
        self._security_token = security_token
        self.project_id = project_id

    def __repr__(self):
        return "AkSkAuth(%r, project_id=%r)" % (self._signer, self.project_id)

    def authorize(self, request):
        headers = dict(request.headers)
        if self.project_id:
            headers["X-Project-Id"] = self.project_id
        if self._security_token:
            headers["X-Security-Token"] = self._security_token
        return self._signer.sign(request.method, request.host, request.full_path, request.query_string, headers, request.body)

    def reauthenticate(self):
        return False


class TokenAuth:
    """Sends X-Auth-Token from a token source (StaticToken or PasswordToken)."""

    def __init__(self, source):
        self.source = source

    def __repr__(self):
        return "TokenAuth(%r)" % self.source

    def authorize(self, request):
        return dict(request.headers, **{"X-Auth-Token": self.source.token()})

    def reauthenticate(self):
        return self.source.renew()


class StaticToken:
    """A pre-issued token: nothing to renew it with."""

    def __init__(self, token):
        self._token = token

    def __repr__(self):
        return "StaticToken()"

    def token(self):
        return self._token

    def renew(self):
        return False


class PasswordToken:
    """A project-scoped token obtained with an IAM user's password, cached on disk and renewed before it expires.

    ``password`` is a config.Secret, unwrapped only to build the IAM request. ``project`` is ``{"id": ...}`` or
    ``{"name": ...}`` (the token's scope). ``cache`` is a TokenCache or None (caching disabled).
    """

    def __init__(self, iam, username, password, domain_name, project, cache=None):
        self._iam = iam
        self._username = username
        self._password = password
        self._domain_name = domain_name
        self._project = project
        self._cache = cache
        self._key = cache_key(iam.auth_url, domain_name, username, project.get("id") or project.get("name"))
        self._current = None

    def __repr__(self):
        return "PasswordToken(username=%r, domain_name=%r, project=%r)" % (self._username, self._domain_name, self._project)

    def issued(self):
        """The current CachedToken (token, expiry, project ID, catalog endpoint), obtaining one if needed; the token is
        masked before any request carries it."""
        if self._current is None or not self._current.is_fresh():
            cached = self._cache.load(self._key) if self._cache else None
            if cached is not None and cached.is_fresh():
                self._iam.mask(cached.token)
                self._current = cached
            else:
                self._current = self._issue()
        return self._current

    def token(self):
        return self.issued().token

    def renew(self):
        """Forget the refused token (memory and disk) and obtain a new one."""
        if self._cache:
            self._cache.drop(self._key)
        self._current = self._issue()
        return True

    def _issue(self):
        issued = self._iam.password_token(self._username, self._password.get_secret_value(), self._domain_name, self._project)
        if self._cache:
            self._cache.store(self._key, issued)
        return issued


class IamClient:
    """The few IAM (Keystone v3) calls the client needs, against ``auth_url`` (".../v3")."""

    def __init__(self, session, auth_url, region=None):
        self._session = session
        self.auth_url = auth_url.rstrip("/")
        self.region = region

    def mask(self, secret):
        """Never show ``secret`` in a message (see HttpSession.mask)."""
        self._session.mask(secret)

    def password_token(self, username, password, domain_name, project):
        """Obtain a token scoped to ``project`` (``{"id": ...}`` or ``{"name": ...}``) as a CachedToken."""
        body = {
            "auth": {
                "identity": {"methods": ["password"], "password": {"user": {"name": username, "password": password, "domain": {"name": domain_name}}}},
                "scope": {"project": project},
            }
        }
        response = self._session.request("POST", self.auth_url, "/auth/tokens", "obtain an IAM token for user %s" % username, json_body=body, reads=True)
        token = response.headers.get("X-Subject-Token")
        self.mask(token)
        return self._token_from(response, token, "obtain an IAM token")

    def inspect_token(self, token):
        """Project and catalog of a pre-issued token (it validates itself) as a CachedToken."""
        response = self._session.request(
            "GET", self.auth_url, "/auth/tokens", "inspect the IAM token", headers={"X-Auth-Token": token, "X-Subject-Token": token}
        )
        return self._token_from(response, token, "inspect the IAM token")

    def project_id(self, name, auth):
        """The ID of the project called ``name`` (``GET /v3/projects?name=``), authenticated with ``auth``."""
        return self.project(name, auth, "look up the ID of project %s" % name)["id"]

    def project(self, name, auth, action=None):
        """The project called ``name`` as IAM lists it (``id``, ``name``, ``domain_id``, ...), authenticated with ``auth``."""
        action = action or "look up project %s" % name
        response = self._session.request("GET", self.auth_url, "/projects", action, params={"name": name}, auth=auth)
        listed = read_json(response, action, ("projects",))["projects"] or ()
        projects = [project for project in listed if isinstance(project, dict) and project.get("name") == name]
        if len(projects) != 1:
            raise UnexpectedResponseError(action, response.status_code, message="IAM knows %d projects named %r" % (len(projects), name))
        return projects[0]

    def projects(self, auth):
        """Every project of the account IAM lists to ``auth`` (``GET /v3/projects``)."""
        action = "list the projects of the account"
        return read_json(self._session.request("GET", self.auth_url, "/projects", action, auth=auth), action).get("projects") or []

    def agencies(self, domain_id, name, auth):
        """The agencies called ``name`` of account ``domain_id`` (Huawei Cloud's ``GET /v3.0/OS-AGENCY/agencies``)."""
        action = "look up IAM agency %s" % name
        base = _KEYSTONE_VERSION.sub("", self.auth_url)
        response = self._session.request("GET", base, "/v3.0/OS-AGENCY/agencies", action, params={"domain_id": domain_id, "name": name}, auth=auth)
        return [agency for agency in read_json(response, action).get("agencies") or () if agency.get("name") == name]

    def _token_from(self, response, token, action):
        body = read_json(response, action, ("token",))["token"]
        body = body if isinstance(body, dict) else {}
        expires_at = parse_time(body.get("expires_at"))
        project_id = (body.get("project") or {}).get("id")
        if not token or expires_at is None or not project_id:
            raise UnexpectedResponseError(action, response.status_code, message="the answer lacks the token, its expiry or its project")
        catalog = body.get("catalog")
        peers = {service: url for service, types in PEER_SERVICE_TYPES.items() if (url := _first_endpoint(catalog, self.region, types))}
        return CachedToken(token=token, expires_at=expires_at, project_id=project_id, endpoint=catalog_endpoint(catalog, self.region), peer_endpoints=peers)


# The catalog service types of the services read besides IMS: ECS, and OBS (listed as "obs" or "object").
PEER_SERVICE_TYPES = {"ecs": ("ecs",), "obs": ("obs", "object")}


def _first_endpoint(catalog, region, service_types):
    return next((url for service_type in service_types if (url := catalog_endpoint(catalog, region, service_type))), None)


def catalog_endpoint(catalog, region=None, service_type="image"):
    """The public URL of ``service_type`` in a Keystone catalog, for ``region`` when given, without version suffix.

    Returns None when the catalog has no such endpoint, or several and no region to choose by.
    """
    urls = []
    for service in catalog or ():
        if service.get("type") != service_type:
            continue
        for endpoint in service.get("endpoints") or ():
            in_region = region is None or region in (endpoint.get("region_id"), endpoint.get("region"))
            if endpoint.get("interface", "public") == "public" and in_region and endpoint.get("url"):
                urls.append(_CATALOG_URL_SUFFIX.sub("", endpoint["url"].rstrip("/")))
    unique = sorted(set(urls))
    if len(unique) != 1 or not urlsplit(unique[0]).netloc:
        return None
    return unique[0]
