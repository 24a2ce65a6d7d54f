# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalized IMS objects: image, job, member, quota.

IMS returns stringly-typed, double-underscore-prefixed attributes ("__os_version", "__image_size": "449261568",
"__isregistered": "true", tags as "key=value" strings). Everything above this layer sees one shape instead:
snake_case keys without the prefix, booleans as booleans, sizes as integers and tags as a ``{key: value}`` dict.
``IMAGE_FIELDS`` documents that shape once, for the RETURN documentation of modules and plugins.

Internal to this collection, may change in any release.
"""

# Postponed annotations: ansible-test lints module_utils as Python 3.8 code, which rejects "str | None" at run time.
from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional

from ansible_collections.hwcloud.ims.plugins.module_utils._client.deps import (
    BaseModel,
    ConfigDict,
    Field,
    PydanticValidationError,
    create_model,
    model_validator,
)
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import UnexpectedResponseError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.timestamps import parse_time
from ansible_collections.hwcloud.ims.plugins.module_utils._client.wire import attribute_name, tags_to_dict

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

# Attributes the service reports for some images only: kept as it names them, documented here once.
IMAGE_REPORTED_FIELDS = {
    "enterprise_project_id": "Enterprise project the image belongs to; V(0) is the default enterprise project.",
    "support_kvm": "Whether the image supports KVM (IMS C(__support_kvm)).",
    "support_xen": "Whether the image supports Xen (IMS C(__support_xen)).",
    "support_largememory": "Whether the image supports large-memory ECSs (IMS C(__support_largememory)).",
    "support_diskintensive": "Whether the image supports disk-intensive ECSs (IMS C(__support_diskintensive)).",
    "support_highperformance": "Whether the image supports high-performance ECSs (IMS C(__support_highperformance)).",
    "support_xen_hana": "Whether the image supports HANA ECSs on Xen (IMS C(__support_xen_hana)).",
    "support_kvm_infiniband": "Whether the image supports ECSs with InfiniBand NICs on KVM (IMS C(__support_kvm_infiniband)).",
    "support_xen_gpu_type": "GPU type the image supports on Xen (IMS C(__support_xen_gpu_type)).",
    "support_kvm_gpu_type": "GPU type the image supports on KVM (IMS C(__support_kvm_gpu_type)).",
    "support_fc_inject": "Whether Cloud-Init password or key injection is B(not) supported (IMS C(__support_fc_inject)).",
    "support_amd": "Whether the image is for AMD x86 CPUs (IMS C(__support_amd)).",
    "support_arm": "Whether the image is for Arm CPUs (IMS C(__support_arm)).",
    "support_agent_list": "Agents the image supports, for example V(hss,ces) (IMS C(__support_agent_list)).",
    "hw_vif_multiqueue_enabled": "Whether the image supports NIC multi-queue.",
    "lazyloading": "Whether the image supports lazy loading (IMS C(__lazyloading)).",
    "os_feature_list": "Advanced features of the image, as the JSON text the service returns (IMS C(__os_feature_list)).",
    "image_source_type": "Backend storage of the image, V(uds) (IMS C(__image_source_type)).",
    "root_origin": "V(file) when the image was imported from an external image file (IMS C(__root_origin)).",
    "sequence_num": "ECS system disk slot of the image, for example V(0) (IMS C(__sequence_num)).",
    "productcode": "Marketplace product ID of the image, if any (IMS C(__productcode)).",
    "checksum": "Checksum field of the image; not used by IMS.",
    "size": "Size field of the image; not used by IMS (see RV(images[].image_size)).",
    "virtual_size": "Virtual size field of the image; not used by IMS.",
    "deleted_at": "Time the image was deleted, for images being deleted.",
    "file": "Path of the image file (native OpenStack API).",
    "self": "Path of the image (native OpenStack API).",
    "schema": "Path of the image schema (native OpenStack API).",
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


# The type of every declared field that is not text (text fields are Optional[str]).
_IMAGE_TYPES = {
    "tags": Dict[str, str],
    **dict.fromkeys(("min_disk", "min_ram", "max_ram", "image_size"), Optional[int]),
    **dict.fromkeys(("protected", "isregistered", "whole_image"), Optional[bool]),
}
_JOB_TYPES = {
    **dict.fromkeys(("begin_time", "end_time"), Optional[datetime]),
    **dict.fromkeys(("process_percent", "progress"), Optional[float]),
    "image_ids": List[str],
    "entities": dict,
}
_EMPTY_BY_DEFAULT = {Dict[str, str]: dict, dict: dict, List[str]: list}


def declared_model(name, base, fields, types, required=()):
    """The model class ``name``, derived from ``base``, with one field per key of ``fields`` (the documentation table
    of the model, so that what is documented and what is declared cannot differ): of its type in ``types`` or
    Optional[str], required if in ``required``, else None (an empty list or dict for those types) by default."""
    definitions = {}
    for field_name in fields:
        annotation = types.get(field_name, Optional[str])
        if field_name in required:
            definitions[field_name] = (annotation, ...)
        elif annotation in _EMPTY_BY_DEFAULT:
            definitions[field_name] = (annotation, Field(default_factory=_EMPTY_BY_DEFAULT[annotation]))
        else:
            definitions[field_name] = (annotation, None)
    return create_model(name, __base__=base, __module__=__name__, **definitions)


class _Model(BaseModel):
    """Shared behaviour: build from an API object, dump to plain data."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    @classmethod
    def from_api(cls, raw):
        """Parse an object as the API returns it; a malformed one raises UnexpectedResponseError."""
        try:
            return cls.model_validate(raw)
        except PydanticValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem.get("loc", ())) or "object"
            raise UnexpectedResponseError(
                "read %s" % cls.__name__.lower(), 200, message="unexpected %s in response: %s" % (where, problem.get("msg"))
            ) from None

    def to_dict(self):
        """Plain JSON-compatible data (datetimes as ISO 8601 strings)."""
        return self.model_dump(mode="json")


