# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HttpSession against answers it must not trust: what is retried, what is a lost write, redirects, missing keys, a
body too large, an answer slower than the deadline of one request, paging that does not advance, echoed secrets."""

import io
import socket
import threading

import httpx
import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ApiError, PagingError, ResponseLostError, UnexpectedResponseError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.pagination import by_marker, by_next_link, by_offset
from ansible_collections.hwcloud.ims.plugins.module_utils._client.session import HttpSession, RetryPolicy, read_json
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import Script, answer

BASE = "https://ims.example.com"
INTERNAL = answer(500, {"error": {"code": "IMG.0061", "message": "Internal error."}}, {"X-Request-Id": "r-500"})
OK = answer(200, {"images": []})


def get(session, **kwargs):
    return session.request("GET", BASE, "/v2/cloudimages", "list images", **kwargs)


def post(session, **kwargs):
    return session.request("POST", BASE, "/v2/cloudimages/action", "create image 'web'", json_body={"name": "web"}, **kwargs)


def test_a_read_is_retried_after_http_500(make_session):
    script = Script(INTERNAL, OK)
    session = make_session(script)
    assert get(session).status_code == 200
    assert len(script.requests) == 2 and [event.reason for event in session.events] == ["HTTP 500 IMG.0061"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("status, settled", [(500, True), (502, False), (503, False), (504, False)])
def test_a_write_answered_with_a_transient_error_is_lost_not_resent(make_session, method, status, settled):
    script = Script(answer(status, {"error": {"code": "IMG.0061", "message": "Internal error."}}), OK)
    with pytest.raises(ResponseLostError) as caught:
        make_session(script).request(method, BASE, "/v2/images/i-1", "change image i-1", json_body={})
    assert len(script.requests) == 1
    assert (caught.value.status, caught.value.settled) == (status, settled)
    assert "HTTP %d IMG.0061: Internal error." % status in str(caught.value) and "may have been executed" in str(caught.value)


def test_a_write_that_was_not_executed_is_still_retried(make_session):
    script = Script(answer(429, {}, {"Retry-After": "0"}), OK)
    assert post(make_session(script)).status_code == 200 and len(script.requests) == 2


def test_a_lost_write_says_how_long_the_attempt_took(make_session, clock):
    def slow_then_dropped(request):
        clock.now += 4
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    with pytest.raises(ResponseLostError) as caught:
        post(make_session(Script(slow_then_dropped)))
    assert caught.value.elapsed == 4 and caught.value.status is None and not caught.value.settled


@pytest.mark.parametrize(
    "status, headers, expected",
    [
        (
            302,
            {"Location": "http://elsewhere.example/v2/cloudimages"},
            "HTTP 302: a redirect to http://elsewhere.example/v2/cloudimages, which is not followed",
        ),
        (301, {"Location": "http://ims.example.com/v2/cloudimages"}, "HTTP 301: a redirect to http://ims.example.com/v2/cloudimages"),
        (304, {}, "HTTP 304: an unexpected status, which is not followed"),
    ],
)
def test_a_status_no_api_answers_with_is_an_error_naming_it(make_session, status, headers, expected):
    script = Script(answer(status, headers=headers), OK)
    with pytest.raises(UnexpectedResponseError) as caught:
        get(make_session(script))
    assert expected in str(caught.value) and "check the endpoint and auth_url settings" in str(caught.value)
    assert len(script.requests) == 1


@pytest.mark.parametrize("body, missing", [({}, "'images'"), ({"images": [], "next": None}, None), ([], "not a JSON object")])
def test_read_json_requires_the_keys_the_api_promises(make_session, body, missing):
    response = get(make_session(Script(answer(200, body))))
    if missing is None:
        assert read_json(response, "list images", ("images",)) == body
        return
    with pytest.raises(UnexpectedResponseError, match=missing):
        read_json(response, "list images", ("images",))


def test_an_answer_larger_than_the_cap_is_not_read(clock):
    session = HttpSession(retry=RetryPolicy(retries=3), transport=Script(answer(200, text="x" * 4096)).transport, sleep=clock.sleep, clock=clock, max_body=1024)
    with pytest.raises(UnexpectedResponseError, match="larger than 1024 bytes, the most this collection reads"):
        get(session)
    assert clock.sleeps == []  # not retried: a too large answer stays too large


class SlowStream(httpx.SyncByteStream):
    """A body whose every chunk takes ``seconds`` on the fake clock."""

    def __init__(self, clock, chunks, seconds):
        self.clock, self.chunks, self.seconds = clock, chunks, seconds

    def __iter__(self):
        for chunk in self.chunks:
            self.clock.now += self.seconds
            yield chunk


def test_an_answer_slower_than_the_deadline_is_cut_off_however_steady_its_bytes(make_session, clock):
    slow = Script(lambda request: httpx.Response(200, stream=SlowStream(clock, [b"{", b'"images"', b": []", b"}"], 2.0)))
    session = make_session(slow, retries=1)
    with pytest.raises(ResponseLostError, match="no complete answer within 5 seconds"):
        get(session)
    assert len(slow.requests) == 2  # a read that timed out is retried once, then given up


def test_an_upload_has_its_deadline_counted_from_the_end_of_its_body(make_session, clock):
    class SlowFile(io.BytesIO):
        def read(self, size=-1):
            clock.now += 10  # a slow link: far beyond the 5 s deadline in all
            return super().read(min(size, 1024))

    script = Script(answer(204))
    upload = make_session(script).request("PUT", BASE, "/v2/images/i-1/file", "upload", content=SlowFile(b"x" * 4096), content_type="application/octet-stream")
    assert upload.status_code == 204 and script.requests[0].content == b"x" * 4096


def test_a_server_dripping_its_headers_is_cut_off_at_the_deadline():
    """A real socket: the deadline's timer shuts the connection down, which wakes the blocked read."""
    listener = socket.create_server(("127.0.0.1", 0))
    closed = threading.Event()

    def drip():
        connection, _address = listener.accept()
        connection.recv(65536)
        try:
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"x" * 40:
                connection.sendall(bytes([byte]))
                if closed.wait(0.2):
                    break
        except OSError:
            pass
        finally:
            connection.close()

    server = threading.Thread(target=drip, daemon=True)
    server.start()
    session = HttpSession(timeout=0.6, retry=RetryPolicy(retries=0))
    try:
        with pytest.raises(ResponseLostError, match="no complete answer within 0.6 seconds"):
            session.request("GET", "http://127.0.0.1:%d" % listener.getsockname()[1], "/v2/cloudimages", "list images")
    finally:
        closed.set()
        session.close()
        server.join(5)
        listener.close()


