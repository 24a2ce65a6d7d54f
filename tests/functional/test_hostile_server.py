# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No answer is trusted blindly: the modules, the lookup and the inventory against a tiny misbehaving server.

The server (a thread of the test) answers redirects (to another host, from HTTPS to HTTP), successes without the keys
the API promises, an endless body, answers dripped a byte at a time (in the headers and in the body), pages that
ignore the paging marker, and errors that echo the request's headers back. Each run must fail within its bounds with
a clear message naming what was wrong, without a traceback, and without printing a secret (the SK, the security
token, the password, or the IAM token the server hands out).
"""

import json
import secrets as random_secrets
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
import yaml
from seed import OWNER

LISTING = "/v2/cloudimages"
# The generous bound of every run here; the failures under test used to hang for minutes or forever.
BOUND_SECONDS = 60


class Hostile(ThreadingHTTPServer):
    """Serves ``answer(handler)`` for every request, in threads; counts the requests by method and path."""

    daemon_threads = True

    def __init__(self, answer, tls_context=None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.seen = []
        if tls_context is not None:
            self.socket = tls_context.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if tls_context is not None else "http"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.server_address[1])

    def count(self, method, path):
        return sum(1 for seen in self.seen if seen == (method, path))

    def close(self):
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _any(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path.split("?")[0]))
        try:
            self.server.answer(self)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client gave up, as it should

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    def send_json(self, status, body, headers=None):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        for name, value in dict({"Content-Type": "application/json", "Content-Length": str(len(data)), "X-Request-Id": "hostile-1"}, **(headers or {})).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def redirect_to(location):
    def answer(handler):
        handler.send_json(302, {}, {"Location": location + handler.path})

    return answer


def without_images(handler):
    handler.send_json(200, {"quotas": {"resources": [{"type": "image", "used": 0, "quota": 100}]}} if "quota" in handler.path else {})


def endless_body(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b'{"images": [' + b" " * 65536
    while True:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def drip_headers(handler):
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"x" * 100:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.4)


def drip_body(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _byte in range(1000):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.4)


def marker_ignored(handler):
    page = [{"id": "00000000-0000-4000-8000-%012d" % number, "name": "same-%d" % number, "status": "active"} for number in range(500)]
    handler.send_json(200, {"images": page})


ISSUED_TOKEN = "MII" + random_secrets.token_urlsafe(96)


def echoing_headers(endpoint):
    """IAM hands out ISSUED_TOKEN; every IMS request fails with an error that echoes the request's headers."""

    def answer(handler):
        if handler.path.startswith("/v3/auth/tokens"):
            body = {
                "token": {
                    "expires_at": "2099-01-01T00:00:00.000000Z",
                    "project": {"id": OWNER, "name": "eu-de"},
                    "catalog": [{"type": "image", "endpoints": [{"interface": "public", "region": "eu-de", "url": endpoint()}]}],
                }
            }
            handler.send_json(201, body, {"X-Subject-Token": ISSUED_TOKEN})
            return
        echoed = "; ".join("%s: %s" % (name, value) for name, value in handler.headers.items())
        handler.send_json(400, {"error": {"code": "IMG.0001", "message": "bad request, you sent %s" % echoed}})

    return answer


