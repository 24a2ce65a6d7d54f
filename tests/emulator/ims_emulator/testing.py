# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start the IMS emulator as a subprocess, drive its control API and read its answers, for any test suite.

Only the emulator's documented contract is used: its command line, the one JSON line it prints when it is ready,
the HTTP control API under ``/_emulator`` and the documented shapes of IMS answers.  Nothing here imports the
emulator's code, so suites written against this module test the emulator as a black box::

    with EmulatorProcess(job_seconds=0.3) as emulator:
        control = ControlClient.for_emulator(emulator)
        control.reset()
        print(emulator.info.endpoint, emulator.info.project("eu-de")["id"])
"""

import datetime
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field

import httpx

#: The directory to put on PYTHONPATH so that ``python -m ims_emulator`` finds the package.
EMULATOR_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# Private images built from these public images cannot be exported (reference 5.1.7).
LICENSED_PLATFORMS = ("Windows", "SUSE", "Red Hat", "Ubuntu", "Oracle Linux")


class EmulatorError(RuntimeError):
    """The emulator did not start, or its control API refused a call."""


#: What the ready line tells about each region.
REGION_KEYS = ("name", "endpoint", "iam_endpoint", "cloud_profile", "ecs_endpoint", "obs_endpoint", "projects", "temporary_credentials")


@dataclass(frozen=True)
class RegionInfo:
    """One region of a running emulator, as its ready message describes it."""

    name: str
    endpoint: str
    iam_endpoint: str
    cloud_profile: str
    ecs_endpoint: str | None = None
    obs_endpoint: str | None = None
    projects: list = field(default_factory=list)
    temporary_credentials: list = field(default_factory=list)

    def project(self, name_or_id):
        """The project entry (name, id, domain, username, password, ak, sk) of this region with this name or id."""
        for project in self.projects:
            if name_or_id in (project.get("name"), project.get("id")):
                return project
        raise KeyError(name_or_id)


@dataclass(frozen=True)
class EmulatorInfo:
    """The parsed ready message of a running emulator: the first region's endpoints and credentials at the top level,
    every region in ``regions``."""

    endpoint: str
    iam_endpoint: str
    region: str
    ca_file: str | None
    control_endpoint: str
    projects: list = field(default_factory=list)
    temporary_credentials: list = field(default_factory=list)
    raw: dict = field(default_factory=dict)
    regions: list = field(default_factory=list)
    #: The first region's ECS and OBS endpoints (each on its own port); None from an emulator that does not serve them.
    ecs_endpoint: str | None = None
    obs_endpoint: str | None = None

    @classmethod
    def from_ready_line(cls, line):
        """Parse the ready line; raise EmulatorError when it is not the documented JSON object."""
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise EmulatorError("the ready line is not JSON: %r" % line) from exc
        if not isinstance(data, dict):
            raise EmulatorError("the ready line is not a JSON object: %r" % line)
        missing = [key for key in ("endpoint", "iam_endpoint", "region", "ca_file", "control_endpoint", "projects", "temporary_credentials") if key not in data]
        if missing:
            raise EmulatorError("the ready line lacks %s: %r" % (", ".join(missing), line))
        return cls(
            endpoint=data["endpoint"],
            iam_endpoint=data["iam_endpoint"],
            region=data["region"],
            ca_file=data["ca_file"],
            control_endpoint=data["control_endpoint"],
            projects=list(data["projects"]),
            temporary_credentials=list(data["temporary_credentials"]),
            raw=data,
            regions=[RegionInfo(**{key: entry.get(key) for key in REGION_KEYS}) for entry in data.get("regions") or ()],
            ecs_endpoint=data.get("ecs_endpoint"),
            obs_endpoint=data.get("obs_endpoint"),
        )

    @property
    def verify(self):
        """The ``verify`` argument httpx clients need: an SSL context trusting the CA file under --tls, else True."""
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True

    def project(self, name_or_id):
        """The project entry (name, id, domain, username, password, ak, sk) with this name or id, in any region."""
        for project in self.projects + [project for region in self.regions for project in region.projects]:
            if name_or_id in (project.get("name"), project.get("id")):
                return project
        raise KeyError(name_or_id)

    def region_info(self, name):
        """The :class:`RegionInfo` of the region called ``name``."""
        for region in self.regions:
            if region.name == name:
                return region
        raise KeyError(name)

    def region_of(self, project_name_or_id):
        """The :class:`RegionInfo` of the region a project (by name or id) belongs to."""
        for region in self.regions:
            if any(project_name_or_id in (project.get("name"), project.get("id")) for project in region.projects):
                return region
        raise KeyError(project_name_or_id)

    def temporary_credential(self, project_name):
        """The temporary AK/SK/security token of a project (by name), in any region."""
        for credential in self.temporary_credentials + [credential for region in self.regions for credential in region.temporary_credentials]:
            if credential.get("project") == project_name:
                return credential
        raise KeyError(project_name)


class EmulatorProcess:
    """``python -m ims_emulator`` in a subprocess.

    stdout and stderr go to temporary files, so a chatty emulator can never block on a full pipe and tests can
    inspect everything it printed (:meth:`stdout_text`, :meth:`stderr_text`).
    """

    def __init__(
        self,
        seed=None,
        *,
        job_seconds=None,
        tls=False,
        token_lifetime=None,
        env=None,
        host=None,
        port=0,
        ca_dir=None,
        extra_args=(),
        python=None,
        startup_timeout=30.0,
    ):
        self.seed = seed
        self.job_seconds = job_seconds
        self.tls = tls
        self.token_lifetime = token_lifetime
        self.env = dict(env or {})
        self.host = host
        self.port = port
        self.ca_dir = ca_dir
        self.extra_args = list(extra_args)
        self.python = python or sys.executable
        self.startup_timeout = startup_timeout
        self.info = None
        self._process = None
        self._stdout = None
        self._stderr = None

    def command(self):
        """The command line this object runs."""
        cmd = [self.python, "-m", "ims_emulator", "--port", str(self.port)]
        if self.host is not None:
            cmd += ["--host", self.host]
        if self.seed is not None:
            cmd += ["--seed", str(self.seed)]
        if self.job_seconds is not None:
            cmd += ["--job-seconds", str(self.job_seconds)]
        if self.token_lifetime is not None:
            cmd += ["--token-lifetime", str(self.token_lifetime)]
        if self.tls:
            cmd.append("--tls")
        if self.ca_dir is not None:
            cmd += ["--ca-dir", str(self.ca_dir)]
        return cmd + self.extra_args

    def environment(self):
        """The environment of the subprocess: ours, PYTHONPATH pointing at the emulator, and the extra env."""
        env = dict(os.environ)
        paths = [EMULATOR_DIR] + [path for path in env.get("PYTHONPATH", "").split(os.pathsep) if path]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.env)
        return env

    @property
    def pid(self):
        return self._process.pid if self._process else None

    @property
    def running(self):
        return self._process is not None and self._process.poll() is None

    def start(self):
        """Start the emulator and wait for its ready line; return the parsed :class:`EmulatorInfo`."""
        if self._process is not None:
            raise EmulatorError("already started")
        self._stdout = tempfile.TemporaryFile()  # pylint: disable=consider-using-with
        self._stderr = tempfile.TemporaryFile()  # pylint: disable=consider-using-with
        self._process = subprocess.Popen(  # pylint: disable=consider-using-with
            self.command(), stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=self._stderr, env=self.environment()
        )
        try:
            line = self._wait_ready_line()
            self.info = EmulatorInfo.from_ready_line(line)
        except BaseException:
            self.stop()
            raise
        return self.info

    def _wait_ready_line(self):
        deadline = time.monotonic() + self.startup_timeout
        while True:
            text = self.stdout_text()
            if "\n" in text:
                return text.split("\n", 1)[0]
            code = self._process.poll()
            if code is not None:
                raise EmulatorError("the emulator exited with code %s before it was ready; stdout: %r; stderr:\n%s" % (code, text, self.stderr_text()))
            if time.monotonic() > deadline:
                raise EmulatorError(
                    "the emulator printed no ready line within %.0f s; stdout: %r; stderr:\n%s" % (self.startup_timeout, text, self.stderr_text())
                )
            time.sleep(0.02)

    @staticmethod
    def _read(handle):
        if handle is None or handle.closed:
            return ""
        handle.flush()
        position = handle.tell()
        handle.seek(0)
        data = handle.read()
        handle.seek(position)
        return data.decode("utf-8", errors="replace")

    def stdout_text(self):
        """Everything the emulator wrote to stdout so far."""
        return self._read(self._stdout)

    def stderr_text(self):
        """Everything the emulator wrote to stderr so far."""
        return self._read(self._stderr)

    def stop(self, timeout=10.0):
        """Terminate the emulator (SIGTERM, then SIGKILL after ``timeout``); return its exit code.

        The captured output stays readable until :meth:`close`.
        """
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout)
        return self._process.returncode

    def close(self):
        """Stop the emulator and discard its captured output."""
        self.stop()
        for handle in (self._stdout, self._stderr):
            if handle is not None:
                handle.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.close()


class ControlClient:
    """The control API (``/_emulator/...``) of a running emulator."""

    def __init__(self, control_endpoint, verify=True, timeout=60.0):
        self.control_endpoint = control_endpoint.rstrip("/")
        self._http = httpx.Client(base_url=self.control_endpoint, verify=verify, timeout=timeout)

    @classmethod
    def for_emulator(cls, emulator, **kwargs):
        """A client for an :class:`EmulatorProcess` (or an :class:`EmulatorInfo`)."""
        info = getattr(emulator, "info", emulator)
        return cls(info.control_endpoint, verify=info.verify, **kwargs)

    def close(self):
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def call(self, method, path, body=None, expect=(200, 201, 204)):
        """Call the control API; return the decoded JSON answer (None when empty)."""
        response = self._http.request(method, path, json=body)
        if response.status_code not in expect:
            raise EmulatorError("%s %s%s answered %s: %s" % (method, self.control_endpoint, path, response.status_code, response.text))
        if not response.content:
            return None
        return response.json()

    def reset(self):
        """Back to the seed: world, tokens, request log, faults, job failures and settings."""
        return self.call("POST", "/reset")

    def world(self):
        """The whole world, per project."""
        return self.call("GET", "/world")

    def requests(self):
        """The request log entries (a list)."""
        return self.call("GET", "/requests")["requests"]

    def clear_requests(self):
        return self.call("DELETE", "/requests")

    def add_fault(self, path, action="status", method="*", count=1, **details):
        """Inject a fault (``status``, ``delay``, ``drop_before``, ``drop_after``, ``apply_late``); return its id.

        ``details`` are the action's fields: ``status``, ``body``, ``headers`` or ``delay``.
        """
        body = {"method": method, "path": path, "count": count, "action": action}
        body.update(details)
        return self.call("POST", "/faults", body)["id"]

    def faults(self):
        """The pending faults."""
        answer = self.call("GET", "/faults")
        return answer.get("faults", answer) if isinstance(answer, dict) else answer

    def clear_faults(self):
        return self.call("DELETE", "/faults")

    def remove_fault(self, fault_id):
        return self.call("DELETE", "/faults/%s" % fault_id)

    def chaos(self, rate, faults, seed=0, max_in_a_row=2):
        """Fault requests at random from now on: ``rate`` of the requests some of ``faults`` (fault specs as
        ``add_fault`` takes them, as dicts) match; returns the chaos and its statistics."""
        return self.call("PUT", "/chaos", {"rate": rate, "faults": faults, "seed": seed, "max_in_a_row": max_in_a_row})

    def stop_chaos(self):
        """Stop faulting at random; returns the statistics: ``requests`` seen, ``faulted`` by kind."""
        return self.call("DELETE", "/chaos")

    def fail_jobs(self, count=1, job_type=None, error_code="IMG.0014", fail_reason="injected failure"):
        """Make the next ``count`` jobs (optionally only of ``job_type``) end in FAIL."""
        body = {"count": count, "error_code": error_code, "fail_reason": fail_reason}
        if job_type is not None:
            body["job_type"] = job_type
        return self.call("POST", "/jobs/fail", body)

    def settings(self, job_seconds=None, token_lifetime=None, consistency_lag=None, latency=None):
        """Change job_seconds, token_lifetime, consistency_lag and/or latency (seconds added before answering every
        IMS, Glance and IAM request) at run time; without arguments, read them. Returns the settings."""
        given = {"job_seconds": job_seconds, "token_lifetime": token_lifetime, "consistency_lag": consistency_lag, "latency": latency}
        body = {key: value for key, value in given.items() if value is not None}
        if not body:
            return self.call("GET", "/settings")
        return self.call("PUT", "/settings", body)

    def expire_tokens(self):
        """Expire every token issued so far."""
        return self.call("POST", "/tokens/expire")

    def bulk_images(self, project_id, count, name_prefix="bulk", tags=None, protected=False):
        """Add ``count`` active private images (protected ones with ``protected``) to a project."""
        body = {"project_id": project_id, "count": count, "name_prefix": name_prefix, "protected": protected}
        if tags is not None:
            body["tags"] = tags
        return self.call("POST", "/images/bulk", body)


# -- reading answers -----------------------------------------------------------------------------------------------


def error_code(response):
    """The IMS or gateway error code of a response, in either documented shape, or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("error"), dict):
        return body["error"].get("code")
    return body.get("error_code")


