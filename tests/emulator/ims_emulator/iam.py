# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The part of IAM (Keystone v3 compatible) that IMS clients use: version discovery, password and token
authentication with a service catalog, project listings, and Huawei Cloud's agency listing (under /v3.0).

IAM is global: every region's port serves it, for every project of the account. A project-scoped token's catalog
lists the endpoints of the project's region; a domain-scoped one those of every region.

IAM authenticates its own calls and answers errors in Keystone's shape:
``{"error": {"code": 401, "message": "...", "title": "Unauthorized"}}``.
"""

import hashlib
import json
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from . import signing
from .errors import GuardedRoute
from .identity import IdentityError

PREFIX = "/v3"
#: Huawei Cloud IAM's own APIs (agencies) live under /v3.0.
HUAWEI_PREFIX = "/v3.0"
KEYSTONE_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
AUTHENTICATION_REQUIRED = "The request you have made requires authentication."

router = APIRouter(prefix=PREFIX, route_class=GuardedRoute)
huawei_router = APIRouter(prefix=HUAWEI_PREFIX, route_class=GuardedRoute)


class KeystoneError(Exception):
    """An IAM refusal, answered in Keystone's error shape."""

    TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


async def keystone_error_response(_request, exc):
    return error_response(exc.status, exc.message)


def error_response(status, message, headers=None):
    """An IAM error in Keystone's shape."""
    body = {"error": {"code": status, "message": message, "title": KeystoneError.TITLES.get(status, "Bad Request")}}
    return JSONResponse(body, status_code=status, headers=headers)


def is_iam_path(path):
    """Whether IAM serves the path (/v3/..., /v3.0/...): it authenticates its calls itself."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in (PREFIX, HUAWEI_PREFIX))


def _base_url(request):
    return str(request.base_url).rstrip("/")


def _stable_id(*parts):
    """A 32-hex id derived from names, so ids stay the same across restarts."""
    return hashlib.md5("/".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


#: Every user gets IAM's role for managing a project's resources; the token lists it.
ROLE = {"id": _stable_id("role", "te_admin"), "name": "te_admin"}


def _field(container, name, kind, where):
    """``container[name]`` when it is a ``kind``; else a Keystone 400 naming the offending field."""
    value = container.get(name) if isinstance(container, dict) else None
    if not isinstance(value, kind):
        raise KeystoneError(400, "Invalid input for field %r: expected %s in %s." % (name, kind.__name__, where))
    return value


# --- version discovery ---------------------------------------------------------------------------------------------


@router.get("")
@router.get("/")
async def version_document(request: Request):
    """What keystoneauth's discovery reads from the auth URL."""
    return {
        "version": {
            "id": "v3.6",
            "status": "stable",
            "updated": "2016-04-04T00:00:00Z",
            "links": [{"rel": "self", "href": _base_url(request) + PREFIX + "/"}],
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
        }
    }


# --- tokens --------------------------------------------------------------------------------------------------------


def _domain_in(identity, reference, where):
    """The domain a ``{"id": ...}`` or ``{"name": ...}`` object names; None when there is no such domain."""
    if not isinstance(reference, dict) or not ({"id", "name"} & set(reference)):
        raise KeystoneError(400, "Expecting to find domain id or name in %s." % where)
    return identity.find_domain(domain_id=reference.get("id"), name=reference.get("name"))


def _password_user(identity, password_method):
    user_ref = _field(password_method, "user", dict, "password")
    password = _field(user_ref, "password", str, "user")
    if "id" in user_ref:
        user = identity.find_user(None, user_id=_field(user_ref, "id", str, "user"))
    else:
        name = _field(user_ref, "name", str, "user")
        domain = _domain_in(identity, user_ref.get("domain"), "user")
        user = identity.find_user(domain, name=name) if domain else None
    if not identity.check_password(user, password):
        raise KeystoneError(401, AUTHENTICATION_REQUIRED)
    return user


def _existing_token(identity, token_method):
    try:
        return identity.token(_field(token_method, "id", str, "token"))
    except IdentityError:
        raise KeystoneError(401, AUTHENTICATION_REQUIRED) from None


