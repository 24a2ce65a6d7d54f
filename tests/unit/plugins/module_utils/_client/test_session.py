# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HttpSession: retries, what is never re-sent, error mapping."""

import io
import ssl

import httpx
import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import (
    ApiError,
    AuthenticationError,
    ConfigError,
    NotFoundError,
    ReadOnlyViolation,
    ResponseLostError,
    TransportError,
    UnexpectedResponseError,
)
from ansible_collections.hwcloud.ims.plugins.module_utils._client.session import HttpSession, RetryPolicy, read_json
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import Script, answer

BASE = "https://ims.eu-de.otc.t-systems.com"
THROTTLED = answer(429, {"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached"}, {"Retry-After": "7"})
TOO_MANY_TASKS = answer(400, {"error": {"code": "IMG.0060", "message": "The number of tasks exceeds the flow control limit."}})
UNAVAILABLE = answer(503, text="<html><body>Service Unavailable</body></html>")
OK = answer(200, {"job_id": "j1"})


def send(session, method="GET", **kwargs):
    return session.request(method, BASE, "/v2/cloudimages/action", "create image 'web' from ECS i-1", **kwargs)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_throttled_429_is_retried_after_retry_after(make_session, clock, method):
    script = Script(THROTTLED, OK)
    session = make_session(script)
    assert send(session, method, json_body={"name": "web"}).json() == {"job_id": "j1"}
    assert len(script.requests) == 2 and clock.sleeps == [7.0]
    event = session.events[0]
    assert (event.attempt, event.retries, event.delay) == (1, 5, 7.0)
    assert str(event) == "create image 'web' from ECS i-1: HTTP 429 APIGW.0308; retry 1 of 5 in 7.0 s"


def test_retry_after_as_http_date(make_session, clock):
    script = Script(answer(429, {}, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), OK)
    session = make_session(script)
    send(session)
    assert clock.sleeps == [0.0]  # a date in the past means "now"


def test_img_0060_post_is_retried_with_growing_jittered_delays(make_session, clock):
    script = Script(TOO_MANY_TASKS, TOO_MANY_TASKS, TOO_MANY_TASKS, OK)
    session = make_session(script)
    send(session, "POST", json_body={"name": "web"})
    assert len(script.requests) == 4
    # equal jitter: delay n lies between half and all of min(30, 2**n)
    for attempt, delay in enumerate(clock.sleeps):
        ceiling = min(30.0, 2.0**attempt)
        assert ceiling / 2 <= delay <= ceiling


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_for_get(make_session, status):
    script = Script(answer(status, text="bad gateway"), OK)
    assert send(make_session(script)).status_code == 200
    assert len(script.requests) == 2


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_on_post_are_not_resent(make_session, status):
    script = Script(answer(status, text="gateway", headers={"X-Request-Id": "req-9"}), OK)
    with pytest.raises(ResponseLostError) as caught:
        send(make_session(script), "POST", json_body={"name": "web"})
    assert len(script.requests) == 1
    assert caught.value.status == status and caught.value.request_id == "req-9" and caught.value.sent
    assert "may have been executed" in str(caught.value)


def test_connect_errors_are_retried_even_for_post(make_session):
    script = Script(httpx.ConnectError("[Errno 111] Connection refused"), httpx.ConnectTimeout("timed out"), OK)
    session = make_session(script)
    assert send(session, "POST", json_body={"name": "web"}).status_code == 200
    assert len(script.requests) == 3
    assert [event.reason for event in session.events] == ["ConnectError: [Errno 111] Connection refused", "ConnectTimeout: timed out"]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
    ],
)
def test_post_is_not_resent_after_the_response_was_lost(make_session, failure):
    script = Script(failure, OK)
    with pytest.raises(ResponseLostError) as caught:
        send(make_session(script), "POST", json_body={"name": "web"})
    assert len(script.requests) == 1
    assert caught.value.sent and isinstance(caught.value, TransportError)
    assert str(caught.value).startswith("create image 'web' from ECS i-1 failed: ")


def test_get_is_resent_after_the_response_was_lost(make_session):
    script = Script(httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("dropped"), OK)
    assert send(make_session(script)).status_code == 200
    assert len(script.requests) == 3


def test_a_request_marked_non_idempotent_is_not_resent(make_session):
    script = Script(httpx.ReadTimeout("timed out"), OK)
    with pytest.raises(ResponseLostError):
        make_session(script).request("PUT", BASE, "/v1/cloudimages/i/upload", "register", json_body={}, idempotent=False)
    assert len(script.requests) == 1


def test_retries_are_bounded_by_count(make_session):
    script = Script(UNAVAILABLE)
    session = make_session(script, retries=3)
    with pytest.raises(ApiError) as caught:
        send(session)
    assert len(script.requests) == 4 and len(session.events) == 3
    assert caught.value.status == 503 and caught.value.message == "Service Unavailable"


def test_retries_are_bounded_by_total_time(make_session, clock):
    script = Script(answer(429, {}, {"Retry-After": "100"}))
    with pytest.raises(ApiError):
        send(make_session(script, retries=10, max_elapsed=250))
    assert clock.sleeps == [100.0, 100.0]  # a third wait would end after 250 s


