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
``image`` service of the IAM catalog for the region.

The client's ``account`` reaches further with the same credentials: ``ims.account.client_for_region(region)`` is a
client of the region's default project (AK/SK are account-wide; a password user gets a token scoped to that
project), and ``ims.account`` looks up the account's projects and IAM agencies.

Internal to this collection, may change in any release.
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._client.auth import AkSkAuth, IamClient, PasswordToken, StaticToken, TokenAuth
from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import AUTH_AKSK, AUTH_PASSWORD, AUTH_TOKEN, PROFILES
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ConfigError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.ims_client import ImsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.session import HttpSession, RetryPolicy
from ansible_collections.hwcloud.ims.plugins.module_utils._client.signer import AkSkSigner
from ansible_collections.hwcloud.ims.plugins.module_utils._client.token_cache import TokenCache


def new_session(config, on_retry=None, transport=None, read_only=False):
    """The HTTP session for ``config`` (timeout, TLS verification, retries); share it to reuse connections.

    ``read_only`` (check mode) makes any request that would change something fail before it is sent.
    """
    return HttpSession(
        timeout=config.timeout, verify=config.verify, retry=RetryPolicy(retries=config.retries), on_retry=on_retry, transport=transport, read_only=read_only
    )


def connect(config, on_retry=None, on_warning=None, session=None, transport=None, read_only=False):
    """Authenticate and return an ImsClient for ``config`` (a CloudConfig).

    ``on_retry(RetryEvent)`` hears about every retry and ``on_warning(text)`` about anything else worth a warning
    (an untrusted token cache). ``session`` reuses an HttpSession (the caller closes it), for instance across the
    regions of an inventory; otherwise the client owns and closes its own. ``transport`` is for tests.
    ``read_only`` (check mode) refuses, before sending, any request that would change something.
    """
    owns_session = session is None
    session = session or new_session(config, on_retry, transport, read_only)
    try:
        auth, project_id, catalog_endpoint = _authenticate(config, session, on_warning)
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
    return ImsClient(session, endpoint, project_id, auth, owns_session=owns_session, account=account)


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
        endpoint = endpoint or self._derived_endpoint(region)
        if endpoint is None and self.config.auth_method == AUTH_AKSK:
            raise ConfigError(
                "no IMS endpoint for region %s: the endpoint %s is not derived from region %s and a cloud profile, so the one of %s cannot be "
                "derived either, and AK/SK credentials come with no IAM catalog; give region %s's endpoint"
                % (region, self.config.endpoint, self.config.region, region, region)
            )
        settings = self.config.replace(region=region, project_id=None, project_name=region, endpoint=endpoint)
        return connect(settings, on_warning=self._on_warning, session=self._session)

    def _derived_endpoint(self, region):
        profile = PROFILES.get(self.config.cloud_profile or "")
        if profile is None or self.config.endpoint != profile.ims.format(region=self.config.region):
            return None
        return profile.ims.format(region=region)

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


def _authenticate(config, session, on_warning):
    """(authenticator, project ID, IMS endpoint from the IAM catalog or None)."""
    iam = IamClient(session, config.auth_url, config.region) if config.auth_url else None
    if config.auth_method == AUTH_PASSWORD:
        cache = TokenCache(config.token_cache_dir, on_warning) if config.token_cache else None
        project = {"id": config.project_id} if config.project_id else {"name": config.project_scope}
        source = PasswordToken(iam, config.username, config.password, config.domain_name, project, cache)
        issued = source.issued()
        return TokenAuth(source), config.project_id or issued.project_id, issued.endpoint

    project_id, catalog_endpoint = config.project_id, None
    if config.auth_method == AUTH_AKSK:
        security_token = config.security_token.get_secret_value() if config.security_token else None
        auth = AkSkAuth(AkSkSigner(config.access_key, config.secret_key.get_secret_value()), None, security_token)
    else:
        token = config.auth_token.get_secret_value()
        auth = TokenAuth(StaticToken(token))
        if not config.endpoint or not (project_id or config.project_scope):
            # Only the token itself knows its catalog, and its project when no name is known to look it up by.
            scope = iam.inspect_token(token)
            project_id, catalog_endpoint = project_id or scope.project_id, scope.endpoint
    if not project_id:
        project_id = iam.project_id(config.project_scope, auth)
    if config.auth_method == AUTH_AKSK:
        auth.project_id = project_id  # from now on; the project lookup itself is sent without it
    return auth, project_id, catalog_endpoint
