# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Member planning (pure), the pre-flight refusals of section 9.3 and how plans become batch calls."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ResponseLostError, ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import Image, Member
from ansible_collections.hwcloud.ims.plugins.module_utils._client.waiting import LOST_RESPONSE_ATTEMPTS
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_member import batches, change_members_once, check_projects, check_shareable, plan_members
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import WaitsOnFakeClock

OWN = "0" * 32
A, B, C = "a" * 32, "b" * 32, "c" * 32


def members(image_id, **statuses):
    return {project: Member(image_id=image_id, member_id=project, status=status) for project, status in statuses.items()}


CURRENT = {"img1": members("img1", **{A: "accepted", B: "pending"}), "img2": {}}


@pytest.mark.parametrize(
    "projects, state, purge, to_add, to_remove",
    [
        ([A, C], "present", False, {"img1": [C], "img2": [A, C]}, {}),
        ([A, C], "present", True, {"img1": [C], "img2": [A, C]}, {"img1": [B]}),
        ([], "present", True, {}, {"img1": [A, B]}),
        ([B, C], "absent", True, {}, {"img1": [B]}),
    ],
)
def test_plan(projects, state, purge, to_add, to_remove):
    plan = plan_members(CURRENT, projects, state, purge)
    assert (plan.to_add, plan.to_remove, plan.changed) == (to_add, to_remove, bool(to_add or to_remove))
    after = plan.after()
    for image_id, members_before in CURRENT.items():
        expected = (set(members_before) | set(to_add.get(image_id, ()))) - set(to_remove.get(image_id, ()))
        assert set(after[image_id]) == expected
    assert all(after["img2"][project].status == "pending" for project in to_add.get("img2", ()))
    if "img1" in after and A in after["img1"]:
        assert after["img1"][A].status == "accepted"  # kept members keep their real status


def test_the_member_limit_counts_the_members_that_stay():
    many = ["%032x" % number for number in range(1, 128)]
    with pytest.raises(ValidationError, match="would be shared with 129 projects"):
        plan_members(CURRENT, many, "present", purge=False)
    assert len(plan_members(CURRENT, many, "present", purge=True).after()["img1"]) == 127


def test_projects_are_checked_before_any_request():
    assert check_projects([A, B, A], OWN) == [A, B]
    with pytest.raises(ValidationError, match="cannot be shared with its owner"):
        check_projects([A, OWN], OWN)
    with pytest.raises(ValidationError, match="at most 128 projects"):
        check_projects(["%032x" % number for number in range(1, 130)], OWN)
    with pytest.raises(ValidationError, match="non-empty string"):
        check_projects([" "], OWN)


@pytest.mark.parametrize(
    "attributes, reason",
    [
        ({"__system__cmkid": "key-1"}, "encrypted"),
        ({"__whole_image": "true"}, "full-ECS"),
        ({"status": "saving"}, "not active"),
    ],
)
def test_images_that_cannot_be_shared(attributes, reason):
    image = Image.from_api(dict({"id": "img1", "name": "web", "status": "active", "owner": OWN}, **attributes))
    with pytest.raises(ValidationError, match=reason):
        check_shareable(image)


def test_images_needing_the_same_projects_share_one_batch_call():
    assert batches({"img1": [A], "img2": [A], "img3": [A, B]}) == [(["img1", "img2"], [A]), (["img3"], [A, B])]


class SharingService(WaitsOnFakeClock):
    """The two member calls change_members_once makes to share; the first ``lost`` share calls lose their response, after
    executing (``executed``) or not."""

    def __init__(self, lost=0, executed=False):
        super().__init__()
        self.members = {"img1": set(), "img2": set()}
        self.share_calls = 0
        self.lost, self.executed = lost, executed

    def add_members(self, image_ids, projects):
        self.share_calls += 1
        if self.share_calls <= self.lost:
            if self.executed:
                self._share(image_ids, projects)
            raise ResponseLostError("share", "https://ims.example/v1/cloudimages/members", "connection dropped")
        self._share(image_ids, projects)
        return "job-%d" % self.share_calls

    def list_members(self, image_id):
        return [Member(image_id=image_id, member_id=project, status="pending") for project in sorted(self.members[image_id])]

    def _share(self, image_ids, projects):
        for image_id in image_ids:
            self.members[image_id].update(projects)


@pytest.mark.parametrize(
    "lost, executed, share_calls, job_id",
    [
        (0, False, 1, "job-1"),
        (1, True, 1, None),  # the lost request did it: not sent again, no job ID to report
        (1, False, 2, "job-2"),  # it did not: sent again once the grace has passed
    ],
)
def test_a_lost_share_request_is_sent_again_only_when_its_members_did_not_appear(lost, executed, share_calls, job_id):
    service, warnings = SharingService(lost, executed), []
    assert change_members_once(service, ["img1", "img2"], [A, B], True, 0, warnings.append) == job_id
    assert service.share_calls == share_calls
    assert service.members == {"img1": {A, B}, "img2": {A, B}}
    assert len(warnings) == lost + (share_calls - 1)
    assert all("may have been executed" in warning for warning in warnings[:lost])


def test_a_share_request_lost_on_every_attempt_fails_with_the_transport_error():
    service = SharingService(lost=LOST_RESPONSE_ATTEMPTS)
    with pytest.raises(ResponseLostError, match="may have been executed"):
        change_members_once(service, ["img1"], [A], True, 0, lambda message: None)
    assert service.share_calls == LOST_RESPONSE_ATTEMPTS
