# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IMS extension APIs that query, update and create images: querying (5.1.1) and updating (5.1.2) images,
creating them from an ECS, data disks or OBS files (5.1.3, and the ISO flow of 7.1), quick import (5.1.4), full-ECS
images (5.1.5), registering an OBS file as the file of image metadata (5.1.6), and the data images the official SDK
also creates (POST /v1/cloudimages/dataimages/action).

Refusals the real service makes at once are made at once (400 with the documented code); the rest of the work
is an asynchronous job. Unknown or foreign images answer IMG.0027 ("does not exist").
"""

import uuid
from typing import NamedTuple

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .attributes import (
    FIRMWARE_TYPES,
    OS_TYPES,
    check_architecture,
    check_choice,
    check_description,
    check_name,
    check_os_version,
    check_size,
    request_tags,
    split_obs_url,
)
from .bodies import read_json, read_object
from .errors import GuardedRoute, ImsError
from .listing import list_images, parse_image_query
from .params import single_params
from .patch import MUTABLE_ATTRIBUTES, is_extension_attribute, parse_patch
from .route_helpers import GIB, TIB, ImageFields, check_quota, job_accepted, owned_image, patch_image, transaction
from .seed import FILE_FORMATS, BackupSeed
from .world import DEFAULT_OS_VERSION

router = APIRouter(route_class=GuardedRoute)

#: A normal import takes files up to 128 GB; a quick import up to 1 TB (5.1.4).
MAX_IMPORT_BYTES = 128 * GIB
MAX_QUICK_IMPORT_BYTES = TIB
IMPORT_FORMATS = tuple(file_format for file_format in FILE_FORMATS if file_format != "iso")
QUICK_IMPORT_FORMATS = ("zvhd2", "raw")
#: ``type`` of an image made by POST /v2/cloudimages/action, and the virtual_env_type it gives.
IMAGE_TYPES = {"ECS": "FusionCompute", "FusionCompute": "FusionCompute", "BMS": "Ironic", "Ironic": "Ironic", "IsoImage": "IsoImage"}
#: An image file may carry at most three data disks (5.1.3).
MAX_DATA_FILES = 3


def _disk_bytes(size_gb):
    """The size of an image file made from a disk of ``size_gb`` GB: compressed, as zvhd2 files are."""
    return size_gb * GIB // 8


def _source_file(project, url, formats, max_bytes):
    """The OBS object an import reads: in a Standard bucket of the project, not empty, of an importable format."""
    bucket_name, key = split_obs_url(url)
    bucket = project.buckets.get(bucket_name)
    if bucket is None:
        raise ImsError("IMG.0069")
    source = bucket.objects.get(key)
    if bucket.storage_class != "STANDARD" or source is None or source.size == 0 or source.format not in formats:
        raise ImsError("IMG.0057")
    if source.size > max_bytes:
        raise ImsError("IMG.0059")
    return source


def _quick_import_file(project, url, min_disk):
    """The object a quick import reads: ZVHD2, or RAW with its bitmap file beside it, that fits ``min_disk``."""
    source = _source_file(project, url, QUICK_IMPORT_FORMATS, MAX_QUICK_IMPORT_BYTES)
    if source.format == "raw":
        bucket = project.buckets[split_obs_url(url)[0]]
        if not source.bitmap or source.bitmap not in bucket.objects:
            raise ImsError("IMG.0057")
        if source.size > min_disk * GIB:
            raise ImsError("IMG.0055")
    return source


def _system_volume_ids(project):
    return {server.system_volume_id for server in project.servers.values()}


def _data_volume(project, volume_id, server=None):
    """A data disk an image can be made from: attached (to ``server`` when given), not a system disk, healthy."""
    volume = project.volumes.get(volume_id)
    if volume is None or volume.id in _system_volume_ids(project) or volume.server_id is None:
        raise ImsError("IMG.0120")
    if server is not None and volume.server_id != server.id:
        raise ImsError("IMG.0140")
    if volume.status not in ("in-use", "available"):
        raise ImsError("IMG.0022")
    return volume


def _stopped_server(project, server_id):
    server = project.servers.get(server_id)
    if server is None:
        raise ImsError("IMG.0005")
    if server.status != "SHUTOFF":
        raise ImsError("IMG.0008")
    return server


def _server_free(world, source_id):
    """One image job at a time per server or disk (IMG.0010)."""
    if world.jobs.unfinished(lambda job: job.source == source_id):
        raise ImsError("IMG.0010")


def _server_image_attrs(world, server, volume):
    """Attributes of a system disk image made from a server."""
    extra = {"__originalimagename": server.image_id or "", "__data_origin": "instance,%s" % server.id, "hw_firmware_type": server.hw_firmware_type}
    if server.architecture == "arm":
        extra["__support_arm"] = "true"
    return extra, {"os_version": server.os_version, "min_disk": volume.size, "os_type": world.os_fields(server.os_version)["__os_type"]}


# --- querying and updating ------------------------------------------------------------------------------------


@router.get("/v2/cloudimages")
async def list_cloudimages(request: Request):
    with transaction(request) as (world, project_id):
        query = parse_image_query(single_params(request.query_params), world, project_id, default_limit=500)
        page = list_images(world, query, lingering=True)[0]
        return JSONResponse({"images": [world.view(image, project_id) for image in page]})


def _check_mutable(operation, name):
    """The extension PATCH changes the attributes 5.1.2 lists, and adds or removes extension attributes."""
    if name not in MUTABLE_ATTRIBUTES and not (operation in ("add", "remove") and is_extension_attribute(name)):
        raise ImsError("IMG.0001")


@router.patch("/v2/cloudimages/{image_id}")
async def update_cloudimage(image_id: str, request: Request):
    data = await read_json(request)
    with transaction(request) as (world, project_id):
        image = owned_image(world, image_id, project_id)
        if image.status != "active":
            raise ImsError("IMG.0046")
        patch_image(world, image, parse_patch(data), _check_mutable)
        return JSONResponse(world.view(image, project_id))


# --- creating images ------------------------------------------------------------------------------------------


@router.post("/v2/cloudimages/action")
async def create_image(request: Request):
    """One API, four ways: from an ECS (system disk, plus data disks), from data disks alone, from an OBS file,
    or from a data disk holding an OS installed from an ISO image (7.1)."""
    body = await read_object(request)
    sources = [key for key in ("instance_id", "image_url", "volume_id") if body.has(key)]
    with transaction(request) as (world, project_id):
        if len(sources) > 1:
            raise ImsError("IMG.0001")
        if sources == ["instance_id"]:
            job = _image_from_server(world, project_id, body)
        elif sources == ["image_url"]:
            job = _image_from_file(world, project_id, body)
        elif sources == ["volume_id"]:
            job = _image_from_volume(world, project_id, body)
        elif body.has("data_images"):
            job = _images_from_data_disks(world, project_id, body)
        else:
            raise ImsError("IMG.0012")
        return job_accepted(job)


class _DataDisk(NamedTuple):
    """A checked entry of ``data_images`` that makes an image of a data disk."""

    name: str
    description: str
    tags: dict
    volume: object


def _check_data_disks(world, project, items, server=None):
    """The ``data_images`` of a request that makes images of data disks, checked."""
    disks = [
        _DataDisk(
            check_name(item.data.get("name"), world.profile_of(project.id)),
            check_description(item.data.get("description")),
            request_tags(item, objects_key=None),  # Table 5-5: an ECS's data disks take tags as strings only
            _data_volume(project, item.text("volume_id", required=True), server),
        )
        for item in items
    ]
    if len({disk.volume.id for disk in disks}) != len(disks):
        raise ImsError("IMG.0001")
    return disks


def _make_data_disk_images(world, project_id, disks, os_type):
    """Queued images of checked data disks, and the sizes their files will have."""
    images = [
        world.new_image(
            project_id,
            disk.name,
            tags=disk.tags,
            description=disk.description,
            virtual_env_type="DataImage",
            os_type=os_type,
            min_disk=disk.volume.size,
            extra={"__data_origin": "volume,%s" % disk.volume.id},
        )
        for disk in disks
    ]
    return images, [_disk_bytes(disk.volume.size) for disk in disks]


def _image_from_server(world, project_id, body):
    project = world.project(project_id)
    fields = ImageFields.read(body, world.profile_of(project_id))
    server = _stopped_server(project, body.text("instance_id"))
    volume = project.volumes.get(server.system_volume_id or "")
    if volume is None:
        raise ImsError("IMG.0119")
    _server_free(world, server.id)
    extra, attrs = _server_image_attrs(world, server, volume)
    checked = _check_data_disks(world, project, body.objects("data_images") or [], server)
    check_quota(project, 1 + len(checked))
    image = fields.create(world, project_id, extra, **attrs)
    image.export_restricted = world.lineage_restricted(server.image_id or "")
    data_images, data_sizes = _make_data_disk_images(world, project_id, checked, attrs["os_type"])
    sub_jobs = ["imsCreateImageByInstance"] + ["imsVolumeCreateImageJob"] * len(data_images) if data_images else None
    return world.image_job(project_id, "imsCreateImageByInstance", [image] + data_images, [_disk_bytes(volume.size)] + data_sizes, sub_jobs, source=server.id)


def _images_from_data_disks(world, project_id, body):
    """Data disk images only: ``data_images`` of one stopped ECS, without ``instance_id``."""
    project = world.project(project_id)
    items = body.objects("data_images", required=True)
    if not items:
        raise ImsError("IMG.0001")
    server_ids = {_data_volume(project, item.text("volume_id", required=True)).server_id for item in items}
    if len(server_ids) > 1:
        raise ImsError("IMG.0140")
    server = _stopped_server(project, server_ids.pop())
    _server_free(world, server.id)
    checked = _check_data_disks(world, project, items, server)
    check_quota(project, len(checked))
    images, sizes = _make_data_disk_images(world, project_id, checked, world.os_fields(server.os_version)["__os_type"])
    sub_jobs = ["imsVolumeCreateImageJob"] * len(images) if len(images) > 1 else None
    return world.image_job(project_id, "imsVolumeCreateImageJob", images, sizes, sub_jobs, source=server.id)


def _image_from_volume(world, project_id, body):
    """A system disk image from a data disk the OS was installed on (the ISO flow, 7.1)."""
    project = world.project(project_id)
    fields = ImageFields.read(body, world.profile_of(project_id))
    environment = IMAGE_TYPES.get(body.text("type", required=True))
    if environment in (None, "IsoImage"):
        raise ImsError("IMG.0024")
    os_version = check_os_version(world, body.text("os_version", required=True, missing="IMG.0056"))
    volume = _data_volume(project, body.text("volume_id"))
    _stopped_server(project, volume.server_id)
    _server_free(world, volume.id)
    check_quota(project)
    image = fields.create(
        world, project_id, {"__data_origin": "volume,%s" % volume.id}, os_version=os_version, min_disk=volume.size, virtual_env_type=environment
    )
    return world.image_job(project_id, "imsVolumeCreateImageJob", [image], [_disk_bytes(volume.size)], source=volume.id)


def _file_image_attrs(body, url):
    """Attributes every image imported from a file gets from the request."""
    architecture = check_architecture(body.text("architecture"))
    firmware = check_choice(body.text("hw_firmware_type"), FIRMWARE_TYPES, "IMG.0141")
    extra = {"__root_origin": "file", "__data_origin": "file,%s" % url, "hw_firmware_type": "uefi" if architecture == "arm" else firmware or "bios"}
    if architecture == "arm":
        extra["__support_arm"] = "true"
    return extra


def _encrypt(world, project_id, body, extra):
    """Encrypt the image with the KMS key ``cmk_id`` names, if any: an enabled key of the project (IMG.0095, 0097)."""
    cmk_id = body.text("cmk_id")
    if cmk_id is not None:
        world.kms_key(project_id, cmk_id)
        extra["__system__cmkid"] = cmk_id


def _image_from_file(world, project_id, body):
    """A system disk (or ISO, or BMS) image from an OBS file, plus up to three data disk images from more files."""
    project = world.project(project_id)
    fields = ImageFields.read(body, world.profile_of(project_id))
    environment = IMAGE_TYPES.get(body.text("type") or "ECS")
    if environment is None:
        raise ImsError("IMG.0024")
    quick = body.boolean("is_quick_import", False)
    os_version = body.text("os_version")
    if os_version is None and environment == "IsoImage":
        raise ImsError("IMG.0166")
    if os_version is None and quick:
        raise ImsError("IMG.0001")
    if os_version is not None:
        check_os_version(world, os_version)
    os_type = check_choice(body.text("os_type"), OS_TYPES, "IMG.0122")
    min_disk = check_size(body.integer("min_disk", required=True), 1, 1024)
    url = body.text("image_url", required=True)
    extra = _file_image_attrs(body, url)
    extra["__is_config_init"] = "true" if body.boolean("is_config", False) else "false"
    _encrypt(world, project_id, body, extra)
    if quick:
        source = _quick_import_file(project, url, min_disk)
    else:
        formats = ("iso",) if environment == "IsoImage" else IMPORT_FORMATS
        source = _source_file(project, url, formats, MAX_IMPORT_BYTES)
    data_files = [_data_file(world, project, item) for item in body.objects("data_images") or []]
    if len(data_files) > MAX_DATA_FILES:
        raise ImsError("IMG.0194")
    urls = [url] + [data_file.url for data_file in data_files]
    if len(set(urls)) != len(urls):
        raise ImsError("IMG.0123")
    check_quota(project, 1 + len(data_files))
    image = fields.create(
        world,
        project_id,
        extra,
        os_version=os_version or DEFAULT_OS_VERSION,
        os_type=os_type,
        min_disk=min_disk,
        virtual_env_type=environment,
        disk_format="iso" if environment == "IsoImage" else "zvhd2",
    )
    data_type = world.os_fields(image.attrs["__os_version"], os_type)["__os_type"]
    images, sizes = [image], [source.size]
    for number, data_file in enumerate(data_files, 1):
        images.append(
            world.new_image(
                project_id,
                data_file.name or "%s-data%d" % (fields.name[:120], number),
                tags=data_file.tags,
                description=data_file.description,
                virtual_env_type="DataImage",
                os_type=data_type,
                min_disk=data_file.min_disk,
                extra={"__root_origin": "file", "__data_origin": "file,%s" % data_file.url},
            )
        )
        sizes.append(data_file.source.size)
    sub_jobs = ["imsImportImageJob"] + ["imsImportDataImageJob"] * len(data_files) if data_files else None
    return world.image_job(project_id, "imsImportImageJob", images, sizes, sub_jobs)


class _DataFile(NamedTuple):
    """A checked entry of ``data_images`` of a file import (Table 5-6)."""

    url: str
    name: str | None
    description: str
    tags: dict
    min_disk: int
    source: object


def _data_file(world, project, item):
    """Check one entry of ``data_images`` of a file import."""
    min_disk = check_size(item.integer("min_disk", required=True), 1, 2048)
    url = item.text("image_url", required=True)
    if item.boolean("is_quick_import", False):
        source = _quick_import_file(project, url, min_disk)
    else:
        source = _source_file(project, url, IMPORT_FORMATS, MAX_IMPORT_BYTES)
    name = check_name(item.data["name"], world.profile_of(project.id)) if item.has("name") else None
    return _DataFile(url, name, check_description(item.data.get("description")), request_tags(item), min_disk, source)


def _data_os_type(body):
    """``os_type`` of a data disk image imported from a file: Linux (the default) or Windows."""
    return check_choice(body.text("os_type") or "Linux", ("Linux", "Windows"), "IMG.0122")


def _import_file(world, project, fields, job_type, source, extra, **attrs):
    """Queue the one image a file import makes, room in the quota given, and answer with the job reading ``source``."""
    check_quota(project)
    image = fields.create(world, project.id, extra, **attrs)
    return job_accepted(world.image_job(project.id, job_type, [image], [source.size]))


@router.post("/v2/cloudimages/quickimport/action")
async def quick_import(request: Request):
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        project = world.project(project_id)
        fields = ImageFields.read(body, world.profile_of(project_id))
        kind = body.text("type") or "ECS"
        if kind not in ("ECS", "BMS", "DataImage"):
            raise ImsError("IMG.0024")
        min_disk = check_size(body.integer("min_disk", required=True), 1, 1024)
        url = body.text("image_url", required=True)
        extra = _file_image_attrs(body, url)
        if kind == "DataImage":
            attrs = {"virtual_env_type": "DataImage", "os_type": _data_os_type(body)}
            job_type = "imsImportDataImageJob"
        else:
            os_version = check_os_version(world, body.text("os_version", required=True))
            attrs = {"virtual_env_type": IMAGE_TYPES[kind], "os_version": os_version}
            job_type = "imsImportImageJob"
        source = _quick_import_file(project, url, min_disk)
        return _import_file(world, project, fields, job_type, source, extra, min_disk=min_disk, **attrs)


@router.post("/v1/cloudimages/dataimages/action")
async def create_data_image(request: Request):
    """A data disk image from an OBS file (the SDK's CreateDataImage)."""
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        project = world.project(project_id)
        fields = ImageFields.read(body, world.profile_of(project_id))
        os_type = _data_os_type(body)
        min_disk = check_size(body.integer("min_disk", required=True), 1, 2048)
        url = body.text("image_url", required=True)
        extra = {"__root_origin": "file", "__data_origin": "file,%s" % url}
        _encrypt(world, project_id, body, extra)
        source = _source_file(project, url, IMPORT_FORMATS, MAX_IMPORT_BYTES)
        return _import_file(world, project, fields, "imsImportDataImageJob", source, extra, virtual_env_type="DataImage", os_type=os_type, min_disk=min_disk)


@router.post("/v1/cloudimages/wholeimages/action")
async def create_whole_image(request: Request):
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        project = world.project(project_id)
        fields = ImageFields.read(body, world.profile_of(project_id))
        instance_id, backup_id = body.text("instance_id"), body.text("backup_id")
        if (instance_id is None) == (backup_id is None):
            raise ImsError("IMG.0001")
        if instance_id is not None:
            return job_accepted(_whole_image_from_server(world, project, fields, instance_id))
        return job_accepted(_whole_image_from_backup(world, project, fields, backup_id))


def _whole_image_from_server(world, project, fields, server_id):
    server = project.servers.get(server_id)
    if server is None:
        raise ImsError("IMG.0005")
    if server.status not in ("ACTIVE", "SHUTOFF"):
        raise ImsError("IMG.0126")
    if any(backup.server_id == server.id and backup.status == "protecting" for backup in project.backups.values()):
        raise ImsError("IMG.0136")
    _server_free(world, server.id)
    volume = project.volumes.get(server.system_volume_id or "")
    if volume is None:
        raise ImsError("IMG.0119")
    check_quota(project)
    extra, attrs = _server_image_attrs(world, server, volume)
    extra["__whole_image"] = True
    image = fields.create(world, project.id, extra, **attrs)
    image.export_restricted = world.lineage_restricted(server.image_id or "")
    disks = [volume] + [project.volumes[vid] for vid in server.data_volume_ids if vid in project.volumes]

    def register_backup():
        # The service backs the server up, then registers the backup as the image.
        backup = BackupSeed(id=str(uuid.uuid4()), name="whole_image_%s" % image.attrs["name"][:100], server_id=server.id, image_id=image.id)
        project.backups[backup.id] = backup
        world.update_image(image, {"__backup_id": backup.id})

    job_type = "imsCreateWholeImageByInstanceJob"
    return world.image_job(
        project.id, job_type, [image], [sum(_disk_bytes(disk.size) for disk in disks)], [job_type], source=server.id, on_success=register_backup
    )


def _whole_image_from_backup(world, project, fields, backup_id):
    backup = project.backups.get(backup_id)
    if backup is None:
        raise ImsError("IMG.0127")
    if backup.status != "available":
        raise ImsError("IMG.0132")
    if backup.image_id and world.image(backup.image_id) is not None:
        raise ImsError("IMG.0134")
    check_quota(project)
    server = project.servers.get(backup.server_id)
    attrs = {"os_version": server.os_version if server else DEFAULT_OS_VERSION}
    if server is not None and server.system_volume_id in project.volumes:
        attrs["min_disk"] = project.volumes[server.system_volume_id].size
    extra = {
        "__whole_image": True,
        "__backup_id": backup.id,
        "__data_origin": "backup,%s" % backup.id,
        "__originalimagename": server.image_id or "" if server else "",
    }
    image = fields.create(world, project.id, extra, **attrs)
    image.export_restricted = world.lineage_restricted(server.image_id or "") if server else False
    backup.image_id = image.id

    def release_backup():
        backup.image_id = None

    job_type = "imsCreateWholeImageByBackupJob"
    return world.image_job(project.id, job_type, [image], [_disk_bytes(attrs.get("min_disk", 40))], [job_type], source=backup.id, on_failure=release_backup)


@router.put("/v1/cloudimages/{image_id}/upload")
async def register_image(image_id: str, request: Request):
    """Register an OBS file as the file of image metadata created with POST /v2/images (5.1.6)."""
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        image = owned_image(world, image_id, project_id)
        if image.status != "queued" or world.busy(image):
            raise ImsError("IMG.0046")
        url = body.text("image_url", required=True)
        source = _source_file(world.project(project_id), url, FILE_FORMATS, MAX_QUICK_IMPORT_BYTES)
        world.update_image(image, {"__root_origin": "file", "__data_origin": "file,%s" % url})
        return job_accepted(world.image_job(project_id, "imsNativeImportImageJob", [image], [source.size], source=image.id))
