# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of the collection shares: the connection options, the client, error reporting, results.

A module reads like its task::

    def main():
        module = ImsModule(argument_spec=dict(job_id=dict(type="str", required=True)))
        module.run(lambda ims: {"job": ims.get_job(module.params["job_id"]).to_dict()})

``run`` checks the requirements, resolves the connection settings (options, environment variables, clouds.yaml),
connects (read-only in check mode: a write request fails before it is sent), calls the task with the client and
exits with what the task returned. Every error of the client family becomes ``fail_json`` with a complete message
and the API details (HTTP status, IMS error code, request id), never a traceback.
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.hwcloud.ims.plugins.module_utils.config import SETTINGS, argument_spec as connection_argument_spec, resolve_config
from ansible_collections.hwcloud.ims.plugins.module_utils.connection import connect
from ansible_collections.hwcloud.ims.plugins.module_utils.deps import DEPS_IMPORT_ERROR, missing_requirements
from ansible_collections.hwcloud.ims.plugins.module_utils.errors import ApiError, ImsError, JobFailedError, JobTimeoutError, ResponseLostError

CONNECTION_OPTIONS = tuple(setting.name for setting in SETTINGS)


class ImsModule:
    """An AnsibleModule with the collection's connection options and the plumbing around one task."""

    def __init__(self, argument_spec, supports_check_mode=True, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        self.ansible = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self.params = self.ansible.params

    @property
    def check_mode(self):
        return self.ansible.check_mode

    @property
    def diff_mode(self):
        return self.ansible._diff  # pylint: disable=protected-access

    def warn(self, message):
        self.ansible.warn(str(message))

    def fail(self, msg, **details):
        """Fail the task with a message; nothing is sent after this."""
        self.ansible.fail_json(msg=msg, **details)

    def run(self, task):
        """Connect, call ``task(ims)`` and exit with the dict it returns (``changed`` defaults to false)."""
        if DEPS_IMPORT_ERROR:
            self.fail(missing_required_lib(missing_requirements()), exception=DEPS_IMPORT_ERROR)
        try:
            config = resolve_config({name: self.params.get(name) for name in CONNECTION_OPTIONS})
            if not config.validate_certs:
                self.warn("validate_certs is false: TLS certificates are not verified, so the IMS and IAM servers are not "
                          "authenticated; set ca_path to a CA bundle instead")
            with connect(config, on_retry=self.warn, on_warning=self.warn, read_only=self.check_mode) as ims:
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


def diff(before, after):
    """A ``diff`` result entry; Ansible shows it with --diff."""
    return {"before": before, "after": after}
