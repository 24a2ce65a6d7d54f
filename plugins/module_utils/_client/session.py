# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP session: one keep-alive httpx client per run, authentication, retries and error mapping.

Retries. A request is re-sent after HTTP 429 or the gateway's APIGW.0308 (throttled), IMS's IMG.0060 (too many
tasks: "not executed, try later"), a connection that could not be opened, and, for idempotent methods only, after
HTTP 502/503/504, a read timeout or a connection dropped after sending. A non-idempotent request (POST, PATCH,
or any request marked so) whose outcome is unknown is never re-sent: ResponseLostError tells the caller to look
the resource up first. Delays grow exponentially with jitter, a Retry-After header is honoured, and both the
number of retries and the total time spent are bounded. Every retry is reported through ``on_retry``.

Authentication is pluggable: ``auth.authorize(request)`` returns the headers to send (signed, or with a token);
after an HTTP 401 the session calls ``auth.reauthenticate()`` once and re-sends if it returned True.

Internal to this collection, may change in any release.
"""

import json
import os
import random
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

from ansible_collections.hwcloud.ims.plugins.module_utils._client.deps import httpx
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import (
    ConfigError,
    ReadOnlyViolation,
    ResponseLostError,
    TransportError,
    UnexpectedResponseError,
    api_error,
    request_id_of,
)
from ansible_collections.hwcloud.ims.plugins.module_utils._client.signer import canonical_query

IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS"))
# Methods that change nothing on the server; other requests change state unless marked ``reads=True``.
READ_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
# Error codes that prove the request was not executed.
NOT_EXECUTED_CODES = frozenset(("APIGW.0308", "IMG.0060"))
GATEWAY_STATUSES = frozenset((502, 503, 504))
JSON_CONTENT_TYPE = "application/json"
USER_AGENT = "hwcloud.ims (+httpx)"
_UPLOAD_CHUNK = 1024 * 1024


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
    """Sends requests with retries and maps errors to the ImsError family. Close it (or use ``with``) when done."""

    def __init__(self, timeout=60.0, verify=True, retry=None, on_retry=None, transport=None, sleep=time.sleep, clock=time.monotonic, read_only=False):
        self.retry = retry or RetryPolicy()
        # Check mode: a request that would change something raises ReadOnlyViolation instead of being sent.
        self.read_only = read_only
        self._on_retry = on_retry or (lambda _event: None)
        # Time is taken from these two everywhere the client waits, so that tests can run it on a fake clock.
        self.sleep = sleep
        self.clock = clock
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

    def request(
        self, method, base_url, path, action, params=None, json_body=None, content=None, content_type=None, headers=None, auth=None, idempotent=None, reads=None
    ):
        """Send a request and return the successful ``httpx.Response`` (status below 400).

        ``path`` is appended to ``base_url``'s own path and must already be percent-encoded (see quote_segment);
        ``params`` are encoded with ``canonical_query``. The body is ``json_body`` (serialized as JSON) or
        ``content`` (bytes, or a seekable binary file object streamed from its current position) with
        ``content_type``. ``action`` says what is attempted, for messages. ``idempotent`` defaults by method, and
        so does ``reads`` (true for a POST that only queries, such as a search or an IAM token request).
        """
        if self.read_only and not (outgoing_reads(method) if reads is None else reads):
            raise ReadOnlyViolation(action)
        outgoing = _prepare(method, base_url, path, params, json_body, content, content_type, headers)
        idempotent = outgoing.method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        start_offset = content.tell() if _is_stream(content) else None
        started = self.clock()
        attempt = 0
        reauthenticated = False
        while True:
            if start_offset is not None:
                content.seek(start_offset)
            try:
                response = self._send(outgoing, auth)
            except httpx.TransportError as exc:
                error = _transport_error(action, outgoing, exc)
                if (error.sent and not idempotent) or not _is_retryable_transport(exc):
                    raise error from exc
                retry_after = None
            else:
                if response.status_code == 401 and auth is not None and not reauthenticated and auth.reauthenticate():
                    reauthenticated = True
                    continue
                if response.status_code < 400:
                    return response
                error = api_error(action, response.status_code, response.content, response.headers, outgoing.method, outgoing.url)
                if not _is_retryable_answer(error, idempotent):
                    if error.status in GATEWAY_STATUSES:  # a non-idempotent request behind a failing gateway
                        raise ResponseLostError(action, outgoing.url, "HTTP %d from the gateway" % error.status, error.status, error.request_id)
                    raise error
                retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            delay = self._next_delay(attempt, retry_after, started)
            if delay is None:
                raise error
            attempt += 1
            self._on_retry(RetryEvent(action, attempt, self.retry.retries, delay, _reason(error)))
            self.sleep(delay)

    def _send(self, outgoing, auth):
        headers = auth.authorize(outgoing) if auth is not None else dict(outgoing.headers)
        body = outgoing.body
        if _is_stream(body):
            remaining = stream_size(body)
            if remaining is not None:
                headers["Content-Length"] = str(remaining)
            body = iter(lambda: outgoing.body.read(_UPLOAD_CHUNK), b"")
        url = "%s?%s" % (outgoing.url, outgoing.query_string) if outgoing.query_string else outgoing.url
        request = self._client.build_request(outgoing.method, url, headers=_wire_headers(headers), content=body)
        return self._client.send(request)

    def _next_delay(self, attempt, retry_after, started):
        """The delay before the next retry, or None when the retry budget (count or time) is spent."""
        if attempt >= self.retry.retries:
            return None
        delay = retry_after if retry_after is not None else self.retry.backoff(attempt)
        if self.clock() - started + delay > self.retry.max_elapsed:
            return None
        return delay


def outgoing_reads(method):
    """Whether a request with this method leaves the server unchanged."""
    return method.upper() in READ_METHODS


def read_json(response, action):
    """The JSON body of a successful response ({} when empty); an unreadable body raises UnexpectedResponseError."""
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise UnexpectedResponseError(
            action,
            response.status_code,
            message="the response is not JSON",
            request_id=request_id_of(response.headers),
            method=response.request.method,
            url=str(response.request.url.copy_with(query=None)),
        ) from None


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


def _transport_error(action, outgoing, exc):
    """TransportError when the request never left, ResponseLostError when it may have reached the service."""
    reason = "%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__
    if _tls_failure(exc) is not None:
        reason += " (set ca_path to the CA bundle that signed the server's certificate, or validate_certs: false to skip the check)"
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError, httpx.UnsupportedProtocol)):
        return TransportError(action, outgoing.url, reason)
    return ResponseLostError(action, outgoing.url, reason)


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
    return idempotent and error.status in GATEWAY_STATUSES


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