@pytest.fixture
def hostile():
    servers = []

    def start(answer, tls_context=None):
        servers.append(Hostile(answer, tls_context))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A CA file and a server context for 127.0.0.1."""
    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path_factory.mktemp("hostile-ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return context, str(ca_file)


def aksk_at(server, ca_file=None):
    env = {"HW_IMS_ENDPOINT": server.url}
    if ca_file:
        env["OS_CACERT"] = ca_file
    return env


def run(ansible, task, env, auth="aksk"):
    """One task against the hostile server; returns (its recorded result, everything it printed)."""
    play = ansible.play([dict(task, name="the task", ignore_errors=True)], env=env, auth=auth)
    recorded = play.task("the task")
    return recorded, play.stdout + play.stderr + json.dumps(play.tasks)


def assert_clear_failure(recorded, printed, *words):
    result = recorded["result"]
    assert recorded["status"] == "failed", result
    assert "module_stderr" not in result and "Traceback" not in printed, printed[-3000:]
    for word in words:
        assert word in result["msg"], result["msg"]
    assert recorded["finished"] - recorded["started"] < BOUND_SECONDS


INFO = {"hwcloud.ims.ims_image_info": {"name": "web"}}
ABSENT = {"hwcloud.ims.ims_image": {"name": "web", "state": "absent"}}


@pytest.mark.parametrize("task", [INFO, ABSENT], ids=["info", "absent"])
def test_a_redirect_to_another_host_is_an_error_not_an_empty_answer(ansible, hostile, task):
    server = hostile(redirect_to("http://elsewhere.invalid"))
    recorded, printed = run(ansible, task, aksk_at(server))
    assert_clear_failure(recorded, printed, "HTTP 302", "redirect to http://elsewhere.invalid/v2/cloudimages", "not followed")
    assert server.count("GET", LISTING) == 1  # no retry: a redirect answers the same way every time


def test_a_redirect_from_https_to_http_is_an_error(ansible, hostile, tls):
    context, ca_file = tls
    server = hostile(None, context)
    server.answer = redirect_to("http://127.0.0.1:%d" % server.server_address[1])
    recorded, printed = run(ansible, INFO, aksk_at(server, ca_file))
    assert_clear_failure(recorded, printed, "HTTP 302", "redirect to http://127.0.0.1")


def test_a_listing_without_its_images_key_is_an_error_and_nothing_is_created(ansible, hostile):
    server = hostile(without_images)
    create = {"hwcloud.ims.ims_image": {"name": "web", "image_url": "ims-images:centos7.qcow2", "os_version": "CentOS 7.6 64bit", "min_disk": 40}}
    recorded, printed = run(ansible, create, aksk_at(server))
    assert_clear_failure(recorded, printed, "lacks 'images'")
    assert server.count("POST", "/v2/cloudimages/action") == 0


def test_an_endless_body_is_cut_off(ansible, hostile):
    recorded, printed = run(ansible, INFO, aksk_at(hostile(endless_body)))
    assert_clear_failure(recorded, printed, "larger than 33554432 bytes")


@pytest.mark.parametrize("answer", [drip_headers, drip_body], ids=["headers", "body"])
def test_an_answer_dripped_byte_by_byte_meets_the_deadline_of_one_request(ansible, hostile, answer):
    server = hostile(answer)
    task = {"hwcloud.ims.ims_image_info": {"name": "web", "timeout": 2, "retries": 1}}
    recorded, printed = run(ansible, task, aksk_at(server))
    assert_clear_failure(recorded, printed, "no complete answer within 2 seconds")
    assert server.count("GET", LISTING) == 2  # the first attempt and one retry, each cut at its deadline


def test_pages_that_ignore_the_marker_are_stopped(ansible, hostile):
    server = hostile(marker_ignored)
    recorded, printed = run(ansible, {"hwcloud.ims.ims_image_info": {"imagetype": "private"}}, aksk_at(server))
    assert_clear_failure(recorded, printed, "ignores the paging")
    assert server.count("GET", LISTING) == 2


def test_the_lookup_and_the_inventory_fail_on_a_redirect_instead_of_finding_nothing(ansible, hostile):
    server = hostile(redirect_to("http://elsewhere.invalid"))
    lookup = {"ansible.builtin.debug": {"msg": "{{ lookup('hwcloud.ims.ims_image', name='web', allow_empty=true) }}"}}
    recorded, printed = run(ansible, lookup, aksk_at(server))
    assert recorded["status"] == "failed" and "HTTP 302" in recorded["result"]["msg"], recorded["result"]
    ansible.workdir.mkdir(parents=True, exist_ok=True)
    source = ansible.workdir / "hostile.ims.yml"
    source.write_text(yaml.safe_dump({"plugin": "hwcloud.ims.ims"}), encoding="utf-8")
    env = dict(aksk_at(server), ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true")
    done = ansible.run("ansible-inventory", ["-i", str(source), "--list"], env=env)
    assert done.returncode != 0 and "HTTP 302" in done.stdout + done.stderr, done.stdout + done.stderr


@pytest.mark.parametrize("auth", ["password", "temporary aksk"])
def test_errors_that_echo_the_request_headers_print_no_secret(ansible, hostile, emulator, secrets, auth):
    server = hostile(None)
    server.answer = echoing_headers(lambda: server.url)
    if auth == "password":
        env, kind = {"HW_AUTH_URL": server.url + "/v3", "HW_IMS_ENDPOINT": server.url}, "password"
    else:
        credential = emulator.info.temporary_credential("eu-de")
        env = dict(aksk_at(server), HW_ACCESS_KEY=credential["ak"], HW_SECRET_KEY=credential["sk"], HW_SECURITY_TOKEN=credential["security_token"])
        kind = "aksk"
    recorded, printed = run(ansible, INFO, env, auth=kind)
    assert_clear_failure(recorded, printed, "IMG.0001", "********")
    lookup = {"ansible.builtin.debug": {"msg": "{{ lookup('hwcloud.ims.ims_image', name='web') }}"}}
    looked, looked_printed = run(ansible, lookup, env, auth=kind)
    assert looked["status"] == "failed" and "********" in looked["result"]["msg"], looked["result"]
    leaked = [secret[:4] + "…" for secret in list(secrets) + [ISSUED_TOKEN] if secret in printed + looked_printed]
    assert not leaked, "secrets echoed by the server were printed"
