# Copyright: hwcloud.ims contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalized IMS objects (image, job, member, quota) and the validators of user input.

IMS returns stringly-typed, double-underscore-prefixed attributes ("__os_version", "__image_size": "449261568",
"__isregistered": "true", tags as "key=value" strings). Everything above this layer sees one shape instead:
snake_case keys without the prefix, booleans as booleans, sizes as integers and tags as a ``{key: value}`` dict.
``IMAGE_FIELDS`` documents that shape once, for the RETURN documentation of modules and plugins.

The validators implement the rules of the IMS API reference (section 9: image attributes and tag formats) and raise
``ValidationError`` naming the field and the rule, so that modules can reject bad input before any request.
"""

# Postponed annotations: ansible-test lints module_utils as Python 3.8 code, which rejects "str | None" at run time.
from __future__ import annotations

import re
from datetime import datetime, timezone

from ansible_collections.hwcloud.ims.plugins.module_utils.deps import BaseModel, ConfigDict, Field, PydanticValidationError, model_validator
from ansible_collections.hwcloud.ims.plugins.module_utils.errors import UnexpectedResponseError, ValidationError

# The normalized image: key -> description. Attributes the service returns beyond these are kept too, renamed by
# the same rule (leading underscores dropped, "__" inside a name becomes "_", "true"/"false" strings become booleans).
IMAGE_FIELDS = {
    "id": "Image ID.",
    "name": "Image name.",
    "status": "Image status: C(queued), C(saving), C(active), C(killed) or C(deleted). Only C(active) images can be used.",
    "visibility": "C(private), C(public) or C(shared).",
    "imagetype": "Image type: C(gold) (public), C(private) or C(shared) (IMS C(__imagetype)).",
    "owner": "ID of the project that owns the image.",
    "description": "Image description (IMS C(__description)).",
    "tags": "Image tags as a dictionary of tag key to tag value.",
    "os_version": "OS version, for example C(Ubuntu 22.04 server 64bit) (IMS C(__os_version)).",
    "os_type": "OS type: C(Linux), C(Windows) or C(Other) (IMS C(__os_type)).",
    "os_bit": "OS architecture, C(32) or C(64) (IMS C(__os_bit)).",
    "platform": "OS platform, for example C(Ubuntu), C(CentOS) or C(Windows) (IMS C(__platform)).",
    "disk_format": "Image file format, for example C(zvhd2), C(qcow2), C(raw) or C(iso).",
    "container_format": "Container format, normally C(bare).",
    "min_disk": "Minimum system disk size in GB.",
    "min_ram": "Minimum memory in MB (0 means no restriction).",
    "max_ram": "Maximum memory in MB, if set.",
    "image_size": "Size of the image file in bytes (IMS C(__image_size)).",
    "protected": "Whether the image is protected from deletion.",
    "isregistered": "Whether the image is registered (IMS C(__isregistered)).",
    "whole_image": "Whether the image is a full-ECS image (IMS C(__whole_image)).",
    "virtual_env_type": "Where the image is used: C(FusionCompute) (ECS system disk), C(DataImage), C(Ironic) (BMS) or C(IsoImage).",
    "hw_firmware_type": "Boot mode: C(bios) or C(uefi).",
    "originalimagename": "ID of the image this one was made from, if any (IMS C(__originalimagename)).",
    "backup_id": "ID of the backup this image was made from, if any (IMS C(__backup_id)).",
    "data_origin": "Source of the image, for example C(instance,<server id>) (IMS C(__data_origin)).",
    "system_cmkid": "ID of the KMS key that encrypts the image, if any (IMS C(__system__cmkid)).",
    "created_at": "Creation time (UTC, ISO 8601).",
    "updated_at": "Last update time (UTC, ISO 8601).",
    "active_at": "Time the image became active (UTC, ISO 8601).",
}

JOB_FIELDS = {
    "job_id": "Job ID.",
    "job_type": "Job type, for example C(imsCreateImageByInstance).",
    "status": "C(INIT), C(RUNNING), C(SUCCESS) or C(FAIL).",
    "begin_time": "Start time (UTC, ISO 8601), if known.",
    "end_time": "End time (UTC, ISO 8601), if finished.",
    "error_code": "Error code of a failed job.",
    "fail_reason": "Failure reason of a failed job.",
    "process_percent": "Progress as the service reports it (a fraction from 0 to 1), if any.",
    "progress": "Progress in percent (0 to 100); 100 once the job succeeded.",
    "image_ids": "IDs of every image the job produced (system, data disk and sub-job images), in order.",
    "entities": "The job's raw C(entities) object.",
}

MEMBER_FIELDS = {
    "image_id": "Image ID.",
    "member_id": "Project ID of the member the image is shared with.",
    "status": "C(pending), C(accepted) or C(rejected).",
    "created_at": "Time the image was shared with the member.",
    "updated_at": "Time the member status last changed.",
}

QUOTA_FIELDS = {
    "used": "Number of private images in the region.",
    "quota": "Maximum number of private images in the region.",
    "min": "Lowest value the quota can be set to.",
    "max": "Highest value the quota can be set to.",
}

_INTEGER_ATTRIBUTES = frozenset(("min_disk", "min_ram", "max_ram", "image_size", "size", "virtual_size"))
_BOOLEAN_ATTRIBUTES = frozenset(("protected", "isregistered", "whole_image"))
_TRUE_FALSE = {"true": True, "false": False}


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


def _lenient_number(value, number_type):
    """``number_type(value)``, or None for None, booleans, empty strings and anything unreadable."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return number_type(value if isinstance(value, (int, float)) else str(value).strip())
    except ValueError:
        return None


