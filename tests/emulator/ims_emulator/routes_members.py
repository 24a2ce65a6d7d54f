# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IMS extension sharing APIs (5.3): adding, deleting and (as a member) accepting or rejecting members of
images in batches, each an asynchronous job, and the calls the official SDK also makes to list the members of one
image and show one member (``/v1/{project_id}/cloudimages/{image_id}/members[/{member_id}]``).

Unknown or foreign images answer IMG.0027 ("does not exist"); the restrictions of 9.3 are World.check_shareable's.
"""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .attributes import check_choice
from .bodies import read_object
from .errors import GuardedRoute, ImsError
from .params import parse_int, single_params
from .route_helpers import job_accepted, locked_world, owned_image, transaction, visible_image, visible_member
from .world import MEMBERS_SCHEMA, member_view, visible_members

router = APIRouter(route_class=GuardedRoute)


def _members_request(world, project_id, body, find_image):
    """The images (each found with ``find_image``) and the member projects of a batch call, each once."""
    image_ids = body.texts("images", required=True)
    projects = body.texts("projects", required=True)
    if not image_ids or not projects:
        raise ImsError("IMG.0001")
    images = [find_image(world, image_id, project_id) for image_id in dict.fromkeys(image_ids)]
    return images, list(dict.fromkeys(projects))


def _member_job(world, project_id, job_type, images, member_ids, change):
    """Answer a batch member call with its job: when it succeeds, it makes ``change(image, member_id)`` for every
    image and project, and it reports one lower-case result per image and project."""
    pairs = [(image, member_id) for image in images for member_id in member_ids]

    def apply():
        for image, member_id in pairs:
            change(image, member_id)

    return job_accepted(world.simple_job(project_id, job_type, on_success=apply, member_pairs=[(image.id, member_id) for image, member_id in pairs]))


@router.post("/v1/cloudimages/members")
async def add_members(request: Request):
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        images, member_ids = _members_request(world, project_id, body, visible_image)
        for image in images:
            if image.is_public:  # a public image is refused as such (IMG.0089), before the owner check
                raise ImsError("IMG.0089")
        for image in images:
            if image.owner != project_id:
                raise ImsError("IMG.0047")
            world.check_shareable(image)
        for member_id in member_ids:
            world.check_member_project(project_id, member_id)
        for image in images:
            world.check_member_room(image, member_ids)

        def share(image, member_id):
            if image.deleted_at is None:
                world.add_member(image, member_id)

        return _member_job(world, project_id, "imsAddImageMembersJob", images, member_ids, share)


@router.delete("/v1/cloudimages/members")
async def delete_members(request: Request):
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        images, member_ids = _members_request(world, project_id, body, owned_image)
        return _member_job(world, project_id, "imsDelImageMembersJob", images, member_ids, world.remove_member)


@router.put("/v1/cloudimages/members")
async def update_members(request: Request):
    """The consumer's side: accept or reject images shared with its project."""
    body = await read_object(request)
    with transaction(request) as (world, project_id):
        image_ids = body.texts("images", required=True)
        if not image_ids:
            raise ImsError("IMG.0001")
        if body.text("project_id", required=True) != project_id:
            raise ImsError("IMG.0067")
        status = check_choice(body.text("status", required=True), ("accepted", "rejected"), "IMG.0001")
        images = []
        for image_id in dict.fromkeys(image_ids):
            image = world.image(image_id)
            if image is None or project_id not in image.members:
                raise ImsError("IMG.0027")
            images.append(image)

        def answer(image, member_id):
            if image.deleted_at is None and member_id in image.members:
                world.set_member_status(image, member_id, status)

        return _member_job(world, project_id, "imsUpdateImageMembersJob", images, [project_id], answer)


@router.get("/v1/{project_id}/cloudimages/{image_id}/members")
async def list_members(project_id: str, image_id: str, request: Request):
    with locked_world(request, project_id) as world:
        image = visible_image(world, image_id, project_id)
        member_ids = visible_members(image, project_id)
        values = single_params(request.query_params)
        limit = parse_int(values["limit"]) if "limit" in values else len(member_ids)
        marker = values.get("marker")
        if limit < 0 or (marker is not None and marker not in member_ids):
            raise ImsError("IMG.0001")
        start = member_ids.index(marker) + 1 if marker is not None else 0
        page = member_ids[start : start + limit]
        page_info = {"current_count": len(page)}
        if start + limit < len(member_ids) and page:
            page_info["next_marker"] = page[-1]
        return JSONResponse({"members": [member_view(image, member_id) for member_id in page], "schema": MEMBERS_SCHEMA, "page_info": page_info})


@router.get("/v1/{project_id}/cloudimages/{image_id}/members/{member_id}")
async def show_member(project_id: str, image_id: str, member_id: str, request: Request):
    with locked_world(request, project_id) as world:
        image = visible_image(world, image_id, project_id)
        return JSONResponse(member_view(image, visible_member(image, project_id, member_id)))
