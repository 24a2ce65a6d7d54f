# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exceptions of the client layer: one family under ImsError.

Messages say what was attempted and what the service answered, never a credential: exceptions carry the request's
method and path, the HTTP status, the IMS error code and message and the X-Request-Id, not headers or bodies.

Internal to this collection, may change in any release.
"""

import json
import re


class ImsError(Exception):
    """Base class of every error this client raises; ``str(error)`` is a complete, user-facing message."""


class ConfigError(ImsError):
    """The connection settings are incomplete or contradictory; the message names the option and its sources."""


class ValidationError(ImsError):
    """A parameter breaks an IMS rule; raised before any request is sent."""

    def __init__(self, field, rule):
        super().__init__("%s: %s" % (field, rule))
        self.field = field
        self.rule = rule


class TransportError(ImsError):
    """No HTTP response was received; ``sent`` tells whether the request may have reached the service."""

    sent = False

    def __init__(self, action, url, reason):
        super().__init__("%s failed: %s (%s)" % (action, reason, url))
        self.action = action
        self.url = url
        self.reason = reason


class ResponseLostError(TransportError):
    """The request was sent but its outcome is unknown: it may have been executed.

    Raised instead of re-sending a write (a create, a PATCH, a delete, ...) after a read timeout, a connection dropped
    after sending, an answer that did not complete within the request's deadline, or HTTP 500/502/503/504. Callers
    look for the request's effect before they send it again (``waiting.send_once``).

    ``status`` is the HTTP status when an error answer came, None when no answer came; ``elapsed`` the seconds the
    attempt took until the loss (None: unknown). Both tell how long the effect of the request may still take to show.
    """

    sent = True

    def __init__(self, action, url, reason, status=None, request_id=None, elapsed=None):
        detail = reason if request_id is None else "%s, request id %s" % (reason, request_id)
        super().__init__(action, url, "%s; the request may have been executed" % detail)
        self.status = status
        self.request_id = request_id
        self.elapsed = elapsed

    @property
    def settled(self):
        """Whether IMS itself answered (HTTP 500), so that it has finished with the request; a gateway's 502, 503 or
        504, or no answer at all, leave the request possibly still on its way or at work."""
        return self.status == 500


class ApiError(ImsError):
    """The service answered with an HTTP error.

    Attributes: ``action`` (what was attempted, e.g. "create image from ECS"), ``status`` (HTTP status), ``code``
    (IMS/IAM/gateway error code such as "IMG.0009", or None), ``message`` (the service's message), ``request_id``
    (X-Request-Id or equivalent, or None), ``method`` and ``url`` (without query string).
    """

    def __init__(self, action, status, code=None, message=None, request_id=None, method=None, url=None):
        self.action, self.status, self.code, self.message = action, status, code, message
        self.request_id, self.method, self.url = request_id, method, url
        super().__init__(self._describe())

    def _describe(self):
        answer = "HTTP %s" % self.status
        if self.code:
            answer += " %s" % self.code
        if self.message:
            answer += ": %s" % self.message
        text = "%s failed: %s" % (self.action, answer)
        if self.method and self.url:
            text += " (%s %s" % (self.method, self.url)
            text += ", request id %s)" % self.request_id if self.request_id else ")"
        elif self.request_id:
            text += " (request id %s)" % self.request_id
        return text


class AuthenticationError(ApiError):
    """HTTP 401: the credentials were refused (after one re-authentication where that is possible)."""


class NotFoundError(ApiError):
    """HTTP 404."""


class PermissionDeniedError(ApiError):
    """HTTP 403: the credentials may not do this (an IAM policy, a bucket of another account)."""


class UnexpectedResponseError(ApiError):
    """An answer this client cannot trust: a status no API promises (a redirect, for instance), or a successful one
    with a body that is not what the API promises (not JSON, keys missing, too large)."""


class PagingError(ImsError):
    """A listing whose pages do not advance (the service ignores the paging marker, link or offset); the listing is
    stopped instead of being requested forever."""


class UnsupportedApiError(ApiError):
    """The cloud's IMS does not offer the API (its gateway answered 404 APIGW.0101): names the cloud and the API."""

    def __init__(self, error, api, cloud):
        self.api, self.cloud = api, cloud
        super().__init__(error.action, error.status, error.code, error.message, error.request_id, error.method, error.url)

    def _describe(self):
        text = "%s failed: the IMS of %s has no API %s (HTTP %s %s" % (self.action, self.cloud, self.api, self.status, self.code)
        return text + (", request id %s)" % self.request_id if self.request_id else ")")


class JobFailedError(ImsError):
    """An asynchronous IMS job ended in FAIL; carries the job and its ``error_code`` and ``fail_reason``."""

    def __init__(self, job):
        self.job = job
        self.job_id = job.job_id
        self.error_code = job.error_code
        self.fail_reason = job.fail_reason
        reason = ": ".join(part for part in (job.error_code, job.fail_reason) if part) or "no reason given"
        super().__init__("job %s (%s) failed: %s" % (job.job_id, job.job_type or "unknown type", reason))


class ReadOnlyViolation(ImsError):
    """A request that would change something was about to be sent in check mode; it was not sent."""

    def __init__(self, action):
        super().__init__("internal error: check mode must not change anything, but the collection tried to %s; nothing was sent" % action)
        self.action = action


class WaitTimeoutError(ImsError):
    """Something polled for did not happen in time."""


class JobTimeoutError(WaitTimeoutError):
    """An asynchronous job did not finish in time; ``job`` is its last known state (None if never seen)."""

    def __init__(self, job_id, timeout, job=None):
        self.job_id = job_id
        self.timeout = timeout
        self.job = job
        state = "never found"
        if job is not None:
            state = "last status %s" % job.status
            if job.progress is not None:
                state += ", %g%% done" % job.progress
        super().__init__("job %s did not finish within %s seconds (%s); it may still be running" % (job_id, timeout, state))


_ERROR_STATUS_CLASSES = {401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError}
_REQUEST_ID_HEADERS = ("X-Request-Id", "X-Openstack-Request-Id", "X-Compute-Request-Id", "X-IAM-Trace-Id")
_MAX_TEXT_BODY = 300


def parse_error_body(content):
    """Extract ``(code, message)`` from an error body; both may be None.

    Understands ``{"error": {"code", "message"}}`` (IMS), ``{"error_code", "error_msg"}`` (IMS, API gateway),
    ``{"error": {"code": 401, "message", "title"}}`` (IAM), ``{"<name>": {"code", "message"}}`` (OpenStack faults)
    and ``{"code", "message"}``; any other body becomes the message, whitespace collapsed and shortened.
    """
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        found = _code_and_message(body)
        if found != (None, None):
            return found
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", content or "")).strip()
    if len(text) > _MAX_TEXT_BODY:
        text = text[:_MAX_TEXT_BODY] + "..."
    return None, text or None


def _code_and_message(body):
    if "error_code" in body or "error_msg" in body:
        return _text(body.get("error_code")), _text(body.get("error_msg"))
    candidates = [body.get("error")] + [value for value in body.values() if isinstance(value, dict)] + [body]
    for candidate in candidates:
        if isinstance(candidate, dict) and ("code" in candidate or "message" in candidate):
            message = _text(candidate.get("message")) or _text(candidate.get("title"))
            return _text(candidate.get("code")), message
    return None, None


def _text(value):
    return None if value is None or value == "" else str(value)


MASK = "********"


def mask_secrets(text, secrets):
    """``text`` with every occurrence of any of ``secrets`` replaced by ``********`` (longest first, so that a secret
    containing another is masked whole)."""
    for secret in sorted((secret for secret in secrets if secret), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def request_id_of(headers):
    """The request id the service put in the response headers (case-insensitive mapping), or None."""
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def api_error(action, status, content, headers, method=None, url=None):
    """The ApiError (or subclass by status) for an error response."""
    code, message = parse_error_body(content)
    error_class = _ERROR_STATUS_CLASSES.get(status, ApiError)
    return error_class(action, status, code=code, message=message, request_id=request_id_of(headers), method=method, url=url)
