# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From resolved settings to a ready ImsClient: authenticate, find the project ID and the IMS endpoint.

    config = resolve_config(options)            # config.py
    with connect(config, on_retry=warn) as ims:  # this file
        for image in ims.list_images({"imagetype": "private"}):
            ...

Project ID: the configured one; else the scope of the token when IAM hands one out anyway (password authentication,
or a pre-issued token inspected for its catalog); else ``GET {auth_url}/projects?name=<project name or region>``.
IMS endpoint: the configured one (or the one derived from region and cloud profile, see config.py); else the
``image`` service of the IAM catalog for the region. The ECS and OBS endpoints the client reads (never writes) come
the same way (``ecs_endpoint``, ``obs_endpoint``; the catalog's ``ecs`` and ``obs`` services); OBS takes AK/SK
signatures only. A service the client cannot read is left out (``ims.ecs`` / ``ims.obs`` None) with the reason in
``ims.unreadable``.

The client's ``account`` reaches further with the same credentials: ``ims.account.client_for_region(region)`` is a
client of the region's default project (AK/SK are account-wide; a password user gets a token scoped to that
project), and ``ims.account`` looks up the account's projects and IAM agencies.

Internal to this collection, may change in any release.
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._client.auth import AkSkAuth, IamClient, PasswordToken, StaticToken, TokenAuth
from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import AUTH_AKSK, AUTH_PASSWORD, AUTH_TOKEN, PROFILES, describe_sources
from ansible_collections.hwcloud.ims.plugins.module_utils._client.ecs_client import EcsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ApiError, ConfigError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.ims_client import ImsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.obs_client import ObsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.obs_signer import ObsAuth
from ansible_collections.hwcloud.ims.plugins.module_utils._client.session import HttpSession, RetryPolicy
from ansible_collections.hwcloud.ims.plugins.module_utils._client.signer import AkSkSigner
from ansible_collections.hwcloud.ims.plugins.module_utils._client.token_cache import TokenCache


def new_session(config, on_retry=None, transport=None, read_only=False, on_secret=None):
    """The HTTP session for ``config`` (timeout, TLS verification, retries); share it to reuse connections.

    ``read_only`` (check mode) makes any request that would change something fail before it is sent;
    ``on_secret(value)`` hears about every secret the session masks.
    """
    return HttpSession(
        timeout=config.timeout,
        verify=config.verify,
        retry=RetryPolicy(retries=config.retries),
        on_retry=on_retry,
        transport=transport,
        read_only=read_only,
        on_secret=on_secret,
    )


def connect(config, on_retry=None, on_warning=None, session=None, transport=None, read_only=False, on_secret=None):
    """Authenticate and return an ImsClient for ``config`` (a CloudConfig).

    ``on_retry(RetryEvent)`` hears about every retry and ``on_warning(text)`` about anything else worth a warning
    (an untrusted token cache). ``session`` reuses an HttpSession (the caller closes it), for instance across the
    regions of an inventory; otherwise the client owns and closes its own. ``transport`` is for tests.
    ``read_only`` (check mode) refuses, before sending, any request that would change something. Every secret of
    ``config``, and every token obtained for it, is masked (and given to ``on_secret``) before a request carries it.
    """
    owns_session = session is None
    session = session or new_session(config, on_retry, transport, read_only, on_secret)
    for secret in config.secret_values():
        session.mask(secret)
    try:
        auth, project_id, catalog_endpoint, peer_endpoints = _authenticate(config, session, on_warning)
        endpoint = config.endpoint or catalog_endpoint
        if not endpoint:
            raise ConfigError(
                "no IMS endpoint: the IAM catalog has no image service%s; set the endpoint option"
                % (" for region %s" % config.region if config.region else " (or several, and no region was given)")
            )
    except BaseException:
        if owns_session:
            session.close()
        raise
    account = Account(config, session, auth, on_warning)
    ims = ImsClient(session, endpoint, project_id, auth, owns_session=owns_session, account=account)
    _attach_peers(ims, config, auth, dict(peer_endpoints, **{service: url for service, url in _configured_peers(config).items() if url}))
    return ims


