# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start the IMS emulator as a subprocess and drive its control API, for any test suite.

Only the emulator's documented contract is used: its command line, the one JSON line it prints when it is ready,
and the HTTP control API under ``/_emulator``.  Nothing here imports the emulator's code, so suites written
against this module test the emulator as a black box::

    with EmulatorProcess(job_seconds=0.3) as emulator:
        control = ControlClient.for_emulator(emulator)
        control.reset()
        print(emulator.info.endpoint, emulator.info.project("eu-de")["id"])
"""

import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import httpx

#: The directory to put on PYTHONPATH so that ``python -m ims_emulator`` finds the package.
EMULATOR_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class EmulatorError(RuntimeError):
    """The emulator did not start, or its control API refused a call."""


@dataclass(frozen=True)
class EmulatorInfo:
    """The parsed ready message of a running emulator."""

    endpoint: str
    iam_endpoint: str
    region: str
    ca_file: str | None
    control_endpoint: str
    projects: list = field(default_factory=list)
    temporary_credentials: list = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_ready_line(cls, line):
        """Parse the ready line; raise EmulatorError when it is not the documented JSON object."""
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise EmulatorError('the ready line is not JSON: %r' % line) from exc
        if not isinstance(data, dict):
            raise EmulatorError('the ready line is not a JSON object: %r' % line)
        missing = [key for key in ('endpoint', 'iam_endpoint', 'region', 'ca_file', 'control_endpoint', 'projects',
                                   'temporary_credentials') if key not in data]
        if missing:
            raise EmulatorError('the ready line lacks %s: %r' % (', '.join(missing), line))
        return cls(endpoint=data['endpoint'], iam_endpoint=data['iam_endpoint'], region=data['region'],
                   ca_file=data['ca_file'], control_endpoint=data['control_endpoint'],
                   projects=list(data['projects']), temporary_credentials=list(data['temporary_credentials']),
                   raw=data)

    @property
    def verify(self):
        """The ``verify`` argument httpx clients need: an SSL context trusting the CA file under --tls, else True."""
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True

    def project(self, name_or_id):
        """The project entry (name, id, domain, username, password, ak, sk) with this name or id."""
        for project in self.projects:
            if name_or_id in (project.get('name'), project.get('id')):
                return project
        raise KeyError(name_or_id)

    def temporary_credential(self, project_name):
        """The temporary AK/SK/security token of a project (by name)."""
        for credential in self.temporary_credentials:
            if credential.get('project') == project_name:
                return credential
        raise KeyError(project_name)


class EmulatorProcess:
    """``python -m ims_emulator`` in a subprocess.

    stdout and stderr go to temporary files, so a chatty emulator can never block on a full pipe and tests can
    inspect everything it printed (:meth:`stdout_text`, :meth:`stderr_text`).
    """

    def __init__(self, seed=None, job_seconds=None, tls=False, token_lifetime=None, env=None, host=None, port=0,
                 ca_dir=None, extra_args=(), python=None, startup_timeout=30.0):
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
        cmd = [self.python, '-m', 'ims_emulator', '--port', str(self.port)]
        if self.host is not None:
            cmd += ['--host', self.host]
        if self.seed is not None:
            cmd += ['--seed', str(self.seed)]
        if self.job_seconds is not None:
            cmd += ['--job-seconds', str(self.job_seconds)]
        if self.token_lifetime is not None:
            cmd += ['--token-lifetime', str(self.token_lifetime)]
        if self.tls:
            cmd.append('--tls')
        if self.ca_dir is not None:
            cmd += ['--ca-dir', str(self.ca_dir)]
        return cmd + self.extra_args

    def environment(self):
        """The environment of the subprocess: ours, PYTHONPATH pointing at the emulator, and the extra env."""
        env = dict(os.environ)
        paths = [EMULATOR_DIR] + [path for path in env.get('PYTHONPATH', '').split(os.pathsep) if path]
        env['PYTHONPATH'] = os.pathsep.join(paths)
        env['PYTHONUNBUFFERED'] = '1'
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
            raise EmulatorError('already started')
        self._stdout = tempfile.TemporaryFile()  # pylint: disable=consider-using-with
        self._stderr = tempfile.TemporaryFile()  # pylint: disable=consider-using-with
        self._process = subprocess.Popen(  # pylint: disable=consider-using-with
            self.command(), stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=self._stderr,
            env=self.environment())
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
            if '\n' in text:
                return text.split('\n', 1)[0]
            code = self._process.poll()
            if code is not None:
                raise EmulatorError('the emulator exited with code %s before it was ready; stdout: %r; stderr:\n%s'
                                    % (code, text, self.stderr_text()))
            if time.monotonic() > deadline:
                raise EmulatorError('the emulator printed no ready line within %.0f s; stdout: %r; stderr:\n%s'
                                    % (self.startup_timeout, text, self.stderr_text()))
            time.sleep(0.02)

    @staticmethod
    def _read(handle):
        if handle is None or handle.closed:
            return ''
        handle.flush()
        position = handle.tell()
        handle.seek(0)
        data = handle.read()
        handle.seek(position)
        return data.decode('utf-8', errors='replace')

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
        self.control_endpoint = control_endpoint.rstrip('/')
        self._http = httpx.Client(base_url=self.control_endpoint, verify=verify, timeout=timeout)

    @classmethod
    def for_emulator(cls, emulator, **kwargs):
        """A client for an :class:`EmulatorProcess` (or an :class:`EmulatorInfo`)."""
        info = getattr(emulator, 'info', emulator)
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
            raise EmulatorError('%s %s%s answered %s: %s'
                                % (method, self.control_endpoint, path, response.status_code, response.text))
        if not response.content:
            return None
        return response.json()

    def reset(self):
        """Back to the seed: world, tokens, request log, faults, job failures and settings."""
        return self.call('POST', '/reset')

    def world(self):
        """The whole world, per project."""
        return self.call('GET', '/world')

    def requests(self):
        """The request log entries (a list)."""
        return self.call('GET', '/requests')['requests']

    def clear_requests(self):
        return self.call('DELETE', '/requests')

    def add_fault(self, path, action='status', method='*', count=1, **details):
        """Inject a fault (``status``, ``delay``, ``drop_before``, ``drop_after``); return its id.

        ``details`` are the action's fields: ``status``, ``body``, ``headers`` or ``delay``.
        """
        body = {'method': method, 'path': path, 'count': count, 'action': action}
        body.update(details)
        return self.call('POST', '/faults', body)['id']

    def faults(self):
        """The pending faults."""
        answer = self.call('GET', '/faults')
        return answer.get('faults', answer) if isinstance(answer, dict) else answer

    def clear_faults(self):
        return self.call('DELETE', '/faults')

    def remove_fault(self, fault_id):
        return self.call('DELETE', '/faults/%s' % fault_id)

    def fail_jobs(self, count=1, job_type=None, error_code='IMG.0014', fail_reason='injected failure'):
        """Make the next ``count`` jobs (optionally only of ``job_type``) end in FAIL."""
        body = {'count': count, 'error_code': error_code, 'fail_reason': fail_reason}
        if job_type is not None:
            body['job_type'] = job_type
        return self.call('POST', '/jobs/fail', body)

    def settings(self, job_seconds=None, token_lifetime=None):
        """Change job_seconds and/or token_lifetime at run time; without arguments, read them."""
        if job_seconds is None and token_lifetime is None:
            return self.call('GET', '/settings')
        body = {}
        if job_seconds is not None:
            body['job_seconds'] = job_seconds
        if token_lifetime is not None:
            body['token_lifetime'] = token_lifetime
        return self.call('PUT', '/settings', body)

    def expire_tokens(self):
        """Expire every token issued so far."""
        return self.call('POST', '/tokens/expire')

    def bulk_images(self, project_id, count, name_prefix='bulk', tags=None):
        """Add ``count`` active private images to a project."""
        body = {'project_id': project_id, 'count': count, 'name_prefix': name_prefix}
        if tags is not None:
            body['tags'] = tags
        return self.call('POST', '/images/bulk', body)
