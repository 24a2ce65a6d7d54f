# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module glue, in process: ImsModule's argument checks, preflight and run, and _AnsibleModule's messages.

A module exits through ``exit_json`` / ``fail_json``: both print the result as JSON and raise SystemExit, which
``finished`` catches and reads back. The messages ansible-core writes itself differ between its versions; the tests
assert only what the collection's override guarantees (the option is named), so they pass on every supported one.
"""

import contextlib
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.hwcloud.ims.plugins.module_utils._client import connection, deps
from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import SETTINGS
from ansible_collections.hwcloud.ims.plugins.module_utils._client.connection import connect
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import (
    ApiError,
    JobFailedError,
    JobTimeoutError,
    ResponseLostError,
    ValidationError,
)
from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import Job
from ansible_collections.hwcloud.ims.plugins.module_utils._ims_module import ImsModule
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import FakeIms, answer

try:  # ansible-core 2.19 and later
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # before 2.19, AnsibleModule reads its arguments from basic._ANSIBLE_ARGS

    @contextlib.contextmanager
    def patch_module_args(args=None):
        previous = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode("utf-8")
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = previous


SPEC = {
    "job_id": {"type": "str"},
    "wait_timeout": {"type": "int"},
    "window": {"type": "dict", "options": {"after": {"type": "str"}}},
    "disks": {"type": "list", "elements": "dict", "options": {"volume_id": {"type": "str", "required": True}}},
    "labels": {"type": "dict"},
}
CREDENTIALS = {"access_key": "AK", "secret_key": "SK", "project_id": "p1", "endpoint": "https://ims.example.com"}
JOB = Job.from_api({"job_id": "job-1", "job_type": "createImage", "status": "FAIL", "error_code": "IMS.0012", "fail_reason": "the ECS is running"})


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No connection setting from the environment of whoever runs the tests, and Ansible's warnings of this test only."""
    for setting in SETTINGS:
        for variable in setting.env:
            monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # ansible-core gathers warnings in one global (a list before 2.19, a dict since): a fresh one per test.
    monkeypatch.setattr(ansible_warnings, "_global_warnings", type(ansible_warnings._global_warnings)())


@pytest.fixture
def module():
    """module(args, spec=SPEC, **kwargs): an ImsModule with ``args`` as the task's arguments. They stay in place until
    the test ends: ansible-core 2.19 and later also read them (their serialization profile) when the module exits."""
    with contextlib.ExitStack() as arguments:

        def build(args, spec=None, **kwargs):
            arguments.enter_context(patch_module_args(args))
            return ImsModule(argument_spec=dict(SPEC if spec is None else spec), **kwargs)

        yield build


def finished(call, capsys):
    """(exit code, result) of a call that ends the module with exit_json or fail_json."""
    with pytest.raises(SystemExit) as raised:
        call()
    return raised.value.code, json.loads(capsys.readouterr().out)


def warnings_of(result):
    """The warnings' texts: plain strings before ansible-core 2.19, summaries of events since."""
    return [warning if isinstance(warning, str) else warning["event"]["msg"] for warning in result.get("warnings", [])]


@pytest.fixture
def fake():
    return FakeIms()


@pytest.fixture
def connected(monkeypatch, fake):
    """Route every connection of ``run`` to the fake IMS; returns the keyword arguments of each connect call."""
    calls = []

    def connect_to_fake(config, **kwargs):
        calls.append(dict(kwargs, config=config))
        return connect(config, transport=fake.transport, **kwargs)

    monkeypatch.setattr(connection, "connect", connect_to_fake)
    return calls


