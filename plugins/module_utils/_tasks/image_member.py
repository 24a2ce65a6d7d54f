# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image sharing from both sides: the owner's member set, and the consumer's answer.

The owner's side (``share_images``) reads every image's members through the native members API
(``GET /v2/images/{id}/members``), so members added or answered outside Ansible are seen; ``plan_members`` (pure)
computes the additions and removals; the batch members API applies them (``DELETE`` then ``POST
/v1/cloudimages/members``). Images that need the same projects go in one call, so a task normally costs one call per
direction, each an asynchronous job that is waited for. No batch call has an idempotency key: when the response of
one is lost, the members are read again (for a while) before it is sent again (``send_once``), and a change found
done is reported as made. Everything the reference forbids (section 9.3) is refused before the first write: sharing
with the own project, more than 128 members, encrypted, full-ECS and public images.

The consumer's side (``answer_shares``) reads the calling project's own member status of every image and sends one
``PUT /v1/cloudimages/members`` for the images whose status differs, the same way.

Both return the task result (``members``, ``job_ids``, a ``diff``). In check mode they read, predict and send nothing.

Internal to this collection, may change in any release.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.waiting import LOST_RESPONSE_GRACE
from ansible_collections.hwcloud.ims.plugins.module_utils._client.wire import MEMBER_ANSWERS, MEMBER_PENDING
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_ref import ImageReferenceError, is_image_id, require_image, resolve_image, single_match

MEMBERS_PER_IMAGE_MAX = 128
MEMBER_STATES = ("present", "absent")


@dataclass(frozen=True)
class MemberPlan:
    """Member changes per image: ``before`` (``{image_id: {member_id: Member}}``), ``to_add`` and ``to_remove``
    (``{image_id: [project ids]}``, only images with changes)."""

    before: dict = field(default_factory=dict)
    to_add: dict = field(default_factory=dict)
    to_remove: dict = field(default_factory=dict)

    @property
    def changed(self):
        return bool(self.to_add or self.to_remove)

    def after(self):
        """``{image_id: {member_id: Member}}`` once the plan is applied; new members are pending."""
        # Imported here, not with the module: the models need pydantic, which a task loads only once it connects.
        from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import Member  # pylint: disable=import-outside-toplevel

        result = {}
        for image_id, members in self.before.items():
            removed = self.to_remove.get(image_id, ())
            kept = {member_id: member for member_id, member in members.items() if member_id not in removed}
            kept.update((project, Member(image_id=image_id, member_id=project, status=MEMBER_PENDING)) for project in self.to_add.get(image_id, ()))
            result[image_id] = kept
        return result


def check_projects(projects, own_project_id):
    """The project IDs to share with, without duplicates; refuses the own project and more than 128 projects."""
    unique = list(dict.fromkeys(projects or ()))
    for project in unique:
        if not isinstance(project, str) or not project.strip():
            raise ValidationError("projects", "a project ID must be a non-empty string (got %r)" % (project,))
    if own_project_id in unique:
        raise ValidationError("projects", "%s is the project that owns the images; an image cannot be shared with its owner" % own_project_id)
    if len(unique) > MEMBERS_PER_IMAGE_MAX:
        raise ValidationError("projects", "an image can be shared with at most %d projects (got %d)" % (MEMBERS_PER_IMAGE_MAX, len(unique)))
    return unique


def check_shareable(image):
    """Refuse images the reference says cannot be shared (public images are refused as not owned, by image_ref)."""
    reasons = []
    if image.system_cmkid:
        reasons.append("it is encrypted (KMS key %s); share an unencrypted copy instead" % image.system_cmkid)
    if image.whole_image:
        reasons.append("it is a full-ECS image")
    if image.status != "active":
        reasons.append("it is %s, not active" % image.status)
    if reasons:
        raise ValidationError("image", "image %s (%s) cannot be shared: %s" % (image.id, image.name, "; ".join(reasons)))


