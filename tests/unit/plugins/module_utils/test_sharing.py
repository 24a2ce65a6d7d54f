# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Member planning (pure), the pre-flight refusals of section 9.3 and how plans become batch calls."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils.errors import ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils.models import Image, Member
from ansible_collections.hwcloud.ims.plugins.module_utils.sharing import batches, check_projects, check_shareable, plan_members

OWN = "0" * 32
A, B, C = "a" * 32, "b" * 32, "c" * 32


def members(image_id, **statuses):
    return {project: Member(image_id=image_id, member_id=project, status=status) for project, status in statuses.items()}


CURRENT = {"img1": members("img1", **{A: "accepted", B: "pending"}), "img2": {}}


@pytest.mark.parametrize("projects, state, purge, to_add, to_remove", [
    ([A, C], "present", False, {"img1": [C], "img2": [A, C]}, {}),
    ([A, C], "present", True, {"img1": [C], "img2": [A, C]}, {"img1": [B]}),
    ([], "present", True, {}, {"img1": [A, B]}),
    ([B, C], "absent", True, {}, {"img1": [B]}),
])
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


@pytest.mark.parametrize("attributes, reason", [
    ({"__system__cmkid": "key-1"}, "encrypted"),
    ({"__whole_image": "true"}, "full-ECS"),
    ({"status": "saving"}, "not active"),
])
def test_images_that_cannot_be_shared(attributes, reason):
    image = Image.from_api(dict({"id": "img1", "name": "web", "status": "active", "owner": OWN}, **attributes))
    with pytest.raises(ValidationError, match=reason):
        check_shareable(image)


def test_images_needing_the_same_projects_share_one_batch_call():
    assert batches({"img1": [A], "img2": [A], "img3": [A, B]}) == [(["img1", "img2"], [A]), (["img3"], [A, B])]
