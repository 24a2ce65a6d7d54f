# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One image per name: the decision every racing party takes alike, and ims_image's watch after it created an
image (racing controllers, a late apply, images that existed before, protected ones), on the fake clock."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import WaitTimeoutError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import Image
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image import ImageLifecycle
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_convergence import WATCH_MARGIN, decide, duplicates_message, window
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import WaitsOnFakeClock

OWN, OTHER, LATE, OLD = "id-own", "id-other", "id-late", "id-old"


def image(image_id, created_at, status="active", protected=False):
    return Image.from_api({"id": image_id, "name": "web", "status": status, "created_at": created_at, "protected": protected, "owner": "p1"})


def test_the_survivor_is_the_oldest_then_the_lowest_id():
    racing = [image("b", "2024-05-02T09:00:01Z"), image("c", "2024-05-02T09:00:00Z"), image("a", "2024-05-02T09:00:01Z")]
    convergence = decide(racing)
    assert convergence.survivor.id == "c" and [extra.id for extra in convergence.extras] == ["a", "b"]
    tied = decide([image("b", "2024-05-02T09:00:00Z"), image("a", "2024-05-02T09:00:00Z")])
    assert tied.survivor.id == "a"


def test_every_party_decides_alike_whatever_order_it_listed_the_images_in():
    racing = [image(str(number), "2024-05-02T09:00:0%dZ" % (number % 3)) for number in range(6)]
    assert {decide(racing).survivor.id, decide(list(reversed(racing))).survivor.id} == {"0"}


def test_protected_images_are_never_extras():
    convergence = decide([image("a", "2024-05-02T09:00:00Z"), image("b", "2024-05-02T09:00:01Z", protected=True)])
    assert convergence.extras == [] and [kept.id for kept in convergence.protected] == ["b"]


def test_the_window_leaves_out_what_existed_before_and_what_is_gone():
    images = [image("a", "t"), image("b", "t", status="killed"), image("c", "t", status="deleted"), image("d", "t")]
    assert [found.id for found in window(images, {"a"})] == ["d"]


def test_several_images_of_a_name_are_named_with_the_reason():
    message = duplicates_message("web", "p1", [image("b", "2024-05-02T09:00:05Z"), image("a", "2024-05-02T09:00:00Z")])
    assert message.startswith("image web: 2 images of project p1 have this name: a (created 2024-05-02T09:00:00Z, active), b (")
    assert "raced" in message and "applied after its task had stopped watching" in message and "keeps the oldest (a)" in message


class Images(WaitsOnFakeClock):
    """The images of one name as the query API lists them over (fake) time: each appears at ``shows``, is queued
    until ``settles``, and has its ``created_at``; deletions are recorded."""

    project_id = "p1"

    def __init__(self):
        super().__init__()
        self.images = {}
        self.deleted = []

    def add(self, image_id, created_at, shows=0.0, settles=0.0, protected=False):
        start = self.fake_clock()
        self.images[image_id] = {"created_at": created_at, "shows": start + shows, "settles": start + settles, "protected": protected}

    def list_images(self, filters):
        assert filters == {"name": "web", "owner": "p1"}
        now = self.fake_clock()
        return [
            image(image_id, spec["created_at"], "active" if now >= spec["settles"] else "queued", spec["protected"])
            for image_id, spec in sorted(self.images.items())
            if now >= spec["shows"] and image_id not in self.deleted
        ]

    def get_image(self, image_id):
        return next((found for found in self.list_images({"name": "web", "owner": "p1"}) if found.id == image_id), None)

    def delete_image(self, image_id, delete_backup=None):
        self.deleted.append(image_id)
        return True


def converge(ims, image_ids=(OWN,), seen_before=(), wait_timeout=600):
    warnings = []
    lifecycle = ImageLifecycle(ims, {"name": "web", "wait_timeout": wait_timeout}, warn=warnings.append)
    lifecycle.seen_before = set(seen_before)
    return lifecycle.converge(list(image_ids), ims.clock()), warnings


def test_alone_the_task_keeps_its_image_after_watching_for_the_margin():
    ims = Images()
    ims.add(OWN, "2024-05-02T09:00:00Z", settles=0.5)
    started = ims.clock()
    survivor, warnings = converge(ims)
    assert survivor.id == OWN and ims.deleted == [] and warnings == []
    assert ims.clock() - started >= WATCH_MARGIN


