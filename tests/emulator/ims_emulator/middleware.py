# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The outermost ASGI layer: what the cloud's API gateway does before a request reaches IMS, plus test hooks.

For every HTTP request it assigns an X-Request-Id, writes the request log, waits the ``latency`` setting (an emulated
network round trip), applies injected faults (the pending ones first, then the chaos, if any) and, for IMS paths,
plays the gateway: unknown APIs answer 404, and every API except the version documents needs a valid token or AK/SK
signature for a project the caller may use. IAM (/v3, /v3.0) authenticates itself; the control API (/_emulator) is
open to loopback clients only and never gets latency or faults.

Each region has its own port: the port a request arrived on names its region (``request.state.region``), whose cloud
decides which APIs exist there, and whose projects alone a caller may act in.
"""

import asyncio
import ipaddress
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Match

from . import signing
from .control import chaos_of, is_control_path, latency
from .iam import is_iam_path
from .identity import AuthContext, IdentityError, TokenExpired, utcnow
from .route_helpers import cloud_only_apis, offered_in
from .routes_versions import VERSION_DOCUMENT_PATHS

#: AK/SK-signed requests may carry at most this much body (the gateway hashes it); tokens have no such limit.
AKSK_MAX_BODY = 12 * 1024 * 1024
#: IMS paths that name a project: /v1/{project_id}/..., /v2/{project_id}/...
PATH_PROJECT = re.compile(r"/v\d+(?:\.\d+)?/([0-9a-f]{32})(?:/.*)?")
#: The most an "apply_late" fault keeps of a request body until it applies it.
LATE_BODY_MAX = 64 * 1024 * 1024

LOG = logging.getLogger("ims_emulator.requests")


class GatewayError(Exception):
    """A refusal by the emulated API gateway, answered before the app runs."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self, request_id):
        return JSONResponse({"error_code": self.code, "error_msg": self.message, "request_id": request_id}, status_code=self.status)


def _unauthorized(reason):
    return GatewayError(401, "APIGW.0301", "Incorrect IAM authentication information: %s" % reason)


@dataclass
class Exchange:
    """One request's bookkeeping, for the request log."""

    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=utcnow)
    started: float = field(default_factory=time.perf_counter)
    status: int | None = None  # as sent by the app (or the gateway), even when a fault kept it from the client
    fault: str | None = None

    @property
    def duration_ms(self):
        return (time.perf_counter() - self.started) * 1000


async def drop_connection(send):
    """Close the client's connection at once, without a (further) response: the client sees a connection error.

    ASGI has no "drop the connection" message, so this reaches into uvicorn: the ``send`` callable uvicorn hands to
    the outermost ASGI app is a bound method of its per-request cycle object, which holds the asyncio transport.
    ``transport.abort()`` closes the socket without a response or TLS close_notify. We then yield to the event loop
    until the protocol has registered the loss (``cycle.disconnected``), so uvicorn does not complain that the app
    returned without responding. Outside uvicorn (in-process test clients) the drop becomes an exception instead.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionResetError("connection dropped by fault injection")
    transport.abort()
    for _attempt in range(100):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.001)


def _fault_response(fault, request_id):
    """The answer of a "status" fault: a str body as text, None as no body, anything else as JSON."""
    spec = fault.spec
    body = spec.body
    if not fault.body_given and spec.status == 429:
        body = {"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached: policy user over ratelimit", "request_id": request_id}
    headers = spec.headers
    if headers is None:
        headers = {"Retry-After": "1"} if spec.status == 429 else {}
    if body is None:
        return Response(status_code=spec.status, headers=headers)
    if isinstance(body, str):
        return PlainTextResponse(body, status_code=spec.status, headers=headers)
    return JSONResponse(body, status_code=spec.status, headers=headers)


async def _discard(_message):
    """A ``send`` that sends nothing (drop_after: the app answers into the void)."""


def _is_loopback(client):
    if not client:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


async def _read_body(receive, limit):
    """Read the whole request body (at most ``limit`` bytes); return it and a ``receive`` that replays it."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise GatewayError(413, "APIGW.0201", "Request entity too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay():
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


