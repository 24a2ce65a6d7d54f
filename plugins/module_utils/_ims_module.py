# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of the collection shares: the connection options, the client, error reporting, results.

Internal to this collection, may change in any release. This is the only file that uses ``AnsibleModule``: modules
import it and their task (``_tasks``), never the client itself. A module reads like its task::

    def main():
        module = ImsModule(argument_spec={"job_id": {"type": "str", "required": True}, ...})
        module.run(lambda ims: show_job(ims, module.params["job_id"], ...))

Start-up costs what the task needs: at import, this file loads only ``basic`` and the connection settings (no
httpx, no pydantic, no PyYAML), so a module whose arguments are wrong fails at about the cost of ``ping``; the
client (``connection`` and all it imports) is imported by ``run``, once the arguments passed.

``run`` checks the requirements, resolves the connection settings (options, environment variables, clouds.yaml),
connects (read-only in check mode: a write request fails before it is sent), calls the task with the client and
exits with what the task returned. Every error of the client family becomes ``fail_json`` with a complete message
and the API details (HTTP status, IMS error code, request id), never a traceback.
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.errors import NoLogError, UnsupportedError

from ansible_collections.hwcloud.ims.plugins.module_utils._client import deps
from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import INSECURE_WARNING, SETTINGS, resolve_config
from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import argument_spec as connection_argument_spec
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import (
    ApiError,
    ImsError,
    JobFailedError,
    JobTimeoutError,
    ResponseLostError,
    mask_secrets,
)

CONNECTION_OPTIONS = tuple(setting.name for setting in SETTINGS)


class _AnsibleModule(AnsibleModule):
    """AnsibleModule, failing on bad arguments with a message that names the option, where ansible-core 2.19 does not.

    * A number, a boolean or a list of them given for a dictionary option with sub-options (``created_at: 5``) crashes
      ansible-core's validation ("argument of type 'int' is not iterable"). What is neither a dictionary nor a string
      (the only values it can take) is set aside before the validation, and refused after it.
    * A string that is no dictionary where an option with sub-options wants one (``data_disks: [abc]``) fails first in
      ansible-core's no_log scan, whose message ("dictionary requested, could not parse JSON or key=value") names no
      option; the type error it finds next names it, and is reported instead.
    """

    def __init__(self, *args, **kwargs):
        self._not_a_dict = {}
        super().__init__(*args, **kwargs)
        for name, value in self._not_a_dict.items():
            self.fail_json(
                msg="argument '%s' is of type %s and we were unable to convert to dict: a dictionary of its sub-options is "
                "expected" % (name, type(value).__name__)
            )

    def _load_params(self):
        super()._load_params()
        for name, spec in self.argument_spec.items():
            value = self.params.get(name)
            if spec.get("type") == "dict" and spec.get("options") and value is not None and not isinstance(value, (dict, str)):
                self._not_a_dict[name] = self.params.pop(name)

    def fail_json(self, msg, **kwargs):
        result = getattr(self, "validation_result", None)
        errors = result.errors.errors if result is not None else []
        if errors and isinstance(errors[0], NoLogError) and msg == errors[0].msg:
            named = next((error for error in errors[1:] if not isinstance(error, NoLogError)), None)
            if named is not None:
                msg = named.msg
                if isinstance(named, UnsupportedError):
                    msg = "Unsupported parameters for (%s) module: %s" % (self._name, msg)
        super().fail_json(msg=msg, **kwargs)


class ImsModule:
    """An AnsibleModule with the collection's connection options and the plumbing around one task."""

    def __init__(self, argument_spec, supports_check_mode=True, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        self.ansible = _AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self.params = self.ansible.params
        self._config = None
        if (self.params.get("wait_timeout") or 0) < 0:
            self.fail("wait_timeout: must be 0 or more seconds")

    @property
    def check_mode(self):
        return self.ansible.check_mode

    def warn(self, message):
        # Results are masked by AnsibleModule itself; warnings are kept apart from them, so they are masked here.
        self.ansible.warn(mask_secrets(str(message), self.ansible.no_log_values))

    def fail(self, msg, **details):
        """Fail the task with a message; nothing is sent after this."""
        self.ansible.fail_json(msg=msg, **details)

    def preflight(self, check, *args):
        """``check(*args)``, a check that needs no request; a client error it raises fails the task before anything is
        connected. Returns what the check returns."""
        try:
            return check(*args)
        except ImsError as error:
            self.fail(str(error), **error_details(error))

    @property
    def config(self):
        """The connection settings resolved from the options, the environment and clouds.yaml, once; no request is
        needed for it, so rules that differ between clouds can be checked before connecting. Fails the task when the
        settings do not resolve."""
        if self._config is None:
            self._config = self.preflight(resolve_config, {name: self.params.get(name) for name in CONNECTION_OPTIONS})
        return self._config

    def run(self, task):
        """Connect, call ``task(ims)`` and exit with the dict it returns (``changed`` defaults to false)."""
        if deps.DEPS_IMPORT_ERROR:
            self.fail(missing_required_lib(deps.missing_requirements()), exception=deps.DEPS_IMPORT_ERROR)
        # Imported here, not with this file: see the module docstring.
        from ansible_collections.hwcloud.ims.plugins.module_utils._client.connection import connect  # pylint: disable=import-outside-toplevel

        config = self.config
        try:
            if not config.validate_certs:
                self.warn(INSECURE_WARNING)
            # Every secret, also those from the environment and the tokens obtained at run time, joins no_log_values
            # before a request carries it: whatever a server echoes back is masked in the result.
            with connect(config, on_retry=self.warn, on_warning=self.warn, read_only=self.check_mode, on_secret=self.ansible.no_log_values.add) as ims:
                result = task(ims)
        except ImsError as error:
            self.fail(str(error), **error_details(error))
        result.setdefault("changed", False)
        self.ansible.exit_json(**result)


def error_details(error):
    """The machine-readable part of a client error, for the failed task's result."""
    if isinstance(error, ApiError):
        return {"error": {"status": error.status, "code": error.code, "message": error.message, "request_id": error.request_id}}
    if isinstance(error, (JobFailedError, JobTimeoutError)) and error.job is not None:
        return {"job": error.job.to_dict()}
    if isinstance(error, ResponseLostError):
        return {"error": {"status": error.status, "request_id": error.request_id}}
    return {}
