# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bringing an image's tags to what a task asks for, with the fewest requests; shared by every module that manages tags.

``plan_tags`` is pure: it compares the current tags with the desired ones and returns a ``TagPlan`` (what to set, what
to remove, the tags before and after). It validates the desired tags first (API reference 9.2), so a bad tag fails the
task before any request. ``apply_tag_plan`` sends the plan with the batch API (``POST .../tags/action``): at most one
``delete`` call and one ``create`` call, nothing when nothing changes. A call whose response is lost is sent again
only when the tags do not show its effect (``send_once``).

Semantics, for ``state=present``:

* ``desired=None``: tags are not managed, whatever ``purge`` says.
* Listed tags are added, or updated when their value differs; other tags are kept.
* With ``purge``, tags whose key is not listed are removed; ``desired={}`` with ``purge`` removes every tag.

For ``state=absent`` the listed keys are removed; a value of None matches any value, any other value only that value.
``purge`` has no meaning there and is ignored.

Concurrency: the ``create`` call is additive and the ``delete`` call names keys, so tasks that add or remove their own
keys on one image at the same time never undo each other. Purging is a read-modify-write: it removes the unlisted keys
it saw when it read the tags; a key another task adds after that read survives until the next purge.

Internal to this collection, may change in any release.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.rules import TAGS_PER_IMAGE_MAX, validate_tags
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_ref import require_image

TAG_STATES = ("present", "absent")


@dataclass(frozen=True)
class TagPlan:
    """The tag changes of one image: ``to_set`` (``{key: value}``, new or changed) and ``to_remove`` (keys, sorted)."""

    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    to_set: dict = field(default_factory=dict)
    to_remove: list[str] = field(default_factory=list)

    @property
    def changed(self):
        return bool(self.to_set or self.to_remove)

    @property
    def removed(self):
        """The removed tags with the values they had."""
        return {key: self.before[key] for key in self.to_remove}


def plan_tags(current, desired, purge, state="present", field_name="tags"):
    """The plan that turns the ``current`` tags into what ``desired``/``purge``/``state`` ask for (see the module doc).

    Raises ValidationError (naming ``field_name`` and the offending key) for tags IMS would refuse, and when the image
    would end up with more than 10 tags.
    """
    desired = check_desired_tags(desired, state, field_name)
    current = dict(current or {})
    if desired is None:
        return _plan(current, {}, [])
    if state == "absent":
        to_remove = [key for key, value in desired.items() if key in current and value in (None, current[key])]
        return _plan(current, {}, to_remove)
    to_set = {key: value for key, value in desired.items() if current.get(key) != value}
    to_remove = sorted(key for key in current if key not in desired) if purge else []
    plan = _plan(current, to_set, to_remove)
    if len(plan.after) > TAGS_PER_IMAGE_MAX:
        raise ValidationError(
            field_name,
            "the image would have %d tags (%s), at most %d are allowed; remove some or use purge"
            % (len(plan.after), ", ".join(sorted(plan.after)), TAGS_PER_IMAGE_MAX),
        )
    return plan


def check_desired_tags(desired, state="present", field_name="tags"):
    """The desired tags checked against the reference's rules, before any request: for ``present`` the values as
    strings (None becomes ""); for ``absent`` only the keys are checked and a None value stays "any value"."""
    if state not in TAG_STATES:
        raise ValueError("unknown tag state %r" % state)
    if desired is None:
        return None
    if not isinstance(desired, dict):
        raise ValidationError(field_name, "tags must be a dictionary of key to value")
    if state == "present":
        # YAML and templating turn values such as 42 into numbers; IMS tags are text.
        return validate_tags({key: value if value is None or isinstance(value, str) else str(value) for key, value in desired.items()}, field_name)
    if not isinstance(desired, dict):
        raise ValidationError(field_name, "tags must be a dictionary of key to value (a value of null matches any value)")
    for key in desired:
        if not isinstance(key, str) or not key:
            raise ValidationError(field_name, "a tag key must be a non-empty string (got %r)" % (key,))
    return {key: None if value is None else str(value) for key, value in desired.items()}


def apply_tag_plan(ims, image_id, plan, warn=None):
    """Send the plan: one batch delete (first, so that the removed tags make room) and one batch create, as needed."""
    warn = warn or (lambda message: None)
    if plan.to_remove:
        ims.send_once(
            lambda: ims.remove_image_tags(image_id, plan.to_remove),
            lambda: not set(plan.to_remove) & set(ims.get_image_tags(image_id)),
            "the removal of tags %s from image %s" % (", ".join(plan.to_remove), image_id),
            warn,
        )
    if plan.to_set:
        ims.send_once(
            lambda: ims.add_image_tags(image_id, plan.to_set),
            lambda: plan.to_set.items() <= ims.get_image_tags(image_id).items(),
            "tags %s on image %s" % (", ".join(sorted(plan.to_set)), image_id),
            warn,
        )


def sync_image_tags(ims, image_ref, desired, purge=False, state="present", check_mode=False, warn=None):
    """The whole task of a tag module: check the tags, find the caller's image, plan, apply (not in check mode).

    Returns the task result: ``image_id``, ``tags`` (as the task leaves them), ``added_tags`` (new or changed,
    ``{key: value}``), ``removed_tags`` (``{key: former value}``) and a ``diff``.
    """
    check_desired_tags(desired, state)
    image = require_image(ims, image_ref)
    plan = plan_tags(ims.get_image_tags(image.id), desired, purge, state)
    if not check_mode:
        apply_tag_plan(ims, image.id, plan, warn)
    return {
        "changed": plan.changed,
        "image_id": image.id,
        "tags": plan.after,
        "added_tags": plan.to_set,
        "removed_tags": plan.removed,
        "diff": {"before": {"tags": plan.before}, "after": {"tags": plan.after}},
    }


def _plan(current, to_set, to_remove):
    after = {key: value for key, value in current.items() if key not in to_remove}
    after.update(to_set)
    return TagPlan(before=current, after=dict(sorted(after.items())), to_set=dict(sorted(to_set.items())), to_remove=sorted(to_remove))