def _scope(identity, user, scope):
    """(project, domain) the token is to be scoped to; (None, None) for an unscoped token."""
    if scope is None:
        return None, None
    if not isinstance(scope, dict) or len(scope) != 1 or not {"project", "domain"} & set(scope):
        raise KeystoneError(400, "The scope must name exactly one project or one domain.")
    if "domain" in scope:
        domain = _domain_in(identity, scope["domain"], "scope")
        if domain != user.domain:
            raise KeystoneError(401, "User %s has no access to domain %s." % (user.id, scope["domain"].get("id") or scope["domain"].get("name")))
        return None, domain
    project_ref = _field(scope, "project", dict, "scope")
    if "id" in project_ref:
        project = identity.find_project(None, project_id=_field(project_ref, "id", str, "project"))
    else:
        name = _field(project_ref, "name", str, "project")
        # Keystone wants the project's domain with a name; IAM falls back to the user's domain.
        domain = _domain_in(identity, project_ref["domain"], "project") if "domain" in project_ref else user.domain
        project = identity.find_project(domain, name=name)
    if not identity.may_access(user, project):
        raise KeystoneError(401, "User %s has no access to project %s." % (user.id, project_ref.get("id") or project_ref.get("name")))
    return project, None


def _named(entity):
    return {"id": entity.id, "name": entity.name}


def region_urls(request):
    """The base URL of every region's port; for an in-process client (no ports), the request's own, for its region."""
    return dict(request.app.state.region_endpoints) or {request.state.region: _base_url(request)}


def _catalog(urls, regions, peers):
    """The catalog of ``regions`` (names of ``urls``, the base URL of each region; ``peers``: region -> the URL of
    each other service of that region)."""

    def service(service_type, name, url_of):
        return {
            "id": _stable_id(service_type),
            "type": service_type,
            "name": name,
            "endpoints": [
                {"id": _stable_id(service_type, region), "interface": "public", "region": region, "region_id": region, "url": url_of(region)}
                for region in regions
                if region in urls and url_of(region)
            ],
        }

    # The ECS and OBS endpoints of each region, when the server listens for them (see __main__).
    kinds = sorted({kind for region in regions for kind in peers.get(region, {})})
    return [service("image", "ims", lambda region: urls[region]), service("identity", "iam", lambda region: urls[region] + PREFIX)] + [
        service(kind, kind, lambda region, kind=kind: peers.get(region, {}).get(kind)) for kind in kinds
    ]


def _token_body(token, urls, peers, with_catalog):
    body = {
        "methods": list(token.methods),
        "issued_at": token.issued_at.strftime(KEYSTONE_TIME),
        "expires_at": token.expires_at.strftime(KEYSTONE_TIME),
        "audit_ids": [secrets.token_urlsafe(16)],
        "user": {**_named(token.user), "domain": _named(token.user.domain), "password_expires_at": ""},
    }
    if token.project is not None:
        body["project"] = {**_named(token.project), "domain": _named(token.project.domain)}
    elif token.domain_scope is not None:
        body["domain"] = _named(token.domain_scope)
    if token.project is not None or token.domain_scope is not None:
        body["roles"] = [ROLE]
        if with_catalog:
            body["catalog"] = _catalog(urls, [token.project.region] if token.project is not None else list(urls), peers)
    return {"token": body}


@router.post("/auth/tokens")
async def create_token(request: Request):
    """Password authentication, or re-scoping an existing token; answers 201 with the token in X-Subject-Token.
    ``?nocatalog`` leaves the service catalog out, as in Keystone and IAM."""
    identity = request.app.state.identity
    try:
        payload = json.loads(await request.body())
    except (ValueError, RecursionError):
        raise KeystoneError(400, "The request body is not valid JSON.") from None
    auth = _field(payload, "auth", dict, "the request body")
    identity_ref = _field(auth, "identity", dict, "auth")
    methods = _field(identity_ref, "methods", list, "identity")
    if methods == ["password"]:
        user = _password_user(identity, _field(identity_ref, "password", dict, "identity"))
        not_after = None
    elif methods == ["token"]:
        original = _existing_token(identity, _field(identity_ref, "token", dict, "identity"))
        user, not_after = original.user, original.expires_at
    else:
        raise KeystoneError(401, "Attempted to authenticate with an unsupported method.")
    project, domain = _scope(identity, user, auth.get("scope"))
    value, token = identity.issue_token(user, methods, project=project, domain_scope=domain, not_after=not_after)
    body = _token_body(token, region_urls(request), identity.peer_endpoints, with_catalog="nocatalog" not in request.query_params)
    return JSONResponse(body, status_code=201, headers={"X-Subject-Token": value})