class EmulatorMiddleware:
    """Wraps the FastAPI app's whole middleware stack; ``emulator`` is the FastAPI app (state and routes)."""

    def __init__(self, app, emulator):
        self.app = app
        self.emulator = emulator
        self._cloud_only_apis = None
        self._late = set()  # the pending late applications ("apply_late"), kept from garbage collection

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange()
        state = scope.setdefault("state", {})
        state["request_id"] = exchange.request_id
        state["region"] = self._region(scope)
        try:
            await self._handle(scope, receive, send, exchange)
        finally:
            self._record(scope, exchange)

    def _region(self, scope):
        """The region whose port the request arrived on; the first region when the port is none of theirs (an
        in-process client)."""
        port = (scope.get("server") or (None, None))[1]
        return self.emulator.state.region_ports.get(port, self.emulator.state.identity.region)

    async def _handle(self, scope, receive, send, exchange):
        method, path = scope["method"], scope["path"]
        observed = self._observing(send, exchange)
        if is_control_path(path):
            if _is_loopback(scope.get("client")):
                await self.app(scope, receive, observed)
            else:
                await JSONResponse({"error": "the control API answers loopback clients only"}, 403)(scope, receive, observed)
            return
        delay = latency(self.emulator.state)
        if delay:
            await asyncio.sleep(delay)  # yields: other requests are served meanwhile
        fault = self.emulator.state.faults.take(method, path)
        chaos = chaos_of(self.emulator.state)
        if fault is None and chaos is not None:
            fault = chaos.take(method, path)
        action = fault.spec.action if fault else None
        exchange.fault = action
        if action == "drop_before":
            await drop_connection(send)
        elif action == "status":
            await _fault_response(fault, exchange.request_id)(scope, receive, observed)
        elif action == "drop_after":
            await self._serve(scope, receive, self._observing(_discard, exchange))
            await drop_connection(send)
        elif action == "apply_late":
            body, _replay = await _read_body(receive, LATE_BODY_MAX)
            await drop_connection(send)
            task = asyncio.get_running_loop().create_task(self._apply_late(scope, body, fault.spec.delay))
            self._late.add(task)
            task.add_done_callback(self._late.discard)
        else:
            if action == "delay":
                await asyncio.sleep(fault.spec.delay)
            await self._serve(scope, receive, observed)

    async def _apply_late(self, scope, body, delay):
        """Apply a request whose client was left without an answer, ``delay`` seconds later; logged on its own."""
        await asyncio.sleep(delay)
        late_scope = dict(scope, state={"request_id": scope["state"]["request_id"], "region": scope["state"]["region"]})
        exchange = Exchange(request_id=scope["state"]["request_id"], fault="applied_late")
        delivered = False

        async def receive():
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            await self._serve(late_scope, receive, self._observing(_discard, exchange))
        finally:
            self._record(late_scope, exchange)

    async def _serve(self, scope, receive, send):
        """Let the gateway admit an IMS request, then hand it to the app."""
        if not is_iam_path(scope["path"]) and not self.emulator.authenticates_itself:
            try:
                receive = await self._admit(scope, receive)
            except GatewayError as exc:
                await exc.response(scope["state"]["request_id"])(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _admit(self, scope, receive):
        """Refuse unknown APIs (also those the region's cloud does not offer) and unauthenticated requests; set
        ``scope["state"]["auth"]``; return the ``receive`` to use."""
        region = scope["state"]["region"]
        method, path = scope["method"], scope["path"]
        if self._cloud_only_apis is None:
            self._cloud_only_apis = cloud_only_apis(self.emulator.routes)
        known = any(route.matches(scope)[0] == Match.FULL for route in self.emulator.router.routes)
        if not known or not offered_in(self._cloud_only_apis, method, path, self.emulator.state.world.regions[region]):
            raise GatewayError(404, "APIGW.0101", "The API does not exist or has not been published in the environment.")
        if method == "GET" and path in VERSION_DOCUMENT_PATHS:
            return receive
        identity = self.emulator.state.identity
        headers = signing.header_map(scope["headers"])
        try:
            if "authorization" in headers:
                kind = "aksk"
                receive, user, project = await self._signed_caller(scope, receive, headers)
            elif "x-auth-token" in headers:
                kind = "token"
                token = identity.token(headers["x-auth-token"])
                if token.project is None:
                    raise IdentityError("the token is not scoped to a project")
                user, project = token.user, token.project
            else:
                raise IdentityError("x-auth-token not found")
            if project.region != region:
                raise IdentityError("project %s is in region %s, not in %s" % (project.id, project.region, region))
        except TokenExpired:
            raise GatewayError(401, "APIGW.0307", "The token must be updated.") from None
        except IdentityError as exc:
            raise _unauthorized(exc) from None
        scope["state"]["auth"] = AuthContext.of(kind, user, project)
        return receive

    async def _signed_caller(self, scope, receive, headers):
        """Verify an AK/SK signature; return the replaying ``receive``, the user and the project they act in."""
        identity = self.emulator.state.identity
        declared_length = headers.get("content-length", "")
        if declared_length.isdigit() and int(declared_length) > AKSK_MAX_BODY:
            raise GatewayError(413, "APIGW.0201", "Request entity too large")  # before the client sends it all
        body, receive = await _read_body(receive, AKSK_MAX_BODY)
        key = identity.authenticate_signed(signing.ReceivedRequest.from_asgi(scope, body))
        # The project comes from X-Project-Id (which Go SDKs add after signing), else from the URL. Whether a project
        # in the URL is the caller's is IMS's own check (IMG.0067), made by the routes.
        path_project = PATH_PROJECT.fullmatch(scope["path"])
        project_id = headers.get("x-project-id") or (path_project.group(1) if path_project else None)
        if project_id is None:
            raise IdentityError("X-Project-Id is required")
        project = identity.projects.get(project_id)
        if not identity.may_access(key.user, project):
            raise IdentityError("the user has no access to project %s" % project_id)
        return receive, key.user, project

    @staticmethod
    def _observing(send, exchange):
        """Wrap ``send``: stamp X-Request-Id on the response and note its status."""
        stamp = (b"x-request-id", exchange.request_id.encode("ascii"))

        async def observed(message):
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                headers = [header for header in message.get("headers", []) if header[0].lower() != b"x-request-id"]
                message = {**message, "headers": headers + [stamp]}
            await send(message)

        return observed

    def _record(self, scope, exchange):
        auth = scope["state"].get("auth")
        query = scope["query_string"].decode("latin-1")
        duration_ms = exchange.duration_ms
        self.emulator.state.request_log.append(
            {
                "time": exchange.started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "request_id": exchange.request_id,
                "method": scope["method"],
                "path": scope["path"],
                "query": query,
                "project_id": auth.project_id if auth else None,
                "auth": auth.kind if auth else "none",
                "status": exchange.status,
                "duration_ms": round(duration_ms, 3),
                "fault": exchange.fault,
            }
        )
        LOG.info(
            "%s %s%s -> %s%s %.1f ms request_id=%s",
            scope["method"],
            scope["path"],
            "?" + query if query else "",
            "no response" if exchange.status is None else exchange.status,
            " (fault: %s)" % exchange.fault if exchange.fault else "",
            duration_ms,
            exchange.request_id,
        )