def test_secrets_are_masked_in_what_the_service_answers(make_session):
    heard = []
    echo = answer(400, {"error": {"code": "IMG.0001", "message": "you sent X-Auth-Token: tok-123456 and sk=abc-secret"}})
    session = make_session(Script(echo))
    session._on_secret = heard.append  # pylint: disable=protected-access
    for secret in ("tok-123456", "abc-secret", "tok-123456"):
        session.mask(secret)
    with pytest.raises(ApiError) as caught:
        get(session)
    assert "tok-123456" not in str(caught.value) and "abc-secret" not in str(caught.value)
    assert "X-Auth-Token: ******** and sk=********" in str(caught.value)
    assert heard == ["tok-123456", "abc-secret"]


def test_a_redirect_pointing_at_a_secret_is_masked(make_session):
    session = make_session(Script(answer(302, headers={"Location": "http://elsewhere.example/?token=tok-987654"})))
    session.mask("tok-987654")
    with pytest.raises(UnexpectedResponseError) as caught:
        get(session)
    assert "tok-987654" not in str(caught.value) and "token=********" in str(caught.value)


def test_paging_that_ignores_the_marker_is_stopped():
    calls = []

    def same_page(marker, limit):
        calls.append(marker)
        return [{"id": "a"}, {"id": "b"}]

    with pytest.raises(PagingError, match="list images: the service answered page 2 with the same marker"):
        list(by_marker(same_page, page_size=2, action="list images"))
    assert calls == [None, "b"]


def test_paging_that_ignores_the_next_link_or_the_offset_is_stopped():
    with pytest.raises(PagingError, match="same next link"):
        list(by_next_link(lambda params: ([{"id": "a"}], "/v2/images?marker=a"), page_size=1))
    with pytest.raises(PagingError, match="same page"):
        list(by_offset(lambda offset, limit: ([{"resource_id": "a"}], None), page_size=1))
