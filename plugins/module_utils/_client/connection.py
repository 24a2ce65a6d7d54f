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

Internal to this collection, may change in any release.
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._client.auth import AkSkAuth, IamClient, PasswordToken, StaticToken, TokenAuth
from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import AUTH_AKSK, AUTH_PASSWORD
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ConfigError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.ims_client import ImsClient
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
    return ImsClient(session, endpoint, project_id, auth, owns_session=owns_session)


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