def test_connection_failure_after_retries_raises_transport_error(make_session):
    script = Script(httpx.ConnectError("refused"))
    with pytest.raises(TransportError) as caught:
        send(make_session(script, retries=2))
    assert not caught.value.sent and not isinstance(caught.value, ResponseLostError)
    assert caught.value.url == BASE + "/v2/cloudimages/action"


def test_other_client_errors_are_not_retried(make_session):
    script = Script(answer(400, {"error": {"code": "IMG.0009", "message": "The image name already exists."}}, {"X-Request-Id": "abc"}))
    with pytest.raises(ApiError) as caught:
        send(make_session(script), "POST", json_body={})
    error = caught.value
    assert (error.status, error.code, error.message, error.request_id) == (400, "IMG.0009", "The image name already exists.", "abc")
    assert str(error) == (
        "create image 'web' from ECS i-1 failed: HTTP 400 IMG.0009: The image name already exists. "
        "(POST https://ims.eu-de.otc.t-systems.com/v2/cloudimages/action, request id abc)"
    )
    assert len(script.requests) == 1


def test_error_classes_by_status(make_session):
    with pytest.raises(NotFoundError):
        send(make_session(Script(answer(404, text="404 Not Found\n\nThe resource could not be found.\n\n"))))
    with pytest.raises(AuthenticationError) as caught:
        body = {"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}
        send(make_session(Script(answer(401, body))))
    assert caught.value.code == "401" and "requires authentication" in str(caught.value)


class CountingAuth:
    def __init__(self, renewable=True):
        self.renewable = renewable
        self.renewals = 0
        self.generation = 0

    def authorize(self, request):
        return dict(request.headers, **{"X-Auth-Token": "token-%d" % self.generation})

    def reauthenticate(self):
        self.renewals += 1
        self.generation += 1
        return self.renewable


def test_401_reauthenticates_once_and_resends(make_session):
    script = Script(answer(401, {"error": {"code": 401, "message": "expired"}}), OK)
    auth = CountingAuth()
    send(make_session(script), "POST", json_body={}, auth=auth)
    assert auth.renewals == 1
    assert [request.headers["X-Auth-Token"] for request in script.requests] == ["token-0", "token-1"]


def test_401_twice_raises(make_session):
    script = Script(answer(401, {"error": {"code": 401, "message": "nope"}}))
    auth = CountingAuth()
    with pytest.raises(AuthenticationError):
        send(make_session(script), auth=auth)
    assert auth.renewals == 1 and len(script.requests) == 2


def test_401_without_renewable_credentials_raises_at_once(make_session):
    script = Script(answer(401, {"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information"}))
    with pytest.raises(AuthenticationError) as caught:
        send(make_session(script), auth=CountingAuth(renewable=False))
    assert len(script.requests) == 1 and caught.value.code == "APIGW.0301"


def test_streamed_upload_is_rewound_for_a_retry(make_session):
    script = Script(THROTTLED, answer(204))
    stream = io.BytesIO(b"header" + b"x" * 3000)
    stream.seek(6)
    make_session(script).request("PUT", BASE, "/v2/images/i/file", "upload", content=stream, content_type="application/octet-stream", idempotent=False)
    assert [request.content for request in script.requests] == [b"x" * 3000] * 2
    assert script.requests[1].headers["Content-Length"] == "3000"


def test_read_json_rejects_a_non_json_success(make_session):
    response = send(make_session(Script(answer(200, text="<html>maintenance</html>", headers={"X-Request-Id": "r1"}))))
    with pytest.raises(UnexpectedResponseError) as caught:
        read_json(response, "list images")
    assert caught.value.request_id == "r1" and "not JSON" in str(caught.value)
    assert read_json(send(make_session(Script(answer(204)))), "delete") == {}


def test_backoff_is_capped():
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0)
    assert all(15.0 <= policy.backoff(attempt) <= 30.0 for attempt in range(5, 20))


def test_ca_path_that_cannot_be_read_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        HttpSession(verify=str(tmp_path / "missing.pem"))
    assert "missing.pem" in str(caught.value)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_read_only_session_refuses_writes_before_sending(make_session, method):
    sent = []
    session = make_session(lambda request: sent.append(request) or OK)
    session.read_only = True
    with pytest.raises(ReadOnlyViolation, match="nothing was sent"):
        send(session, method, json_body={"name": "web"})
    assert not sent


def test_read_only_session_sends_reads_and_query_posts(make_session):
    sent = []
    session = make_session(lambda request: sent.append(request.method) or OK)
    session.read_only = True
    send(session, "GET")
    send(session, "POST", json_body={"action": "filter"}, reads=True)
    assert sent == ["GET", "POST"]


def test_untrusted_certificate_fails_at_once_with_a_hint(make_session):
    attempts = []

    def handler(request):
        attempts.append(request)
        try:
            raise ssl.SSLCertVerificationError(1, "certificate verify failed: unable to get local issuer certificate")
        except ssl.SSLError as cause:
            raise httpx.ConnectError("certificate verify failed", request=request) from cause

    session = make_session(handler)
    with pytest.raises(TransportError, match="set ca_path") as caught:
        send(session)
    assert not isinstance(caught.value, ResponseLostError)
    assert len(attempts) == 1 and not session.events
