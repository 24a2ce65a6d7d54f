# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The native OpenStack (Glance v2) image APIs of IMS, and the abandoned v1/v1.1 ones (section 6).

These follow Glance where the reference is silent: an image the caller cannot see answers 404, a change only its
owner may make answers 403, and list pages carry ``first``/``next`` links. Refusals the reference documents keep
their IMG codes (deleting a protected, public, foreign or unfinished image, the 10-tag limit, ...).
"""

import hashlib
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from .attributes import MAX_TAGS, check_choice, check_name, check_os_version, check_size, split_tag
from .bodies import read_json, read_object
from .errors import GuardedRoute, ImsError
from .listing import list_images, parse_changes_since, parse_image_query
from .params import parse_int, single_params
from .patch import MUTABLE_ATTRIBUTES, is_custom_attribute, parse_patch
from .route_helpers import check_quota, owned_image, patch_image, put_tag, remove_tag, transaction, visible_image, visible_member
from .world import DEFAULT_OS_VERSION, MEMBERS_SCHEMA, member_view, visible_members

router = APIRouter(route_class=GuardedRoute)

GLANCE_PAGE = 25
#: Larger files go through OBS and PUT /v1/cloudimages/{id}/upload (6.1.4).
MAX_UPLOAD_BYTES = 2 * 1024**3
#: The JSON-patch media types of PATCH /v2/images/{id}, and whether each is the v2.0 dialect.
PATCH_MEDIA_TYPES = {"application/openstack-images-v2.1-json-patch": False, "application/openstack-images-v2.0-json-patch": True}
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova")
DISK_FORMATS = ("zvhd2", "zvhd", "vhd", "raw", "iso", "qcow2")
#: What POST /v2/images reads itself; any other key is a custom property.
CREATE_FIELDS = ("name", "visibility", "protected", "container_format", "disk_format", "tags", "min_ram", "min_disk", "__os_version")


def _media_type(request):
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _image(world, image_id, project_id):
    """An image the caller can see, or 404."""
    return visible_image(world, image_id, project_id, status=404)


def _own_image(world, image_id, project_id):
    """An image the caller owns: 404 when it cannot see it, 403 when it sees but does not own it."""
    return owned_image(world, image_id, project_id, status=404, foreign_status=403)


def _read_only(name):
    return ImsError("IMG.0001", "Attribute '%s' is read-only or reserved." % name, 403)


# --- images -----------------------------------------------------------------------------------------------------


def _page_link(request, marker=None):
    items = [(key, value) for key, value in request.query_params.multi_items() if key != "marker"]
    if marker:
        items.append(("marker", marker))
    return "/v2/images" + ("?" + urlencode(items, quote_via=quote) if items else "")


@router.get("/v2/images")
async def list_glance_images(request: Request):
    with transaction(request) as (world, project_id):
        query = parse_image_query(single_params(request.query_params), world, project_id, GLANCE_PAGE, glance=True)
        page, more = list_images(world, query)
        body = {"images": [world.view(image, project_id) for image in page], "schema": "/v2/schemas/images", "first": _page_link(request)}
        if more and page:
            body["next"] = _page_link(request, page[-1].id)
        return JSONResponse(body)


@router.get("/v2/images/{image_id}")
async def show_glance_image(image_id: str, request: Request):
    with transaction(request) as (world, project_id):
        return JSONResponse(world.view(_image(world, image_id, project_id), project_id))


def _glance_tags(values):
    """``tags`` of image metadata: ``key=value`` strings (a bare key has an empty value), 1 to 255 characters."""
    if values is None:
        return {}
    if not isinstance(values, list) or not all(isinstance(text, str) and 0 < len(text) <= 255 for text in values):
        raise ImsError("IMG.0115")
    tags = dict(split_tag(text) if "=" in text else (text, "") for text in values)
    if len(tags) > MAX_TAGS:
        raise ImsError("IMG.0116")
    return tags


@router.post("/v2/images", status_code=201)
async def create_image_metadata(request: Request):
    """Image metadata without a file: a queued image that PUT .../file or PUT /v1/cloudimages/{id}/upload fills."""
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        project = world.project(project_id)
        name = body.text("name")
        if name:
            check_name(name, world.profile_of(project_id))
        if (body.text("visibility") or "private") != "private":
            raise ImsError("IMG.0001", "Image metadata can only be created private.")
        disk_format = check_choice(body.text("disk_format") or "zvhd2", DISK_FORMATS, "IMG.0001")
        container_format = check_choice(body.text("container_format") or "bare", CONTAINER_FORMATS, "IMG.0001")
        os_version = check_os_version(world, body.text("__os_version") or DEFAULT_OS_VERSION)
        min_disk = check_size(body.integer("min_disk"), 1, 1024) or 0
        min_ram = check_size(body.integer("min_ram"), 0, 1024 * 1024) or 0
        tags = _glance_tags(body.data.get("tags"))
        properties = {}
        for key, value in body.data.items():
            if key in CREATE_FIELDS:
                continue
            if not is_custom_attribute(key):
                raise _read_only(key)
            if value is not None and (not isinstance(value, str) or len(key) > 255):
                raise ImsError("IMG.0001")
            properties[key] = value
        check_quota(project)
        extra = {"container_format": container_format, "protected": body.boolean("protected", False), **properties}
        image = world.new_image(
            project_id,
            name or "",
            extra=extra,
            tags=tags,
            os_version=os_version,
            disk_format=disk_format,
            min_disk=min_disk,
            min_ram=min_ram,
            virtual_env_type="IsoImage" if disk_format == "iso" else "FusionCompute",
        )
        return JSONResponse(world.view(image, project_id), status_code=201)


def _check_patchable(_operation, name):
    """Glance's PATCH also changes custom attributes; anything else it refuses as read-only."""
    if name not in MUTABLE_ATTRIBUTES and not is_custom_attribute(name):
        raise _read_only(name)