def _normalize_image(raw, declared):
    """Rename the attributes and type their values; ``declared`` are the Image model's own fields, whose text
    attributes stay text, while undeclared ones ("__support_kvm": "true") become booleans when they are flags."""
    # Prefixed attributes go last so that "__description" wins over a plain "description".
    ordered = sorted(raw.items(), key=lambda item: item[0].startswith("__"))
    image = {}
    for raw_key, value in ordered:
        name = attribute_name(raw_key)
        if name == "tags":
            value = tags_to_dict(value)
        elif name in _INTEGER_ATTRIBUTES:
            value = _lenient_number(value, int)
        elif isinstance(value, str) and (name in _BOOLEAN_ATTRIBUTES or name not in declared):
            flag = _TRUE_FALSE.get(value.strip().lower())
            if flag is not None:
                value = flag
            elif name in _BOOLEAN_ATTRIBUTES:
                value = None  # an empty or unreadable flag
        image[name] = value
    return image


class _Model(BaseModel):
    """Shared behaviour: build from an API object, dump to plain data."""

    model_config = ConfigDict(extra="ignore")

    @classmethod
    def from_api(cls, raw):
        """Parse an object as the API returns it; a malformed one raises UnexpectedResponseError."""
        try:
            return cls.model_validate(raw)
        except PydanticValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem.get("loc", ())) or "object"
            raise UnexpectedResponseError("read %s" % cls.__name__.lower(), 200, message="unexpected %s in response: %s" % (where, problem.get("msg")))

    def to_dict(self):
        """Plain JSON-compatible data (datetimes as ISO 8601 strings)."""
        return self.model_dump(mode="json")


class Image(_Model):
    """A normalized image; see IMAGE_FIELDS. Attributes beyond the declared ones are kept (extra="allow")."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str | None = None
    status: str | None = None
    visibility: str | None = None
    imagetype: str | None = None
    owner: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    os_version: str | None = None
    os_type: str | None = None
    os_bit: str | None = None
    platform: str | None = None
    disk_format: str | None = None
    container_format: str | None = None
    min_disk: int | None = None
    min_ram: int | None = None
    max_ram: int | None = None
    image_size: int | None = None
    protected: bool | None = None
    isregistered: bool | None = None
    whole_image: bool | None = None
    virtual_env_type: str | None = None
    hw_firmware_type: str | None = None
    originalimagename: str | None = None
    backup_id: str | None = None
    data_origin: str | None = None
    system_cmkid: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    active_at: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, raw):
        return _normalize_image(raw, cls.model_fields) if isinstance(raw, dict) else raw


_LEGACY_TIME = re.compile(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?:[:.](\d{1,6}))?$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_time(value):
    """A UTC datetime from the time formats IMS uses, or None for empty or unreadable values.

    Accepts ISO 8601 ("2015-12-04T09:45:33Z", "2019-02-13T06:52:13.855000Z", "2018-10-28 10:00:00"), the job
    format "04-Jun-2015 18:11:06:586" (milliseconds after a colon) and epoch milliseconds.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000.0, timezone.utc)
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_legacy_time(text)
    if parsed is None:
        return None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def _parse_legacy_time(text):
    match = _LEGACY_TIME.match(text)
    if not match or match.group(2).lower() not in _MONTHS:
        return None
    day, month, year, hour, minute, second, fraction = match.groups()
    try:
        return datetime(int(year), _MONTHS.index(month.lower()) + 1, int(day), int(hour), int(minute), int(second),
                        int((fraction or "0").ljust(6, "0")))
    except ValueError:
        return None


def _job_image_ids(entities):
    candidates = [entities.get("image_id")]
    candidates += [(sub.get("entities") or {}).get("image_id") for sub in entities.get("sub_jobs_result") or () if isinstance(sub, dict)]
    candidates += [result.get("image_id") for result in entities.get("results") or () if isinstance(result, dict)]
    image_ids = []
    for image_id in candidates:
        if image_id and image_id not in image_ids:
            image_ids.append(image_id)
    return image_ids


