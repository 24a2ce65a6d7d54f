# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP session: one keep-alive httpx client per run, authentication, retries and error mapping.

Retries. A request is re-sent after HTTP 429 or the gateway's APIGW.0308 (throttled), IMS's IMG.0060 (too many
tasks: "not executed, try later") and a connection that could not be opened. A read (GET, HEAD, OPTIONS, or a
POST marked ``reads=True``) is also re-sent after every other transient failure: HTTP 500, 502, 503 and 504, a
timeout, a connection dropped after sending. A write whose outcome is unknown after one of those is never re-sent
here: ResponseLostError tells the caller to look for the request's effect first (``waiting.send_once``). Delays
grow exponentially with jitter, a Retry-After header is honoured, and both the number of retries and the total time
spent are bounded. Every retry is reported through ``on_retry``.

No answer is trusted blindly: a status other than 2xx and the errors above fails naming it (a redirect also names
where it pointed: the session never follows one); a body larger than ``MAX_BODY_BYTES`` is not read; and the whole
exchange (connecting, sending, receiving every byte) has a deadline of ``timeout`` seconds, however slowly the
server drips its answer (httpx's own timeouts bound each read only). A streamed upload's deadline starts once its
body is sent.

Secrets never echo: every secret the client holds or obtains is given to ``mask()`` before a request carries it,
and is replaced by ``********`` in whatever the service answers before that becomes a message.

Authentication is pluggable: ``auth.authorize(request)`` returns the headers to send (signed, or with a token);
after an HTTP 401 the session calls ``auth.reauthenticate()`` once and re-sends if it returned True.

Internal to this collection, may change in any release.
"""

import json
import os
import random
import socket
import ssl
import threading
import time
import weakref
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

from ansible_collections.hwcloud.ims.plugins.module_utils._client.deps import httpx
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import (
    MASK,
    ConfigError,
    ReadOnlyViolation,
    ResponseLostError,
    TransportError,
    UnexpectedResponseError,
    api_error,
    request_id_of,
)
from ansible_collections.hwcloud.ims.plugins.module_utils._client.signer import canonical_query

# Methods that change nothing on the server; other requests change state unless marked ``reads=True``.
READ_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
# Error codes that prove the request was not executed.
NOT_EXECUTED_CODES = frozenset(("APIGW.0308", "IMG.0060"))
# Answers after which the service may or may not have done what it was asked: re-sent only when that is harmless.
TRANSIENT_STATUSES = frozenset((500, 502, 503, 504))
# The largest answer read: a page of 1000 images is about 3 MB.
MAX_BODY_BYTES = 32 * 1024 * 1024
JSON_CONTENT_TYPE = "application/json"
USER_AGENT = "hwcloud.ims (+httpx)"
_UPLOAD_CHUNK = 1024 * 1024
# httpcore's trace events that hand over a new connection's stream (plain, then TLS).
_NEW_CONNECTION_EVENTS = frozenset(("connection.connect_tcp.complete", "connection.start_tls.complete"))
# Headers describing the wire form of a body; a buffered answer holds the decoded body, so they no longer apply.
_WIRE_BODY_HEADERS = frozenset((b"content-encoding", b"content-length", b"transfer-encoding"))


def quote_segment(value):
    """A value percent-encoded for use as one URL path segment (an image ID, a tag key)."""
    return quote(str(value), safe="")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: ``retries`` re-sends at most, no retry that would end after ``max_elapsed``
    seconds from the first attempt; delays double from ``base_delay`` up to ``max_delay``, with jitter."""

    retries: int = 5
    max_elapsed: float = 300.0
    base_delay: float = 1.0
    max_delay: float = 30.0

    def backoff(self, attempt, rng=random):
        """The delay before retry number ``attempt`` + 1: half fixed, half random ("equal jitter")."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class RetryEvent:
    """A retry about to happen, as reported to ``on_retry``; ``str()`` is a ready-made warning."""

    action: str
    attempt: int
    retries: int
    delay: float
    reason: str

    def __str__(self):
        return "%s: %s; retry %d of %d in %.1f s" % (self.action, self.reason, self.attempt, self.retries, self.delay)


@dataclass
class OutgoingRequest:
    """A request as it will be sent; what authenticators sign. ``path`` is percent-encoded, ``query_string`` is
    the canonical one, ``body`` is bytes, None, or a binary file object (streamed, never signed)."""

    method: str
    base_url: str
    path: str
    query_string: str
    headers: dict
    body: object = None

    @property
    def host(self):
        return urlsplit(self.base_url).netloc

    @property
    def full_path(self):
        return urlsplit(self.base_url).path.rstrip("/") + self.path

    @property
    def url(self):
        """The URL without query string, for messages."""
        parts = urlsplit(self.base_url)
        return "%s://%s%s" % (parts.scheme, parts.netloc, self.full_path)


class HttpSession:
    """Sends requests with retries and maps errors to the ImsError family. Close it (or use ``with``) when done.

    ``timeout`` is the deadline of one request (see the module docstring); ``on_secret(value)`` hears about every
    secret given to ``mask()``, so that the caller can mask it too (Ansible's no_log values).
    """

    def __init__(
        self,
        timeout=60.0,
        verify=True,
        retry=None,
        on_retry=None,
        transport=None,
        sleep=time.sleep,
        clock=time.monotonic,
        read_only=False,
        on_secret=None,
        max_body=MAX_BODY_BYTES,
    ):
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.max_body = max_body
        # Check mode: a request that would change something raises ReadOnlyViolation instead of being sent.
        self.read_only = read_only
        self._on_retry = on_retry or (lambda _event: None)
        self._on_secret = on_secret or (lambda _secret: None)
        self._secrets = set()
        # Time is taken from these two everywhere the client waits, so that tests can run it on a fake clock.
        self.sleep = sleep
        self.clock = clock
        # The sockets of every connection opened, to shut down when a request passes its deadline.
        self._sockets = weakref.WeakSet()
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            verify=_ssl_verify(verify),
            transport=transport,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )

    def close(self):
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def mask(self, secret):
        """Never show ``secret`` (a password, a key, a token) in a message; call it before any request carries it."""
        if secret and secret not in self._secrets:
            self._secrets.add(secret)
            self._on_secret(secret)

    def request(
        self, method, base_url, path, action, params=None, json_body=None, content=None, content_type=None, headers=None, auth=None, idempotent=None, reads=None
    ):
        """Send a request and return the successful ``httpx.Response`` (a 2xx status, its body read).

        ``path`` is appended to ``base_url``'s own path and must already be percent-encoded (see quote_segment);
        ``params`` are encoded with ``canonical_query``. The body is ``json_body`` (serialized as JSON) or
        ``content`` (bytes, or a seekable binary file object streamed from its current position) with
        ``content_type``. ``action`` says what is attempted, for messages. ``reads`` defaults by method (true for
        GET, HEAD and OPTIONS; pass it for a POST that only queries, such as a search or an IAM token request).
        ``idempotent`` (default: ``reads``) says whether the request may be re-sent when its outcome is unknown.
        """
        reads = outgoing_reads(method) if reads is None else reads
        if self.read_only and not reads:
            raise ReadOnlyViolation(action)
        outgoing = _prepare(method, base_url, path, params, json_body, content, content_type, headers)
        idempotent = reads if idempotent is None else idempotent
        start_offset = content.tell() if _is_stream(content) else None
        started = self.clock()
        attempt = 0
        reauthenticated = False
        while True:
            if start_offset is not None:
                content.seek(start_offset)
            sent_at = self.clock()
            try:
                response = self._exchange(outgoing, auth, action)
            except httpx.TransportError as exc:
                error = _transport_error(action, outgoing, exc, self.clock() - sent_at)
                if (error.sent and not idempotent) or not _is_retryable_transport(exc):
                    raise error from exc
                retry_after = None
            else:
                if response.status_code == 401 and auth is not None and not reauthenticated and auth.reauthenticate():
                    reauthenticated = True
                    continue
                if 200 <= response.status_code < 300:
                    return response
                error = self._answer_error(action, outgoing, response)
                if not _is_retryable_answer(error, idempotent):
                    if error.status in TRANSIENT_STATUSES:  # a write of unknown outcome
                        reason = "%s: %s" % (_reason(error), error.message) if error.message else _reason(error)
                        raise ResponseLostError(action, outgoing.url, reason, error.status, error.request_id, self.clock() - sent_at)
                    raise error
                retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            delay = self._next_delay(attempt, retry_after, started)
            if delay is None:
                raise error
            attempt += 1
            self._on_retry(RetryEvent(action, attempt, self.retry.retries, delay, _reason(error)))
            self.sleep(delay)

    def _exchange(self, outgoing, auth, action):
        """Send the request and read its whole answer within the deadline; the response comes back with its body."""
        deadline = _Deadline(self.timeout, self.clock, self._shut_down_connections)
        headers = auth.authorize(outgoing) if auth is not None else dict(outgoing.headers)
        body = outgoing.body
        if _is_stream(body):
            remaining = stream_size(body)
            if remaining is not None:
                headers["Content-Length"] = str(remaining)
            body = _chunks(body, deadline.start)  # an upload takes as long as it takes; its answer does not
        else:
            deadline.start()
        url = "%s?%s" % (outgoing.url, outgoing.query_string) if outgoing.query_string else outgoing.url
        request = self._client.build_request(outgoing.method, url, headers=_wire_headers(headers), content=body, extensions={"trace": self._trace})
        try:
            response = self._client.send(request, stream=True)
            try:
                deadline.check()
                content = self._read_body(response, deadline, action, outgoing)
            finally:
                response.close()
        except httpx.TransportError:
            if deadline.expired:
                raise httpx.ReadTimeout("no complete answer within %g seconds (the timeout of one request)" % self.timeout, request=request) from None
            raise
        finally:
            deadline.cancel()
        # A HEAD answer has no body: its Content-Length is the size of what was asked about (an OBS object), kept.
        dropped = frozenset() if request.method == "HEAD" else _WIRE_BODY_HEADERS
        wire_headers = [(name, value) for name, value in response.headers.raw if name.lower() not in dropped]
        extensions = {key: value for key, value in response.extensions.items() if key in ("http_version", "reason_phrase")}
        return httpx.Response(response.status_code, headers=wire_headers, content=content, request=request, extensions=extensions)

    def _read_body(self, response, deadline, action, outgoing):
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_body:
                raise UnexpectedResponseError(
                    action,
                    response.status_code,
                    message="the answer is larger than %d bytes, the most this collection reads; it was not read further" % self.max_body,
                    request_id=request_id_of(response.headers),
                    method=outgoing.method,
                    url=outgoing.url,
                )
            chunks.append(chunk)
            deadline.check()
        return b"".join(chunks)

    def _answer_error(self, action, outgoing, response):
        """The error for an answer that is not a success: an ApiError by status, or, for a status no API answers
        with (a redirect, an informational one), an UnexpectedResponseError naming it and where it pointed."""
        if response.status_code >= 400:
            return api_error(action, response.status_code, self.scrub(response.content), response.headers, outgoing.method, outgoing.url)
        location = response.headers.get("Location")
        what = "a redirect to %s" % self.scrub(location) if location else "an unexpected status"
        return UnexpectedResponseError(
            action,
            response.status_code,
            message="%s, which is not followed: check the endpoint and auth_url settings" % what,
            request_id=request_id_of(response.headers),
            method=outgoing.method,
            url=outgoing.url,
        )

    def scrub(self, content):
        """``content`` (text or bytes) with every secret given to ``mask()`` replaced by ``********``."""
        if isinstance(content, str):
            return self.scrub(content.encode("utf-8")).decode("utf-8", errors="replace")
        for secret in sorted(self._secrets, key=len, reverse=True):
            content = content.replace(secret.encode("utf-8"), MASK.encode("ascii"))
        return content

    def _trace(self, event, info):
        if event in _NEW_CONNECTION_EVENTS and info.get("return_value") is not None:
            connection_socket = info["return_value"].get_extra_info("socket")
            if connection_socket is not None:
                self._sockets.add(connection_socket)

    def _shut_down_connections(self):
        # The session sends one request at a time: shutting down every connection ends the one in use, which wakes
        # a read blocked on it; idle ones are discarded by the pool and opened anew when needed.
        for connection_socket in list(self._sockets):
            try:
                socket.socket.shutdown(connection_socket, socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass

    def _next_delay(self, attempt, retry_after, started):
        """The delay before the next retry, or None when the retry budget (count or time) is spent."""
        if attempt >= self.retry.retries:
            return None
        delay = retry_after if retry_after is not None else self.retry.backoff(attempt)
        if self.clock() - started + delay > self.retry.max_elapsed:
            return None
        return delay


class _Deadline:
    """The time one exchange may take, from ``start()``: checked on the session's clock between reads, and enforced by
    a timer that calls ``on_expiry`` (shutting the connections down) when a read blocks past it."""

    def __init__(self, seconds, clock, on_expiry):
        self.seconds = seconds
        self.expired = False
        self._clock = clock
        self._on_expiry = on_expiry
        self._ends = None
        self._timer = None

    def start(self):
        self._ends = self._clock() + self.seconds
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self):
        self.expired = True
        self._on_expiry()

    def check(self):
        if self._ends is not None and self._clock() > self._ends:
            self.expired = True
            raise httpx.ReadTimeout("deadline passed")

    def cancel(self):
        if self._timer is not None:
            self._timer.cancel()


def _chunks(stream, on_sent):
    """The stream's bytes in chunks; ``on_sent()`` once it is exhausted."""
    while True:
        chunk = stream.read(_UPLOAD_CHUNK)
        if not chunk:
            on_sent()
            return
        yield chunk


def outgoing_reads(method):
    """Whether a request with this method leaves the server unchanged."""
    return method.upper() in READ_METHODS


def read_json(response, action, required=()):
    """The JSON body of a successful response ({} when empty). An unreadable body, or one that lacks a key of
    ``required`` (the keys the API promises), raises UnexpectedResponseError: a missing list is never "empty"."""
    body = {}
    if response.content:
        try:
            body = response.json()
        except ValueError:
            raise _unexpected(response, action, "the response is not JSON") from None
    if required:
        if not isinstance(body, dict):
            raise _unexpected(response, action, "the response is not a JSON object")
        missing = [key for key in required if key not in body]
        if missing:
            raise _unexpected(response, action, "the response lacks %s, which the API always returns" % ", ".join(repr(key) for key in missing))
    return body


def _unexpected(response, action, message):
    return UnexpectedResponseError(
        action,
        response.status_code,
        message=message,
        request_id=request_id_of(response.headers),
        method=response.request.method,
        url=str(response.request.url.copy_with(query=None)),
    )


def _prepare(method, base_url, path, params, json_body, content, content_type, headers):
    headers = dict(headers or {})
    body = content
    if json_body is not None:
        body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        content_type = content_type or JSON_CONTENT_TYPE
    if content_type:
        headers["Content-Type"] = content_type
    return OutgoingRequest(method.upper(), base_url.rstrip("/"), path, canonical_query(params), headers, body)


def _is_stream(body):
    return body is not None and not isinstance(body, (bytes, bytearray))


def stream_size(stream):
    """The number of bytes left in a seekable binary stream, or None when it cannot tell."""
    try:
        position = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return end - position


def _wire_headers(headers):
    # httpx sends str header values as ASCII; anything else goes out as the UTF-8 bytes that were signed.
    return {name: value if value.isascii() else value.encode("utf-8") for name, value in headers.items()}


def _ssl_verify(verify):
    if verify is True or verify is False:
        return verify
    try:
        if os.path.isdir(verify):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError("cannot load the CA bundle %s: %s" % (verify, exc)) from None


def _transport_error(action, outgoing, exc, elapsed):
    """TransportError when the request never left, ResponseLostError when it may have reached the service."""
    reason = "%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__
    if _tls_failure(exc) is not None:
        reason += " (set ca_path to the CA bundle that signed the server's certificate, or validate_certs: false to skip the check)"
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError, httpx.UnsupportedProtocol)):
        return TransportError(action, outgoing.url, reason)
    return ResponseLostError(action, outgoing.url, reason, elapsed=elapsed)


def _is_retryable_transport(exc):
    # A URL the client cannot speak, a request it cannot form, or a certificate it does not trust fails the same way every time.
    return not isinstance(exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)) and _tls_failure(exc) is None


def _tls_failure(exc):
    """The ssl.SSLError behind a transport error (an untrusted certificate, a handshake failure), or None."""
    cause = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def _is_retryable_answer(error, idempotent):
    if error.status == 429 or error.code in NOT_EXECUTED_CODES:
        return True
    return idempotent and error.status in TRANSIENT_STATUSES


def _retry_after_seconds(value):
    """Seconds from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _reason(error):
    if getattr(error, "status", None) is None:
        return error.reason
    return "HTTP %s%s" % (error.status, " " + error.code if error.code else "")
