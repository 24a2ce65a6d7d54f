# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end fixtures: the emulator, and a runner that executes real ansible-playbook runs against it.

Tests describe tasks as Python data; the runner writes them into a playbook, runs ``ansible-playbook`` in a
subprocess with credentials in environment variables (the way users run the collection) and returns every task's
result as recorded by the test-only ``task_results`` callback.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from ims_emulator.testing import ControlClient, EmulatorProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"
AUTH_KINDS = ("aksk", "password", "token")


@pytest.fixture(scope="session")
def emulator():
    with EmulatorProcess(job_seconds=0.4) as process:
        yield process


@pytest.fixture(scope="session")
def control(emulator):
    with ControlClient.for_emulator(emulator) as client:
        yield client


@pytest.fixture(autouse=True)
def fresh_world(control):
    control.reset()


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """A collections path holding this checkout as hwcloud.ims (the test command stages a copy and exports it)."""
    staged = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")
    for entry in staged.split(os.pathsep):
        if entry and (Path(entry) / "ansible_collections" / "hwcloud" / "ims" / "galaxy.yml").is_file():
            return entry
    root = tmp_path_factory.mktemp("collections")
    (root / "ansible_collections" / "hwcloud").mkdir(parents=True)
    (root / "ansible_collections" / "hwcloud" / "ims").symlink_to(REPO_ROOT)
    return str(root)


def module_task(module, title, /, ignore_errors=False, **args):
    """A task named ``title`` calling the collection's ``module`` with ``args``."""
    task = {"name": title, "hwcloud.ims.%s" % module: args}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


@dataclass
class PlayResult:
    """One ansible-playbook run: exit code, screen output and the recorded task results."""

    rc: int
    stdout: str
    stderr: str
    tasks: list

    def task(self, name):
        """The result of the (last) task with this name."""
        matches = [task for task in self.tasks if task["name"] == name]
        if not matches:
            raise AssertionError("no task named %r ran; tasks: %s\n%s" % (name, [t["name"] for t in self.tasks], self.stdout))
        return matches[-1]

    def requests_of(self, name, log):
        """The entries of the emulator's request log (``control.requests()``) sent while the named task ran."""
        task = self.task(name)
        return [entry for entry in log if task["started"] <= log_time(entry) <= task["finished"]]


def log_time(entry):
    """The time of a request log entry (``2026-01-02T03:04:05.678Z``) in seconds since the epoch."""
    return datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


class AnsibleRunner:
    """Runs playbooks against the emulator as one of its projects, with one kind of credentials."""

    def __init__(self, emulator, collections_path, workdir):
        self.emulator = emulator
        self.collections_path = collections_path
        self.workdir = Path(workdir)
        self.cache_dir = self.workdir / "cache"

    def credentials_env(self, project="eu-de", auth="aksk"):
        """Environment variables a user would export for this project (of any region) and kind of credentials."""
        info = self.emulator.info
        entry = info.project(project)
        region = info.region_of(project)
        env = {"HW_REGION_NAME": region.name, "HW_AUTH_URL": region.iam_endpoint}
        if auth == "aksk":
            env.update(HW_ACCESS_KEY=entry["ak"], HW_SECRET_KEY=entry["sk"], HW_PROJECT_ID=entry["id"], HW_IMS_ENDPOINT=region.endpoint)
        elif auth == "password":
            env.update(HW_USER_NAME=entry["username"], HW_USER_PASSWORD=entry["password"], HW_DOMAIN_NAME=entry["domain"], HW_PROJECT_NAME=entry["name"])
        elif auth == "token":
            env.update(HW_AUTH_TOKEN=self.issue_token(project), HW_PROJECT_ID=entry["id"], HW_IMS_ENDPOINT=region.endpoint)
        else:
            raise ValueError("unknown auth kind %r" % auth)
        if info.ca_file:
            env["OS_CACERT"] = info.ca_file
        return env

    def issue_token(self, project="eu-de"):
        """A project-scoped IAM token, obtained the way a user's other tooling would."""
        import httpx  # pylint: disable=import-outside-toplevel

        entry = self.emulator.info.project(project)
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {"user": {"name": entry["username"], "password": entry["password"], "domain": {"name": entry["domain"]}}},
                },
                "scope": {"project": {"name": entry["name"]}},
            }
        }
        response = httpx.post(self.emulator.info.iam_endpoint + "/auth/tokens", json=body, verify=self.emulator.info.verify)
        response.raise_for_status()
        return response.headers["X-Subject-Token"]

    def play(self, tasks, project="eu-de", auth="aksk", check=False, diff=False, extra_vars=None, env=None, play_vars=None, verbosity=0):
        """Run the tasks as one play on localhost; returns a PlayResult."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        playbook = self.workdir / "playbook.yml"
        play = {"name": "test play", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
        if play_vars:
            play["vars"] = play_vars
        playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
        inventory = self.workdir / "inventory.ini"
        inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
        results_file = self.workdir / "results.json"
        if results_file.exists():
            results_file.unlink()

        command = ["-i", str(inventory), str(playbook)]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        completed = self.run("ansible-playbook", command, project, auth, env={"HWCLOUD_IMS_TEST_RESULTS": str(results_file), **(env or {})})
        tasks = json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else []
        return PlayResult(completed.returncode, completed.stdout, completed.stderr, tasks)

    def run(self, program, args, project="eu-de", auth="aksk", env=None):
        """Run an Ansible command (ansible-playbook, ansible-inventory, ansible, ...) with the credentials of a
        project in environment variables; returns the CompletedProcess (text output)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        run_env = self.base_env()
        run_env.update(self.credentials_env(project, auth))
        run_env.update(env or {})
        # The command of the interpreter running the tests, whose environment has the collection's requirements.
        command = [str(Path(sys.executable).parent / program)] + list(args)
        return subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=600, check=False)

    def module(self, module, project="eu-de", auth="aksk", check=False, diff=False, env=None, **args):
        """Run one module as one task; returns its result dict (with 'failed' when it failed)."""
        result = self.play([{"name": "the task", module: args}], project=project, auth=auth, check=check, diff=diff, env=env)
        return result.task("the task")["result"]

    def base_env(self):
        """The process environment minus every credential variable of the caller, plus Ansible settings for tests."""
        env = {key: value for key, value in os.environ.items() if not key.startswith(("HW_", "OS_", "HUAWEICLOUD_SDK_"))}
        env.update(
            {
                "ANSIBLE_COLLECTIONS_PATH": self.collections_path,
                "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
                "ANSIBLE_CALLBACKS_ENABLED": "task_results",
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_LOCAL_TEMP": str(self.workdir / "tmp"),
                "ANSIBLE_HOME": str(self.workdir / "ansible-home"),
                "XDG_CACHE_HOME": str(self.cache_dir),
            }
        )
        return env


