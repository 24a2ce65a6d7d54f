# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of the IMS API reference for what users write (section 9: image attributes, tags, OBS addresses).

Each validator raises ``ValidationError`` naming the field and the rule, so that a task can refuse bad input before
any request is sent.

Internal to this collection, may change in any release.
"""

import re

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ValidationError

IMAGE_NAME_MAX = 128
DESCRIPTION_MAX = 1024
TAG_KEY_MAX = 36
TAG_VALUE_MAX = 43
TAGS_PER_IMAGE_MAX = 10
TAG_FILTER_KEYS_MAX = 10
TAG_FILTER_VALUES_MAX = 10
# Image names by cloud profile: letters, digits, "-", ".", "_" and spaces (section 9.1); Huawei Cloud's own reference
# (its Chinese edition) also allows Chinese characters. A cloud of no known profile gets the reference's set.
_IMAGE_NAME_CHARACTERS = re.compile(r"[A-Za-z0-9._\- ]+")
_IMAGE_NAME_CHARACTERS_BY_PROFILE = {"huaweicloud": re.compile(r"[A-Za-z0-9._\- \u3400-\u4dbf\u4e00-\u9fff]+")}
_TAG_FORBIDDEN = "=*<>\\,|/"
# A tag as a "key.value" string (9.2): letters, digits, "-", "_" and Chinese characters on either side.
_TAG_WORD = re.compile(r"[A-Za-z0-9_\-\u4e00-\u9fff]*")
# ASCII control characters (line feeds, tabs, escapes, ...) and the C1 controls: never part of a name, a description,
# a tag or an OBS object name.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
OBS_OBJECT_NAME_MAX = 1024


def validate_image_name(name, field="name", cloud_profile=None):
    """1 to 128 characters: letters, digits, "-", ".", "_" and spaces (on Huawei Cloud, ``cloud_profile``
    ``huaweicloud``, also Chinese characters), not starting or ending with a space."""
    if not isinstance(name, str) or not name:
        raise ValidationError(field, "an image name is required")
    if len(name) > IMAGE_NAME_MAX:
        raise ValidationError(field, "an image name has at most %d characters (got %d)" % (IMAGE_NAME_MAX, len(name)))
    if name != name.strip(" "):
        raise ValidationError(field, "an image name cannot start or end with a space")
    if not _IMAGE_NAME_CHARACTERS_BY_PROFILE.get(cloud_profile, _IMAGE_NAME_CHARACTERS).fullmatch(name):
        chinese = ", spaces and Chinese characters" if cloud_profile in _IMAGE_NAME_CHARACTERS_BY_PROFILE else " and spaces"
        raise ValidationError(field, "an image name may contain only letters, digits, hyphens (-), periods (.), underscores (_)%s" % chinese)
    return name


def validate_description(description, field="description"):
    """At most 1024 characters, without carriage returns, line feeds, other control characters or angle brackets."""
    if description is None:
        return description
    if not isinstance(description, str):
        raise ValidationError(field, "a description must be a string")
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(field, "a description has at most %d characters (got %d)" % (DESCRIPTION_MAX, len(description)))
    if any(character in description for character in "<>") or _CONTROL_CHARACTERS.search(description):
        raise ValidationError(field, "a description cannot contain line breaks, other control characters or angle brackets (< >)")
    return description


def _check_tag_text(text, what, field, max_length, allow_empty):
    if not isinstance(text, str):
        raise ValidationError(field, "tag %s %r must be a string" % (what, text))
    if not text and not allow_empty:
        raise ValidationError(field, "a tag key cannot be empty")
    if len(text) > max_length:
        raise ValidationError(field, "tag %s %r is longer than %d characters" % (what, text, max_length))
    bad = sorted(set(text) & set(_TAG_FORBIDDEN))
    if bad:
        raise ValidationError(field, "tag %s %r contains %s; tags cannot contain any of = * < > \\ , | /" % (what, text, " ".join(bad)))
    if text != text.strip(" "):
        raise ValidationError(field, "tag %s %r cannot start or end with a space" % (what, text))
    if _CONTROL_CHARACTERS.search(text):
        raise ValidationError(field, "tag %s %r contains a control character (a line break, a tab, ...)" % (what, text))


def validate_tags(tags, field="tags"):
    """At most 10 tags; keys 1 to 36 characters, values 0 to 43; neither contains = * < > \\ , | / or a control
    character, nor starts or ends with a space. Returns the tags with values as strings (None becomes "")."""
    if not isinstance(tags, dict):
        raise ValidationError(field, "tags must be a dictionary of key to value")
    if len(tags) > TAGS_PER_IMAGE_MAX:
        raise ValidationError(field, "an image can have at most %d tags (got %d)" % (TAGS_PER_IMAGE_MAX, len(tags)))
    normalized = {}
    for key, value in tags.items():
        value = "" if value is None else value
        _check_tag_text(key, "key", field, TAG_KEY_MAX, allow_empty=False)
        _check_tag_text(value, "value", field, TAG_VALUE_MAX, allow_empty=True)
        normalized[key] = value
    return normalized


def tag_strings(tags, field="tags"):
    """Tags (``{key: value}``, checked by validate_tags) as the "key.value" strings of the APIs that take no tag objects
    (9.2): keys and values may then hold only letters, digits, hyphens, underscores and Chinese characters."""
    for key, value in tags.items():
        for what, text in (("key", key), ("value", value)):
            if not _TAG_WORD.fullmatch(text):
                raise ValidationError(
                    field,
                    "tag %s %r: here tags travel as key.value strings, whose keys and values hold only letters, digits, -, _ and Chinese characters"
                    % (what, text),
                )
    return ["%s.%s" % (key, value) for key, value in sorted(tags.items())]


def tag_filter(tags, field="tags"):
    """A tag-search condition (``tags``, ``tags_any``, ``not_tags``, ``not_tags_any``) from ``{key: values}``.

    A value may be a string, a list of strings or None / an empty list (any value). At most 10 keys with at most
    10 values each (API reference 5.2.3). Returns ``[{"key": ..., "values": [...]}]`` sorted by key.
    """
    if not isinstance(tags, dict):
        raise ValidationError(field, "a tag filter must be a dictionary of key to value or list of values")
    if len(tags) > TAG_FILTER_KEYS_MAX:
        raise ValidationError(field, "a tag filter has at most %d keys (got %d)" % (TAG_FILTER_KEYS_MAX, len(tags)))
    condition = []
    for key in sorted(tags):
        values = tags[key]
        values = [] if values is None else [values] if isinstance(values, str) else list(values)
        if not isinstance(key, str) or not key:
            raise ValidationError(field, "a tag key cannot be empty")
        if len(values) > TAG_FILTER_VALUES_MAX:
            raise ValidationError(field, "tag %r: at most %d values per key (got %d)" % (key, TAG_FILTER_VALUES_MAX, len(values)))
        if len(set(values)) != len(values):
            raise ValidationError(field, "tag %r: values must be unique" % key)
        condition.append({"key": key, "values": [str(value) for value in values]})
    return condition


def split_obs_url(url, field):
    """``(bucket, file)`` of an OBS address ``bucket:file`` (the reference's OBS address format), the file checked
    against OBS's rules for object names (see validate_obs_object_name)."""
    bucket, separator, key = (url or "").partition(":") if isinstance(url, str) else ("", "", "")
    if not separator or not bucket or not key:
        raise ValidationError(field, "%r is not an OBS address of the form bucket:file" % (url,))
    validate_obs_object_name(key, field)
    return bucket, key


def validate_obs_object_name(key, field):
    """An OBS object name (the file part of ``bucket:file``): 1 to 1024 bytes of UTF-8, without control characters
    or backslashes; "/" separates folders, so it neither starts the name nor leaves a folder empty, and no folder is
    "." or ".." (a path like ``../x`` names no object, and no file outside the bucket)."""
    if len(key.encode("utf-8")) > OBS_OBJECT_NAME_MAX:
        raise ValidationError(field, "an OBS object name has at most %d bytes (got %d)" % (OBS_OBJECT_NAME_MAX, len(key.encode("utf-8"))))
    if _CONTROL_CHARACTERS.search(key) or "\\" in key:
        raise ValidationError(field, "the OBS object name %r contains a control character or a backslash" % key)
    folders = key.split("/")
    if key.startswith("/") or "" in folders[:-1] or any(folder in (".", "..") for folder in folders):
        raise ValidationError(field, "the OBS object name %r has an empty, '.' or '..' folder; write it like folder/file.qcow2" % key)
    if not folders[-1]:
        raise ValidationError(field, "the OBS object name %r names a folder, not a file" % key)
