# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control API under /_emulator: reset, inspect and steer a running emulator from tests.

It needs no authentication; the middleware lets only loopback clients reach it and never injects faults into it.
Every call answers 200 with a JSON object; one that cannot be done answers 400 or 404 ``{"error": "..."}``.
"""

import json
import random
import re
from collections import Counter, deque
from dataclasses import dataclass
from itertools import count as counter
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import GuardedRoute

PREFIX = "/_emulator"
REQUEST_LOG_SIZE = 100_000
#: Seconds the gateway waits before answering each IMS, Glance or IAM request (the ``latency`` setting) after a reset.
DEFAULT_LATENCY = 0.0

router = APIRouter(prefix=PREFIX, route_class=GuardedRoute)


class ControlError(Exception):
    """A control call that cannot be done as asked."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


async def control_error_response(_request, exc):
    return error_response(exc.status, exc.message)


def error_response(status, message, headers=None):
    """A control API error: ``{"error": message}``."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def is_control_path(path):
    return path == PREFIX or path.startswith(PREFIX + "/")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaultSpec(_Body):
    method: str = "*"
    path: str
    count: int = Field(default=1, ge=1)
    action: Literal["status", "delay", "drop_before", "drop_after", "apply_late"]
    status: int | None = Field(default=None, ge=200, le=599)
    body: Any = None
    headers: dict[str, str] | None = None
    delay: float | None = Field(default=None, ge=0, le=3600)

    @field_validator("method")
    @classmethod
    def _upper(cls, value):
        return value.upper()

    @field_validator("path")
    @classmethod
    def _compiles(cls, value):
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError("path is not a valid regular expression: %s" % exc) from None
        return value

    @model_validator(mode="after")
    def _action_fields(self):
        if (self.action == "status") != (self.status is not None):
            raise ValueError('status is required with action "status" and only there')
        if (self.action in ("delay", "apply_late")) != (self.delay is not None):
            raise ValueError('delay is required with actions "delay" and "apply_late" and only there')
        return self


class JobFailureSpec(_Body):
    count: int = Field(default=1, ge=1)
    job_type: str | None = None
    error_code: str
    fail_reason: str


class SettingsSpec(_Body):
    job_seconds: float | None = Field(default=None, ge=0)
    token_lifetime: float | None = Field(default=None, gt=0)
    consistency_lag: float | None = Field(default=None, ge=0)
    latency: float | None = Field(default=None, ge=0, le=60)


class ChaosSpec(_Body):
    rate: float = Field(gt=0, le=1)
    seed: int = 0
    max_in_a_row: int = Field(default=2, ge=1)
    faults: list[FaultSpec] = Field(min_length=1)


class BulkImagesSpec(_Body):
    project_id: str
    count: int = Field(ge=1, le=100_000)
    name_prefix: str = "bulk"
    tags: dict[str, str] = Field(default_factory=dict)
    protected: bool = False


@dataclass
class Fault:
    """A pending fault: ``remaining`` more matching requests get ``spec.action``."""

    id: str
    spec: FaultSpec
    remaining: int

    def matches(self, method, path):
        return self.spec.method in ("*", method) and re.fullmatch(self.spec.path, path) is not None

    @property
    def body_given(self):
        """Whether the body was given at all: an explicit null means "no body", an absent one means "the default"."""
        return "body" in self.spec.model_fields_set

    def as_json(self):
        return {"id": self.id, **self.spec.model_dump(), "count": self.remaining}


class Faults:
    """The pending faults, oldest first; the first one that matches a request is used up by it."""

    def __init__(self):
        self._faults = []
        self._ids = counter(1)

    def add(self, spec):
        fault = Fault(id="fault-%d" % next(self._ids), spec=spec, remaining=spec.count)
        self._faults.append(fault)
        return fault

    def take(self, method, path):
        """The fault to apply to this request, if any, counting it as used."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def remove(self, fault_id):
        before = len(self._faults)
        self._faults = [fault for fault in self._faults if fault.id != fault_id]
        return before - len(self._faults)

    def clear(self):
        removed = len(self._faults)
        self._faults = []
        return removed

    def as_json(self):
        return [fault.as_json() for fault in self._faults]


class Chaos:
    """Random faults: each request a fault of ``spec.faults`` matches is faulted with probability ``spec.rate`` (a
    seeded draw, one per request), with one of the matching faults chosen alike, but never more than
    ``spec.max_in_a_row`` requests of one method and path in a row. ``count`` of the faults is not used."""

    def __init__(self, spec):
        self.spec = spec
        self._random = random.Random(spec.seed)
        self._faults = [Fault(id="chaos-%d" % number, spec=fault, remaining=0) for number, fault in enumerate(spec.faults, 1)]
        self._in_a_row = Counter()
        self.requests = 0
        self.faulted = Counter()

    def take(self, method, path):
        """The fault to apply to this request, or None."""
        matching = [fault for fault in self._faults if fault.matches(method, path)]
        if not matching:
            return None
        self.requests += 1
        key = (method, path)
        if self._random.random() >= self.spec.rate or self._in_a_row[key] >= self.spec.max_in_a_row:
            self._in_a_row[key] = 0
            return None
        fault = self._random.choice(matching)
        self._in_a_row[key] += 1
        self.faulted[_label(fault.spec)] += 1
        return fault

    def as_json(self):
        return {"chaos": self.spec.model_dump(), "requests": self.requests, "faulted": dict(sorted(self.faulted.items()))}


