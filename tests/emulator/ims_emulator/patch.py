# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON-patch bodies of ``PATCH /v2/cloudimages/{id}`` and ``PATCH /v2/images/{id}``: the operations parsed from
either patch style, the attributes a patch may change, and the values each one may take.

Every refusal is an ImsError with the documented code; nothing a client sends may end in an unhandled exception.
"""

import re

from .attributes import FIRMWARE_TYPES, check_choice, check_description, check_name, check_size
from .errors import ImsError

#: Attributes the extension PATCH may change (5.1.2); the native one may also change custom attributes.
MUTABLE_ATTRIBUTES = (
    "name",
    "__description",
    "__support_xen",
    "__support_largememory",
    "__support_diskintensive",
    "__support_highperformance",
    "__support_xen_gpu_type",
    "__support_kvm_gpu_type",
    "__support_xen_hana",
    "__is_config_init",
    "min_ram",
    "hw_vif_multiqueue_enabled",
    "hw_firmware_type",
)
#: Attributes an image always has.
_IRREMOVABLE = ("name", "min_ram")
#: Extension attributes IMS itself keeps (what the image is, where it comes from, its file, its key): a PATCH cannot
#: add or remove them.
MANAGED_EXTENSION_ATTRIBUTES = frozenset(
    (
        "__imagetype",
        "__isregistered",
        "__os_version",
        "__os_bit",
        "__os_type",
        "__platform",
        "__image_size",
        "__image_source_type",
        "__image_location",
        "__originalimagename",
        "__data_origin",
        "__root_origin",
        "__backup_id",
        "__whole_image",
        "__system__cmkid",
        "__productcode",
        "__account_code",
        "__lazyloading",
        "__support_arm",
        "__support_fc_inject",
    )
)
#: Glance's own attributes and those IMS manages: never custom, whatever their spelling.
RESERVED_ATTRIBUTES = frozenset(
    (
        "id",
        "name",
        "status",
        "owner",
        "visibility",
        "protected",
        "checksum",
        "size",
        "virtual_size",
        "created_at",
        "updated_at",
        "deleted",
        "deleted_at",
        "file",
        "self",
        "schema",
        "container_format",
        "disk_format",
        "min_disk",
        "min_ram",
        "max_ram",
        "locations",
        "direct_url",
        "tags",
        "active_at",
        "virtual_env_type",
        "enterprise_project_id",
        "hw_firmware_type",
        "hw_vif_multiqueue_enabled",
        "os_hidden",
        "os_hash_algo",
        "os_hash_value",
        "stores",
    )
)


def is_extension_attribute(name):
    """An extension attribute (``__`` prefix) that the extension PATCH may add or remove (5.1.2): any but those IMS
    keeps itself."""
    return len(name) > 2 and name.startswith("__") and name not in MANAGED_EXTENSION_ATTRIBUTES


def is_custom_attribute(name):
    """A user-defined image property: not Glance's, not IMS's (those start with ``__``)."""
    return bool(name) and not name.startswith("__") and name not in RESERVED_ATTRIBUTES


def parse_patch(data, v20=False):
    """The operations of a JSON-patch body as (op, attribute, value): RFC 6902 style (``op``/``path``/``value``,
    Glance's v2.1) or, with ``v20``, Glance's v2.0 style (``{"replace": "/name", "value": ...}``)."""
    if not isinstance(data, list) or not data or not all(isinstance(item, dict) for item in data):
        raise ImsError("IMG.0001")
    operations = []
    for item in data:
        if v20:
            kinds = [kind for kind in ("add", "replace", "remove") if kind in item]
            if len(kinds) != 1:
                raise ImsError("IMG.0001")
            operation, path = kinds[0], item[kinds[0]]
        else:
            operation, path = item.get("op"), item.get("path")
        if operation not in ("add", "replace", "remove") or not isinstance(path, str) or not path.startswith("/"):
            raise ImsError("IMG.0001")
        if operation != "remove" and "value" not in item:
            raise ImsError("IMG.0001")
        name = path[1:].replace("~1", "/").replace("~0", "~")
        operations.append((operation, name, item.get("value")))
    return operations


def check_patch_value(operation, name, value, profile):
    """The value an attribute may take in a PATCH sent to a region of cloud ``profile``, normalized; None for
    ``remove``."""
    if operation == "remove":
        if name in _IRREMOVABLE:
            raise ImsError("IMG.0001")
        return None
    if name == "name":
        return check_name(value, profile)
    if name == "__description":
        return check_description(value)
    if name == "min_ram":
        if isinstance(value, str) and re.fullmatch(r"\d+", value):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ImsError("IMG.0055")
        return check_size(value, 0, 1024 * 1024)
    if name == "hw_firmware_type":
        return check_choice(value, FIRMWARE_TYPES, "IMG.0141")
    if not isinstance(value, str):
        raise ImsError("IMG.0001")
    return value