def plan_members(current, projects, state, purge):
    """The plan that gives each image of ``current`` (``{image_id: {member_id: Member}}``) the members asked for.

    ``present`` adds the missing ``projects`` (with ``purge``, it also removes every other member); ``absent`` removes
    ``projects``. Raises ValidationError when an image would have more than 128 members.
    """
    if state not in MEMBER_STATES:
        raise ValueError("unknown member state %r" % state)
    to_add, to_remove = {}, {}
    for image_id, members in current.items():
        if state == "present":
            adding = [project for project in projects if project not in members]
            removing = sorted(member for member in members if member not in projects) if purge else []
        else:
            adding, removing = [], [project for project in projects if project in members]
        if len(members) + len(adding) - len(removing) > MEMBERS_PER_IMAGE_MAX:
            raise ValidationError(
                "projects",
                "image %s would be shared with %d projects; at most %d are allowed"
                % (image_id, len(members) + len(adding) - len(removing), MEMBERS_PER_IMAGE_MAX),
            )
        if adding:
            to_add[image_id] = adding
        if removing:
            to_remove[image_id] = removing
    return MemberPlan(before=current, to_add=to_add, to_remove=to_remove)


def apply_member_plan(ims, plan, wait=True, wait_timeout=300, warn=None):
    """Send the plan: removals first (they make room under the limit), then additions; returns the job IDs (a call
    whose response was lost but whose change showed has none)."""
    warn = warn or (lambda message: None)
    grace = min(LOST_RESPONSE_GRACE, wait_timeout)
    job_ids = []
    for image_ids, projects in batches(plan.to_remove):
        job_ids += _waited(ims, change_members_once(ims, image_ids, projects, False, grace, warn), wait, wait_timeout)
    for image_ids, projects in batches(plan.to_add):
        job_ids += _waited(ims, change_members_once(ims, image_ids, projects, True, grace, warn), wait, wait_timeout)
    return job_ids


def change_members_once(ims, image_ids, projects, share, grace, warn):
    """Share the images with the projects (``share``) or stop sharing them; returns the job ID, or None when a lost
    request turned out to have done it.

    After a lost response the members are read until every project is (or none is) a member of every image (the
    lost request's job finished) or the grace (at most ``grace`` seconds, see ``waiting.lost_grace``) has passed;
    only then is the request sent again.
    """
    send = ims.add_members if share else ims.remove_members
    what = ("%s as members of %s" if share else "the removal of %s from the members of %s") % (", ".join(projects), ", ".join(image_ids))
    return ims.send_once(lambda: send(image_ids, projects), _members_show(ims, image_ids, projects, share), what, warn, grace).answer


def _members_show(ims, image_ids, projects, shared):
    """A look at the members: whether every project is (``shared``), or none is, a member of every image."""

    def look():
        for image_id in image_ids:
            members = {member.member_id for member in ims.list_members(image_id)}
            if not (set(projects) <= members if shared else not set(projects) & members):
                return False
        return True

    return look


def _waited(ims, job_id, wait, wait_timeout):
    """``[job_id]`` once its job is done (when waiting), or ``[]`` when a lost call's change showed without a job."""
    if job_id is None:
        return []
    _wait(ims, job_id, wait, wait_timeout)
    return [job_id]


def batches(changes):
    """``{image_id: [projects]}`` as ``[(image_ids, projects)]`` batch calls: images with the same projects share one.

    The batch API changes every listed image for every listed project, so only images that need exactly the same
    projects can go together without touching members that should stay as they are.
    """
    groups = {}
    for image_id, projects in changes.items():
        groups.setdefault(tuple(projects), []).append(image_id)
    return [(image_ids, list(projects)) for projects, image_ids in groups.items()]


def share_images(ims, image_refs, projects, state="present", purge=False, check_mode=False, wait=True, wait_timeout=300, warn=None):
    """The owner's side: make the images' members what the task asks for; returns the task result."""
    projects = check_projects(projects, ims.project_id)
    images = _owned_images(ims, image_refs, missing_ok=state == "absent")
    current = {image.id: {member.member_id: member for member in ims.list_members(image.id)} for image in images}
    plan = plan_members(current, projects, state, purge)
    for image in images:
        if image.id in plan.to_add:
            check_shareable(image)
    job_ids = [] if check_mode else apply_member_plan(ims, plan, wait, wait_timeout, warn)
    after = plan.after()
    return {
        "changed": plan.changed,
        "members": [member.to_dict() for image in images for member in after[image.id].values()],
        "added_members": _pairs(plan.to_add),
        "removed_members": _pairs(plan.to_remove),
        "job_ids": job_ids,
        "diff": {"before": {"members": _statuses(plan.before)}, "after": {"members": _statuses(after)}},
    }


