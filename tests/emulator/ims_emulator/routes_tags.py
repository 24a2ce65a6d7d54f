# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IMS extension tag APIs (5.2): adding or updating a tag and listing tags (``/v1/cloudimages/tags``), the
project-scoped tag APIs (``/v2/{project_id}/images/...``: add, batch add or delete, delete and list the tags of an
image, list the tags of the project) and querying the project's images by tag (5.2.3).

Unknown or foreign images answer IMG.0027: 400 on ``/v1/cloudimages/tags``, 404 on the project-scoped paths, which
also answer errors in their flat ``error_code``/``error_msg`` shape (see errors.py).
"""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .attributes import check_tag_string, tag_object
from .bodies import read_object
from .errors import GuardedRoute, ImsError
from .listing import list_images, parse_image_query
from .params import parse_int, single_params
from .route_helpers import locked_world, owned_image, put_tag, remove_tag, transaction
from .world import render_tag

router = APIRouter(route_class=GuardedRoute)


@router.put("/v1/cloudimages/tags")
async def add_or_update_tag(request: Request):
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        image = owned_image(world, body.text("image_id", required=True), project_id)
        tag, image_tag = body.data.get("tag"), body.object("image_tag")
        if (tag is None) == (image_tag is None):
            raise ImsError("IMG.0001")
        key, value = check_tag_string(tag) if tag is not None else tag_object(image_tag)
        put_tag(world, image, key, value)
        return Response(status_code=204)


@router.get("/v1/cloudimages/tags")
async def list_tags(request: Request):
    """The tags of the images a query selects, as ``key=value`` strings; ``limit`` and ``page`` page the tags."""
    with transaction(request) as (world, project_id):
        values = single_params(request.query_params)
        limit = parse_int(values.pop("limit")) if "limit" in values else None
        page = parse_int(values.pop("page")) if "page" in values else 1
        if (limit is not None and limit < 1) or page < 1:
            raise ImsError("IMG.0001")
        query = parse_image_query(values, world, project_id, default_limit=len(world.images))
        images = list_images(world, query)[0]
        tags = list(dict.fromkeys(render_tag(key, value) for image in images for key, value in image.tags.items()))
        if limit is not None:
            tags = tags[(page - 1) * limit : page * limit]
        return JSONResponse({"tags": tags})


def _tagged_image(world, project_id, image_id):
    """The image a project-scoped tag API works on: one of the project's own (404 otherwise)."""
    image = world.image(image_id)
    if image is None or image.owner != project_id:
        raise ImsError("IMG.0027", status=404)
    return image


@router.post("/v2/{project_id}/images/{image_id}/tags")
async def add_image_tag(project_id: str, image_id: str, request: Request):
    body = await read_object(request)
    with locked_world(request, project_id) as world:
        image = _tagged_image(world, project_id, image_id)
        key, value = tag_object(body.object("tag", required=True, missing="IMG.0115"))
        put_tag(world, image, key, value)
        return Response(status_code=204)


@router.post("/v2/{project_id}/images/{image_id}/tags/action")
async def batch_tags(project_id: str, image_id: str, request: Request):
    """Add/update or delete several tags; idempotent both ways (5.2.4)."""
    body = await read_object(request)
    with locked_world(request, project_id) as world:
        image = _tagged_image(world, project_id, image_id)
        action = body.text("action", required=True)
        items = body.objects("tags", required=True)
        tags = dict(image.tags)
        if action == "create":
            pairs = [tag_object(item) for item in items]
            if len(dict(pairs)) != len(pairs):
                raise ImsError("IMG.0115")
            tags.update(pairs)
        elif action == "delete":
            for item in items:
                key, value = item.data.get("key"), item.data.get("value")
                if not isinstance(key, str) or not key or len(key) > 127:
                    raise ImsError("IMG.0115")
                if value is not None and (not isinstance(value, str) or len(value) > 255):
                    raise ImsError("IMG.0115")
                if key in tags and value in (None, tags[key]):
                    del tags[key]
        else:
            raise ImsError("IMG.0001")
        world.set_tags(image, tags)
        return Response(status_code=204)


