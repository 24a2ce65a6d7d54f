# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``ims_image_export`` does: export an image to OBS (API reference 5.1.7). What can be exported is decided before
the request, and the request is sent so that a re-run or a lost response never fails for a file that is already there.

The reference forbids exporting public images, full-ECS images, ISO images and private images "created from a
Windows, SUSE, Red Hat, Ubuntu or Oracle Linux public image". That last rule is about lineage, and lineage is
visible on the images themselves: ``__originalimagename`` names the image an image was made from (empty for images
imported from a file). ``restricted_ancestor`` follows that chain, one GET per step, up to the public image it
starts from; the image is restricted when that public image's ``__platform`` is one of the five. A chain that ends
at an image this project cannot see (deleted, or another project's) proves nothing, and the decision is left to IMS,
which refuses such an export synchronously with IMG.0071.

IMS never overwrites a file (IMG.0070) and runs one export of an image at a time (IMG.0148). ``submit_export`` relies
on both. IMS has no API to read a bucket; OBS has (source_checks): where OBS can be read, the file is looked for
first, in check mode too, so that an existing file is reported (or refused) exactly as the real run would, without
an export request. Where it cannot, the file is only known to exist by asking for the export. After a lost response
the effect is looked for (``send_once``) by asking for the export again, which cannot export twice: "file exists"
then means the lost request wrote it, "an export is running" that it is still at work (it is waited for), an
accepted request that the lost one did nothing.

Internal to this collection, may change in any release.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ApiError, ResponseLostError, ValidationError, WaitTimeoutError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.rules import split_obs_url
from ansible_collections.hwcloud.ims.plugins.module_utils._client.waiting import LOST_RESPONSE_GRACE, poll_until
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_ref import is_image_id, require_image
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.source_checks import export_target_exists

RESTRICTED_PLATFORMS = frozenset(("Windows", "SUSE", "Red Hat", "Ubuntu", "Oracle Linux"))
EXPORT_FORMATS = ("qcow2", "vhd", "zvhd", "vmdk")
# What to do when the file is already there: report no change, or fail as IMS does.
EXISTING_FILE_CHOICES = ("keep", "fail")
QUICK_EXPORT_LIMIT = 1024**4
EXPORT_LIMIT = 128 * 1024**3
FILE_EXISTS = "IMG.0070"
EXPORT_RUNNING = "IMG.0148"
# Lineages are short (public image, golden image, copies); a longer chain is a loop or not worth following.
MAX_LINEAGE = 20


def export_image(ims, params, check_mode=False, warn=None):
    """The whole task: check the request and the image, export it (not in check mode), wait; returns the result."""
    warn = warn or (lambda message: None)
    check_export_request(params["bucket_url"], params["file_format"], params["quick_export"])
    # By ID any visible image, so that a public or foreign one is refused with its reason, not as "no such image".
    image = require_image(ims, params["image"], own_only=not is_image_id(params["image"]))
    check_exportable(ims, image, params["quick_export"])
    what = "image %s (%s) to %s" % (image.id, image.name, params["bucket_url"])
    if export_target_exists(ims, params["bucket_url"], warn) is True:
        if params["existing_file"] == "fail":
            raise ValidationError("bucket_url", "%s already exists, and IMS never overwrites a file (IMG.0070)" % params["bucket_url"])
        return _kept(params["bucket_url"], image)
    if check_mode:
        return {"changed": True, "msg": "would export " + what, "image_id": image.id, "job": None}
    submission = submit_export(ims, image.id, params["bucket_url"], params["file_format"], params["quick_export"], warn)
    if submission.existed:
        if params["existing_file"] == "fail":
            raise submission.refusal
        return _kept(params["bucket_url"], image)
    if submission.lost:
        return {"changed": True, "msg": "exported %s (by a request whose response was lost)" % what, "image_id": image.id, "job": None}
    if not params["wait"]:
        return {"changed": True, "msg": "started exporting " + what, "image_id": image.id, "job": {"job_id": submission.job_id}}
    job = ims.wait_for_job(submission.job_id, timeout=params["wait_timeout"])
    return {"changed": True, "msg": "exported " + what, "image_id": image.id, "job": job.to_dict()}


def _kept(bucket_url, image):
    return {
        "changed": False,
        "msg": "%s already exists; image %s (%s) not exported again" % (bucket_url, image.id, image.name),
        "image_id": image.id,
        "job": None,
    }


def check_export_request(bucket_url, file_format, quick):
    """The rules of the export request itself, before any request."""
    _bucket, key = split_obs_url(bucket_url, "bucket_url")
    if " " in key:
        raise ValidationError("bucket_url", "the file name cannot contain spaces (IMG.0175)")
    if quick and file_format:
        raise ValidationError("file_format", "a quick export keeps the image's own format; leave file_format out")
    if not quick and not file_format:
        raise ValidationError("file_format", "is required unless quick_export is true (one of %s)" % ", ".join(EXPORT_FORMATS))


def check_exportable(ims, image, quick):
    """Raise ValidationError with the reason when the reference says ``image`` cannot be exported."""
    what = "image %s (%s)" % (image.id, image.name)
    if image.is_public:
        raise ValidationError("image", "%s is a public image; public images cannot be exported (IMG.0077)" % what)
    if image.owner != ims.project_id:
        raise ValidationError("image", "%s belongs to project %s; only the owner can export it (IMG.0047)" % (what, image.owner))
    if image.status != "active":
        raise ValidationError("image", "%s is %s; only active images can be exported (IMG.0046)" % (what, image.status))
    if image.whole_image:
        raise ValidationError("image", "%s is a full-ECS image; full-ECS images cannot be exported (IMG.0128)" % what)
    if image.is_iso:
        raise ValidationError("image", "%s is an ISO image; ISO images cannot be exported (IMG.0167)" % what)
    size = image.image_size or 0
    if size >= QUICK_EXPORT_LIMIT or (size > EXPORT_LIMIT and not quick):
        raise ValidationError("image", "%s has %d bytes; images up to 128 GB can be exported, up to 1 TB with quick_export (IMG.0160)" % (what, size))
    ancestor = restricted_ancestor(ims, image)
    if ancestor is not None:
        raise ValidationError(
            "image",
            "%s descends from public image %s (%s, platform %s); images made from Windows, SUSE, Red Hat, Ubuntu or "
            "Oracle Linux public images cannot be exported (IMG.0071)" % (what, ancestor.id, ancestor.name, ancestor.platform),
        )


def restricted_ancestor(ims, image):
    """The public image of a restricted platform ``image`` descends from, or None (see the module docstring)."""
    seen = {image.id}
    parent_id = image.originalimagename
    while parent_id and parent_id not in seen and len(seen) <= MAX_LINEAGE:
        parent = ims.get_image(parent_id)
        if parent is None:
            return None
        if parent.is_public:
            return parent if parent.platform in RESTRICTED_PLATFORMS else None
        seen.add(parent.id)
        parent_id = parent.originalimagename
    return None


@dataclass(frozen=True)
class ExportSubmission:
    """What an export request led to: the ``job_id`` it started, or none because the file existed already (IMS's
    ``refusal``), a request whose response was lost wrote it (``lost``), or an export of the image is ``running``."""

    job_id: str | None = None
    refusal: ApiError | None = None
    lost: bool = False
    running: bool = False

    @property
    def existed(self):
        return self.refusal is not None


def submit_export(ims, image_id, bucket_url, file_format, quick, warn, grace=LOST_RESPONSE_GRACE):
    """Ask IMS to export the image; see ExportSubmission. Other refusals raise ApiError.

    After a lost response the request is asked again (see the module docstring); while IMS answers that an export of
    the image is running (most likely the lost one), for up to ``grace`` seconds.
    """

    def ask_again():
        try:
            submission = _send(ims, image_id, bucket_url, file_format, quick)
        except ResponseLostError:
            return None
        except ApiError as error:
            if error.code != EXPORT_RUNNING:
                raise
            return ExportSubmission(running=True)
        return ExportSubmission(lost=True) if submission.existed else submission

    def finished():
        again = ask_again()
        return None if again is None or again.running else again

    outcome = ims.send_once(lambda: _send(ims, image_id, bucket_url, file_format, quick), ask_again, "the export of image %s" % image_id, warn, grace)
    submission = outcome.answer or outcome.found
    if submission.running:
        submission = poll_until(finished, grace, ims.poller(grace))
        if submission is None:
            raise WaitTimeoutError(
                "the export request's response was lost and an export of image %s is still running after %d seconds; "
                "run the task again once it has finished" % (image_id, grace)
            )
    return submission


def _send(ims, image_id, bucket_url, file_format, quick):
    try:
        return ExportSubmission(job_id=ims.export_image(image_id, bucket_url, file_format, quick or None))
    except ApiError as error:
        if error.code != FILE_EXISTS:
            raise
        return ExportSubmission(refusal=error)