class _ImageBehaviour(_Model):
    """What every image does besides holding its fields (``Image`` below declares them, from IMAGE_FIELDS)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, raw):
        return _normalize_image(raw, cls.model_fields) if isinstance(raw, dict) else raw

    @property
    def is_public(self):
        """A public image (IMS calls them gold images)."""
        return self.visibility == "public" or self.imagetype == "gold"

    @property
    def is_iso(self):
        """An image of an ISO file, which IMS cannot copy or export."""
        return self.virtual_env_type == "IsoImage" or self.disk_format == "iso"


# A normalized image; see IMAGE_FIELDS. Attributes beyond the declared ones are kept (extra="allow").
Image = declared_model("Image", _ImageBehaviour, IMAGE_FIELDS, _IMAGE_TYPES, required=("id",))


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


class _JobBehaviour(_Model):
    """What every job does besides holding its fields (``Job`` below declares them, from JOB_FIELDS)."""

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


# An asynchronous IMS job; see JOB_FIELDS.
Job = declared_model("Job", _JobBehaviour, JOB_FIELDS, _JOB_TYPES, required=("job_id", "status"))


def _progress(status, process_percent):
    """Percent done. IMS reports a fraction (0.2 in the reference's example); a value above 1 is taken as a percentage."""
    if str(status or "").upper() == "SUCCESS":
        return 100.0
    if process_percent is None:
        return None
    return round(process_percent * 100 if process_percent <= 1 else process_percent, 1)


# An image sharing member; see MEMBER_FIELDS.
Member = declared_model("Member", _Model, MEMBER_FIELDS, {}, required=("image_id", "member_id", "status"))


class _QuotaBehaviour(_Model):
    """How a quota is read (``Quota`` below declares its fields, from QUOTA_FIELDS)."""

    @model_validator(mode="before")
    @classmethod
    def _pick_image_resource(cls, raw):
        """Accept the whole ``{"quotas": {"resources": [...]}}`` answer and pick the "image" resource."""
        if not isinstance(raw, dict) or not isinstance(raw.get("quotas"), dict):
            return raw
        resources = [resource for resource in raw["quotas"].get("resources") or () if isinstance(resource, dict)]
        images = [resource for resource in resources if resource.get("type") == "image"]
        return (images or resources or [{}])[0]


# The private image quota of the project; see QUOTA_FIELDS.
Quota = declared_model(
    "Quota", _QuotaBehaviour, QUOTA_FIELDS, {"used": int, "quota": int, "min": Optional[int], "max": Optional[int]}, required=("used", "quota")
)
