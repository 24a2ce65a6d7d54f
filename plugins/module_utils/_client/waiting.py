# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for asynchronous IMS jobs (and anything else that needs polling).

IMS answers every create, copy, export, import and member change with a job ID; ``GET /v1/{project_id}/jobs/{id}``
moves from INIT to RUNNING to SUCCESS or FAIL. The waiter polls with intervals that start short (most member jobs
finish in seconds) and grow to a cap (an image copy can take an hour), tolerates the 404 a job can answer right
after submission (eventual consistency), reports progress, and raises JobFailedError or JobTimeoutError.

``poll_until`` is the same schedule for anything else. ``send_once`` uses it to send a write that must not be
executed twice: after a lost response it looks for the request's effect before deciding to send it again, for as
long as ``lost_grace`` says that what is known about the loss makes worthwhile.

Internal to this collection, may change in any release.
"""

import time
from dataclasses import dataclass

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import JobFailedError, JobTimeoutError, NotFoundError, ResponseLostError

# Seconds a request whose response was lost is given, at most, to show its effect before it is sent again.
LOST_RESPONSE_GRACE = 30
# When IMS itself answered (HTTP 500) it had finished with the request: its effect shows at once or never, and two
# looks a second apart cover the listing's own lag.
SETTLED_GRACE = 2
# When no answer came (or only a gateway's), the request may still be at work: it is given as long again as the
# attempt took, three times over, and at least this long.
UNSETTLED_GRACE_MIN = 2
UNSETTLED_GRACE_FACTOR = 3
# How often, at most, a write whose responses are lost is sent before the loss fails the task.
LOST_RESPONSE_ATTEMPTS = 4


@dataclass(frozen=True)
class PollSchedule:
    """Intervals between polls: ``initial`` seconds, growing by ``factor`` up to ``maximum``."""

    initial: float = 1.0
    factor: float = 1.5
    maximum: float = 10.0

    def interval(self, poll_number):
        return min(self.maximum, self.initial * (self.factor**poll_number))


class Poller:
    """Iterate to poll until ``timeout`` seconds have passed: one iteration per poll, sleeping in between.

    The last poll happens at the deadline; after it the iteration ends, and the caller raises its timeout error.
    """

    def __init__(self, timeout, schedule=None, sleep=time.sleep, clock=time.monotonic):
        self.timeout = timeout
        self.schedule = schedule or PollSchedule()
        self._sleep = sleep
        self._clock = clock
        self._started = None

    @property
    def elapsed(self):
        return 0.0 if self._started is None else self._clock() - self._started

    def with_timeout(self, timeout):
        """A new Poller for ``timeout`` seconds on the same schedule and clock."""
        return Poller(timeout, self.schedule, self._sleep, self._clock)

    def __iter__(self):
        self._started = self._clock()
        poll_number = 0
        while True:
            yield poll_number
            remaining = self.timeout - self.elapsed
            if remaining <= 0:
                return
            self._sleep(min(self.schedule.interval(poll_number), remaining))
            poll_number += 1


def poll_until(look, timeout, poller=None):
    """Call ``look()`` on the poll schedule until it returns a true value, and return that; None once ``timeout``
    seconds have passed."""
    for _poll in poller or Poller(timeout):
        found = look()
        if found:
            return found
    return None


@dataclass(frozen=True)
class SendOutcome:
    """What ``send_once`` led to: the ``answer`` of the request, or the effect ``found`` of a request whose response was
    lost; ``losses`` counts the responses lost on the way."""

    answer: object = None
    found: object = None
    losses: int = 0


def lost_grace(lost, grace=LOST_RESPONSE_GRACE):
    """Seconds, at most ``grace``, to look for the effect of a request whose response was lost (a ResponseLostError).

    The grace scales with what is known. A request that never left is re-sent by the session itself, with no grace at
    all. When IMS answered HTTP 500 it had finished with the request: SETTLED_GRACE. When nothing (or a gateway's
    502/503/504) answered, the request may still be on its way or at work: a multiple of how long the attempt took.
    """
    if lost.settled:
        return min(grace, SETTLED_GRACE)
    return min(grace, max(UNSETTLED_GRACE_MIN, UNSETTLED_GRACE_FACTOR * (lost.elapsed or 0)))


def send_once(send, find_effect, effect, grace, warn, poller=None, attempts=LOST_RESPONSE_ATTEMPTS):
    """Send a write that must not be executed twice (IMS has no idempotency key) and return a SendOutcome.

    ``send()`` sends it and returns its answer. When its response is lost (ResponseLostError), ``find_effect()`` is
    polled for ``lost_grace(error, grace)`` seconds: what it returns (true when the lost request was executed) is the
    outcome; only when nothing appeared is the request sent again, ``attempts`` times in all; the last loss is raised.
    ``effect`` names what is looked for, for the warnings ("image 'web'", "the members of ..."). A request executed
    after its effect was looked for is not seen here: callers whose request must not take effect twice (an image
    creation) watch for that afterwards.
    """
    poller = poller or Poller(grace)
    losses = 0
    while True:
        try:
            return SendOutcome(answer=send(), losses=losses)
        except ResponseLostError as lost:
            losses += 1
            if losses >= attempts:
                raise
            looking = lost_grace(lost, grace)
            warn("%s; looking for %s for up to %g s before sending anything again" % (lost, effect, looking))
        found = poll_until(find_effect, looking, poller.with_timeout(looking))
        if found:
            return SendOutcome(found=found, losses=losses)
        warn("%s did not appear within %g s: sending the request again (attempt %d of %d)" % (effect, looking, losses + 1, attempts))


def wait_for_job(fetch_job, job_id, timeout=1800, not_found_grace=60, on_progress=None, poller=None):
    """Poll ``fetch_job(job_id) -> Job`` until the job succeeds, and return it (``job.image_ids`` lists every image
    it produced).

    ``fetch_job`` raising NotFoundError is tolerated for ``not_found_grace`` seconds from the start. ``on_progress``
    is called with the Job whenever its status or progress changes. Raises JobFailedError when the job ends in
    FAIL, JobTimeoutError after ``timeout`` seconds (the job may still be running), NotFoundError after the grace.
    """
    poller = poller or Poller(timeout)
    last = None
    for _poll in poller:
        try:
            job = fetch_job(job_id)
        except NotFoundError:
            if poller.elapsed >= not_found_grace:
                raise
            continue
        if on_progress and (last is None or (job.status, job.process_percent) != (last.status, last.process_percent)):
            on_progress(job)
        last = job
        if job.status == "SUCCESS":
            return job
        if job.status == "FAIL":
            raise JobFailedError(job)
    raise JobTimeoutError(job_id, poller.timeout, last)
