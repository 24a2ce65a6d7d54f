# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How IMS writes things on the wire: attribute names, tags, request bodies, the answers of a share.

Pure functions and constants with no third-party library, so that the task layer can use them before anything is
connected.

Internal to this collection, may change in any release.
"""

import re

# The API that replicates an image to another region, which not every cloud's IMS has (named in messages).
CROSS_REGION_COPY_API = "POST /v1/cloudimages/{image_id}/cross_region_copy"

# The values of an image's __os_type and architecture (creation options and query filters alike).
OS_TYPES = ("Linux", "Windows", "Other")
ARCHITECTURES = ("x86", "arm")

# A member's answers to a share; a member that has not answered yet is pending.
MEMBER_ANSWERS = ("accepted", "rejected")
MEMBER_PENDING = "pending"


def attribute_name(raw_key):
    """The normalized name of an IMS attribute: "__os_version" -> "os_version", "__system__cmkid" -> "system_cmkid"."""
    return re.sub("_{2,}", "_", raw_key.lstrip("_"))


def tags_to_dict(tags):
    """IMS tags as ``{key: value}``, from "key=value" or legacy "key.value" strings or ``{"key", "value"}`` objects."""
    if isinstance(tags, dict):
        return {str(key): "" if value is None else str(value) for key, value in tags.items()}
    result = {}
    for tag in tags or ():
        if isinstance(tag, dict):
            result[str(tag.get("key"))] = "" if tag.get("value") is None else str(tag["value"])
            continue
        separator = "=" if "=" in tag else "."
        key, _sep, value = tag.partition(separator)
        result[key] = value
    return result


def tags_to_list(tags):
    """``{key: value}`` as the ``[{"key", "value"}]`` list the IMS tag and create APIs take, sorted by key."""
    return [{"key": key, "value": value} for key, value in sorted((tags or {}).items())]


def without_none(body):
    """The body without its None values: the APIs take a missing field, not a null, for "not given"."""
    return {key: value for key, value in body.items() if value is not None}
