# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tag planning (pure) and how a plan becomes batch calls."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_tag import TagPlan, apply_tag_plan, check_desired_tags, plan_tags
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import WaitsOnFakeClock

CURRENT = {"family": "web", "channel": "stable"}


@pytest.mark.parametrize(
    "desired, purge, to_set, to_remove, after",
    [
        ({"channel": "candidate", "build": "42"}, False, {"build": "42", "channel": "candidate"}, [], {"build": "42", "channel": "candidate", "family": "web"}),
        ({"channel": "stable"}, False, {}, [], CURRENT),
        ({"channel": "stable"}, True, {}, ["family"], {"channel": "stable"}),
        ({"family": "web", "owner": "a"}, True, {"owner": "a"}, ["channel"], {"family": "web", "owner": "a"}),
        ({}, False, {}, [], CURRENT),
        ({}, True, {}, ["channel", "family"], {}),
        (None, True, {}, [], CURRENT),
        ({"build": 42, "note": None}, False, {"build": "42", "note": ""}, [], dict(CURRENT, build="42", note="")),
    ],
    ids=[
        "add-and-update",
        "unchanged",
        "purge-unlisted",
        "purge-and-add",
        "empty-without-purge",
        "empty-with-purge-removes-all",
        "none-is-not-managed",
        "values-become-text",
    ],
)
def test_present(desired, purge, to_set, to_remove, after):
    plan = plan_tags(CURRENT, desired, purge)
    assert (plan.to_set, plan.to_remove, plan.after, plan.before) == (to_set, to_remove, after, CURRENT)
    assert plan.changed == bool(to_set or to_remove)
    assert plan.removed == {key: CURRENT[key] for key in to_remove}


@pytest.mark.parametrize(
    "desired, to_remove",
    [
        ({"family": None}, ["family"]),
        ({"family": "web", "channel": "beta"}, ["family"]),
        ({"missing": None}, []),
        ({"family": "", "channel": None}, ["channel"]),
        (None, []),
    ],
    ids=["any-value", "only-matching-value", "absent-key", "empty-value-is-a-value", "none"],
)
def test_absent_ignores_purge(desired, to_remove):
    for purge in (False, True):
        plan = plan_tags(CURRENT, desired, purge, state="absent")
        assert (plan.to_set, plan.to_remove) == ({}, to_remove)
        assert plan.after == {key: value for key, value in CURRENT.items() if key not in to_remove}


def test_plan_does_not_modify_its_inputs_and_is_frozen():
    current, desired = dict(CURRENT), {"owner": "a"}
    plan = plan_tags(current, desired, purge=True)
    assert (current, desired) == (CURRENT, {"owner": "a"})
    with pytest.raises(AttributeError):
        plan.to_set = {}


@pytest.mark.parametrize(
    "desired, message",
    [
        ({"k" * 37: "v"}, "longer than 36"),
        ({"release": "v" * 44}, "longer than 43"),
        ({"team/web": "a"}, "'team/web' contains /"),
        ({"web": "a=b"}, "'a=b' contains ="),
        ({" web": "a"}, "start or end with a space"),
        ({"": "a"}, "cannot be empty"),
        ({"k%02d" % number: "v" for number in range(11)}, "at most 10 tags (got 11)"),
        (["family"], "dictionary"),
    ],
)
def test_rules_of_section_9_2_name_the_offending_key(desired, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        plan_tags({}, desired, purge=False)
    assert raised.value.field == "tags"


def test_the_limit_counts_the_tags_that_stay():
    nine = {"k%d" % number: "v" for number in range(9)}
    with pytest.raises(ValidationError, match="would have 11 tags"):
        plan_tags(CURRENT, nine, purge=False)
    assert len(plan_tags(CURRENT, nine, purge=True).after) == 9


def test_absent_checks_keys_only():
    assert check_desired_tags({"whatever/odd": None, "n": 5}, state="absent") == {"whatever/odd": None, "n": "5"}
    with pytest.raises(ValidationError, match="non-empty string"):
        check_desired_tags({"": None}, state="absent")
    with pytest.raises(ValueError):
        check_desired_tags({}, state="exact")


class RecordingClient(WaitsOnFakeClock):
    def __init__(self):
        super().__init__()
        self.calls = []

    def remove_image_tags(self, image_id, keys):
        self.calls.append(("delete", image_id, keys))

    def add_image_tags(self, image_id, tags):
        self.calls.append(("create", image_id, tags))


@pytest.mark.parametrize(
    "plan, calls",
    [
        (TagPlan(before=CURRENT, after=CURRENT), []),
        (TagPlan(to_set={"a": "1", "b": ""}), [("create", "img", {"a": "1", "b": ""})]),
        (TagPlan(to_remove=["x", "y"]), [("delete", "img", ["x", "y"])]),
        (TagPlan(to_set={"a": "1"}, to_remove=["x"]), [("delete", "img", ["x"]), ("create", "img", {"a": "1"})]),
    ],
    ids=["nothing", "create-only", "delete-only", "delete-then-create"],
)
def test_at_most_one_batch_call_per_direction(plan, calls):
    ims = RecordingClient()
    apply_tag_plan(ims, "img", plan)
    assert ims.calls == calls