@pytest.fixture
def ansible(emulator, collections_path, tmp_path):
    return AnsibleRunner(emulator, collections_path, tmp_path)


@pytest.fixture(scope="session")
def tls_emulator():
    """A second emulator, serving HTTPS with a CA of its own (credentials_env passes it as OS_CACERT)."""
    with EmulatorProcess(job_seconds=0.4, tls=True) as process:
        yield process


@pytest.fixture
def tls_ansible(tls_emulator, collections_path, tmp_path):
    return AnsibleRunner(tls_emulator, collections_path, tmp_path)


@pytest.fixture(scope="session")
def secrets(emulator):
    """Every secret the emulator hands out (the same seed serves the TLS emulator): none may ever show up in output,
    variables or cache files. Tokens a test issues itself are its own to check."""
    info = emulator.info
    values = [project[key] for region in info.regions for project in region.projects for key in ("password", "sk")]
    values += [credential[key] for region in info.regions for credential in region.temporary_credentials for key in ("sk", "security_token")]
    return [value for value in values if value]


# -- tables printed at the end of the session: the fault matrix of test_reliability.py, the chaos soak's summary -------


def _report_directory(config):
    """A directory the controller and its xdist workers share (workers' base temp dirs live inside the controller's)."""
    base = config._tmp_path_factory.getbasetemp()  # pylint: disable=protected-access
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return base / "session-reports"


def _write_report(config, kind, name, payload):
    directory = _report_directory(config) / kind
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ("%s.json" % "".join(ch if ch.isalnum() else "_" for ch in name))).write_text(json.dumps(payload), encoding="utf-8")


def _read_reports(config, kind):
    directory = _report_directory(config) / kind
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))] if directory.is_dir() else []


@pytest.fixture
def fault_matrix(request):
    """Record cells of one row of the fault matrix: ``fault_matrix(case, {column: outcome})``; the tests of one case
    (the modules, the role) each record their own columns."""

    def record(case, cells):
        _write_report(request.config, "fault-matrix", "%s %s" % (case, " ".join(sorted(cells))), {"case": case, "cells": cells})

    return record


@pytest.fixture
def session_table(request):
    """Print a table at the end of the session: ``session_table(title, header, rows)`` (rows of cells)."""

    def record(title, header, rows):
        _write_report(request.config, "tables", title, {"title": title, "header": header, "rows": rows})

    return record


def pytest_terminal_summary(terminalreporter, config):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    _print_fault_matrix(terminalreporter, _read_reports(config, "fault-matrix"))
    for table in _read_reports(config, "tables"):
        _print_table(terminalreporter, table["title"], table["header"], table["rows"])


def _print_fault_matrix(terminalreporter, recorded):
    rows = {}
    for entry in recorded:
        rows.setdefault(entry["case"], {})
        rows[entry["case"]].update(entry["cells"])
    if not rows:
        return
    modules = sorted({module for cells in rows.values() for module in cells})
    table = [[case] + [rows[case].get(module, "-")[:26] for module in modules] for case in sorted(rows)]
    _print_table(terminalreporter, "fault matrix (outcome of the faulted run; every case then converges on a clean re-run)", ["fault"] + modules, table)


def _print_table(terminalreporter, title, header, rows):
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    terminalreporter.section(title)
    terminalreporter.write_line(" | ".join("%-*s" % (width, cell) for width, cell in zip(widths, header, strict=True)))
    terminalreporter.write_line("-" * (sum(widths) + 3 * (len(widths) - 1)))
    for row in rows:
        terminalreporter.write_line(" | ".join("%-*s" % (width, cell) for width, cell in zip(widths, row, strict=True)))