@router.patch("/v2/images/{image_id}")
async def update_glance_image(image_id: str, request: Request):
    """Change the name, the description or custom attributes (6.1.3), in either JSON-patch dialect."""
    media_type = _media_type(request)
    if media_type not in PATCH_MEDIA_TYPES:
        raise ImsError("IMG.0001", "Unsupported Content-Type: use %s." % " or ".join(PATCH_MEDIA_TYPES), 415)
    data = await read_json(request)
    with transaction(request) as (world, project_id):
        image = _own_image(world, image_id, project_id)
        patch_image(world, image, parse_patch(data, v20=PATCH_MEDIA_TYPES[media_type]), _check_patchable)
        return JSONResponse(world.view(image, project_id))


def _delete_image(world, project_id, image_id, delete_backup=False):
    """Delete one of the caller's images: not a public (IMG.0094), foreign (IMG.0092), protected (IMG.0028) or
    unfinished (IMG.0090) one. ``delete_backup`` also deletes the backup a full-ECS image was made from."""
    image = _image(world, image_id, project_id)
    if image.is_public:
        raise ImsError("IMG.0094")
    if image.owner != project_id:
        raise ImsError("IMG.0092")
    if image.attrs.get("protected") is True:
        raise ImsError("IMG.0028")
    if world.busy(image):
        raise ImsError("IMG.0090")
    backup_id = image.attrs.get("__backup_id")
    world.delete_image(image)
    if delete_backup and image.is_whole and backup_id:
        world.project(project_id).backups.pop(backup_id, None)


@router.delete("/v2/images/{image_id}", status_code=204)
async def delete_glance_image(image_id: str, request: Request):
    data = await read_json(request, required=False)
    if data is not None and (not isinstance(data, dict) or not isinstance(data.get("delete_backup", False), bool)):
        raise ImsError("IMG.0001")
    with transaction(request) as (world, project_id):
        _delete_image(world, project_id, image_id, bool(data and data.get("delete_backup")))
        return Response(status_code=204)