def _label(spec):
    """A fault as the chaos statistics count it: its action, with the status for "status"."""
    return "status %d" % spec.status if spec.action == "status" else spec.action


class RequestLog:
    """The last REQUEST_LOG_SIZE requests, oldest first. Entries never hold a secret."""

    def __init__(self):
        self._entries = deque(maxlen=REQUEST_LOG_SIZE)

    def append(self, entry):
        self._entries.append(entry)

    def clear(self):
        removed = len(self._entries)
        self._entries.clear()
        return removed

    def as_json(self):
        return list(self._entries)


def _describe(error):
    location = ".".join(str(part) for part in error["loc"])
    return "%s: %s" % (location, error["msg"]) if location else error["msg"]


async def _parse(request, model):
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise ControlError(400, "the body is not JSON: %s" % exc) from None
    except RecursionError:
        raise ControlError(400, "the body is nested too deeply") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(_describe(error) for error in exc.errors())
        raise ControlError(400, "invalid %s: %s" % (model.__name__, detail)) from None


def latency(state):
    """The ``latency`` setting of an app's state: what the middleware sleeps before every API request."""
    return getattr(state, "latency", DEFAULT_LATENCY)


def _settings(state):
    return {
        "job_seconds": state.world.job_seconds,
        "token_lifetime": state.identity.token_lifetime,
        "consistency_lag": state.world.consistency_lag,
        "latency": latency(state),
    }


@router.post("/reset")
async def reset(request: Request):
    state = request.app.state
    state.world.reset()  # also restores the initial job_seconds and consistency_lag, forgets pending job failures
    state.identity.reset()
    state.request_log.clear()
    state.faults.clear()
    state.chaos = None
    state.latency = DEFAULT_LATENCY
    return {"reset": True, "settings": _settings(state)}


@router.get("/world")
async def get_world(request: Request):
    with request.app.state.world.lock:
        return request.app.state.world.snapshot()


@router.get("/requests")
async def list_requests(request: Request):
    return {"requests": request.app.state.request_log.as_json()}


@router.delete("/requests")
async def clear_requests(request: Request):
    return {"deleted": request.app.state.request_log.clear()}


@router.post("/faults")
async def add_fault(request: Request):
    fault = request.app.state.faults.add(await _parse(request, FaultSpec))
    return {"id": fault.id}


@router.get("/faults")
async def list_faults(request: Request):
    return {"faults": request.app.state.faults.as_json()}


@router.delete("/faults")
async def clear_faults(request: Request):
    return {"deleted": request.app.state.faults.clear()}


@router.delete("/faults/{fault_id}")
async def remove_fault(fault_id: str, request: Request):
    if not request.app.state.faults.remove(fault_id):
        raise ControlError(404, "no pending fault %s" % fault_id)
    return {"deleted": 1}


@router.put("/chaos")
async def start_chaos(request: Request):
    request.app.state.chaos = Chaos(await _parse(request, ChaosSpec))
    return request.app.state.chaos.as_json()


@router.get("/chaos")
async def show_chaos(request: Request):
    chaos = chaos_of(request.app.state)
    return chaos.as_json() if chaos else {"chaos": None}


@router.delete("/chaos")
async def stop_chaos(request: Request):
    chaos = chaos_of(request.app.state)
    request.app.state.chaos = None
    return chaos.as_json() if chaos else {"chaos": None}


def chaos_of(state):
    """The running Chaos of an app's state, or None."""
    return getattr(state, "chaos", None)


@router.post("/jobs/fail")
async def fail_jobs(request: Request):
    spec = await _parse(request, JobFailureSpec)
    with request.app.state.world.lock:
        request.app.state.world.fail_next_jobs(spec.count, spec.job_type, spec.error_code, spec.fail_reason)
    return spec.model_dump()


@router.get("/settings")
async def get_settings(request: Request):
    return _settings(request.app.state)


@router.put("/settings")
async def put_settings(request: Request):
    spec = await _parse(request, SettingsSpec)
    state = request.app.state
    with state.world.lock:
        if spec.job_seconds is not None:
            state.world.job_seconds = spec.job_seconds
        if spec.consistency_lag is not None:
            state.world.consistency_lag = spec.consistency_lag
    if spec.token_lifetime is not None:
        state.identity.token_lifetime = spec.token_lifetime
    if spec.latency is not None:
        state.latency = spec.latency
    return _settings(state)


@router.post("/tokens/expire")
async def expire_tokens(request: Request):
    return {"expired": request.app.state.identity.expire_tokens()}


@router.post("/images/bulk")
async def bulk_images(request: Request):
    spec = await _parse(request, BulkImagesSpec)
    world = request.app.state.world
    with world.lock:
        if spec.project_id not in world.projects:
            raise ControlError(404, "no project %s" % spec.project_id)
        ids = world.bulk_create_images(spec.project_id, spec.count, spec.name_prefix, spec.tags, spec.protected)
    return {"ids": ids}