class Account:
    """What one set of connection settings reaches beyond the project it connected to: the account's other regions,
    its projects and its IAM agencies. Every client it makes shares the session (and its check-mode guard)."""

    def __init__(self, config, session, auth, on_warning=None):
        self.config = config
        self._session = session
        self._auth = auth
        self._on_warning = on_warning
        self._iam = IamClient(session, config.auth_url, config.region) if config.auth_url else None

    @property
    def region(self):
        return self.config.region

    @property
    def cloud_profile(self):
        return self.config.cloud_profile

    def client_for_region(self, region, endpoint=None):
        """An ImsClient of ``region``'s default project (the project named after the region) with the same credentials.

        The IMS endpoint: ``endpoint``; else, when this connection's endpoint is its cloud's for its region, that
        cloud's for ``region``; else the IAM catalog of a token of the project (password authentication). Raises
        ConfigError when none applies (AK/SK with an endpoint of another cloud), or for a pre-issued token, which
        is scoped to one project.
        """
        if self.config.auth_method == AUTH_TOKEN:
            raise ConfigError("a pre-issued token (auth_token) is scoped to one project, so it cannot reach region %s; use AK/SK or a password" % region)
        derived = self._derived_endpoints(region)
        endpoint = endpoint or derived.get("ims")
        if endpoint is None and self.config.auth_method == AUTH_AKSK:
            raise ConfigError(
                "no IMS endpoint for region %s: the endpoint %s is not derived from region %s and a cloud profile, so the one of %s cannot be "
                "derived either, and AK/SK credentials come with no IAM catalog; give region %s's endpoint"
                % (region, self.config.endpoint, self.config.region, region, region)
            )
        # The ECS and OBS endpoints of this connection are its region's: the other region's follow its cloud, or its
        # catalog, never this region's.
        settings = self.config.replace(
            region=region, project_id=None, project_name=region, endpoint=endpoint, ecs_endpoint=derived.get("ecs"), obs_endpoint=derived.get("obs")
        )
        return connect(settings, on_warning=self._on_warning, session=self._session)

    def _derived_endpoints(self, region):
        """The IMS, ECS and OBS endpoints of ``region`` when this connection's IMS endpoint is its cloud's for its region
        (so the other region's follow the same cloud); else none."""
        profile = PROFILES.get(self.config.cloud_profile or "")
        if profile is None or self.config.endpoint != profile.service_url("ims", self.config.region):
            return {}
        return {service: profile.service_url(service, region) for service in ("ims", "ecs", "obs")}

    def project(self, project_id):
        """The account's project with this ID as IAM lists it (``id``, ``name``, ``domain_id``, ...), or None."""
        return next((project for project in self._require_iam().projects(self._auth) if project.get("id") == project_id), None)

    def agencies(self, domain_id, name):
        """The IAM agencies of account ``domain_id`` called ``name``."""
        return self._require_iam().agencies(domain_id, name, self._auth)

    def _require_iam(self):
        if self._iam is None:
            raise ConfigError("no IAM endpoint: set auth_url (or region and cloud_profile)")
        return self._iam


def _configured_peers(config):
    return {"ecs": config.ecs_endpoint, "obs": config.obs_endpoint}


def _attach_peers(ims, config, auth, endpoints):
    """The ECS and OBS clients of ``ims`` over its session, where an endpoint and fitting credentials are known."""
    for service in ("ecs", "obs"):
        if not endpoints.get(service):
            ims.unreadable[service] = "no %s endpoint is known (set %s, or use a region of a known cloud)" % (
                service.upper(),
                describe_sources("%s_endpoint" % service),
            )
    if endpoints.get("ecs"):
        ims.ecs = EcsClient(ims.session, endpoints["ecs"], ims.project_id, auth)
    if endpoints.get("obs") and config.auth_method != AUTH_AKSK:
        ims.unreadable["obs"] = "OBS takes AK/SK signatures only, not IAM tokens (give access_key and secret_key to let the collection read OBS)"
    elif endpoints.get("obs"):
        security_token = config.security_token.get_secret_value() if config.security_token else None
        ims.obs = ObsClient(ims.session, endpoints["obs"], ObsAuth(config.access_key, config.secret_key.get_secret_value(), security_token))


def _authenticate(config, session, on_warning):
    """(authenticator, project ID, IMS endpoint from the IAM catalog or None)."""
    iam = IamClient(session, config.auth_url, config.region) if config.auth_url else None
    if config.auth_method == AUTH_PASSWORD:
        cache = TokenCache(config.token_cache_dir, on_warning) if config.token_cache else None
        project = {"id": config.project_id} if config.project_id else {"name": config.project_scope}
        source = PasswordToken(iam, config.username, config.password, config.domain_name, project, cache)
        issued = source.issued()
        return TokenAuth(source), config.project_id or issued.project_id, issued.endpoint, issued.peer_endpoints

    project_id, catalog_endpoint, peer_endpoints = config.project_id, None, {}
    if config.auth_method == AUTH_AKSK:
        security_token = config.security_token.get_secret_value() if config.security_token else None
        auth = AkSkAuth(AkSkSigner(config.access_key, config.secret_key.get_secret_value()), None, security_token)
    else:
        token = config.auth_token.get_secret_value()
        auth = TokenAuth(StaticToken(token))
        if not config.endpoint or not (project_id or config.project_scope):
            # Only the token itself knows its catalog, and its project when no name is known to look it up by.
            scope = _inspect_token(iam, token, config, project_id)
            project_id, catalog_endpoint, peer_endpoints = project_id or scope.project_id, scope.endpoint, scope.peer_endpoints
    if not project_id:
        project_id = iam.project_id(config.project_scope, auth)
    if config.auth_method == AUTH_AKSK:
        auth.project_id = project_id  # from now on; the project lookup itself is sent without it
    return auth, project_id, catalog_endpoint, peer_endpoints


def _inspect_token(iam, token, config, project_id):
    """The scope of a pre-issued token, from IAM's token validation; when IAM refuses, say what the token alone lacks."""
    try:
        return iam.inspect_token(token)
    except ApiError as error:
        lacking = [name for name, value in (("endpoint", config.endpoint), ("project_id", project_id or config.project_scope)) if not value]
        answer = "HTTP %s%s" % (error.status, ": %s" % error.message if error.message else "")
        raise ConfigError(
            "the auth_token could not be validated at %s/auth/tokens (%s), and without IAM's answer the token gives no %s; "
            "set %s, or give a token IAM accepts" % (iam.auth_url, answer, " and no ".join(_TOKEN_LACKS[name] for name in lacking), describe_sources(*lacking))
        ) from None


# What only IAM's answer about a pre-issued token tells when the settings do not.
_TOKEN_LACKS = {"endpoint": "IMS endpoint", "project_id": "project"}
