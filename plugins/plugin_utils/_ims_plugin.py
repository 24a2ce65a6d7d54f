# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the controller-side plugins (the inventory and the lookup) share: requirements, connection options, errors.

Internal to this collection, may change in any release. The plugins run inside the Ansible process, so a client
error must become an AnsibleError (Ansible shows its message and nothing else), and the connection options come from
the plugin's own option system instead of a module's params. Plugins use this file and the task layer (``_tasks``),
never the client directly.
"""

from contextlib import contextmanager

from ansible.errors import AnsibleError
from ansible.module_utils.basic import missing_required_lib
from ansible.utils.display import Display

from ansible_collections.hwcloud.ims.plugins.module_utils._client import deps
from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import INSECURE_WARNING, SETTINGS, resolve_config
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ImsError, mask_secrets

display = Display()
# Every secret the plugins of this controller process hold or obtained: their messages and warnings never show one.
_SECRETS = set()


def require_libraries():
    """Fail with Ansible's usual message when httpx or pydantic is missing on the controller."""
    if deps.DEPS_IMPORT_ERROR:
        raise AnsibleError(missing_required_lib(deps.missing_requirements()))


def connection_options(plugin):
    """The plugin's connection options as resolve_config takes them (None: not set, so the environment applies)."""
    return {setting.name: plugin.get_option(setting.name) for setting in SETTINGS}


def connect_plugin(plugin):
    """A connected ImsClient for the plugin's connection options (close it, or use ``with``); retries and token cache
    problems are shown as warnings."""
    require_libraries()
    # Imported on first use: httpx and pydantic are loaded only by a plugin that connects (not, say, by an
    # inventory served from its cache).
    from ansible_collections.hwcloud.ims.plugins.module_utils._client.connection import connect  # pylint: disable=import-outside-toplevel

    config = resolve_config(connection_options(plugin))
    warn_if_insecure([config])
    return connect(config, on_retry=warn, on_warning=warn, on_secret=register_secret)


def warn_if_insecure(configs):
    """Warn, as modules do, when any of the connection settings leaves TLS certificates unverified."""
    if any(not config.validate_certs for config in configs):
        warn(INSECURE_WARNING)


def register_secret(secret):
    """Mask ``secret`` in every message and warning of the plugins (the client calls this before using it)."""
    _SECRETS.add(secret)


@contextmanager
def client_errors():
    """Turn errors of the client family into AnsibleError; their messages are complete and never hold a secret."""
    try:
        yield
    except ImsError as error:
        raise AnsibleError(mask_secrets(str(error), _SECRETS)) from None


def warn(message):
    """Show a warning; the client reports retries and token cache problems through this (RetryEvent or text)."""
    display.warning(mask_secrets(str(message), _SECRETS))