def assert_ims_error(response, status, *codes):
    """The response is an IMS refusal: this status, an IMS-shaped body, and (if given) one of these codes."""
    assert response.status_code == status, (response.status_code, response.text)
    assert_not_framework_shaped(response)
    code = error_code(response)
    assert code, "no error code in %r" % response.text
    if codes:
        assert code in codes, (code, codes, response.text)
    return code


def assert_not_framework_shaped(response):
    """Errors never come in the web framework's own shape ({"detail": ...}) and never as a 5xx."""
    assert response.status_code < 500, (response.status_code, response.text)
    try:
        body = response.json()
    except ValueError:
        return
    assert not (isinstance(body, dict) and "detail" in body and "error" not in body and "error_code" not in body), response.text


def assert_gateway_401(response):
    """An authentication refusal of the API gateway: 401 and {"error_code": "APIGW.xxxx", "error_msg": ...}."""
    assert response.status_code == 401, (response.status_code, response.text)
    body = response.json()
    assert str(body.get("error_code", "")).startswith("APIGW."), body
    assert isinstance(body.get("error_msg"), str) and body["error_msg"], body


def eventually(predicate, timeout=10.0, interval=0.05):
    """Poll ``predicate`` until it is true (IMS is eventually consistent); return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def parse_time(value):
    """An ISO 8601 time (``Z``, an offset or naive UTC) as an aware datetime."""
    parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def unique_name(prefix="img"):
    """A fresh image name that satisfies the name rules (letters, digits, -, _, ., space)."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


