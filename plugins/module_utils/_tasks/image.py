# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The life cycle of one image, as ``ims_image`` runs it: find, create without duplicates, update, delete.

``ImageLifecycle(ims, params, check_mode, warn).present()`` / ``.absent()`` return the module result.

Order of work, so that whatever can fail early does:

1. Pure checks (no request): name, description, tags, the wanted attributes, the creation source and its options.
2. One lookup: by ID, or by name among the project's own images (several live images of the name: an error that
   names them and says why, see image_convergence).
3. Nothing found: the remote pre-flight (quota, OS version catalog, the source image's own attributes, and what
   only ECS and OBS know: the ECS's state, the OBS file, see source_checks), then one creation request. A creation
   whose response was lost is never simply re-sent: the name is looked up again first (``send_once``), and a found
   image is waited for (or, for metadata sources, its file step is resumed).
   An image of the name that is still ``queued``/``saving`` is a creation in flight: it is waited for, not repeated.
   Once created, the name is watched until one image of it remains (``converge``, see image_convergence): creations
   that raced on other controllers, or a lost request applied late, never leave two images.
4. Found: one PATCH with exactly the needed operations, and the tag plan; creation options that differ from what the
   image was made with are warned about, never acted on (IMS cannot change them, and recreating is destructive).

Every write (create, PATCH, tags, delete, a file step) whose response is lost is sent again only when its effect
does not show (``send_once``); ``changed`` follows the effect.

Check mode runs every read of the real run and stops before the first write, with ``changed`` as the real run
would report it: reads are allowed, writes would raise before being sent.

Internal to this collection, may change in any release.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from dataclasses import dataclass

try:
    import fcntl
except ImportError:  # not POSIX: no lock between forks
    fcntl = None

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ApiError, ImsError, ValidationError, WaitTimeoutError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.rules import validate_image_name
from ansible_collections.hwcloud.ims.plugins.module_utils._client.token_cache import default_cache_dir
from ansible_collections.hwcloud.ims.plugins.module_utils._client.waiting import LOST_RESPONSE_GRACE, poll_until
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_attributes import MUTABLE_OPTIONS, patch_image, plan_update, validate_wanted
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_convergence import (
    WATCH_MARGIN,
    creation_order,
    decide,
    duplicates_message,
    window,
)
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_ref import ImageReferenceError, check_owned, is_image_id, require_image
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_replica import check_replication_target, prepare_replica
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_sources import (
    SOURCE_OPTIONS,
    CopySource,
    ReplicaSource,
    Submitted,
    names_a_source,
    select_source,
)
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_tag import apply_tag_plan, check_desired_tags, plan_tags

IMAGE_STATES = ("present", "absent")
IN_FLIGHT = ("queued", "saving")
FAILED = "killed"
IMAGE_UNAVAILABLE = "IMG.0046"
# How long an image may stay invisible after its job succeeded, or visible after it was deleted.
VISIBILITY_GRACE = 60
# What an image's virtual_env_type is for each image_type option value.
ENVIRONMENTS = {"ECS": "FusionCompute", "BMS": "Ironic", "DataImage": "DataImage", "IsoImage": "IsoImage"}


@contextlib.contextmanager
def name_lock(project_id, name, enabled=True, warn=None, directory=None):
    """Hold an exclusive advisory lock for one image name of one project, shared by every process of this user on this
    host (``$XDG_CACHE_HOME/hwcloud.ims/locks``, a 0700 directory; the file name is a hash). Without ``fcntl``, or when
    the directory cannot be used, nothing is locked (with a warning)."""
    if not enabled or fcntl is None:
        yield
        return
    directory = directory or os.path.join(os.path.dirname(default_cache_dir()), "locks")
    key = hashlib.sha256(("%s\0%s" % (project_id, name)).encode("utf-8")).hexdigest()
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        info = os.lstat(directory)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            raise OSError("%s is not a private directory of this user" % directory)
        descriptor = os.open(os.path.join(directory, key + ".lock"), os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        if warn:
            warn("not locking the image name against other forks: %s" % (exc.strerror or exc))
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


@dataclass(frozen=True)
class ImageRequest:
    """What an ``ims_image`` task asks for, checked without any request: the attributes to set (``wanted``) and the
    creation source (a Source, or None when no source option is given)."""

    wanted: dict
    source: object = None
    tags: dict = None


def check_options(params, cloud_profile=None):
    """Every rule of the options that needs no request (step 1 of the module docstring); returns the ImageRequest.

    ``cloud_profile`` (``otc``, ``huaweicloud`` or None) decides the rules where clouds differ (image names). The
    module runs this before it connects, so that bad input fails at the cost of the argument check.
    """
    for option in SOURCE_OPTIONS:
        # An empty source is no source: refused, rather than taken as not given (and the creation options then ignored).
        if params.get(option) == "":
            raise ValidationError(option, "must not be empty; leave the option out to give no %s" % option)
    if params["state"] == "absent":
        if not params.get("id"):
            validate_image_name(params["name"], cloud_profile=cloud_profile)
        return ImageRequest(wanted={})
    wanted = validate_wanted({option: params.get(option) for option in MUTABLE_OPTIONS}, cloud_profile)
    if not params.get("id"):
        wanted.pop("name", None)  # the name identifies the image; only an image given by ID is renamed
    tags = check_desired_tags(params.get("tags"))  # as text: templating makes "{{ build }}" a number
    plan_tags({}, tags, params["purge_tags"])  # checks the number of tags too
    params = dict(params, tags=tags)
    # Without a source the task only manages an existing image; creation options then only feed the warnings.
    source = select_source(params, cloud_profile) if names_a_source(params) else None
    return ImageRequest(wanted=wanted, source=source, tags=tags)


class ImageStateError(ImsError):
    """The image is in a state that forbids what the task asks (protected, being created, failed)."""


class ImageLifecycle:
    """One ``ims_image`` task: ``params`` are the module's options."""

    def __init__(self, ims, params, check_mode=False, warn=None):
        self.ims = ims
        self.params = params
        self.check_mode = check_mode
        self.warn = warn or (lambda message: None)
        self.deadline = ims.clock() + params["wait_timeout"]
        # The IDs of the images of the name when the task first looked: never part of a creation's window.
        self.seen_before = set()

    # --- state=present ----------------------------------------------------------------------------------------

    def present(self):
        request = check_options(self.params, self.ims.cloud_profile)
        # The creation sends the tags as checked: as text (templating makes "{{ build }}" a number).
        self.params = params = dict(self.params, tags=request.tags)
        wanted, source = request.wanted, request.source
        if isinstance(source, ReplicaSource):
            check_replication_target(self.ims, params)

        # Tasks of other forks on this controller that create the same name wait here until this one's creation is
        # visible (IMS has no idempotency key: two lookups before two creations would make two images).
        with name_lock(self.ims.project_id, params["name"], enabled=not self.check_mode and not params.get("id"), warn=self.warn):
            image = self.find()
            if image is None:
                if params.get("id"):
                    raise ImageReferenceError(
                        "image %s: no such image in project %s; an image is created by name, without id" % (params["id"], self.ims.project_id)
                    )
                if source is None:
                    raise ValidationError(
                        "name",
                        "no image named %r in project %s, and no source to create it from (%s)"
                        % (params["name"], self.ims.project_id, ", ".join(SOURCE_OPTIONS)),
                    )
                return self.create(source, wanted)
        resumed = None
        if image.status in IN_FLIGHT:
            submitted, resumed = self.resume_or_wait(source, image)
            if resumed and self.check_mode:
                # The real run would send the file step; nothing settles the image in check mode, so it is not waited for.
                return {
                    "changed": True,
                    "image": image.to_dict(),
                    "images": [image.to_dict()],
                    "job": None,
                    "diff": {"before": {"status": image.status}, "after": {"status": "active"}},
                }
            if not params["wait"]:
                return {"changed": resumed, "image": image.to_dict(), "images": [image.to_dict()], "job": _job_stub(submitted)}
            image = self.wait_until_settled(image.id)
        if image.status == FAILED:
            raise ImageStateError("image %s (%s) failed to be created (status killed); delete it before creating it again" % (image.id, image.name))
        self.warn_immutable_differences(image, source)
        result = self.update(image, wanted)
        if resumed:
            result.update(changed=True, job=_job_stub(submitted))
        return result

    def find(self):
        """The image the task means: by ID (it must be the project's own), or the one live image of the name."""
        if self.params.get("id"):
            image = self.ims.get_image(self.params["id"])
            if image is not None:
                check_owned(self.ims, image)
            return image
        return self.find_by_name(self.params["name"])

    def find_by_name(self, name):
        candidates = self.images_named(name)
        self.seen_before = {image.id for image in candidates}
        for failed in (image for image in candidates if image.status == FAILED):
            self.warn("image %s of the same name failed to be created (status killed) and is ignored; delete it" % failed.id)
        live = [image for image in candidates if image.status not in (FAILED, "deleted")]
        if len(live) > 1:
            raise ImageReferenceError(duplicates_message(name, self.ims.project_id, live))
        return live[0] if live else None

    def images_named(self, name):
        return list(self.ims.list_images({"name": name, "owner": self.ims.project_id}))

    def find_new(self):
        """The oldest live image of the name that did not exist when the task first looked, or None."""
        fresh = window(self.images_named(self.params["name"]), self.seen_before)
        return min(fresh, key=creation_order) if fresh else None

    # --- creating ---------------------------------------------------------------------------------------------

    def create(self, source, wanted):
        self.preflight(source)
        after = dict(wanted, name=self.params["name"], tags=self.params.get("tags") or {}, source=source.describe_checked())
        result = {"changed": True, "diff": {"before": {}, "after": after}}
        if self.check_mode:
            return dict(result, image=None, images=[], job=None)
        submitted = self.submit_without_duplicate(source)
        answered_at = self.ims.clock()
        result["job"] = _job_stub(submitted)
        if not self.params["wait"]:
            return dict(result, image=None, images=[])
        image_ids = [submitted.image_id] if submitted.image_id else []
        if submitted.job_id:
            job = (submitted.job_client or self.ims).wait_for_job(submitted.job_id, timeout=self.remaining())
            result["job"] = job.to_dict()
            image_ids = job.image_ids or image_ids
        image = self.converge(image_ids, answered_at)
        if image.status == FAILED:
            raise ImageStateError("image %s (%s) was created but failed (status killed)" % (image.id, image.name))
        own = image.id == image_ids[0]
        image = self.finish(image, wanted)
        others = [self.ims.wait_for_image(image_id, timeout=min(VISIBILITY_GRACE, self.remaining())).to_dict() for image_id in image_ids[1:] if own]
        return dict(result, image=image, images=[image] + others)

    def preflight(self, source):
        """What the service would refuse, checked before the request: quota, OS version, the source image."""
        quota = self.ims.get_quota()
        if quota.quota - quota.used < source.image_count:
            raise ValidationError(
                "name",
                "the project's private image quota is used up: %d of %d images exist and %s makes %d"
                % (quota.used, quota.quota, source.describe(), source.image_count),
            )
        if source.os_version and source.os_version not in self.ims.list_os_versions():
            raise ValidationError(
                "os_version",
                "%r is not an OS version this region accepts (the values of GET /v1/cloudimages/os_version, "
                "for example 'Ubuntu 18.04 server 64bit')" % source.os_version,
            )
        if isinstance(source, ReplicaSource):
            prepare_replica(self.ims, source, self.warn)
        elif isinstance(source, CopySource):
            source.source = require_image(self.ims, source.source_image, own_only=False)
            check_copyable(source.source, self.ims.project_id, self.params.get("cmk_id"))
        if source.kind == "local_file":
            self.ims.check_upload_size(source.size)
        source.check_outside(self.ims, self.warn)

    def submit_without_duplicate(self, source):
        """Send the creation once. When its response is lost, look for the image before sending it again."""
        grace = min(LOST_RESPONSE_GRACE, self.remaining())
        outcome = self.ims.send_once(lambda: source.submit(self.ims), self.find_new, "a new image named %r" % self.params["name"], self.warn, grace)
        return self.resume_or_wait(source, outcome.found)[0] if outcome.found else outcome.answer

    def resume_or_wait(self, source, image):
        """An image of the name in flight: finish its file step (metadata sources) or just wait for it.

        Returns ``(Submitted, resumed)``: ``resumed`` tells whether the file step was sent (in check mode: would be).
        """
        if source is not None and source.can_resume and image.status == "queued":
            if self.check_mode:
                return Submitted(image_id=image.id), True
            try:
                outcome = self.ims.send_once(
                    lambda: source.resume(self.ims, image.id), lambda: self.file_step_started(image.id), "the file step of image %s" % image.id, self.warn
                )
            except ApiError as error:
                if error.code != IMAGE_UNAVAILABLE:  # its file step is already running
                    raise
            else:
                return outcome.answer or Submitted(image_id=image.id), True
        return Submitted(image_id=image.id), False

    def file_step_started(self, image_id):
        """Whether the image left ``queued``: its file is being registered or uploaded."""
        image = self.ims.get_image(image_id)
        return image is not None and image.status != "queued"

    def converge(self, image_ids, answered_at):
        """The one image of the name once this task's creation (``image_ids``, its image first) settled.

        Watches the name until this task's image and every other image of its window (see image_convergence) have
        settled, and at least WATCH_MARGIN seconds after the creation was answered; then deletes the extras of the
        window and returns the survivor (this task's image when nothing raced with it). This task's image may vanish
        meanwhile: the party of an older image that raced with it deleted it.
        """
        own_id = image_ids[0]
        named, own, seen, settled = [], None, False, False
        for _poll in self.ims.poller(self.remaining()):
            named = [image for image in self.images_named(self.params["name"]) if image.id not in self.seen_before]
            own = next((image for image in named if image.id == own_id), None)
            seen = seen or own is not None
            settled = seen and all(image.status not in IN_FLIGHT for image in named)
            if settled and self.ims.clock() >= answered_at + WATCH_MARGIN:
                break
        if not settled:  # wait_timeout reached; when only the margin was cut short, what was seen is decided on
            state = "not visible" if own is None else "status %s" % own.status
            raise WaitTimeoutError("image %s was not ready within %s seconds (%s)" % (own_id, self.params["wait_timeout"], state))
        if own is not None and own.status == FAILED:
            return own
        live = window(named, self.seen_before)
        if not live:
            raise ImageStateError(
                "image %s (%s) was deleted while it was being created, and no other image of the name remains" % (own_id, self.params["name"])
            )
        if [image.id for image in live] == [own_id]:
            return own
        return self.keep_one(decide(live), image_ids)

    def keep_one(self, convergence, image_ids):
        """Delete the extras of the window (and this task's other images when its own lost) and return the survivor."""
        survivor = convergence.survivor
        doomed = [image.id for image in convergence.extras]
        if survivor.id != image_ids[0]:
            doomed += [image_id for image_id in image_ids[1:] if image_id not in doomed]
        for image_id in doomed:
            self.delete_once(image_id)
        gone = "deleted %s" % ", ".join(doomed) if doomed else "the others were deleted by the task that made the oldest"
        self.warn(
            "images named %r were created while this task created one (its own is %s): a creation raced with it on "
            "another controller or fork, or a request whose response was lost was applied late. Kept the oldest, %s; %s"
            % (self.params["name"], image_ids[0], survivor.id, gone)
        )
        for image in convergence.protected:
            self.warn("image %s of the same name is protected and was left as is; unprotect and delete it" % image.id)
        return survivor

    def finish(self, image, wanted):
        """Set what the creation request could not carry (flags, a copy's tags, ...); returns the image dict."""
        image = patch_image(self.ims, image, wanted)
        tag_plan = plan_tags(image.tags, self.params.get("tags"), self.params["purge_tags"])
        apply_tag_plan(self.ims, image.id, tag_plan)
        return dict(image.to_dict(), tags=tag_plan.after)

    # --- updating ---------------------------------------------------------------------------------------------

    def update(self, image, wanted):
        current = image.to_dict()
        attribute_plan = plan_update(current, wanted)
        tag_plan = plan_tags(image.tags, self.params.get("tags"), self.params["purge_tags"])
        changed = attribute_plan.changed or tag_plan.changed
        result = {
            "changed": changed,
            "job": None,
            "diff": {"before": dict(attribute_plan.before, tags=tag_plan.before), "after": dict(attribute_plan.after, tags=tag_plan.after)},
        }
        if changed and not self.check_mode:
            if attribute_plan.changed:
                image = patch_image(self.ims, image, wanted)
            apply_tag_plan(self.ims, image.id, tag_plan)
            current = image.to_dict()
        current["tags"] = tag_plan.after
        return dict(result, image=current, images=[current])

    def warn_immutable_differences(self, image, source):
        for option, wanted, actual in immutable_differences(image, self.params, source):
            self.warn(
                "image %s (%s): %s is %r, but the image has %r; IMS cannot change it, so it is left as is "
                "(delete the image to create it anew)" % (image.id, image.name, option, wanted, actual)
            )

    # --- state=absent -----------------------------------------------------------------------------------------

    def absent(self):
        params = self.params
        check_options(params, self.ims.cloud_profile)
        image = self.find()
        if image is None:
            return {"changed": False, "image": None}
        if image.protected:
            raise ImageStateError("image %s (%s) is protected and cannot be deleted; unprotect it first" % (image.id, image.name))
        if image.status in IN_FLIGHT:
            raise ImageStateError(
                "image %s (%s) is being created (status %s) and cannot be deleted yet (IMG.0090); run again once it is done"
                % (image.id, image.name, image.status)
            )
        delete_backup = params.get("delete_backup")
        if delete_backup is not None and not image.whole_image:
            self.warn("delete_backup only applies to full-ECS images; image %s is not one" % image.id)
            delete_backup = None
        before = image.to_dict()
        result = {"changed": True, "image": before, "diff": {"before": before, "after": {}}}
        if self.check_mode:
            return result
        if not self.delete_once(image.id, delete_backup):
            return dict(result, changed=False, diff={"before": {}, "after": {}})
        if params["wait"]:
            self.wait_until_gone(image.id)
        return result

    def delete_once(self, image_id, delete_backup=None):
        """Delete the image; whether this task deleted it (a lost request whose image is gone did)."""
        outcome = self.ims.send_once(
            lambda: self.ims.delete_image(image_id, delete_backup=delete_backup),
            lambda: self.ims.get_image(image_id) is None,
            "the deletion of image %s" % image_id,
            self.warn,
        )
        # Gone when a lost deletion was sent again (404): the lost one deleted it.
        return bool(outcome.found or outcome.answer or outcome.losses)

    # --- waiting ----------------------------------------------------------------------------------------------

    def remaining(self):
        """Whole seconds left of wait_timeout (at least 1: the last look is always taken)."""
        return max(1, round(self.deadline - self.ims.clock()))

    def wait_until_settled(self, image_id):
        """The image once it is visible and neither queued nor saving."""
        return self.ims.wait_for_image(image_id, timeout=self.remaining(), until=lambda image: image.status not in IN_FLIGHT)

    def wait_until_gone(self, image_id):
        """Deleted images linger in the query API for a while (eventual consistency)."""
        timeout = self.remaining()
        if not poll_until(lambda: self.ims.get_image(image_id) is None, timeout, self.ims.poller(timeout)):
            raise WaitTimeoutError("image %s was deleted but is still listed after %d seconds" % (image_id, timeout))


def check_copyable(image, project_id, cmk_id):
    """Refuse, before the request, the copies the reference forbids (5.4.1, error codes of appendix B)."""
    what = "image %s (%s)" % (image.id, image.name)
    if image.is_public:
        raise ValidationError("source_image", "%s is a public image; public images cannot be copied (IMG.0083)" % what)
    if image.whole_image:
        raise ValidationError("source_image", "%s is a full-ECS image; full-ECS images cannot be copied (IMG.0130)" % what)
    if image.is_iso:
        raise ValidationError("source_image", "%s is an ISO image; ISO images cannot be copied (IMG.0167)" % what)
    if image.owner != project_id and image.system_cmkid:
        raise ValidationError("source_image", "%s is an encrypted image shared with this project; it cannot be copied (IMG.0197)" % what)
    if image.status != "active":
        raise ValidationError("source_image", "%s is %s; only active images can be copied (IMG.0046)" % (what, image.status))
    if cmk_id and cmk_id == image.system_cmkid:
        raise ValidationError("cmk_id", "%s is already encrypted with key %s; a copy needs another key (IMG.0096)" % (what, cmk_id))


def immutable_differences(image, params, source):
    """(option, wanted, actual) for every creation option whose value the existing image contradicts.

    Only attributes the image reports are compared: where IMS leaves an attribute out, nothing is claimed.
    """
    expected = {
        "instance_id": ("data_origin", "instance,%s" % params.get("instance_id")),
        "volume_id": ("data_origin", "volume,%s" % params.get("volume_id")),
        "backup_id": ("backup_id", params.get("backup_id")),
        "os_version": ("os_version", params.get("os_version")),
        "min_disk": ("min_disk", params.get("min_disk")),
        "disk_format": ("disk_format", params.get("disk_format")),
        "max_ram": ("max_ram", params.get("max_ram")),
        "cmk_id": ("system_cmkid", params.get("cmk_id")),
        "image_type": ("virtual_env_type", ENVIRONMENTS.get(params.get("image_type"))),
        "whole_image": ("whole_image", True if params.get("whole_image") else None),
    }
    if source is not None and source.kind in ("file", "quick_import", "register"):
        expected["image_url"] = ("data_origin", "file,%s" % params.get("image_url"))
    # A source image given by name is not looked up for this comparison: that would cost a request per run.
    if is_image_id(params.get("source_image")) and image.originalimagename and params["source_image"] != image.originalimagename:
        yield "source_image", params["source_image"], image.originalimagename
    current = image.to_dict()
    for option, (attribute, wanted) in expected.items():
        if params.get(option) in (None, False) or wanted is None:
            continue
        actual = current.get(attribute)
        if actual not in (None, "") and str(actual) != str(wanted):
            yield option, params.get(option), actual


def _job_stub(submitted):
    """The job of a submission that was not waited for: its ID, for hwcloud.ims.ims_job to resume."""
    if submitted is None or not submitted.job_id:
        return None
    return {"job_id": submitted.job_id}
