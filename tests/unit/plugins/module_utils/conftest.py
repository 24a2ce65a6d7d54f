# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the client-layer tests."""

import httpx
import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.session import HttpSession, RetryPolicy
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import FakeClock


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def make_session(clock):
    """Build an HttpSession on a handler with the fake clock; collects retry events in session.events.

    ``read_only`` is check mode's session: a write raises before it is sent."""
    sessions = []

    def build(handler, retries=5, max_elapsed=300.0, read_only=False):
        events = []
        session = HttpSession(
            timeout=5,
            retry=RetryPolicy(retries=retries, max_elapsed=max_elapsed),
            on_retry=events.append,
            transport=httpx.MockTransport(handler),
            sleep=clock.sleep,
            clock=clock,
            read_only=read_only,
        )
        session.events = events
        sessions.append(session)
        return session

    yield build
    for session in sessions:
        session.close()