def answer_shares(ims, image_refs, status, check_mode=False, wait=True, wait_timeout=300, warn=None):
    """The consumer's side: accept or reject images shared with the calling project; returns the task result."""
    if status not in MEMBER_ANSWERS:
        raise ValidationError("status", "must be one of %s" % ", ".join(MEMBER_ANSWERS))
    image_ids = list(dict.fromkeys(shared_image_id(ims, ref) for ref in image_refs))
    before = {image_id: own_membership(ims, image_id) for image_id in image_ids}
    to_update = [image_id for image_id, member in before.items() if member.status != status]
    job_ids = []
    if to_update and not check_mode:
        outcome = ims.send_once(
            lambda: ims.update_member_status(to_update, status),
            lambda: all(own_membership(ims, image_id).status == status for image_id in to_update),
            "the answer %s to the shares of %s" % (status, ", ".join(to_update)),
            warn or (lambda message: None),
            min(LOST_RESPONSE_GRACE, wait_timeout),
        )
        job_ids = _waited(ims, outcome.answer, wait, wait_timeout)
    after = {image_id: member.model_copy(update={"status": status}) if image_id in to_update else member for image_id, member in before.items()}
    return {
        "changed": bool(to_update),
        "members": [member.to_dict() for member in after.values()],
        "job_ids": job_ids,
        "diff": {"before": {"status": _answers(before)}, "after": {"status": _answers(after)}},
    }


def shared_image_id(ims, ref):
    """The ID of an image another project shares with the caller, from its ID or its name (whatever the caller's
    answer so far)."""
    if is_image_id(ref):
        return ref
    # The default listing leaves out pending and rejected shares; the "shared" listing shows one status at a time.
    candidates = (
        image
        for status in (MEMBER_PENDING,) + MEMBER_ANSWERS
        for image in ims.list_images({"name": ref, "visibility": "shared", "member_status": status})
        if image.owner != ims.project_id
    )
    image = single_match(ref, {image.id: image for image in candidates}.values())
    if image is None:
        raise ImageReferenceError("image %s: no image of this name is shared with project %s" % (ref, ims.project_id))
    return image.id


def own_membership(ims, image_id):
    """The caller's member record of an image shared with it (the query API hides pending and rejected shares from
    members, the members API does not)."""
    member = ims.get_member(image_id, ims.project_id)
    if member is not None:
        return member
    image = ims.get_image(image_id)
    if image is not None and image.owner == ims.project_id:
        raise ImageReferenceError("image %s (%s) belongs to this project; only projects it is shared with accept or reject it" % (image.id, image.name))
    raise ImageReferenceError("image %s: no such image shared with project %s" % (image_id, ims.project_id))


def _owned_images(ims, image_refs, missing_ok):
    """The caller's images, each once; a reference to no image fails unless ``missing_ok`` (it has no members)."""
    if missing_ok:
        return _unique(image for image in (resolve_image(ims, ref) for ref in image_refs) if image is not None)
    return _unique(require_image(ims, ref) for ref in image_refs)


def _unique(images):
    return list({image.id: image for image in images}.values())


def _wait(ims, job_id, wait, wait_timeout):
    if wait:
        ims.wait_for_job(job_id, timeout=wait_timeout)


def _pairs(changes):
    return [{"image_id": image_id, "member_id": project} for image_id, projects in changes.items() for project in projects]


def _statuses(members_by_image):
    return {image_id: {member_id: member.status for member_id, member in sorted(members.items())} for image_id, members in members_by_image.items()}


def _answers(members_by_image):
    return {image_id: member.status for image_id, member in members_by_image.items()}