@router.get("/auth/tokens")
async def validate_token(request: Request):
    """Keystone's token validation: the caller's X-Auth-Token asks about the token in X-Subject-Token (a token may ask
    about itself, which is how clients holding a pre-issued token find its project and catalog). Answers 200 with the
    token body (``?nocatalog`` leaves the catalog out) and X-Subject-Token; 401 when the caller's token is not valid,
    404 when the subject token is unknown or expired, as Keystone answers."""
    identity = request.app.state.identity
    caller = request.headers.get("x-auth-token")
    try:
        identity.token(caller or "")
    except IdentityError:
        raise KeystoneError(401, AUTHENTICATION_REQUIRED) from None
    subject = request.headers.get("x-subject-token")
    if not subject:
        raise KeystoneError(400, "Expecting to find X-Subject-Token in the request headers.")
    try:
        token = identity.token(subject)
    except IdentityError:
        raise KeystoneError(404, "Could not find token: %s." % _token_fingerprint(subject)) from None
    body = _token_body(token, region_urls(request), identity.peer_endpoints, with_catalog="nocatalog" not in request.query_params)
    return JSONResponse(body, headers={"X-Subject-Token": subject})


def _token_fingerprint(value):
    """What a message may say about a token: a short digest, never the token."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


# --- projects ------------------------------------------------------------------------------------------------------


async def _caller(request):
    """The user behind a token (of any scope) or an AK/SK signature."""
    identity = request.app.state.identity
    try:
        if "authorization" in request.headers:
            return identity.authenticate_signed(signing.ReceivedRequest.from_asgi(request.scope, await request.body())).user
        if "x-auth-token" in request.headers:
            return identity.token(request.headers["x-auth-token"]).user
    except IdentityError:
        pass
    raise KeystoneError(401, AUTHENTICATION_REQUIRED)


def _project_body(identity, project, base_url):
    """A project as IAM lists it; a sub-project ("eu-de_dev") has its region's project as parent."""
    region_project = identity.find_project(project.domain, name=project.name.split("_", 1)[0]) if "_" in project.name else None
    return {
        "id": project.id,
        "name": project.name,
        "domain_id": project.domain.id,
        "description": "",
        "enabled": True,
        "is_domain": False,
        "parent_id": region_project.id if region_project else project.domain.id,
        "links": {"self": "%s%s/projects/%s" % (base_url, PREFIX, project.id)},
    }


def _project_list(request, projects):
    """A Keystone project list, filtered by the query's ``name``, ``domain_id`` and ``parent_id`` (others are ignored)."""
    identity, base_url = request.app.state.identity, _base_url(request)
    filters = {name: value for name, value in request.query_params.items() if name in ("name", "domain_id", "parent_id")}
    bodies = [_project_body(identity, project, base_url) for project in projects]
    selected = [body for body in bodies if all(body[name] == value for name, value in filters.items())]
    return {"projects": selected, "links": {"self": str(request.url), "previous": None, "next": None}}


@router.get("/projects")
async def list_projects(request: Request):
    """The projects of the caller's domain (IAM lets any user of the domain see them)."""
    user = await _caller(request)
    return _project_list(request, request.app.state.identity.domain_projects(user.domain))


@router.get("/auth/projects")
async def list_accessible_projects(request: Request):
    """The projects the caller may scope a token to."""
    user = await _caller(request)
    return _project_list(request, request.app.state.identity.projects_of(user))


# --- agencies (Huawei Cloud IAM) -------------------------------------------------------------------------------------


def _agency_body(agency):
    return {
        "id": agency.id,
        "name": agency.name,
        "domain_id": agency.domain.id,
        "trust_domain_id": _stable_id("domain", agency.trust_domain_name),
        "trust_domain_name": agency.trust_domain_name,
        "description": agency.description,
        "duration": agency.duration,
        "expire_time": None,
        "create_time": "2024-01-01T00:00:00.000000",
    }


@huawei_router.get("/OS-AGENCY/agencies")
async def list_agencies(request: Request):
    """The agencies of the caller's account (``domain_id``, required), filtered by ``name`` and ``trust_domain_id``."""
    user = await _caller(request)
    query = request.query_params
    if not query.get("domain_id"):
        raise KeystoneError(400, "Invalid input for field 'domain_id': it is required.")
    if query["domain_id"] != user.domain.id:
        raise KeystoneError(403, "You are not authorized to perform the requested action.")
    agencies = [_agency_body(agency) for agency in request.app.state.identity.agencies if agency.domain == user.domain]
    filters = {name: value for name, value in query.items() if name in ("name", "trust_domain_id")}
    return {"agencies": [agency for agency in agencies if all(agency[name] == value for name, value in filters.items())]}


@router.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def not_found(path: str):
    raise KeystoneError(404, "The resource could not be found: /v3/%s" % path)
