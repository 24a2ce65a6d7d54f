# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test doubles shared by the client-layer tests: a fake clock and scripted or routed httpx transports."""

import json
import re

import httpx

from ansible_collections.hwcloud.ims.plugins.module_utils._client.ims_client import ImsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.waiting import Poller


class FakeClock:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class WaitsOnFakeClock:
    """What a fake client offers for waiting, as ImsClient does: pollers and the time of ``self.fake_clock``."""

    def __init__(self, clock=None):
        self.fake_clock = clock or FakeClock()

    def poller(self, timeout):
        return Poller(timeout, sleep=self.fake_clock.sleep, clock=self.fake_clock)

    def clock(self):
        return self.fake_clock()

    # The real one: it only needs the poller above.
    send_once = ImsClient.send_once


def answer(status=200, body=None, headers=None, text=None):
    """An httpx.Response with a JSON body (or a text body)."""
    if text is not None:
        return httpx.Response(status, text=text, headers=headers)
    return httpx.Response(status, json=body, headers=headers) if body is not None else httpx.Response(status, headers=headers)


class Script:
    """A MockTransport handler that plays answers in order (the last one repeats) and records every request.

    An answer is an httpx.Response, an exception to raise, or a callable taking the request.
    """

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    def __call__(self, request):
        request.read()
        self.requests.append(request)
        reply = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(reply, Exception):
            raise reply
        return reply(request) if callable(reply) else reply

    @property
    def transport(self):
        return httpx.MockTransport(self)


class Router:
    """A MockTransport handler routing ``(METHOD, path regex)`` to handlers ``handler(request, match)``; records requests."""

    def __init__(self):
        self.routes = []
        self.requests = []

    def add(self, method, pattern, handler):
        self.routes.append((method, re.compile(pattern + "$"), handler))
        return self

    def __call__(self, request):
        request.read()
        self.requests.append(request)
        for method, pattern, handler in self.routes:
            match = pattern.match(request.url.path)
            if method == request.method and match:
                return handler(request, match)
        return answer(404, {"error": {"code": "TEST.404", "message": "no route for %s %s" % (request.method, request.url.path)}})

    @property
    def transport(self):
        return httpx.MockTransport(self)

    def calls(self, method, pattern):
        compiled = re.compile(pattern + "$")
        return [request for request in self.requests if request.method == method and compiled.match(request.url.path)]


def body_of(request):
    return json.loads(request.content) if request.content else None
