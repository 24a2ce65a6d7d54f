# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attribute rules of the API reference's section 9, as IMS checks them: image names, descriptions, tags, OS
versions, enumerated values, architecture, sizes and RAM, enterprise projects and OBS addresses.

Every refusal is an ImsError with the documented code; nothing a client sends may end in an unhandled exception.
"""

import re

from .errors import ImsError

#: Image names by cloud: letters, digits, '-', '.', '_' and spaces (9.1); Huawei Cloud's own reference also allows
#: Chinese characters (the CJK unified ideographs and their first extension).
_NAMES = {
    "otc": re.compile(r"[A-Za-z0-9\-._ ]+"),
    "huaweicloud": re.compile(r"[A-Za-z0-9\-._ \u3400-\u4dbf\u4e00-\u9fff]+"),
}
# Carriage returns and angle brackets (9.1), and the other control characters with them.
_DESCRIPTION_FORBIDDEN = re.compile(r"[<>\x00-\x1f\x7f]")
# Tags in the "key.value" format: letters, digits, '-', '_' and CJK (9.2).
_TAG_WORD = re.compile(r"[A-Za-z0-9\-_\u4e00-\u9fff]*")
# Tags as key/value objects: anything but these (and control characters, which no tag format allows), and no leading
# or trailing space (9.2).
_TAG_FORBIDDEN = re.compile(r"[=*<>\\,|/\x00-\x1f\x7f]")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
MAX_TAG_KEY = 36
MAX_TAG_VALUE = 43
MAX_TAGS = 10
OS_TYPES = ("Linux", "Windows", "Other")
ARCHITECTURES = ("x86", "arm")
FIRMWARE_TYPES = ("bios", "uefi")


def check_name(name, profile):
    """An image name in a region of cloud ``profile``: 1 to 128 characters of the cloud's set, no space at either end."""
    if name is None or name == "":
        raise ImsError("IMG.0013")
    if not isinstance(name, str):
        raise ImsError("IMG.0003")
    if len(name) > 128:
        raise ImsError("IMG.0002")
    if name != name.strip(" ") or not _NAMES[profile].fullmatch(name):
        raise ImsError("IMG.0003")
    return name


def check_description(text):
    """An image description: at most 1024 characters, no carriage return (nor other control character) or angle bracket."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ImsError("IMG.0054")
    if len(text) > 1024:
        raise ImsError("IMG.0004")
    if _DESCRIPTION_FORBIDDEN.search(text):
        raise ImsError("IMG.0054")
    return text


def split_tag(text):
    """A tag string as (key, value): ``key=value`` (the current separator), ``key.value`` (the old one) or ``key``."""
    for separator in ("=", "."):
        if separator in text:
            key, value = text.split(separator, 1)
            return key, value
    return text, ""


def check_tag_string(text):
    """A tag in the ``key.value`` format of 9.2; returns (key, value)."""
    if not isinstance(text, str):
        raise ImsError("IMG.0115")
    key, value = split_tag(text)
    if not key or len(key) > MAX_TAG_KEY or len(value) > MAX_TAG_VALUE:
        raise ImsError("IMG.0115")
    if not _TAG_WORD.fullmatch(key) or not _TAG_WORD.fullmatch(value):
        raise ImsError("IMG.0115")
    return key, value


def check_tag_pair(key, value):
    """A tag as a key/value object (9.2): key 1-36, value 0-43 characters, none of ``=*<>\\,|/``, trimmed."""
    if not isinstance(key, str) or not isinstance(value, str):
        raise ImsError("IMG.0115")
    if not key or len(key) > MAX_TAG_KEY or len(value) > MAX_TAG_VALUE:
        raise ImsError("IMG.0115")
    for text in (key, value):
        if _TAG_FORBIDDEN.search(text) or text != text.strip(" "):
            raise ImsError("IMG.0115")
    return key, value


def tag_object(body):
    """A ``{"key": ..., "value": ...}`` tag of a request, checked; the value may be an empty string."""
    if body.data.get("key") is None or "value" not in body.data or body.data["value"] is None:
        raise ImsError("IMG.0115")
    return check_tag_pair(body.data["key"], body.data["value"])


def request_tags(body, strings_key="tags", objects_key="image_tags"):
    """The tags of a create request: ``tags`` (strings) or ``image_tags`` (objects), never both; at most 10. Where an
    API takes no tag objects (``objects_key`` None), ``image_tags`` is a field it does not know."""
    strings = body.texts(strings_key)
    objects = body.objects(objects_key) if objects_key else None
    if strings is not None and objects is not None:
        raise ImsError("IMG.0001")
    pairs = [check_tag_string(text) for text in strings or []] + [tag_object(item) for item in objects or []]
    tags = dict(pairs)
    if len(tags) != len(pairs):
        raise ImsError("IMG.0115")
    if len(tags) > MAX_TAGS:
        raise ImsError("IMG.0116")
    return tags


def check_os_version(world, os_version):
    if not isinstance(os_version, str) or os_version not in world.os_versions:
        raise ImsError("IMG.0056")
    return os_version


def check_choice(value, choices, code):
    if value is not None and value not in choices:
        raise ImsError(code)
    return value


def check_architecture(value):
    """``x86`` or ``arm`` (IMG.0212 says "x86 or Arm": the case of arm is not significant)."""
    if value is None:
        return "x86"
    if not isinstance(value, str) or value.lower() not in ARCHITECTURES:
        raise ImsError("IMG.0212")
    return value.lower()


def check_size(value, low, high, code="IMG.0055"):
    """An integer size within [low, high]; IMG.0055 ("The memory or disk size is invalid.") otherwise."""
    if value is not None and not low <= value <= high:
        raise ImsError(code)
    return value


def check_ram(body):
    """``min_ram`` and ``max_ram`` (MB) of a create request."""
    min_ram = check_size(body.integer("min_ram"), 0, 1024 * 1024)
    max_ram = check_size(body.integer("max_ram"), 0, 1024 * 1024)
    if min_ram is not None and max_ram is not None and min_ram > max_ram:
        raise ImsError("IMG.0055")
    return min_ram or 0, max_ram


def check_enterprise_project(value):
    """An enterprise project id: ``0`` (the default project) or a UUID."""
    if value is None:
        return "0"
    if not isinstance(value, str) or not (value == "0" or _UUID.fullmatch(value)):
        raise ImsError("IMG.0155")
    return value


def split_obs_url(url):
    """``bucket:object`` as (bucket, object): IMG.0017 without the colon, IMG.0068 without a bucket name,
    IMG.0109 for a bucket name OBS would not accept."""
    if not isinstance(url, str) or ":" not in url:
        raise ImsError("IMG.0017")
    bucket, key = url.split(":", 1)
    if not bucket:
        raise ImsError("IMG.0068")
    if not _BUCKET.fullmatch(bucket):
        raise ImsError("IMG.0109")
    return bucket, key