def _job_failure(raw, entities):
    """(error_code, fail_reason) from the job, its entities or its first failed sub-job."""
    failed_subs = [sub for sub in entities.get("sub_jobs_result") or () if isinstance(sub, dict) and str(sub.get("status")).upper() == "FAIL"]
    for source in [raw, entities] + failed_subs:
        if source.get("error_code") or source.get("fail_reason"):
            return source.get("error_code"), source.get("fail_reason")
    return None, None


class Job(_Model):
    """An asynchronous IMS job; see JOB_FIELDS."""

    job_id: str
    job_type: str | None = None
    status: str
    begin_time: datetime | None = None
    end_time: datetime | None = None
    error_code: str | None = None
    fail_reason: str | None = None
    process_percent: float | None = None
    progress: float | None = None
    image_ids: list[str] = Field(default_factory=list)
    entities: dict = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, raw):
        if not isinstance(raw, dict):
            return raw
        entities = raw.get("entities") if isinstance(raw.get("entities"), dict) else {}
        error_code, fail_reason = _job_failure(raw, entities)
        return dict(
            raw,
            status=str(raw.get("status") or "").upper(),
            begin_time=parse_time(raw.get("begin_time")),
            end_time=parse_time(raw.get("end_time")),
            error_code=error_code,
            fail_reason=fail_reason,
            process_percent=_lenient_number(entities.get("process_percent"), float),
            progress=_progress(raw.get("status"), _lenient_number(entities.get("process_percent"), float)),
            image_ids=_job_image_ids(entities),
            entities=entities,
        )

    @property
    def finished(self):
        return self.status in ("SUCCESS", "FAIL")


def _progress(status, process_percent):
    """Percent done. IMS reports a fraction (0.2 in the reference's example); a value above 1 is taken as a percentage."""
    if str(status or "").upper() == "SUCCESS":
        return 100.0
    if process_percent is None:
        return None
    return round(process_percent * 100 if process_percent <= 1 else process_percent, 1)


class Member(_Model):
    """An image sharing member; see MEMBER_FIELDS."""

    image_id: str
    member_id: str
    status: str
    created_at: str | None = None
    updated_at: str | None = None


class Quota(_Model):
    """The private image quota of the project; see QUOTA_FIELDS."""

    used: int
    quota: int
    min: int | None = None
    max: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _pick_image_resource(cls, raw):
        """Accept the whole ``{"quotas": {"resources": [...]}}`` answer and pick the "image" resource."""
        if not isinstance(raw, dict) or not isinstance(raw.get("quotas"), dict):
            return raw
        resources = [resource for resource in raw["quotas"].get("resources") or () if isinstance(resource, dict)]
        images = [resource for resource in resources if resource.get("type") == "image"]
        return (images or resources or [{}])[0]


# --- validators of user input (API reference section 9) ---------------------------------------------------------

IMAGE_NAME_MAX = 128
DESCRIPTION_MAX = 1024
TAG_KEY_MAX = 36
TAG_VALUE_MAX = 43
TAGS_PER_IMAGE_MAX = 10
TAG_FILTER_KEYS_MAX = 10
TAG_FILTER_VALUES_MAX = 10
_IMAGE_NAME_CHARACTERS = re.compile(r"^[A-Za-z0-9._\- ]+$")
_TAG_FORBIDDEN = '=*<>\\,|/'


def validate_image_name(name, field="name"):
    """1 to 128 characters: letters, digits, "-", ".", "_" and spaces, not starting or ending with a space."""
    if not isinstance(name, str) or not name:
        raise ValidationError(field, "an image name is required")
    if len(name) > IMAGE_NAME_MAX:
        raise ValidationError(field, "an image name has at most %d characters (got %d)" % (IMAGE_NAME_MAX, len(name)))
    if name != name.strip(" "):
        raise ValidationError(field, "an image name cannot start or end with a space")
    if not _IMAGE_NAME_CHARACTERS.match(name):
        raise ValidationError(field, "an image name may contain only letters, digits, hyphens (-), periods (.), underscores (_) and spaces")
    return name


def validate_description(description, field="description"):
    """At most 1024 characters, without carriage returns, line feeds or angle brackets (< >)."""
    if description is None:
        return description
    if not isinstance(description, str):
        raise ValidationError(field, "a description must be a string")
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(field, "a description has at most %d characters (got %d)" % (DESCRIPTION_MAX, len(description)))
    if any(character in description for character in "\r\n<>"):
        raise ValidationError(field, "a description cannot contain line breaks or angle brackets (< >)")
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


def validate_tags(tags, field="tags"):
    """At most 10 tags; keys 1 to 36 characters, values 0 to 43; neither contains = * < > \\ , | / nor starts or
    ends with a space. Returns the tags with values as strings (None becomes "")."""
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
