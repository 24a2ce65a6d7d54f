# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ims_image: one image per name, also when creations race across controllers or a lost request is applied late.

IMS has no idempotency key and no unique names, and a lock on one controller cannot see another one. So after it
creates an image, a task watches the name (``ImageLifecycle.converge``): until its own image and every other image
of the name that appeared after the task first looked (its *window*) have settled, and at least ``WATCH_MARGIN``
seconds after its creation was answered. Then ``decide`` (pure) picks the one survivor every party picks the same
way: the oldest ``created_at``, then the lowest ID. The task deletes the others of its window (never an image that
existed before it looked, never a protected one), warns with the IDs, and returns the survivor.

Why every party agrees: a task that created an image saw none of the name when it looked, so every image it races
with appeared after it looked. Of two racing creations, the party of the younger one sees the older one inside its
window (the older one was created before the younger, which was created before the younger settled), so it deletes
its own. ``WATCH_MARGIN`` covers the tie of ``created_at`` (one-second resolution), where the ID decides.

What is not guaranteed: an image of the name created after a task's window closed (a lost request applied later
than that, or a creation with ``wait: false``, which does not watch) is left alone; the next run that finds several
images of the name fails naming them (``duplicates_message``), and a converging creation would keep the oldest.

Internal to this collection, may change in any release.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.hwcloud.ims.plugins.module_utils._client.timestamps import parse_time

# Seconds a creating task keeps watching its name after the creation was answered: created_at has a resolution of one
# second, and a racing image created within the same second must be seen to be ordered by its ID.
WATCH_MARGIN = 2.0
GONE = ("killed", "deleted")


@dataclass(frozen=True)
class Convergence:
    """What to do with the images of one name: keep ``survivor``, delete ``extras``; ``protected`` ones stay anyway."""

    survivor: object
    extras: list = field(default_factory=list)
    protected: list = field(default_factory=list)


def creation_order(image):
    """The order every party sorts racing images by: creation time, then ID."""
    created = parse_time(image.created_at)
    return (created is None, created.timestamp() if created is not None else 0.0, image.id)


def window(images, seen_before):
    """The live images among ``images`` (of one name) that did not exist when the task first looked."""
    return [image for image in images if image.id not in seen_before and image.status not in GONE]


def decide(candidates):
    """The Convergence of ``candidates`` (a window of settled, live images, not empty)."""
    ordered = sorted(candidates, key=creation_order)
    survivor, others = ordered[0], ordered[1:]
    return Convergence(survivor, [image for image in others if not image.protected], [image for image in others if image.protected])


def duplicates_message(name, project_id, images):
    """Why several live images of one name exist, which they are, and what to do about it."""
    ordered = sorted(images, key=creation_order)
    listed = ", ".join("%s (created %s, %s)" % (image.id, image.created_at or "at an unknown time", image.status) for image in ordered)
    return (
        "image %s: %d images of project %s have this name: %s. Creations of one name raced, a lost creation request "
        "was applied after its task had stopped watching the name, or the images were made outside this task; a "
        "converging creation keeps the oldest (%s). Delete the others, or give the ID of the one you mean"
        % (name, len(ordered), project_id, listed, ordered[0].id)
    )