@router.delete("/v2/{project_id}/images/{image_id}/tags/{key}")
async def delete_image_tag(project_id: str, image_id: str, key: str, request: Request):
    with locked_world(request, project_id) as world:
        image = _tagged_image(world, project_id, image_id)
        remove_tag(world, image, key)
        return Response(status_code=204)


@router.get("/v2/{project_id}/images/{image_id}/tags")
async def list_image_tags(project_id: str, image_id: str, request: Request):
    with locked_world(request, project_id) as world:
        image = _tagged_image(world, project_id, image_id)
        return JSONResponse({"tags": [{"key": key, "value": value} for key, value in image.tags.items()]})


def _own_images(world, project_id):
    """The project's images, newest first."""
    images = [image for image in world.images.values() if image.owner == project_id and image.deleted_at is None]
    return sorted(images, key=lambda image: image.created_key, reverse=True)


@router.get("/v2/{project_id}/images/tags")
async def list_project_tags(project_id: str, request: Request):
    with locked_world(request, project_id) as world:
        values = {}
        for image in _own_images(world, project_id):
            for key, value in image.tags.items():
                values.setdefault(key, [])
                if value not in values[key]:
                    values[key].append(value)
        return JSONResponse({"tags": [{"key": key, "values": found} for key, found in values.items()]})


def _tag_conditions(body, name):
    """A ``tags``/``tags_any``/``not_tags``/``not_tags_any`` list: up to 10 unique keys, each with up to 10 unique
    values (none: any value). Character sets are not checked, to match tags older rules allowed (5.2.3)."""
    items = body.objects(name)
    if items is None:
        return None
    conditions = {}
    for item in items:
        key, values = item.data.get("key"), item.texts("values", required=True)
        if not isinstance(key, str) or not key or len(key) > 127 or key in conditions:
            raise ImsError("IMG.0001")
        if len(values) > 10 or len(set(values)) != len(values) or any(len(value) > 255 for value in values):
            raise ImsError("IMG.0001")
        conditions[key] = values
    if not conditions or len(conditions) > 10:
        raise ImsError("IMG.0001")
    return conditions


def _has_tag(image, key, values):
    return key in image.tags and (not values or image.tags[key] in values)


def _match_conditions(body):
    """The ``matches`` of a tag query: resource_name (contains; equals when empty) and resource_id (equals)."""
    items = body.objects("matches")
    if items is None:
        return []
    tests = {}
    for item in items:
        key, value = item.data.get("key"), item.data.get("value")
        if key not in ("resource_name", "resource_id") or key in tests or not isinstance(value, str) or len(value) > 255:
            raise ImsError("IMG.0001")
        if key == "resource_id":
            tests[key] = lambda image, wanted=value: image.id == wanted
        else:
            tests[key] = lambda image, wanted=value: (wanted in image.attrs["name"]) if wanted else image.attrs["name"] == ""
    if not tests:
        raise ImsError("IMG.0001")
    return list(tests.values())


def _paging_number(body, key, default, low, high):
    """``limit``/``offset`` of a tag query: strings in the reference, numbers from some clients."""
    value = body.data.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        value = parse_int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ImsError("IMG.0001")
    return value


@router.post("/v2/{project_id}/images/resource_instances/action")
async def query_images_by_tags(project_id: str, request: Request):
    body = await read_object(request)
    with locked_world(request, project_id) as world:
        action = body.text("action", required=True)
        if action not in ("filter", "count"):
            raise ImsError("IMG.0001")
        all_of, any_of = _tag_conditions(body, "tags"), _tag_conditions(body, "tags_any")
        none_of_all, none_of_any = _tag_conditions(body, "not_tags"), _tag_conditions(body, "not_tags_any")
        untagged = body.boolean("without_any_tag", False)
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
        if action == "count":
            return JSONResponse({"total_count": len(found)})
        limit = _paging_number(body, "limit", 10, 1, 1000)
        offset = _paging_number(body, "offset", 0, 0, 2**31)
        resources = [
            {
                "resource_id": image.id,
                "resource_name": image.attrs["name"],
                "resource_detail": {"status": image.status},
                "tags": [{"key": key, "value": value} for key, value in image.tags.items()],
            }
            for image in found[offset : offset + limit]
        ]
        return JSONResponse({"total_count": len(found), "resources": resources})
