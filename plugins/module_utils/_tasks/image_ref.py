# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turning what a user wrote for an image (its ID or its name) into the image, the same way in every module.

A reference in UUID form is an image ID; anything else is a name. Names are not unique in IMS, so a name that matches
several images is an error that lists their IDs, never a guess. By default only the caller's own images count: a
module that changes an image can only change those, and a name means one of them.

Internal to this collection, may change in any release.
"""

import re

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ImsError

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ImageReferenceError(ImsError):
    """An image reference that names no image, several images, or an image the caller cannot change."""


def is_image_id(ref):
    """Whether ``ref`` has the form of an image ID (a UUID)."""
    return isinstance(ref, str) and bool(_UUID.match(ref))


def resolve_image(ims, ref, own_only=True):
    """The image ``ref`` (ID or name) stands for, or None when there is none.

    With ``own_only``, names are looked up among the caller's images only, and an ID of a visible image of another
    project (a public or shared image) raises ImageReferenceError. Without it, an ID may be any visible image and a
    name any image of the default listing (own, public and accepted shared images).
    """
    if is_image_id(ref):
        image = ims.get_image(ref)
        if image is not None and own_only:
            check_owned(ims, image)
        return image
    filters = {"name": ref, "owner": ims.project_id} if own_only else {"name": ref}
    return single_match(ref, ims.list_images(filters))


def require_image(ims, ref, own_only=True):
    """Like resolve_image, but an unknown reference raises ImageReferenceError."""
    image = resolve_image(ims, ref, own_only)
    if image is None:
        where = "in project %s" % ims.project_id if own_only else "visible to project %s" % ims.project_id
        raise ImageReferenceError("image %s: no such image %s" % (ref, where))
    return image


def single_match(ref, images):
    """The one image among ``images`` (matches of the name ``ref``), None if there is none; several raise."""
    matches = list(images)
    if len(matches) > 1:
        ids = ", ".join(sorted(image.id for image in matches))
        raise ImageReferenceError("image %s: %d images have this name (%s); give the ID of the one you mean" % (ref, len(matches), ids))
    return matches[0] if matches else None


def check_owned(ims, image):
    """Raise ImageReferenceError unless the caller's project owns the image."""
    if image.owner == ims.project_id:
        return
    if image.is_public:
        raise ImageReferenceError("image %s (%s) is a public image; only the project's own private images can be changed" % (image.id, image.name))
    raise ImageReferenceError(
        "image %s (%s) belongs to project %s, not to project %s; only its owner can change it" % (image.id, image.name, image.owner, ims.project_id)
    )
