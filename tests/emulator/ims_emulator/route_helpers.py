# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the IMS extension route modules and the Glance routes share: the caller's project, entering the world for a
call, finding an image as the caller may see or change it, the quota check, the answer of an asynchronous call, the
fields every created image takes, JSON-patch updates, tags and members.

The extension APIs answer an unknown or foreign image with 400 IMG.0027 and a change only the owner may make with
400 IMG.0047; Glance answers 404 and 403 with the same codes: the lookups take the statuses as arguments.
"""

from contextlib import contextmanager
from dataclasses import dataclass

from fastapi.responses import JSONResponse
from starlette.routing import compile_path

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before 0.137.2: include_router copies every route into app.routes

    def iter_route_contexts(routes):
        return routes


from .attributes import check_description, check_enterprise_project, check_name, check_ram, request_tags
from .errors import ImsError
from .patch import check_patch_value
from .world import visible_members

GIB = 1024**3
TIB = 1024 * GIB


def caller_project_id(request):
    """The project of the authenticated caller (the middleware has checked the credentials)."""
    return request.state.auth.project_id


def offered_by(*profiles):
    """Mark a route as an API only the IMS of these clouds offers: the gateway of any other region answers it as an
    unknown API (404 APIGW.0101)."""

    def mark(endpoint):
        endpoint.cloud_profiles = frozenset(profiles)
        return endpoint

    return mark


def cloud_only_apis(routes):
    """``(methods, path regex, clouds)`` of every route of ``routes`` (an app's) that ``offered_by`` marks."""
    apis = []
    for route in iter_route_contexts(routes):
        profiles = getattr(getattr(route, "endpoint", None), "cloud_profiles", None)
        if profiles is not None:
            apis.append((frozenset(route.methods), compile_path(route.path)[0], profiles))
    return apis


def offered_in(apis, method, path, profile):
    """Whether a region of cloud ``profile`` offers the API ``method path``, given the ``cloud_only_apis``."""
    return all(profile in profiles for methods, regex, profiles in apis if method in methods and regex.match(path))


def check_path_project(request, project_id):
    """A project id in the path must be the caller's own."""
    if project_id != caller_project_id(request):
        raise ImsError("IMG.0067")


@contextmanager
def locked_world(request, path_project=None):
    """The world, with its lock held after due job events have acted. ``path_project``, a project id from the path,
    must be the caller's own (IMG.0067, checked under the lock)."""
    world = request.app.state.world
    with world.transaction():
        if path_project is not None:
            check_path_project(request, path_project)
        yield world


@contextmanager
def transaction(request):
    """The world, with its lock held as ``locked_world`` holds it, and the caller's project."""
    with locked_world(request) as world:
        yield world, caller_project_id(request)


def job_accepted(job):
    """The answer to a call that started an asynchronous job."""
    return JSONResponse({"job_id": job.id})


def visible_image(world, image_id, project_id, status=None):
    """An image the caller can see: its own, a public one or one shared with it; IMG.0027 (with ``status``) if not."""
    image = world.find_image(image_id, project_id)
    if image is None:
        raise ImsError("IMG.0027", status=status)
    return image


def owned_image(world, image_id, project_id, status=None, foreign_status=None):
    """An image the caller owns: IMG.0027 (with ``status``) when it cannot see it, IMG.0047 (with
    ``foreign_status``) when it sees but does not own it."""
    image = visible_image(world, image_id, project_id, status)
    if image.owner != project_id:
        raise ImsError("IMG.0047", status=foreign_status)
    return image


def own_private_image(world, image_id, project_id, public_code):
    """One of the caller's private images: IMG.0027 when it cannot see it, ``public_code`` for a public image (each
    API has its own), IMG.0047 for another project's image."""
    image = visible_image(world, image_id, project_id)
    if image.is_public:
        raise ImsError(public_code)
    if image.owner != project_id:
        raise ImsError("IMG.0047")
    return image


def check_quota(project, count=1):
    """Room for ``count`` more private images in the project (IMG.0015)."""
    if len(project.image_ids) + count > project.quota.quota:
        raise ImsError("IMG.0015")


@dataclass
class ImageFields:
    """What every extension request that creates an image may say about it."""

    name: str
    description: str
    tags: dict
    min_ram: int
    max_ram: int | None
    enterprise_project_id: str

    @classmethod
    def read(cls, body, profile):
        """The fields of a request ``body`` sent to a region of cloud ``profile`` (whose name rule applies)."""
        min_ram, max_ram = check_ram(body)
        return cls(
            name=check_name(body.data.get("name"), profile),
            description=check_description(body.data.get("description")),
            tags=request_tags(body),
            min_ram=min_ram,
            max_ram=max_ram,
            enterprise_project_id=check_enterprise_project(body.data.get("enterprise_project_id")),
        )

    def create(self, world, project_id, extra=None, **attrs):
        """A new queued image of the project with these fields, ``extra`` raw attributes and ``attrs`` as
        ``World.image_attrs`` takes them."""
        known = {"enterprise_project_id": self.enterprise_project_id}
        if self.max_ram is not None:
            known["max_ram"] = self.max_ram
        return world.new_image(
            project_id, self.name, extra={**known, **(extra or {})}, tags=self.tags, description=self.description, min_ram=self.min_ram, **attrs
        )


def patch_image(world, image, operations, check_attribute):
    """Apply parsed JSON-patch ``operations`` to ``image``, all or nothing, once ``check_attribute(operation, name)``
    has let each operation through (it raises for one that may not be done) and each value is checked by the rules of
    the image's cloud."""
    profile = world.regions[image.region]
    checked = []
    for operation, name, value in operations:
        check_attribute(operation, name)
        checked.append((operation, name, check_patch_value(operation, name, value, profile)))
    world.patch_image(image, checked)


def put_tag(world, image, key, value):
    """Add a tag, or give an existing key this value."""
    world.set_tags(image, {**image.tags, key: value})


def remove_tag(world, image, key):
    """Delete the tag ``key``; a key the image lacks is 404 IMG.0121."""
    if key not in image.tags:
        raise ImsError("IMG.0121", status=404)
    world.set_tags(image, {name: value for name, value in image.tags.items() if name != key})


def visible_member(image, project_id, member_id):
    """A member of the image that the caller may see (the owner sees all, a member itself); 404 IMG.0114 if not."""
    if member_id not in visible_members(image, project_id):
        raise ImsError("IMG.0114", status=404)
    return member_id
