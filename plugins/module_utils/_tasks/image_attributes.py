# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconciling the mutable attributes of an existing image with one JSON-patch (PATCH /v2/cloudimages/{id}).

``plan_update`` is pure: it compares a normalized image (a dict, as ``Image.to_dict()`` returns it) with the wanted
values and returns the operations that make them equal, and nothing else. Each operation is chosen by what the image
has now: ``add`` for an attribute it lacks, ``replace`` for one it has, ``remove`` for a flag to clear.

IMS stores its flags the way the reference describes them: a ``__support_*`` flag is present with the value "true"
when set and absent otherwise; ``hw_vif_multiqueue_enabled`` and ``__is_config_init`` hold "true" or "false" and
mean false when absent; an absent ``hw_firmware_type`` means BIOS. The planner follows those defaults, so asking
for the default of an absent attribute is no change at all.

The service answers IMG.0035 when a ``replace`` or ``remove`` meets an attribute the image lacks (the image changed
since it was read, or it reports the attribute differently than it stores it). ``patch_image`` then re-reads the
image and sends one more plan in which every value is written with ``add`` (add-or-replace in JSON-patch). A PATCH
whose response is lost is sent again only when the image does not show the wanted values (``send_once``).

Internal to this collection, may change in any release.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ApiError, ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.rules import validate_description, validate_image_name

ATTRIBUTE_CONFLICT = "IMG.0035"
FIRMWARE_TYPES = ("bios", "uefi")


@dataclass(frozen=True)
class Attribute:
    """A mutable attribute: its option / normalized name, its wire path, its kind and what its absence means."""

    option: str
    path: str
    kind: str  # "text", "integer", "presence" (a "true" flag, absent when false), "boolean" ("true"/"false")
    default: object = None  # the value an absent attribute stands for


MUTABLE_ATTRIBUTES = (
    Attribute("name", "/name", "text"),
    Attribute("description", "/__description", "text", ""),
    Attribute("min_ram", "/min_ram", "integer", 0),
    Attribute("support_xen", "/__support_xen", "presence", False),
    Attribute("support_largememory", "/__support_largememory", "presence", False),
    Attribute("support_diskintensive", "/__support_diskintensive", "presence", False),
    Attribute("support_highperformance", "/__support_highperformance", "presence", False),
    Attribute("support_xen_hana", "/__support_xen_hana", "presence", False),
    Attribute("support_xen_gpu_type", "/__support_xen_gpu_type", "text", ""),
    Attribute("support_kvm_gpu_type", "/__support_kvm_gpu_type", "text", ""),
    Attribute("hw_firmware_type", "/hw_firmware_type", "text", "bios"),
    Attribute("hw_vif_multiqueue_enabled", "/hw_vif_multiqueue_enabled", "boolean", False),
    Attribute("is_config_init", "/__is_config_init", "boolean", False),
)
MUTABLE_OPTIONS = tuple(attribute.option for attribute in MUTABLE_ATTRIBUTES)


@dataclass(frozen=True)
class UpdatePlan:
    """The JSON-patch ``operations`` and the managed attributes ``before`` and ``after`` them (for --diff)."""

    operations: list = field(default_factory=list)
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)

    @property
    def changed(self):
        return bool(self.operations)


def validate_wanted(wanted, cloud_profile=None):
    """Check the wanted values against the IMS rules of ``cloud_profile`` (before any request); returns only the ones
    that are set."""
    wanted = {option: value for option, value in wanted.items() if value is not None}
    if "name" in wanted:
        validate_image_name(wanted["name"], cloud_profile=cloud_profile)
    validate_description(wanted.get("description"))
    if wanted.get("min_ram", 0) < 0:
        raise ValidationError("min_ram", "must be 0 (no minimum) or more megabytes")
    return wanted


def plan_update(image, wanted, force_add=False):
    """The operations turning ``image`` (a normalized image dict) into ``wanted`` ({option: value}; None: keep).

    With ``force_add`` every value is written with ``add`` (the IMG.0035 fallback); removals stay removals.
    """
    operations, before, after = [], {}, {}
    for attribute in MUTABLE_ATTRIBUTES:
        value = wanted.get(attribute.option)
        if value is None:
            continue
        raw = image.get(attribute.option)
        current = _effective(attribute, raw)
        before[attribute.option] = current
        after[attribute.option] = value
        if current == value:
            continue
        operations.append(_operation(attribute, raw, value, force_add))
    return UpdatePlan(operations, before, after)


def _effective(attribute, raw):
    """What the attribute means now, absence resolved to its default, in the option's type."""
    if raw is None or raw == "":
        return attribute.default
    if attribute.kind in ("presence", "boolean"):
        return raw if isinstance(raw, bool) else str(raw).strip().lower() == "true"
    if attribute.kind == "integer":
        return int(raw)
    return str(raw)


def _operation(attribute, raw, value, force_add):
    present = raw is not None
    if attribute.kind == "presence" and not value:
        return {"op": "remove", "path": attribute.path}
    if attribute.kind == "text" and value == "" and attribute.option != "description":
        # An empty GPU type means "no GPU support": IMS leaves the attribute out.
        return {"op": "remove", "path": attribute.path}
    op = "replace" if present and not force_add else "add"
    return {"op": op, "path": attribute.path, "value": _wire_value(attribute, value)}


def _wire_value(attribute, value):
    """The value as the PATCH body carries it: a string, as 5.1.2 (and the official SDK's model) types it."""
    if attribute.kind in ("presence", "boolean"):
        return "true" if value else "false"
    return str(value)


def patch_image(ims, image, wanted, warn=None):
    """Send the plan for ``image`` (an Image) and return the updated Image; one retry with ``add`` after IMG.0035."""
    plan = plan_update(image.to_dict(), wanted)
    if not plan.changed:
        return image
    try:
        return _send_patch(ims, image.id, plan, wanted, warn)
    except ApiError as error:
        if error.code != ATTRIBUTE_CONFLICT:
            raise
    fresh = ims.get_image(image.id) or image
    retry = plan_update(fresh.to_dict(), wanted, force_add=True)
    return _send_patch(ims, image.id, retry, wanted, warn) if retry.changed else fresh


def _send_patch(ims, image_id, plan, wanted, warn):
    def applied():
        fresh = ims.get_image(image_id)
        return fresh if fresh is not None and not plan_update(fresh.to_dict(), wanted).changed else None

    outcome = ims.send_once(
        lambda: ims.update_image(image_id, plan.operations), applied, "the new attributes of image %s" % image_id, warn or (lambda message: None)
    )
    return outcome.answer or outcome.found