@router.put("/v2/images/{image_id}/file", status_code=204)
async def upload_image_file(image_id: str, request: Request):
    """Upload the file of queued image metadata (at most 2 GB). The body is streamed and checksummed; the image is
    saving meanwhile, then active once the emulated processing (one job duration) is over."""
    if _media_type(request) != "application/octet-stream":
        raise ImsError("IMG.0001", "Unsupported Content-Type: use application/octet-stream.", 415)
    with transaction(request) as (world, project_id):
        image = _own_image(world, image_id, project_id)
        if image.status != "queued" or world.busy(image):
            raise ImsError("IMG.0046", "The image is not queued: its file cannot be uploaded.", 409)
        world.update_image(image, {"status": "saving"})
    size, digest = 0, hashlib.md5()
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise ImsError("IMG.0059")
            digest.update(chunk)
        if size == 0:
            raise ImsError("IMG.0057")
    except (ImsError, ClientDisconnect):
        with world.transaction():
            if image.deleted_at is None:
                world.update_image(image, {"status": "queued"})
        raise
    with world.transaction():
        world.update_image(image, {"checksum": digest.hexdigest(), "__root_origin": "file"})
        world.image_job(project_id, "imsGlanceUploadImageJob", [image], [size], internal=True)
    return Response(status_code=204)


# --- members ----------------------------------------------------------------------------------------------------


@router.post("/v2/images/{image_id}/members")
async def add_glance_member(image_id: str, request: Request):
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        image = _own_image(world, image_id, project_id)
        member_id = body.text("member", required=True)
        world.check_shareable(image)
        world.check_member_project(project_id, member_id)
        if member_id in image.members:
            raise ImsError("IMG.0001", "The image is already shared with project %s." % member_id, 409)
        world.check_member_room(image, [member_id])
        world.add_member(image, member_id)
        return JSONResponse(member_view(image, member_id))


@router.get("/v2/images/{image_id}/members")
async def list_glance_members(image_id: str, request: Request):
    with transaction(request) as (world, project_id):
        image = _image(world, image_id, project_id)
        return JSONResponse({"members": [member_view(image, member_id) for member_id in visible_members(image, project_id)], "schema": MEMBERS_SCHEMA})


@router.get("/v2/images/{image_id}/members/{member_id}")
async def show_glance_member(image_id: str, member_id: str, request: Request):
    with transaction(request) as (world, project_id):
        image = _image(world, image_id, project_id)
        return JSONResponse(member_view(image, visible_member(image, project_id, member_id)))


@router.put("/v2/images/{image_id}/members/{member_id}")
async def update_glance_member(image_id: str, member_id: str, request: Request):
    """The member's answer: only the member project itself accepts or rejects."""
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        image = _image(world, image_id, project_id)
        visible_member(image, project_id, member_id)
        if member_id != project_id:
            raise ImsError("IMG.0047", "Only the member project can accept or reject a shared image.", 403)
        status = check_choice(body.text("status", required=True), ("accepted", "rejected"), "IMG.0001")
        world.set_member_status(image, member_id, status)
        return JSONResponse(member_view(image, member_id))


@router.delete("/v2/images/{image_id}/members/{member_id}", status_code=204)
async def delete_glance_member(image_id: str, member_id: str, request: Request):
    with transaction(request) as (world, project_id):
        image = _own_image(world, image_id, project_id)
        world.remove_member(image, visible_member(image, project_id, member_id))
        return Response(status_code=204)


# --- tags -------------------------------------------------------------------------------------------------------


@router.put("/v2/images/{image_id}/tags/{tag}", status_code=204)
async def add_glance_tag(image_id: str, tag: str, request: Request):
    """Add a tag key (its value stays empty; an existing key keeps its value)."""
    with transaction(request) as (world, project_id):
        image = _own_image(world, image_id, project_id)
        if not tag or "=" in tag or len(tag) > 255:
            raise ImsError("IMG.0115")
        if tag not in image.tags:
            put_tag(world, image, tag, "")
        return Response(status_code=204)


@router.delete("/v2/images/{image_id}/tags/{tag}", status_code=204)
async def delete_glance_tag(image_id: str, tag: str, request: Request):
    with transaction(request) as (world, project_id):
        image = _own_image(world, image_id, project_id)
        remove_tag(world, image, tag)
        return Response(status_code=204)


