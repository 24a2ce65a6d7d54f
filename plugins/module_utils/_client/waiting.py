# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for asynchronous IMS jobs (and anything else that needs polling).

IMS answers every create, copy, export, import and member change with a job ID; ``GET /v1/{project_id}/jobs/{id}``
moves from INIT to RUNNING to SUCCESS or FAIL. The waiter polls with intervals that start short (most member jobs
finish in seconds) and grow to a cap (an image copy can take an hour), tolerates the 404 a job can answer right
after submission (eventual consistency), reports progress, and raises JobFailedError or JobTimeoutError.

``poll_until`` is the same schedule for anything else. ``send_once`` uses it to send a request that must not be
executed twice: after a lost response it looks for the request's effect before deciding to send it again.

Internal to this collection, may change in any release.
"""

import time
from dataclasses import dataclass

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import JobFailedError, JobTimeoutError, NotFoundError, ResponseLostError

# Seconds a request whose response was lost is given to show its effect before it is sent again: long enough for
# an accepted job to have started and become visible, short enough to be paid only on this rare path.
LOST_RESPONSE_GRACE = 30


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
    """What ``send_once`` led to: the ``answer`` of the request, or the effect ``found`` of a request whose response was lost."""

    answer: object = None
    found: object = None


def send_once(send, find_effect, effect, grace, warn, poller=None):
    """Send a request that must not be executed twice (IMS has no idempotency key) and return a SendOutcome.

    ``send()`` sends it and returns its answer. When its response is lost (ResponseLostError), ``find_effect()`` is
    polled for up to ``grace`` seconds: what it returns (true when the lost request was executed) is the outcome;
    only when nothing appeared is the request sent again. ``effect`` names what is looked for, for the warnings
    ("image 'web'", "the members of ...").
    """
    try:
        return SendOutcome(answer=send())
    except ResponseLostError as lost:
        warn("%s; reading %s before sending anything again" % (lost, effect))
    found = poll_until(find_effect, grace, poller)
    if found:
        return SendOutcome(found=found)
    warn("%s did not appear within %d seconds: the lost request was not executed; sending it again" % (effect, grace))
    return SendOutcome(answer=send())


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
