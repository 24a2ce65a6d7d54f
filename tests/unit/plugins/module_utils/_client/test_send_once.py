# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""send_once, the one lost-response mechanism: how long it looks for the effect of a lost write, when it sends again,
how often, and what it reports; on the fake clock."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ResponseLostError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.waiting import LOST_RESPONSE_ATTEMPTS, Poller, lost_grace, send_once


def lost(status=None, elapsed=None):
    return ResponseLostError("create image 'web'", "https://ims.example/v2/cloudimages/action", "connection dropped", status=status, elapsed=elapsed)


@pytest.mark.parametrize(
    "loss, grace, seconds",
    [
        (lost(status=500), 30, 2),  # IMS itself answered: done with the request, two looks a second apart
        (lost(status=504, elapsed=0.1), 30, 2),  # a gateway answered: the request may still be at work
        (lost(elapsed=0.01), 30, 2),  # dropped at once: at least two seconds
        (lost(elapsed=4), 30, 12),  # dropped after 4 s: as long again, three times over
        (lost(elapsed=60), 30, 30),  # a read timeout after a minute: the whole grace
        (lost(elapsed=60), 5, 5),  # never more than the caller allows
        (lost(), 30, 2),  # nothing known
    ],
)
def test_the_grace_scales_with_what_is_known_of_the_loss(loss, grace, seconds):
    assert lost_grace(loss, grace) == seconds


class Write:
    """A write whose first ``losses`` sends lose their response; ``executed`` says whether those were applied."""

    def __init__(self, losses, executed=False, status=None):
        self.losses, self.executed, self.status = losses, executed, status
        self.sends = 0
        self.applied = 0

    def send(self):
        self.sends += 1
        if self.sends <= self.losses:
            if self.executed:
                self.applied += 1
            raise lost(self.status)
        self.applied += 1
        return "job-%d" % self.sends

    def effect(self):
        return "applied" if self.applied else None


def run(write, clock, warnings, grace=30):
    return send_once(write.send, write.effect, "image 'web'", grace, warnings.append, Poller(grace, sleep=clock.sleep, clock=clock))


def test_an_answered_write_is_sent_once(clock):
    write, warnings = Write(0), []
    outcome = run(write, clock, warnings)
    assert (outcome.answer, outcome.found, outcome.losses, write.sends) == ("job-1", None, 0, 1)
    assert warnings == [] and clock.sleeps == []


def test_a_lost_write_whose_effect_shows_is_not_sent_again(clock):
    write, warnings = Write(1, executed=True), []
    outcome = run(write, clock, warnings)
    assert (outcome.answer, outcome.found, outcome.losses, write.sends) == (None, "applied", 1, 1)
    assert len(warnings) == 1 and "looking for image 'web' for up to 2 s" in warnings[0]


def test_a_lost_write_without_effect_is_sent_again_after_its_grace(clock):
    write, warnings = Write(2, executed=False, status=500), []
    outcome = run(write, clock, warnings)
    assert (outcome.answer, outcome.losses, write.sends, write.applied) == ("job-3", 2, 3, 1)
    assert clock.sleeps == [1.0, 1.0] * 2  # two looks a second apart after each settled loss: at 0, 1 and 2 s
    assert [warning for warning in warnings if "sending the request again" in warning] == [
        "image 'web' did not appear within 2 s: sending the request again (attempt 2 of %d)" % LOST_RESPONSE_ATTEMPTS,
        "image 'web' did not appear within 2 s: sending the request again (attempt 3 of %d)" % LOST_RESPONSE_ATTEMPTS,
    ]


def test_a_write_lost_on_every_attempt_raises_the_last_loss(clock):
    write = Write(LOST_RESPONSE_ATTEMPTS)
    with pytest.raises(ResponseLostError, match="may have been executed"):
        run(write, clock, [])
    assert write.sends == LOST_RESPONSE_ATTEMPTS


def test_no_grace_still_takes_one_look(clock):
    write = Write(1, executed=True)
    assert run(write, clock, [], grace=0).found == "applied" and clock.sleeps == []
