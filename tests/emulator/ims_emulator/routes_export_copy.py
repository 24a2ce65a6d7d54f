# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IMS extension APIs that export an image to an OBS file (5.1.7) and copy an image within the region (5.4.1).

Both refuse at once what the reference forbids (400 with the documented code) and do the rest as an asynchronous job.
Unknown or foreign images answer IMG.0027 ("does not exist").
"""

from fastapi import APIRouter, Request

from .attributes import check_choice, split_obs_url
from .bodies import read_object
from .errors import ImsError, ImsRoute
from .route_helpers import GIB, TIB, ImageFields, check_quota, job_accepted, transaction, visible_image
from .seed import ObjectSeed

router = APIRouter(route_class=ImsRoute)

EXPORT_FORMATS = ("qcow2", "vhd", "zvhd", "vmdk")


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
        image = visible_image(world, image_id, project_id)
        if image.is_public:
            raise ImsError("IMG.0077")
        if image.owner != project_id:
            raise ImsError("IMG.0047")
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
        size = int(image.attrs.get("__image_size") or 0)
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
        fields = ImageFields.read(body)
        cmk_id = body.text("cmk_id")
        source_key = source.attrs.get("__system__cmkid") if source.owner == project_id else None
        if cmk_id is not None:
            world.kms_key(project_id, cmk_id)
            if cmk_id == source_key:
                raise ImsError("IMG.0096")
        check_quota(project)
        inherited = (
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
        extra = {name: source.attrs[name] for name in inherited if name in source.attrs}
        extra.update({"__originalimagename": source.id, "__data_origin": "image,%s" % source.id})
        if cmk_id or source_key:
            extra["__system__cmkid"] = cmk_id or source_key
        copy = fields.create(world, project_id, extra)
        copy.export_restricted = source.export_restricted
        return job_accepted(world.image_job(project_id, "imsCopyImageInRegionJob", [copy], [int(source.attrs.get("__image_size") or 0)], source=source.id))