# --- the abandoned v1 and v1.1 APIs -----------------------------------------------------------------------------


def _v1_time(stamp):
    """An IMS timestamp in Glance v1's format: ``2016-05-22T06:04:20.000000``."""
    return stamp.replace("Z", ".000000") if stamp else None


def _properties(world, image, project_id):
    """The attributes Glance v1 shows as properties: IMS's own (``__...``) and custom ones, as strings."""
    view = world.view(image, project_id)
    return {
        key: value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in view.items()
        if value is not None and (key.startswith("__") or is_custom_attribute(key))
    }


def _v1_view(world, image, project_id):
    attrs = image.attrs
    return {
        "id": image.id,
        "name": attrs["name"],
        "status": attrs["status"],
        "deleted": False,
        "deleted_at": None,
        "container_format": attrs["container_format"],
        "disk_format": attrs["disk_format"],
        # Both from the image's own stamps (whole seconds), so an image is never created after its last update.
        "created_at": _v1_time(attrs.get("created_at")),
        "updated_at": _v1_time(attrs.get("updated_at")),
        "min_disk": attrs["min_disk"],
        "min_ram": attrs["min_ram"],
        "protected": attrs["protected"],
        "checksum": attrs["checksum"],
        "owner": attrs["owner"],
        "is_public": image.is_public,
        "virtual_size": None,
        "size": int(attrs.get("__image_size") or 0),
        "properties": _properties(world, image, project_id),
    }


def _header_value(value):
    """A header value as Glance v1 sends it: Python-style booleans, non-ASCII text percent-encoded."""
    text = str(value) if not isinstance(value, str) else value
    return text if text.isascii() else quote(text)


@router.head("/v1/images/{image_id}")
async def head_v1_image(image_id: str, request: Request):
    """Image metadata as X-Image-Meta-* headers (6.1.8); 404 without a body when the caller cannot see it."""
    with transaction(request) as (world, project_id):
        image = world.find_image(image_id, project_id)
        if image is None:
            return Response(status_code=404)
        view = _v1_view(world, image, project_id)
    headers = {"X-Image-Meta-" + key.capitalize(): _header_value(value) for key, value in view.items() if key != "properties" and value is not None}
    headers.update({"X-Image-Meta-Property-" + key: _header_value(value) for key, value in view["properties"].items()})
    headers["Etag"] = view["checksum"]
    return Response(status_code=200, headers=headers)


@router.get("/v1.1/images/detail")
async def list_v1_images(request: Request):
    """Images with details (6.1.9): filters name, container_format, disk_format, status, size_min, size_max and
    changes-since, paged by limit/marker."""
    with transaction(request) as (world, project_id):
        values = single_params(request.query_params)
        v1_filters = {key: values.pop(key) for key in ("size_min", "size_max", "changes-since") if key in values}
        unknown = set(values) - {"name", "container_format", "disk_format", "status", "limit", "marker", "sort_key", "sort_dir"}
        if unknown:
            raise ImsError("IMG.0001")
        query = parse_image_query(values, world, project_id, GLANCE_PAGE, glance=True)
        if "size_min" in v1_filters:
            size_min = parse_int(v1_filters["size_min"])
            query.tests.append(lambda image: int(image.attrs.get("__image_size") or 0) >= size_min)
        if "size_max" in v1_filters:
            size_max = parse_int(v1_filters["size_max"])
            query.tests.append(lambda image: int(image.attrs.get("__image_size") or 0) <= size_max)
        if "changes-since" in v1_filters:
            changed = parse_changes_since(v1_filters["changes-since"])
            query.tests.append(lambda image: changed(image.attrs.get("updated_at")))
        page = list_images(world, query)[0]
        return JSONResponse({"images": [_v1_view(world, image, project_id) for image in page]})


@router.delete("/v1.1/images/{image_id}", status_code=204)
async def delete_v1_image(image_id: str, request: Request):
    with transaction(request) as (world, project_id):
        _delete_image(world, project_id, image_id)
        return Response(status_code=204)
