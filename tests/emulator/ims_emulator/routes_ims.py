# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IMS extension APIs: section 5 and 7.1 of the API reference, plus the calls the official SDK also makes
(data images, job progress, members of one image, OS versions).

Refusals the real service makes at once are made at once (400 with the documented code); the rest of the work
is an asynchronous job. Unknown or foreign images answer IMG.0027 ("does not exist") on these paths, 404 on the
project-scoped tag paths.
"""

import uuid
from dataclasses import dataclass
from typing import NamedTuple

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .errors import ImsError, ImsRoute
from .query import (FIRMWARE_TYPES, OS_TYPES, caller_project_id, check_architecture, check_choice,
                    check_description, check_enterprise_project, check_name, check_os_version, check_patch_value,
                    check_path_project, check_ram, check_size, check_tag_string, list_images, parse_image_query,
                    parse_int, parse_patch, read_json, read_object, request_tags, single_params, split_obs_url,
                    tag_object, MUTABLE_ATTRIBUTES)
from .seed import FILE_FORMATS, BackupSeed, ObjectSeed
from .world import DEFAULT_OS_VERSION, MEMBERS_SCHEMA, member_view, render_tag, visible_members

router = APIRouter(route_class=ImsRoute)

GIB = 1024 ** 3
TIB = 1024 * GIB
#: A normal import takes files up to 128 GB; a quick import up to 1 TB (5.1.4).
MAX_IMPORT_BYTES = 128 * GIB
MAX_QUICK_IMPORT_BYTES = TIB
IMPORT_FORMATS = tuple(file_format for file_format in FILE_FORMATS if file_format != 'iso')
QUICK_IMPORT_FORMATS = ('zvhd2', 'raw')
EXPORT_FORMATS = ('qcow2', 'vhd', 'zvhd', 'vmdk')
#: ``type`` of an image made by POST /v2/cloudimages/action, and the virtual_env_type it gives.
IMAGE_TYPES = {'ECS': 'FusionCompute', 'FusionCompute': 'FusionCompute', 'BMS': 'Ironic', 'Ironic': 'Ironic',
               'IsoImage': 'IsoImage'}
#: An image file may carry at most three data disks (5.1.3).
MAX_DATA_FILES = 3


def _world(request):
    return request.app.state.world


def _job_accepted(job):
    return JSONResponse({'job_id': job.id})


def _disk_bytes(size_gb):
    """The size of an image file made from a disk of ``size_gb`` GB: compressed, as zvhd2 files are."""
    return size_gb * GIB // 8


def _visible(world, image_id, project_id, status=None):
    image = world.find_image(image_id, project_id)
    if image is None:
        raise ImsError('IMG.0027', status=status)
    return image


def _owned(world, image_id, project_id, status=None):
    image = _visible(world, image_id, project_id, status)
    if image.owner != project_id:
        raise ImsError('IMG.0047')
    return image


def _check_quota(project, count):
    if len(project.image_ids) + count > project.quota.quota:
        raise ImsError('IMG.0015')


@dataclass
class _Fields:
    """What every request that creates an image may say about it."""

    name: str
    description: str
    tags: dict
    min_ram: int
    max_ram: int | None
    enterprise_project_id: str

    @classmethod
    def read(cls, body):
        min_ram, max_ram = check_ram(body)
        return cls(name=check_name(body.data.get('name')), description=check_description(body.data.get('description')),
                   tags=request_tags(body), min_ram=min_ram, max_ram=max_ram,
                   enterprise_project_id=check_enterprise_project(body.data.get('enterprise_project_id')))

    def create(self, world, project_id, extra=None, **attrs):
        """A new queued image of the project with these fields, ``extra`` raw attributes and ``attrs`` as
        ``World.image_attrs`` takes them."""
        known = {'enterprise_project_id': self.enterprise_project_id}
        if self.max_ram is not None:
            known['max_ram'] = self.max_ram
        return world.new_image(project_id, self.name, extra={**known, **(extra or {})}, tags=self.tags,
                               description=self.description, min_ram=self.min_ram, **attrs)


def _source_file(project, url, formats, max_bytes):
    """The OBS object an import reads: in a Standard bucket of the project, not empty, of an importable format."""
    bucket_name, key = split_obs_url(url)
    bucket = project.buckets.get(bucket_name)
    if bucket is None:
        raise ImsError('IMG.0069')
    source = bucket.objects.get(key)
    if bucket.storage_class != 'STANDARD' or source is None or source.size == 0 or source.format not in formats:
        raise ImsError('IMG.0057')
    if source.size > max_bytes:
        raise ImsError('IMG.0059')
    return source


def _quick_import_file(project, url, min_disk):
    """The object a quick import reads: ZVHD2, or RAW with its bitmap file beside it, that fits ``min_disk``."""
    source = _source_file(project, url, QUICK_IMPORT_FORMATS, MAX_QUICK_IMPORT_BYTES)
    if source.format == 'raw':
        bucket = project.buckets[split_obs_url(url)[0]]
        if not source.bitmap or source.bitmap not in bucket.objects:
            raise ImsError('IMG.0057')
        if source.size > min_disk * GIB:
            raise ImsError('IMG.0055')
    return source


def _system_volume_ids(project):
    return {server.system_volume_id for server in project.servers.values()}


def _data_volume(project, volume_id, server=None):
    """A data disk an image can be made from: attached (to ``server`` when given), not a system disk, healthy."""
    volume = project.volumes.get(volume_id)
    if volume is None or volume.id in _system_volume_ids(project) or volume.server_id is None:
        raise ImsError('IMG.0120')
    if server is not None and volume.server_id != server.id:
        raise ImsError('IMG.0140')
    if volume.status not in ('in-use', 'available'):
        raise ImsError('IMG.0022')
    return volume


def _stopped_server(project, server_id):
    server = project.servers.get(server_id)
    if server is None:
        raise ImsError('IMG.0005')
    if server.status != 'SHUTOFF':
        raise ImsError('IMG.0008')
    return server


def _server_free(world, source_id):
    """One image job at a time per server or disk (IMG.0010)."""
    if world.jobs.unfinished(lambda job: job.source == source_id):
        raise ImsError('IMG.0010')


def _server_image_attrs(world, server, volume):
    """Attributes of a system disk image made from a server."""
    extra = {'__originalimagename': server.image_id or '', '__data_origin': 'instance,%s' % server.id,
             'hw_firmware_type': server.hw_firmware_type}
    if server.architecture == 'arm':
        extra['__support_arm'] = 'true'
    return extra, {'os_version': server.os_version, 'min_disk': volume.size,
                   'os_type': world.os_fields(server.os_version)['__os_type']}


# --- querying and updating ------------------------------------------------------------------------------------


@router.get('/v2/cloudimages')
async def list_cloudimages(request: Request):
    world = _world(request)
    project_id = caller_project_id(request)
    with world.transaction():
        query = parse_image_query(single_params(request.query_params), world, project_id, default_limit=500)
        page = list_images(world, query, lingering=True)[0]
        return JSONResponse({'images': [world.view(image, project_id) for image in page]})


@router.patch('/v2/cloudimages/{image_id}')
async def update_cloudimage(image_id: str, request: Request):
    world = _world(request)
    project_id = caller_project_id(request)
    data = await read_json(request)
    with world.transaction():
        image = _owned(world, image_id, project_id)
        if image.status != 'active':
            raise ImsError('IMG.0046')
        operations = []
        for operation, name, value in parse_patch(data):
            if name not in MUTABLE_ATTRIBUTES:
                raise ImsError('IMG.0001')
            operations.append((operation, name, check_patch_value(operation, name, value)))
        world.patch_image(image, operations)
        return JSONResponse(world.view(image, project_id))


# --- creating images ------------------------------------------------------------------------------------------


@router.post('/v2/cloudimages/action')
async def create_image(request: Request):
    """One API, four ways: from an ECS (system disk, plus data disks), from data disks alone, from an OBS file,
    or from a data disk holding an OS installed from an ISO image (7.1)."""
    world = _world(request)
    project_id = caller_project_id(request)
    body = await read_object(request)
    sources = [key for key in ('instance_id', 'image_url', 'volume_id') if body.has(key)]
    with world.transaction():
        if len(sources) > 1:
            raise ImsError('IMG.0001')
        if sources == ['instance_id']:
            job = _image_from_server(world, project_id, body)
        elif sources == ['image_url']:
            job = _image_from_file(world, project_id, body)
        elif sources == ['volume_id']:
            job = _image_from_volume(world, project_id, body)
        elif body.has('data_images'):
            job = _images_from_data_disks(world, project_id, body)
        else:
            raise ImsError('IMG.0012')
        return _job_accepted(job)


class _DataDisk(NamedTuple):
    """A checked entry of ``data_images`` that makes an image of a data disk."""

    name: str
    description: str
    tags: dict
    volume: object


def _check_data_disks(project, items, server=None):
    """The ``data_images`` of a request that makes images of data disks, checked."""
    disks = [_DataDisk(check_name(item.data.get('name')), check_description(item.data.get('description')),
                       request_tags(item), _data_volume(project, item.text('volume_id', required=True), server))
             for item in items]
    if len({disk.volume.id for disk in disks}) != len(disks):
        raise ImsError('IMG.0001')
    return disks


def _make_data_disk_images(world, project_id, disks, os_type):
    """Queued images of checked data disks, and the sizes their files will have."""
    images = [world.new_image(project_id, disk.name, tags=disk.tags, description=disk.description,
                              virtual_env_type='DataImage', os_type=os_type, min_disk=disk.volume.size,
                              extra={'__data_origin': 'volume,%s' % disk.volume.id})
              for disk in disks]
    return images, [_disk_bytes(disk.volume.size) for disk in disks]


def _image_from_server(world, project_id, body):
    project = world.project(project_id)
    fields = _Fields.read(body)
    server = _stopped_server(project, body.text('instance_id'))
    volume = project.volumes.get(server.system_volume_id or '')
    if volume is None:
        raise ImsError('IMG.0119')
    _server_free(world, server.id)
    extra, attrs = _server_image_attrs(world, server, volume)
    checked = _check_data_disks(project, body.objects('data_images') or [], server)
    _check_quota(project, 1 + len(checked))
    image = fields.create(world, project_id, extra, **attrs)
    image.export_restricted = world.lineage_restricted(server.image_id or '')
    data_images, data_sizes = _make_data_disk_images(world, project_id, checked, attrs['os_type'])
    sub_jobs = ['imsCreateImageByInstance'] + ['imsVolumeCreateImageJob'] * len(data_images) if data_images else None
    return world.image_job(project_id, 'imsCreateImageByInstance', [image] + data_images,
                           [_disk_bytes(volume.size)] + data_sizes, sub_jobs, source=server.id)


def _images_from_data_disks(world, project_id, body):
    """Data disk images only: ``data_images`` of one stopped ECS, without ``instance_id``."""
    project = world.project(project_id)
    items = body.objects('data_images', required=True)
    if not items:
        raise ImsError('IMG.0001')
    server_ids = {_data_volume(project, item.text('volume_id', required=True)).server_id for item in items}
    if len(server_ids) > 1:
        raise ImsError('IMG.0140')
    server = _stopped_server(project, server_ids.pop())
    _server_free(world, server.id)
    checked = _check_data_disks(project, items, server)
    _check_quota(project, len(checked))
    images, sizes = _make_data_disk_images(world, project_id, checked, world.os_fields(server.os_version)['__os_type'])
    sub_jobs = ['imsVolumeCreateImageJob'] * len(images) if len(images) > 1 else None
    return world.image_job(project_id, 'imsVolumeCreateImageJob', images, sizes, sub_jobs, source=server.id)


def _image_from_volume(world, project_id, body):
    """A system disk image from a data disk the OS was installed on (the ISO flow, 7.1)."""
    project = world.project(project_id)
    fields = _Fields.read(body)
    environment = IMAGE_TYPES.get(body.text('type', required=True))
    if environment in (None, 'IsoImage'):
        raise ImsError('IMG.0024')
    os_version = check_os_version(world, body.text('os_version', required=True, missing='IMG.0056'))
    volume = _data_volume(project, body.text('volume_id'))
    _stopped_server(project, volume.server_id)
    _server_free(world, volume.id)
    _check_quota(project, 1)
    image = fields.create(world, project_id, {'__data_origin': 'volume,%s' % volume.id}, os_version=os_version,
                          min_disk=volume.size, virtual_env_type=environment)
    return world.image_job(project_id, 'imsVolumeCreateImageJob', [image], [_disk_bytes(volume.size)],
                           source=volume.id)


def _file_image_attrs(body, url):
    """Attributes every image imported from a file gets from the request."""
    architecture = check_architecture(body.text('architecture'))
    firmware = check_choice(body.text('hw_firmware_type'), FIRMWARE_TYPES, 'IMG.0141')
    extra = {'__root_origin': 'file', '__data_origin': 'file,%s' % url,
             'hw_firmware_type': 'uefi' if architecture == 'arm' else firmware or 'bios'}
    if architecture == 'arm':
        extra['__support_arm'] = 'true'
    return extra


def _image_from_file(world, project_id, body):
    """A system disk (or ISO, or BMS) image from an OBS file, plus up to three data disk images from more files."""
    project = world.project(project_id)
    fields = _Fields.read(body)
    environment = IMAGE_TYPES.get(body.text('type') or 'ECS')
    if environment is None:
        raise ImsError('IMG.0024')
    quick = body.boolean('is_quick_import', False)
    os_version = body.text('os_version')
    if os_version is None and environment == 'IsoImage':
        raise ImsError('IMG.0166')
    if os_version is None and quick:
        raise ImsError('IMG.0001')
    if os_version is not None:
        check_os_version(world, os_version)
    os_type = check_choice(body.text('os_type'), OS_TYPES, 'IMG.0122')
    min_disk = check_size(body.integer('min_disk', required=True), 1, 1024)
    url = body.text('image_url', required=True)
    extra = _file_image_attrs(body, url)
    extra['__is_config_init'] = 'true' if body.boolean('is_config', False) else 'false'
    cmk_id = body.text('cmk_id')
    if cmk_id is not None:
        world.kms_key(project_id, cmk_id)
        extra['__system__cmkid'] = cmk_id
    if quick:
        source = _quick_import_file(project, url, min_disk)
    else:
        formats = ('iso',) if environment == 'IsoImage' else IMPORT_FORMATS
        source = _source_file(project, url, formats, MAX_IMPORT_BYTES)
    data_files = [_data_file(project, item) for item in body.objects('data_images') or []]
    if len(data_files) > MAX_DATA_FILES:
        raise ImsError('IMG.0194')
    urls = [url] + [data_file.url for data_file in data_files]
    if len(set(urls)) != len(urls):
        raise ImsError('IMG.0123')
    _check_quota(project, 1 + len(data_files))
    image = fields.create(world, project_id, extra, os_version=os_version or DEFAULT_OS_VERSION, os_type=os_type,
                          min_disk=min_disk, virtual_env_type=environment,
                          disk_format='iso' if environment == 'IsoImage' else 'zvhd2')
    data_type = world.os_fields(image.attrs['__os_version'], os_type)['__os_type']
    images, sizes = [image], [source.size]
    for number, data_file in enumerate(data_files, 1):
        images.append(world.new_image(
            project_id, data_file.name or '%s-data%d' % (fields.name[:120], number), tags=data_file.tags,
            description=data_file.description, virtual_env_type='DataImage', os_type=data_type,
            min_disk=data_file.min_disk, extra={'__root_origin': 'file', '__data_origin': 'file,%s' % data_file.url}))
        sizes.append(data_file.source.size)
    sub_jobs = ['imsImportImageJob'] + ['imsImportDataImageJob'] * len(data_files) if data_files else None
    return world.image_job(project_id, 'imsImportImageJob', images, sizes, sub_jobs)


class _DataFile(NamedTuple):
    """A checked entry of ``data_images`` of a file import (Table 5-6)."""

    url: str
    name: str | None
    description: str
    tags: dict
    min_disk: int
    source: object


def _data_file(project, item):
    """Check one entry of ``data_images`` of a file import."""
    min_disk = check_size(item.integer('min_disk', required=True), 1, 2048)
    url = item.text('image_url', required=True)
    if item.boolean('is_quick_import', False):
        source = _quick_import_file(project, url, min_disk)
    else:
        source = _source_file(project, url, IMPORT_FORMATS, MAX_IMPORT_BYTES)
    name = check_name(item.data['name']) if item.has('name') else None
    return _DataFile(url, name, check_description(item.data.get('description')), request_tags(item), min_disk, source)


@router.post('/v2/cloudimages/quickimport/action')
async def quick_import(request: Request):
    world = _world(request)
    project_id = caller_project_id(request)
    body = await read_object(request)
    with world.transaction():
        project = world.project(project_id)
        fields = _Fields.read(body)
        kind = body.text('type') or 'ECS'
        if kind not in ('ECS', 'BMS', 'DataImage'):
            raise ImsError('IMG.0024')
        min_disk = check_size(body.integer('min_disk', required=True), 1, 1024)
        url = body.text('image_url', required=True)
        extra = _file_image_attrs(body, url)
        if kind == 'DataImage':
            os_type = check_choice(body.text('os_type') or 'Linux', ('Linux', 'Windows'), 'IMG.0122')
            attrs = {'virtual_env_type': 'DataImage', 'os_type': os_type}
            job_type = 'imsImportDataImageJob'
        else:
            os_version = check_os_version(world, body.text('os_version', required=True))
            attrs = {'virtual_env_type': IMAGE_TYPES[kind], 'os_version': os_version}
            job_type = 'imsImportImageJob'
        source = _quick_import_file(project, url, min_disk)
        _check_quota(project, 1)
        image = fields.create(world, project_id, extra, min_disk=min_disk, **attrs)
        return _job_accepted(world.image_job(project_id, job_type, [image], [source.size]))


@router.post('/v1/cloudimages/dataimages/action')
async def create_data_image(request: Request):
    """A data disk image from an OBS file (the SDK's CreateDataImage)."""
    world = _world(request)
    project_id = caller_project_id(request)
    body = await read_object(request)
    with world.transaction():
        project = world.project(project_id)
        fields = _Fields.read(body)
        os_type = check_choice(body.text('os_type') or 'Linux', ('Linux', 'Windows'), 'IMG.0122')
        min_disk = check_size(body.integer('min_disk', required=True), 1, 2048)
        url = body.text('image_url', required=True)
        extra = {'__root_origin': 'file', '__data_origin': 'file,%s' % url}
        cmk_id = body.text('cmk_id')
        if cmk_id is not None:
            world.kms_key(project_id, cmk_id)
            extra['__system__cmkid'] = cmk_id
        source = _source_file(project, url, IMPORT_FORMATS, MAX_IMPORT_BYTES)
        _check_quota(project, 1)
        image = fields.create(world, project_id, extra, virtual_env_type='DataImage', os_type=os_type,
                              min_disk=min_disk)
        return _job_accepted(world.image_job(project_id, 'imsImportDataImageJob', [image], [source.size]))


@router.post('/v1/cloudimages/wholeimages/action')
async def create_whole_image(request: Request):
    world = _world(request)
    project_id = caller_project_id(request)
    body = await read_object(request)
    with world.transaction():
        project = world.project(project_id)
        fields = _Fields.read(body)
        instance_id, backup_id = body.text('instance_id'), body.text('backup_id')
        if (instance_id is None) == (backup_id is None):
            raise ImsError('IMG.0001')
        if instance_id is not None:
            return _job_accepted(_whole_image_from_server(world, project, fields, instance_id))
        return _job_accepted(_whole_image_from_backup(world, project, fields, backup_id))


def _whole_image_from_server(world, project, fields, server_id):
    server = project.servers.get(server_id)
    if server is None:
        raise ImsError('IMG.0005')
    if server.status not in ('ACTIVE', 'SHUTOFF'):
        raise ImsError('IMG.0126')
    if any(backup.server_id == server.id and backup.status == 'protecting' for backup in project.backups.values()):
        raise ImsError('IMG.0136')
    _server_free(world, server.id)
    volume = project.volumes.get(server.system_volume_id or '')
    if volume is None:
        raise ImsError('IMG.0119')
    _check_quota(project, 1)
    extra, attrs = _server_image_attrs(world, server, volume)
    extra['__whole_image'] = True
    image = fields.create(world, project.id, extra, **attrs)
    image.export_restricted = world.lineage_restricted(server.image_id or '')
    disks = [volume] + [project.volumes[vid] for vid in server.data_volume_ids if vid in project.volumes]

    def register_backup():
        # The service backs the server up, then registers the backup as the image.
        backup = BackupSeed(id=str(uuid.uuid4()), name='whole_image_%s' % image.attrs['name'][:100],
                            server_id=server.id, image_id=image.id)
        project.backups[backup.id] = backup
        world.update_image(image, {'__backup_id': backup.id})

    job_type = 'imsCreateWholeImageByInstanceJob'
    return world.image_job(project.id, job_type, [image], [sum(_disk_bytes(disk.size) for disk in disks)],
                           [job_type], source=server.id, on_success=register_backup)


def _whole_image_from_backup(world, project, fields, backup_id):
    backup = project.backups.get(backup_id)
    if backup is None:
        raise ImsError('IMG.0127')
    if backup.status != 'available':
        raise ImsError('IMG.0132')
    if backup.image_id and world.image(backup.image_id) is not None:
        raise ImsError('IMG.0134')
    _check_quota(project, 1)
    server = project.servers.get(backup.server_id)
    attrs = {'os_version': server.os_version if server else DEFAULT_OS_VERSION}
    if server is not None and server.system_volume_id in project.volumes:
        attrs['min_disk'] = project.volumes[server.system_volume_id].size
    extra = {'__whole_image': True, '__backup_id': backup.id, '__data_origin': 'backup,%s' % backup.id,
             '__originalimagename': server.image_id or '' if server else ''}
    image = fields.create(world, project.id, extra, **attrs)
    image.export_restricted = world.lineage_restricted(server.image_id or '') if server else False
    backup.image_id = image.id

    def release_backup():
        backup.image_id = None

    job_type = 'imsCreateWholeImageByBackupJob'
    return world.image_job(project.id, job_type, [image], [_disk_bytes(attrs.get('min_disk', 40))], [job_type],
                           source=backup.id, on_failure=release_backup)


@router.put('/v1/cloudimages/{image_id}/upload')
async def register_image(image_id: str, request: Request):
    """Register an OBS file as the file of image metadata created with POST /v2/images (5.1.6)."""
    world = _world(request)
    project_id = caller_project_id(request)
    body = await read_object(request)
    with world.transaction():
        image = _owned(world, image_id, project_id)
        if image.status != 'queued' or world.busy(image):
            raise ImsError('IMG.0046')
        url = body.text('image_url', required=True)
        source = _source_file(world.project(project_id), url, FILE_FORMATS, MAX_QUICK_IMPORT_BYTES)
        world.update_image(image, {'__root_origin': 'file', '__data_origin': 'file,%s' % url})
        return _job_accepted(world.image_job(project_id, 'imsNativeImportImageJob', [image], [source.size],
                                             source=image.id))


# --- exporting and copying ------------------------------------------------------------------------------------


def _check_export_key(key):
    """The name of the file an export writes (IMG.0073 empty, IMG.0074 too long, IMG.0175 spaces, IMG.0075 other
    characters OBS or IMS refuse)."""
    if not key:
        raise ImsError('IMG.0073')
    if len(key) > 1023:
        raise ImsError('IMG.0074')
    if ' ' in key:
        raise ImsError('IMG.0175')
    if key.startswith('/') or any(char in key for char in '\\\0\r\n\t'):
        raise ImsError('IMG.0075')


@router.post('/v1/cloudimages/{image_id}/file')
async def export_image(image_id: str, request: Request):
    world = _world(request)
    project_id = caller_project_id(request)
    body = await read_object(request)
    with world.transaction():
        image = _visible(world, image_id, project_id)
        if image.is_public:
            raise ImsError('IMG.0077')
        if image.owner != project_id:
            raise ImsError('IMG.0047')
        if image.status != 'active':
            raise ImsError('IMG.0046')
        if image.is_whole:
            raise ImsError('IMG.0128')
        if image.is_iso:
            raise ImsError('IMG.0167')
        if image.export_restricted:
            raise ImsError('IMG.0071')
        if world.jobs.unfinished(lambda job: job.source == image.id and job.job_type == 'imsNativeExportImageJob'):
            raise ImsError('IMG.0148')
        url = body.text('bucket_url', required=True)
        quick = body.boolean('is_quick_export', False)
        file_format = check_choice(body.text('file_format'), EXPORT_FORMATS, 'IMG.0072')
        if quick == (file_format is not None):
            raise ImsError('IMG.0001')
        size = int(image.attrs.get('__image_size') or 0)
        if size >= TIB or (not quick and size > 128 * GIB):
            raise ImsError('IMG.0160')
        bucket_name, key = split_obs_url(url)
        bucket = world.project(project_id).buckets.get(bucket_name)
        if bucket is None or bucket.storage_class != 'STANDARD':
            raise ImsError('IMG.0069')
        _check_export_key(key)
        if key in bucket.objects:
            raise ImsError('IMG.0070')
        written = ObjectSeed(name=key, size=size, format=file_format or image.attrs['disk_format'])

        def write_file():
            bucket.objects[key] = written

        return _job_accepted(world.simple_job(project_id, 'imsNativeExportImageJob', on_success=write_file,
                                              image_id=image.id, image_name=image.attrs['name'], source=image.id))


@router.post('/v1/cloudimages/{image_id}/copy')
async def copy_image(image_id: str, request: Request):
    world = _world(request)
    project_id = caller_project_id(request)
    body = await read_object(request)
    with world.transaction():
        project = world.project(project_id)
        source = _visible(world, image_id, project_id)
        if source.is_public:
            raise ImsError('IMG.0083')
        if source.owner != project_id:
            if source.members[project_id].status != 'accepted':
                raise ImsError('IMG.0196')
            if source.attrs.get('__system__cmkid'):
                raise ImsError('IMG.0197')
        if source.is_whole:
            raise ImsError('IMG.0130')
        if source.is_iso:
            raise ImsError('IMG.0167')
        if source.status != 'active':
            raise ImsError('IMG.0046')
        fields = _Fields.read(body)
        cmk_id = body.text('cmk_id')
        source_key = source.attrs.get('__system__cmkid') if source.owner == project_id else None
        if cmk_id is not None:
            world.kms_key(project_id, cmk_id)
            if cmk_id == source_key:
                raise ImsError('IMG.0096')
        _check_quota(project, 1)
        inherited = ('__os_version', '__platform', '__os_type', '__os_bit', 'disk_format', 'container_format',
                     'min_disk', 'min_ram', 'max_ram', 'hw_firmware_type', '__support_arm', 'virtual_env_type',
                     '__support_kvm', '__support_xen', '__root_origin')
        extra = {name: source.attrs[name] for name in inherited if name in source.attrs}
        extra.update({'__originalimagename': source.id, '__data_origin': 'image,%s' % source.id})
        if cmk_id or source_key:
            extra['__system__cmkid'] = cmk_id or source_key
        copy = fields.create(world, project_id, extra)
        copy.export_restricted = source.export_restricted
        return _job_accepted(world.image_job(project_id, 'imsCopyImageInRegionJob', [copy],
                                             [int(source.attrs.get('__image_size') or 0)], source=source.id))


# --- tags -------------------------------------------------------------------------------------------------------


def _put_tag(world, image, key, value):
    tags = dict(image.tags)
    tags[key] = value
    world.set_tags(image, tags)


@router.put('/v1/cloudimages/tags')
async def add_or_update_tag(request: Request):
    world = _world(request)
    project_id = caller_project_id(request)
    body = await read_object(request)
    with world.transaction():
        image = _owned(world, body.text('image_id', required=True), project_id)
        tag, image_tag = body.data.get('tag'), body.object('image_tag')
        if (tag is None) == (image_tag is None):
            raise ImsError('IMG.0001')
        key, value = check_tag_string(tag) if tag is not None else tag_object(image_tag)
        _put_tag(world, image, key, value)
        return Response(status_code=204)


@router.get('/v1/cloudimages/tags')
async def list_tags(request: Request):
    """The tags of the images a query selects, as ``key=value`` strings; ``limit`` and ``page`` page the tags."""
    world = _world(request)
    project_id = caller_project_id(request)
    with world.transaction():
        values = single_params(request.query_params)
        limit = parse_int(values.pop('limit')) if 'limit' in values else None
        page = parse_int(values.pop('page')) if 'page' in values else 1
        if (limit is not None and limit < 1) or page < 1:
            raise ImsError('IMG.0001')
        query = parse_image_query(values, world, project_id, default_limit=len(world.images))
        images = list_images(world, query)[0]
        tags = list(dict.fromkeys(render_tag(key, value) for image in images for key, value in image.tags.items()))
        if limit is not None:
            tags = tags[(page - 1) * limit:page * limit]
        return JSONResponse({'tags': tags})


def _tagged_image(world, request, project_id, image_id):
    """The image a project-scoped tag API works on: one of the project's own (404 otherwise)."""
    check_path_project(request, project_id)
    image = world.image(image_id)
    if image is None or image.owner != project_id:
        raise ImsError('IMG.0027', status=404)
    return image


@router.post('/v2/{project_id}/images/{image_id}/tags')
async def add_image_tag(project_id: str, image_id: str, request: Request):
    world = _world(request)
    body = await read_object(request)
    with world.transaction():
        image = _tagged_image(world, request, project_id, image_id)
        key, value = tag_object(body.object('tag', required=True, missing='IMG.0115'))
        _put_tag(world, image, key, value)
        return Response(status_code=204)


@router.post('/v2/{project_id}/images/{image_id}/tags/action')
async def batch_tags(project_id: str, image_id: str, request: Request):
    """Add/update or delete several tags; idempotent both ways (5.2.4)."""
    world = _world(request)
    body = await read_object(request)
    with world.transaction():
        image = _tagged_image(world, request, project_id, image_id)
        action = body.text('action', required=True)
        items = body.objects('tags', required=True)
        tags = dict(image.tags)
        if action == 'create':
            pairs = [tag_object(item) for item in items]
            if len(dict(pairs)) != len(pairs):
                raise ImsError('IMG.0115')
            tags.update(pairs)
        elif action == 'delete':
            for item in items:
                key, value = item.data.get('key'), item.data.get('value')
                if not isinstance(key, str) or not key or len(key) > 127:
                    raise ImsError('IMG.0115')
                if value is not None and (not isinstance(value, str) or len(value) > 255):
                    raise ImsError('IMG.0115')
                if key in tags and value in (None, tags[key]):
                    del tags[key]
        else:
            raise ImsError('IMG.0001')
        world.set_tags(image, tags)
        return Response(status_code=204)


@router.delete('/v2/{project_id}/images/{image_id}/tags/{key}')
async def delete_image_tag(project_id: str, image_id: str, key: str, request: Request):
    world = _world(request)
    with world.transaction():
        image = _tagged_image(world, request, project_id, image_id)
        if key not in image.tags:
            raise ImsError('IMG.0121', status=404)
        tags = dict(image.tags)
        del tags[key]
        world.set_tags(image, tags)
        return Response(status_code=204)


@router.get('/v2/{project_id}/images/{image_id}/tags')
async def list_image_tags(project_id: str, image_id: str, request: Request):
    world = _world(request)
    with world.transaction():
        image = _tagged_image(world, request, project_id, image_id)
        return JSONResponse({'tags': [{'key': key, 'value': value} for key, value in image.tags.items()]})


def _own_images(world, project_id):
    """The project's images, newest first."""
    images = [image for image in world.images.values() if image.owner == project_id and image.deleted_at is None]
    return sorted(images, key=lambda image: image.created_key, reverse=True)


@router.get('/v2/{project_id}/images/tags')
async def list_project_tags(project_id: str, request: Request):
    world = _world(request)
    with world.transaction():
        check_path_project(request, project_id)
        values = {}
        for image in _own_images(world, project_id):
            for key, value in image.tags.items():
                values.setdefault(key, [])
                if value not in values[key]:
                    values[key].append(value)
        return JSONResponse({'tags': [{'key': key, 'values': found} for key, found in values.items()]})


def _tag_conditions(body, name):
    """A ``tags``/``tags_any``/``not_tags``/``not_tags_any`` list: up to 10 unique keys, each with up to 10 unique
    values (none: any value). Character sets are not checked, to match tags older rules allowed (5.2.3)."""
    items = body.objects(name)
    if items is None:
        return None
    conditions = {}
    for item in items:
        key, values = item.data.get('key'), item.texts('values', required=True)
        if not isinstance(key, str) or not key or len(key) > 127 or key in conditions:
            raise ImsError('IMG.0001')
        if len(values) > 10 or len(set(values)) != len(values) or any(len(value) > 255 for value in values):
            raise ImsError('IMG.0001')
        conditions[key] = values
    if not conditions or len(conditions) > 10:
        raise ImsError('IMG.0001')
    return conditions


def _has_tag(image, key, values):
    return key in image.tags and (not values or image.tags[key] in values)


def _match_conditions(body):
    """The ``matches`` of a tag query: resource_name (contains; equals when empty) and resource_id (equals)."""
    items = body.objects('matches')
    if items is None:
        return []
    tests = {}
    for item in items:
        key, value = item.data.get('key'), item.data.get('value')
        if key not in ('resource_name', 'resource_id') or key in tests or not isinstance(value, str) or len(value) > 255:
            raise ImsError('IMG.0001')
        if key == 'resource_id':
            tests[key] = lambda image, wanted=value: image.id == wanted
        else:
            tests[key] = lambda image, wanted=value: (wanted in image.attrs['name']) if wanted else image.attrs['name'] == ''
    if not tests:
        raise ImsError('IMG.0001')
    return list(tests.values())


def _paging_number(body, key, default, low, high):
    """``limit``/``offset`` of a tag query: strings in the reference, numbers from some clients."""
    value = body.data.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        value = parse_int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ImsError('IMG.0001')
    return value


@router.post('/v2/{project_id}/images/resource_instances/action')
async def query_images_by_tags(project_id: str, request: Request):
    world = _world(request)
    body = await read_object(request)
    with world.transaction():
        check_path_project(request, project_id)
        action = body.text('action', required=True)
        if action not in ('filter', 'count'):
            raise ImsError('IMG.0001')
        all_of, any_of = _tag_conditions(body, 'tags'), _tag_conditions(body, 'tags_any')
        none_of_all, none_of_any = _tag_conditions(body, 'not_tags'), _tag_conditions(body, 'not_tags_any')
        untagged = body.boolean('without_any_tag', False)
        tests = _match_conditions(body)
        if untagged:
            tests.append(lambda image: not image.tags)
        else:
            if all_of:
                tests.append(lambda image: all(_has_tag(image, key, values) for key, values in all_of.items()))
            if any_of:
                tests.append(lambda image: any(_has_tag(image, key, values) for key, values in any_of.items()))
            if none_of_all:
                tests.append(lambda image: not all(_has_tag(image, key, values) for key, values in none_of_all.items()))
            if none_of_any:
                tests.append(lambda image: not any(_has_tag(image, key, values) for key, values in none_of_any.items()))
        found = [image for image in _own_images(world, project_id) if all(test(image) for test in tests)]
        if action == 'count':
            return JSONResponse({'total_count': len(found)})
        limit = _paging_number(body, 'limit', 10, 1, 1000)
        offset = _paging_number(body, 'offset', 0, 0, 2 ** 31)
        resources = [{'resource_id': image.id, 'resource_name': image.attrs['name'],
                      'resource_detail': {'status': image.status},
                      'tags': [{'key': key, 'value': value} for key, value in image.tags.items()]}
                     for image in found[offset:offset + limit]]
        return JSONResponse({'total_count': len(found), 'resources': resources})


# --- sharing ----------------------------------------------------------------------------------------------------


def _members_request(body):
    images = body.texts('images', required=True)
    projects = body.texts('projects', required=True)
    if not images or not projects:
        raise ImsError('IMG.0001')
    return list(dict.fromkeys(images)), list(dict.fromkeys(projects))


def _member_job(world, project_id, job_type, images, member_ids, on_success):
    """Answer a batch member call with its job; the job reports one lower-case result per image and project."""
    pairs = [(image.id, member_id) for image in images for member_id in member_ids]
    return _job_accepted(world.simple_job(project_id, job_type, on_success=on_success, member_pairs=pairs))


@router.post('/v1/cloudimages/members')
async def add_members(request: Request):
    world = _world(request)
    project_id = caller_project_id(request)
    body = await read_object(request)
    with world.transaction():
        image_ids, member_ids = _members_request(body)
        images = [_visible(world, image_id, project_id) for image_id in image_ids]
        for image in images:
            if image.is_public:  # a public image is refused as such (IMG.0089), before the owner check
                raise ImsError('IMG.0089')
        for image in images:
            if image.owner != project_id:
                raise ImsError('IMG.0047')
            world.check_shareable(image)
        for member_id in member_ids:
            world.check_member_project(project_id, member_id)
        for image in images:
            world.check_member_room(image, member_ids)

        def share():
            for image in images:
                if image.deleted_at is None:
                    for member_id in member_ids:
                        world.add_member(image, member_id)

        return _member_job(world, project_id, 'imsAddImageMembersJob', images, member_ids, share)


@router.delete('/v1/cloudimages/members')
async def delete_members(request: Request):
    world = _world(request)
    project_id = caller_project_id(request)
    body = await read_object(request)
    with world.transaction():
        image_ids, member_ids = _members_request(body)
        images = [_owned(world, image_id, project_id) for image_id in image_ids]

        def unshare():
            for image in images:
                for member_id in member_ids:
                    world.remove_member(image, member_id)

        return _member_job(world, project_id, 'imsDelImageMembersJob', images, member_ids, unshare)


@router.put('/v1/cloudimages/members')
async def update_members(request: Request):
    """The consumer's side: accept or reject images shared with its project."""
    world = _world(request)
    project_id = caller_project_id(request)
    body = await read_object(request)
    with world.transaction():
        image_ids = body.texts('images', required=True)
        if not image_ids:
            raise ImsError('IMG.0001')
        if body.text('project_id', required=True) != project_id:
            raise ImsError('IMG.0067')
        status = check_choice(body.text('status', required=True), ('accepted', 'rejected'), 'IMG.0001')
        images = []
        for image_id in dict.fromkeys(image_ids):
            image = world.image(image_id)
            if image is None or project_id not in image.members:
                raise ImsError('IMG.0027')
            images.append(image)

        def answer():
            for image in images:
                if image.deleted_at is None and project_id in image.members:
                    world.set_member_status(image, project_id, status)

        return _job_accepted(world.simple_job(project_id, 'imsUpdateImageMembersJob', on_success=answer,
                                              member_pairs=[(image.id, project_id) for image in images]))


@router.get('/v1/{project_id}/cloudimages/{image_id}/members')
async def list_members(project_id: str, image_id: str, request: Request):
    world = _world(request)
    with world.transaction():
        check_path_project(request, project_id)
        image = _visible(world, image_id, project_id)
        member_ids = visible_members(image, project_id)
        values = single_params(request.query_params)
        limit = parse_int(values['limit']) if 'limit' in values else len(member_ids)
        marker = values.get('marker')
        if limit < 0 or (marker is not None and marker not in member_ids):
            raise ImsError('IMG.0001')
        start = member_ids.index(marker) + 1 if marker is not None else 0
        page = member_ids[start:start + limit]
        page_info = {'current_count': len(page)}
        if start + limit < len(member_ids) and page:
            page_info['next_marker'] = page[-1]
        return JSONResponse({'members': [member_view(image, member_id) for member_id in page],
                             'schema': MEMBERS_SCHEMA, 'page_info': page_info})


@router.get('/v1/{project_id}/cloudimages/{image_id}/members/{member_id}')
async def show_member(project_id: str, image_id: str, member_id: str, request: Request):
    world = _world(request)
    with world.transaction():
        check_path_project(request, project_id)
        image = _visible(world, image_id, project_id)
        if member_id not in visible_members(image, project_id):
            raise ImsError('IMG.0114', status=404)
        return JSONResponse(member_view(image, member_id))


# --- quota, jobs, OS versions ------------------------------------------------------------------------------------


@router.get('/v1/cloudimages/quota')
async def show_quota(request: Request):
    world = _world(request)
    with world.transaction():
        return JSONResponse({'quotas': {'resources': [world.project(caller_project_id(request)).quota_json()]}})


def _job(world, project_id, job_id):
    job = world.jobs.find(job_id, project_id, world.now())
    if job is None:
        raise ImsError('IMG.0023', 'The job does not exist.', 404)
    return job


@router.get('/v1/{project_id}/jobs/{job_id}')
async def show_job(project_id: str, job_id: str, request: Request):
    world = _world(request)
    with world.transaction():
        check_path_project(request, project_id)
        return JSONResponse(_job(world, project_id, job_id).as_json(world.now()))


@router.get('/v1/cloudimages/job/{job_id}')
async def show_job_progress(job_id: str, request: Request):
    world = _world(request)
    with world.transaction():
        return JSONResponse(_job(world, caller_project_id(request), job_id).as_json(world.now()))


@router.get('/v1/cloudimages/os_version')
async def list_os_versions(request: Request):
    """The __os_version catalog by platform (the SDK's ListOsVersions). ``tag`` (bms, uefi, arm, x86) is checked
    but does not narrow the list: the catalog does not record those features."""
    world = _world(request)
    tag = single_params(request.query_params).get('tag')
    check_choice(tag, ('bms', 'uefi', 'arm', 'x86'), 'IMG.0001')
    with world.transaction():
        platforms = {}
        for os_version in world.os_versions:
            fields = world.os_fields(os_version)
            platforms.setdefault(fields['__platform'], []).append({
                'platform': fields['__platform'], 'os_version_key': os_version, 'os_version': os_version,
                'os_bit': int(fields['__os_bit']), 'os_type': fields['__os_type']})
        return JSONResponse([{'platform': platform, 'version_list': versions} for platform, versions in platforms.items()])