class World:
    """Read-only view of ``GET /_emulator/world``: per project its servers, volumes, backups, buckets, keys, images."""

    STOPPED = ("SHUTOFF",)
    RUNNING = ("ACTIVE",)

    def __init__(self, data):
        self.data = data

    def project(self, project_id):
        return self.data["projects"][project_id]

    def items(self, project_id, kind):
        return list(self.project(project_id).get(kind) or [])

    def servers(self, project_id, status=None):
        """The ECSs of a project, optionally only those whose status is in ``status``."""
        servers = self.items(project_id, "servers")
        return servers if status is None else [server for server in servers if server.get("status") in status]

    def stopped_server(self, project_id):
        servers = self.servers(project_id, self.STOPPED)
        assert servers, "the seed has no stopped ECS in %s" % project_id
        return servers[0]

    def running_server(self, project_id):
        servers = self.servers(project_id, self.RUNNING)
        assert servers, "the seed has no running ECS in %s" % project_id
        return servers[0]

    def servers_by_lineage(self, project_id, public_images, licensed):
        """Stopped ECSs whose image is (or is not) a Windows/SUSE/Red Hat/Ubuntu/Oracle Linux public image."""
        platforms = {image["id"]: image.get("__platform") for image in public_images}
        return [server for server in self.servers(project_id, self.STOPPED) if (platforms.get(server.get("image_id")) in LICENSED_PLATFORMS) == licensed]

    def volumes(self, project_id):
        return self.items(project_id, "volumes")

    def data_volumes(self, server_id, project_id):
        """The data disks attached to an ECS."""
        server = next(server for server in self.servers(project_id) if server["id"] == server_id)
        volumes = {volume["id"]: volume for volume in self.volumes(project_id)}
        return [volumes[volume_id] for volume_id in server.get("data_volume_ids") or []]

    def backups(self, project_id):
        return self.items(project_id, "backups")

    def buckets(self, project_id):
        return self.items(project_id, "buckets")

    def bucket(self, project_id, storage_class="STANDARD"):
        for bucket in self.buckets(project_id):
            if bucket.get("storage_class", "STANDARD").upper() == storage_class:
                return bucket
        raise AssertionError("the seed has no %s bucket in %s" % (storage_class, project_id))

    @staticmethod
    def objects(bucket):
        return list(bucket.get("objects") or [])

    @staticmethod
    def object_name(obj):
        return obj["name"]

    def object_url(self, project_id, suffix, storage_class="STANDARD"):
        """``bucket:object`` of a seeded object whose name ends with ``suffix``."""
        bucket = self.bucket(project_id, storage_class)
        for obj in self.objects(bucket):
            if self.object_name(obj).lower().endswith(suffix):
                return "%s:%s" % (bucket["name"], self.object_name(obj))
        raise AssertionError("the seed has no *%s object in bucket %s" % (suffix, bucket["name"]))

    def kms_key(self, project_id, enabled=True):
        """The id of a KMS key of the project that is (or is not) enabled."""
        for key in self.items(project_id, "kms_keys"):
            if (key.get("state", "enabled") == "enabled") == enabled:
                return key["id"]
        raise AssertionError("the seed has no %s KMS key in %s" % ("enabled" if enabled else "disabled", project_id))