def test_the_younger_of_two_racing_creations_deletes_itself_and_returns_the_older():
    ims = Images()
    ims.add(OTHER, "2024-05-02T09:00:00Z", settles=1.0)
    ims.add(OWN, "2024-05-02T09:00:01Z", settles=2.0)
    survivor, warnings = converge(ims)
    assert survivor.id == OTHER and ims.deleted == [OWN]
    assert "Kept the oldest, %s; deleted %s" % (OTHER, OWN) in warnings[0]


def test_an_image_applied_late_is_waited_for_and_deleted():
    ims = Images()
    started = ims.clock()
    ims.add(OWN, "2024-05-02T09:00:00Z", settles=0.5)
    ims.add(LATE, "2024-05-02T09:00:01Z", shows=1.5, settles=4.0)  # appears within the watch, settles after it
    survivor, warnings = converge(ims)
    assert survivor.id == OWN and ims.deleted == [LATE]
    assert ims.clock() - started >= 4.0 and "Kept the oldest, %s; deleted %s" % (OWN, LATE) in warnings[0]


def test_images_that_existed_before_and_protected_ones_are_never_deleted():
    ims = Images()
    ims.add(OLD, "2024-01-01T00:00:00Z")
    ims.add(OWN, "2024-05-02T09:00:00Z", settles=0.5)
    ims.add(OTHER, "2024-05-02T09:00:01Z", settles=0.5, protected=True)
    survivor, warnings = converge(ims, seen_before={OLD})
    assert survivor.id == OWN and ims.deleted == []
    assert any("image %s of the same name is protected" % OTHER in warning for warning in warnings)


def test_an_image_the_other_party_deleted_ends_the_watch_with_its_survivor():
    ims = Images()
    ims.add(OTHER, "2024-05-02T09:00:00Z", settles=0.5)
    ims.add(OWN, "2024-05-02T09:00:01Z", settles=0.5)
    ims.poller = lambda timeout, real=ims.poller: _deleting_after_first_look(ims, real(timeout))
    survivor, warnings = converge(ims)
    assert survivor.id == OTHER and ims.deleted == [OWN]  # deleted by the other party, not again by this task
    assert "the others were deleted by the task that made the oldest" in warnings[0]


def _deleting_after_first_look(ims, poller):
    """The poller of a watch during which the other party deletes this task's image right after the first look."""
    for number, poll in enumerate(poller):
        if number == 1:
            ims.deleted.append(OWN)
        yield poll


def test_the_images_of_a_losing_creation_all_go():
    ims = Images()
    ims.add(OTHER, "2024-05-02T09:00:00Z")
    ims.add(OWN, "2024-05-02T09:00:01Z")
    survivor, _warnings = converge(ims, image_ids=(OWN, "id-own-data-disk"))
    assert survivor.id == OTHER and ims.deleted == [OWN, "id-own-data-disk"]


@pytest.mark.parametrize("own_created", ["2024-05-02T09:00:00Z", "2024-05-02T09:00:02Z"])
def test_both_parties_keep_the_same_image(own_created):
    """Each party converges on its own view; the survivor is the same image for both."""
    first, second = Images(), Images()
    for ims, mine, theirs in ((first, OWN, OTHER), (second, OTHER, OWN)):
        ims.add(mine, own_created if mine == OWN else "2024-05-02T09:00:01Z", settles=0.5)
        ims.add(theirs, own_created if theirs == OWN else "2024-05-02T09:00:01Z", settles=0.5)
    survivors = {converge(first, image_ids=(OWN,))[0].id, converge(second, image_ids=(OTHER,))[0].id}
    assert len(survivors) == 1


def test_a_wait_timeout_shorter_than_the_margin_decides_on_what_was_seen():
    ims = Images()
    ims.add(OWN, "2024-05-02T09:00:00Z", settles=0.5)
    assert converge(ims, wait_timeout=1)[0].id == OWN


def test_an_image_still_queued_at_the_wait_timeout_fails_clearly():
    ims = Images()
    ims.add(OWN, "2024-05-02T09:00:00Z", settles=100)
    with pytest.raises(WaitTimeoutError, match="image id-own was not ready within 5 seconds \\(status queued\\)"):
        converge(ims, wait_timeout=5)
