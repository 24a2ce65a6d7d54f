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
from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import SETTINGS, resolve_config
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ImsError

display = Display()


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

    return connect(resolve_config(connection_options(plugin)), on_retry=warn, on_warning=warn)


@contextmanager
def client_errors():
    """Turn errors of the client family into AnsibleError; their messages are complete and never hold a secret."""
    try:
        yield
    except ImsError as error:
        raise AnsibleError(str(error)) from error


def warn(message):
    """Show a warning; the client reports retries and token cache problems through this (RetryEvent or text)."""
    display.warning(str(message))