@pytest.fixture
def not_connected(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("nothing may be connected")

    monkeypatch.setattr(connection, "connect", refuse)


# --- _AnsibleModule: bad arguments, failed with a message that names the option ----------------------------------


@pytest.mark.parametrize("value", [5, True, [1, 2]], ids=["number", "boolean", "list"])
def test_a_value_that_is_no_dictionary_for_an_option_with_sub_options_is_refused_by_name(module, capsys, value):
    code, result = finished(lambda: module({"window": value}), capsys)
    assert code == 1 and result["failed"] is True
    assert result["msg"] == "argument 'window' is of type %s and we were unable to convert to dict: a dictionary of its sub-options is expected" % (
        type(value).__name__
    )


@pytest.mark.parametrize("value, params", [("after=2026-01-01", {"after": "2026-01-01"}), (None, None), ({"after": "x"}, {"after": "x"})])
def test_a_dictionary_or_its_text_for_an_option_with_sub_options_is_taken(module, value, params):
    assert module({"window": value}).params["window"] == params


def test_a_text_that_is_no_dictionary_among_sub_options_is_refused_by_name(module, capsys):
    # ansible-core's no_log scan fails first on it, with a message naming no option; the type error names it.
    code, result = finished(lambda: module({"disks": ["abc"]}), capsys)
    assert code == 1 and "'disks'" in result["msg"]


@pytest.mark.parametrize(
    "args, option",
    [({"disks": [{}]}, "volume_id"), ({"labels": 5}, "labels"), ({"unknown_option": 1}, "unknown_option")],
    ids=["missing-sub-option", "no-dictionary-without-sub-options", "unsupported"],
)
def test_other_bad_arguments_fail_as_ansible_core_reports_them(module, capsys, args, option):
    code, result = finished(lambda: module(args), capsys)
    assert code == 1 and option in result["msg"]


# --- ImsModule: its own checks ------------------------------------------------------------------------------------


def test_a_negative_wait_timeout_is_refused(module, capsys):
    code, result = finished(lambda: module({"wait_timeout": -1}), capsys)
    assert (code, result["msg"]) == (1, "wait_timeout: must be 0 or more seconds")


@pytest.mark.parametrize("args", [{"wait_timeout": 0}, {}], ids=["zero", "not-given"])
def test_no_wait_or_no_wait_timeout_option_is_fine(module, args):
    assert module(args).params.get("wait_timeout") == args.get("wait_timeout")


def test_check_mode_and_the_connection_options_come_with_every_module(module):
    ims_module = module({"_ansible_check_mode": True, "region": "eu-de"})
    assert ims_module.check_mode is True
    assert ims_module.params["region"] == "eu-de" and "access_key" in ims_module.params


def test_preflight_returns_what_the_check_returns(module, not_connected):
    assert module({}).preflight(lambda first, second: first + second, 2, 3) == 5


def test_a_preflight_refusal_fails_before_anything_is_connected(module, capsys, not_connected):
    def refuse(name):
        raise ValidationError("name", "%r is too long" % name)

    code, result = finished(lambda: module({}).preflight(refuse, "web"), capsys)
    assert (code, result["msg"]) == (1, "name: 'web' is too long")
    assert "error" not in result


# --- ImsModule.run ------------------------------------------------------------------------------------------------


def test_run_connects_calls_the_task_and_exits_with_its_result(module, capsys, connected, fake):
    image_id = fake.add_image("web")
    ims_module = module(dict(CREDENTIALS, job_id="x"))
    code, result = finished(lambda: ims_module.run(lambda ims: {"image": ims.get_image(image_id).to_dict()}), capsys)
    assert code == 0
    assert result["changed"] is False and result["image"]["id"] == image_id
    assert [(request.method, request.url.path, request.url.params["id"]) for request in fake.requests] == [("GET", "/v2/cloudimages", image_id)]
    # AK/SK-signed, read-write outside check mode, and warnings and retries go to the task's warnings.
    assert "SDK-HMAC-SHA256" in fake.requests[0].headers["Authorization"]
    (call,) = connected
    assert call["read_only"] is False and call["on_retry"] == ims_module.warn and call["on_warning"] == ims_module.warn
    assert call["config"].project_id == "p1" and call["config"].validate_certs is True
    assert warnings_of(result) == []


def test_a_changed_result_stays_changed(module, capsys, connected):
    code, result = finished(lambda: module(CREDENTIALS).run(lambda ims: {"changed": True}), capsys)
    assert (code, result["changed"]) == (0, True)


def test_check_mode_connects_read_only_and_a_write_fails_before_it_is_sent(module, capsys, connected, fake):
    image_id = fake.add_image("web")
    ims_module = module(dict(CREDENTIALS, _ansible_check_mode=True))
    code, result = finished(lambda: ims_module.run(lambda ims: {"deleted": ims.delete_image(image_id)}), capsys)
    assert code == 1 and result["msg"].startswith("internal error: check mode must not change anything")
    assert connected[0]["read_only"] is True
    assert fake.requests == [] and image_id in fake.images


def test_retries_are_warned_about(module, capsys, connected, fake):
    fake.answer_next("GET", "/v2/cloudimages", answer(503, {"error_code": "APIGW.0302", "error_msg": "busy"}, headers={"Retry-After": "0"}))
    code, result = finished(lambda: module(CREDENTIALS).run(lambda ims: {"images": [image.id for image in ims.list_images()]}), capsys)
    assert code == 0 and result["images"] == []
    (warning,) = warnings_of(result)
    assert warning.startswith("list images: HTTP 503 APIGW.0302; retry 1 of 5")


def test_validate_certs_false_is_warned_about(module, capsys, connected):
    code, result = finished(lambda: module(dict(CREDENTIALS, validate_certs=False)).run(lambda ims: {}), capsys)
    assert code == 0
    assert warnings_of(result) == [
        "validate_certs is false: TLS certificates are not verified, so the IMS and IAM servers are not authenticated; set ca_path to a CA bundle instead"
    ]
    assert connected[0]["config"].verify is False


def test_missing_libraries_fail_before_anything_is_connected(module, capsys, monkeypatch, not_connected):
    monkeypatch.setattr(deps, "DEPS_IMPORT_ERROR", "Traceback (most recent call last):\nModuleNotFoundError: No module named 'pydantic'")
    monkeypatch.setattr(deps, "missing_requirements", lambda: "pydantic")
    code, result = finished(lambda: module(CREDENTIALS).run(lambda ims: {}), capsys)
    assert code == 1 and "Failed to import the required Python library (pydantic)" in result["msg"]


def test_connection_settings_that_do_not_resolve_fail_the_task(module, capsys, not_connected):
    code, result = finished(lambda: module({}).run(lambda ims: {}), capsys)
    assert code == 1 and result["msg"].startswith("no credentials found: set access_key and secret_key")
    assert "error" not in result and "job" not in result


@pytest.mark.parametrize(
    "error, details",
    [
        (
            ApiError("delete image i-1", 400, code="IMG.0090", message="The image being created cannot be deleted.", request_id="r-1"),
            {"error": {"status": 400, "code": "IMG.0090", "message": "The image being created cannot be deleted.", "request_id": "r-1"}},
        ),
        (JobFailedError(JOB), {"job": JOB.to_dict()}),
        (JobTimeoutError("job-1", 60, JOB), {"job": JOB.to_dict()}),
        (JobTimeoutError("job-1", 60), {}),
        (
            ResponseLostError("create image 'web'", "https://ims.example.com/v2/cloudimages/action", "HTTP 504", 504, "r-2"),
            {"error": {"status": 504, "request_id": "r-2"}},
        ),
        (ValidationError("name", "is too long"), {}),
    ],
    ids=["api-error", "job-failed", "job-timeout", "job-never-seen", "response-lost", "other"],
)
def test_client_errors_of_the_task_fail_it_with_their_details(module, capsys, connected, error, details):
    def task(_ims):
        raise error

    code, result = finished(lambda: module(CREDENTIALS).run(task), capsys)
    assert code == 1 and result["failed"] is True and result["msg"] == str(error)
    assert {key: result[key] for key in ("error", "job") if key in result} == details
