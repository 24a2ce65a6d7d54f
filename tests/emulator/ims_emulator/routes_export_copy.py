# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IMS extension APIs that export an image to an OBS file (5.1.7), copy an image within the region (5.4.1) and
replicate it to another region (Huawei Cloud only: its reference's "Replicating an Image Across Regions").

All refuse at once what the references forbid (400 with the documented code) and do the rest as an asynchronous job.
Unknown or foreign images answer IMG.0027 ("does not exist").
"""

import uuid

from fastapi import APIRouter, Request

from .attributes import check_choice, check_description, check_name, split_obs_url
from .bodies import read_object
from .errors import GuardedRoute, ImsError
from .route_helpers import GIB, TIB, ImageFields, check_quota, job_accepted, offered_by, own_private_image, transaction, visible_image
from .seed import ObjectSeed

router = APIRouter(route_class=GuardedRoute)

EXPORT_FORMATS = ("qcow2", "vhd", "zvhd", "vmdk")
#: What a copy (in the region or in another one) takes over from its source image.
INHERITED_ATTRIBUTES = (
    "__os_version",
    "__platform",
    "__os_type",
    "__os_bit",
    "disk_format",
    "container_format",
    "min_disk",
    "min_ram",
    "max_ram",
    "hw_firmware_type",
    "__support_arm",
    "virtual_env_type",
    "__support_kvm",
    "__support_xen",
    "__root_origin",
)
CROSS_REGION_JOB = "imsCopyImageCrossRegionJob"
#: Replications an account may have running at a time, and the largest image one takes.
MAX_CROSS_REGION_JOBS = 5
MAX_CROSS_REGION_BYTES = 128 * GIB
#: The trust domain of the IMS service: the agency a replication names must trust it.
IMS_TRUST_DOMAIN = "op_svc_ims"


def _check_export_key(key):
    """The name of the file an export writes (IMG.0073 empty, IMG.0074 too long, IMG.0175 spaces, IMG.0075 other
    characters OBS or IMS refuse)."""
    if not key:
        raise ImsError("IMG.0073")
    if len(key) > 1023:
        raise ImsError("IMG.0074")
    if " " in key:
        raise ImsError("IMG.0175")
    if key.startswith("/") or "\\" in key or any(ord(char) < 32 or ord(char) == 127 for char in key):
        raise ImsError("IMG.0075")


@router.post("/v1/cloudimages/{image_id}/file")
async def export_image(image_id: str, request: Request):
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        image = own_private_image(world, image_id, project_id, "IMG.0077")
        if image.status != "active":
            raise ImsError("IMG.0046")
        if image.is_whole:
            raise ImsError("IMG.0128")
        if image.is_iso:
            raise ImsError("IMG.0167")
        if image.export_restricted:
            raise ImsError("IMG.0071")
        if world.jobs.unfinished(lambda job: job.source == image.id and job.job_type == "imsNativeExportImageJob"):
            raise ImsError("IMG.0148")
        url = body.text("bucket_url", required=True)
        quick = body.boolean("is_quick_export", False)
        file_format = check_choice(body.text("file_format"), EXPORT_FORMATS, "IMG.0072")
        if quick == (file_format is not None):
            raise ImsError("IMG.0001")
        size = _size(image)
        if size >= TIB or (not quick and size > 128 * GIB):
            raise ImsError("IMG.0160")
        bucket_name, key = split_obs_url(url)
        bucket = world.project(project_id).buckets.get(bucket_name)
        if bucket is None or bucket.storage_class != "STANDARD":
            raise ImsError("IMG.0069")
        _check_export_key(key)
        if key in bucket.objects:
            raise ImsError("IMG.0070")
        written = ObjectSeed(name=key, size=size, format=file_format or image.attrs["disk_format"])

        def write_file():
            bucket.objects[key] = written

        return job_accepted(
            world.simple_job(project_id, "imsNativeExportImageJob", on_success=write_file, image_id=image.id, image_name=image.attrs["name"], source=image.id)
        )


@router.post("/v1/cloudimages/{image_id}/copy")
async def copy_image(image_id: str, request: Request):
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        project = world.project(project_id)
        source = visible_image(world, image_id, project_id)
        if source.is_public:
            raise ImsError("IMG.0083")
        if source.owner != project_id:
            if source.members[project_id].status != "accepted":
                raise ImsError("IMG.0196")
            if source.attrs.get("__system__cmkid"):
                raise ImsError("IMG.0197")
        if source.is_whole:
            raise ImsError("IMG.0130")
        if source.is_iso:
            raise ImsError("IMG.0167")
        if source.status != "active":
            raise ImsError("IMG.0046")
        fields = ImageFields.read(body, world.profile_of(project_id))
        cmk_id = body.text("cmk_id")
        source_key = source.attrs.get("__system__cmkid") if source.owner == project_id else None
        if cmk_id is not None:
            world.kms_key(project_id, cmk_id)
            if cmk_id == source_key:
                raise ImsError("IMG.0096")
        check_quota(project)
        extra = _copied_attributes(source)
        if cmk_id or source_key:
            extra["__system__cmkid"] = cmk_id or source_key
        copy = fields.create(world, project_id, extra)
        copy.export_restricted = source.export_restricted
        return job_accepted(world.image_job(project_id, "imsCopyImageInRegionJob", [copy], [_size(source)], source=source.id))


def _copied_attributes(source):
    """The raw attributes a copy of ``source`` starts with: what it inherits, and where it comes from."""
    extra = {name: source.attrs[name] for name in INHERITED_ATTRIBUTES if name in source.attrs}
    extra.update({"__originalimagename": source.id, "__data_origin": "image,%s" % source.id})
    return extra


def _size(image):
    return int(image.attrs.get("__image_size") or 0)


@router.post("/v1/cloudimages/{image_id}/cross_region_copy")
@offered_by("huaweicloud")
async def copy_image_cross_region(image_id: str, request: Request):
    """Replicate one of the caller's private images into a project of the account in another region of the same
    cloud. The replica is queued there at once (a private image of the destination project, tags not copied) and
    made by a job of the source region."""
    body = await read_object(request)
    identity = request.app.state.identity
    with transaction(request) as (world, project_id):
        source = own_private_image(world, image_id, project_id, "IMG.0083")
        project = world.project(project_id)
        name = check_name(body.data.get("name"), world.profile_of(project_id))
        description = check_description(body.data.get("description"))
        target = _destination(world, project, body.text("region", required=True), body.text("project_name", required=True))
        agency = identity.find_agency(identity.find_domain(domain_id=project.domain_id), body.text("agency_name", required=True))
        if agency is None or agency.trust_domain_name != IMS_TRUST_DOMAIN:
            raise ImsError("IMG.0151")
        _check_replicable(source)
        extra = _copied_attributes(source)
        vault_id = body.text("vault_id")
        if source.is_whole:
            # A full-ECS image travels with its backup, which goes into a CBR vault of the destination.
            if vault_id is None:
                raise ImsError("IMG.0001")
            if vault_id not in target.vaults:
                raise ImsError("IMG.0184")
            extra.update({"__whole_image": True, "__backup_id": str(uuid.uuid4())})
        check_quota(target)
        running = world.jobs.count_unfinished(lambda job: job.job_type == CROSS_REGION_JOB and world.projects[job.project_id].domain_id == project.domain_id)
        if running >= MAX_CROSS_REGION_JOBS:
            raise ImsError("IMG.0149")
        replica = world.new_image(target.id, name, extra=extra, description=description)
        replica.export_restricted = source.export_restricted
        return job_accepted(world.image_job(project_id, CROSS_REGION_JOB, [replica], [_size(source)], source=source.id))


def _destination(world, project, region, project_name):
    """The project of the caller's account a replication goes to: in another region (IMG.0142) of the same cloud
    (IMG.0147), and existing there (IMG.0145)."""
    if region == project.region:
        raise ImsError("IMG.0142")
    if world.regions.get(region) != world.regions[project.region]:
        raise ImsError("IMG.0147")
    target = world.find_project(project.domain_id, region, project_name)
    if target is None:
        raise ImsError("IMG.0145")
    return target


def _check_replicable(source):
    """What a cross-region replication refuses of its source: an unavailable, ISO, encrypted or too large image."""
    if source.status != "active":
        raise ImsError("IMG.0046")
    if source.is_iso:
        raise ImsError("IMG.0167")
    if source.attrs.get("__system__cmkid"):
        raise ImsError("IMG.0143")
    if _size(source) > MAX_CROSS_REGION_BYTES:
        raise ImsError("IMG.0146")
