# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Listing images: the query parameters of the image listings (filters, time filters, ``changes-since``, visibility,
sorting and paging) parsed into an ``ImageQuery``, and one page of the images it selects.

Every refusal is an ImsError with the documented code; nothing a client sends may end in an unhandled exception.
"""

import operator
import re
from datetime import datetime, timedelta, timezone

from .attributes import OS_TYPES, check_architecture, check_choice, check_enterprise_project, split_tag
from .errors import ImsError
from .params import parse_bool, parse_int
from .world import SORT_KEYS

_TIME_OPERATORS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le, "eq": operator.eq, "neq": operator.ne}
_STATUSES = ("queued", "saving", "deleted", "killed", "active")
_VISIBILITIES = ("public", "private", "shared")
_MEMBER_STATUSES = ("accepted", "rejected", "pending")
_IMAGE_TYPES = ("gold", "private", "shared")
_ENVIRONMENTS = ("FusionCompute", "Ironic", "DataImage", "IsoImage")
MAX_LIMIT = 1000


def parse_time_filter(text):
    """``op:time`` (op gt, gte, lt, lte, eq, neq; time ``yyyy-MM-ddThh:mm:ssZ`` or ``yyyy-MM-dd hh:mm:ss``) as a
    test of an IMS timestamp string (the same format, so strings compare as times do)."""
    name, moment = text.partition(":")[::2]
    compare = _TIME_OPERATORS.get(name)
    parsed = None
    for pattern in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.strptime(moment, pattern)
            break
        except ValueError:
            continue
    if compare is None or parsed is None:
        raise ImsError("IMG.0001")
    bound = parsed.strftime("%Y-%m-%dT%H:%M:%SZ")
    return lambda stamp: stamp is not None and compare(stamp, bound)


#: The formats ``changes-since`` accepts (6.1.9): what the v1.1 API itself returns in ``updated_at``
#: (``2024-05-04T08:59:59.000000``), ISO 8601 with ``Z`` or an offset, with or without fractions, and the
#: ``yyyy-MM-dd hh:mm:ss`` of the other time filters. A time without a zone is UTC.
_CHANGES_SINCE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
)
#: An offset whose ``+`` arrived as a space (an unencoded ``+`` in a query string).
_SPACED_OFFSET = re.compile(r"(?<=\d) (\d\d(:?\d\d)?)$")


def parse_changes_since(text):
    """The ``changes-since`` filter of ``GET /v1.1/images/detail`` as a test of an IMS timestamp string: images
    updated at or after that moment."""
    moment = _SPACED_OFFSET.sub(r"+\1", text.strip()) if isinstance(text, str) else ""
    parsed = None
    for pattern in _CHANGES_SINCE_FORMATS:
        try:
            parsed = datetime.strptime(moment, pattern)
            break
        except ValueError:
            continue
    if parsed is None:
        raise ImsError("IMG.0001")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    if parsed.microsecond:  # IMS timestamps have whole seconds: at or after x.5 is at or after x+1
        parsed = parsed.replace(microsecond=0) + timedelta(seconds=1)
    bound = parsed.strftime("%Y-%m-%dT%H:%M:%SZ")
    return lambda stamp: stamp is not None and stamp >= bound


class ImageQuery:
    """The filters, order and page of an image listing, as one project (of ``region``) asks for them."""

    def __init__(self, project_id, default_limit, region=None):
        self.project_id = project_id
        self.region = region
        self.limit = default_limit
        self.marker = None
        self.sort_key = "created_at"
        self.descending = True
        self.visibility = None
        self.member_status = None
        self.ids = None
        self.tests = []

    def in_scope(self, image):
        """Whether the image is in the listing before filters: by default the caller's own images, the public ones of
        its region and those shared with it that it accepted. ``visibility`` narrows to the images rendered with that visibility
        (``World.visibility_for``): ``private`` the caller's own images without members; ``shared`` with
        ``member_status`` the images shared with the caller in that status, without it those the caller accepted and
        its own images that have members."""
        pid = self.project_id
        member = image.members.get(pid)
        public = image.is_public and image.region == self.region
        if self.visibility == "public":
            return public
        if self.visibility == "private":
            return image.owner == pid and not image.is_public and not image.members
        if self.visibility == "shared":
            if self.member_status:
                return member is not None and member.status == self.member_status
            return (member is not None and member.status == "accepted") or (image.owner == pid and bool(image.members))
        return image.owner == pid or public or (member is not None and member.status == "accepted")

    def matches(self, image):
        return self.in_scope(image) and all(test(image) for test in self.tests)

    def attribute_equals(self, name, expected):
        self.tests.append(lambda image: name in image.attrs and _as_text(image.attrs[name]) == expected)


def _as_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def parse_image_query(params, world, project_id, default_limit, glance=False):
    """The ImageQuery of ``GET /v2/cloudimages`` (union of the three published variants) or, with ``glance``, of
    ``GET /v2/images``, from the query parameters as ``single_params`` returns them. Parameters not known here
    filter on the raw attribute of that name, as Glance does."""
    query = ImageQuery(project_id, default_limit, world.region_of(project_id))
    values = dict(params)
    _parse_paging(query, values, glance)
    member_status = values.pop("member_status", None)
    if glance and member_status is None:
        member_status = values.pop("member_statuses", None)
    query.visibility = check_choice(values.pop("visibility", None), _VISIBILITIES, "IMG.0001")
    query.member_status = check_choice(member_status, _MEMBER_STATUSES, "IMG.0001")
    if query.member_status and query.visibility != "shared":
        raise ImsError("IMG.0001")
    for name, value in values.items():
        _add_filter(query, world, name, value)
    return query


def _parse_paging(query, values, glance):
    if "limit" in values:
        limit = parse_int(values.pop("limit"))
        if limit < (0 if glance else 1):
            raise ImsError("IMG.0001")
        query.limit = min(limit, MAX_LIMIT)
    query.marker = values.pop("marker", None)
    sort = values.pop("sort", None) if glance else None
    if sort is not None:
        key, direction = sort.partition(":")[::2]
        values.setdefault("sort_key", key)
        values.setdefault("sort_dir", direction or "desc")
    query.sort_key = check_choice(values.pop("sort_key", "created_at"), SORT_KEYS, "IMG.0001")
    query.descending = check_choice(values.pop("sort_dir", "desc"), ("asc", "desc"), "IMG.0001") == "desc"


def _add_filter(query, world, name, value):
    """One filter parameter of an image listing."""
    tests = query.tests
    if name == "id":
        query.ids = value[3:].split(",") if value.startswith("in:") else [value]
    elif name == "__imagetype":
        check_choice(value, _IMAGE_TYPES, "IMG.0024")
        tests.append(lambda image: world.imagetype_for(image, query.project_id) == value)
    elif name in ("protected", "__whole_image"):
        wanted = parse_bool(value)
        tests.append(lambda image: (image.attrs.get(name) is True) == wanted)
    elif name == "__isregistered":
        query.attribute_equals(name, "true" if parse_bool(value) else "false")
    elif name in ("min_ram", "min_disk"):
        wanted_size = parse_int(value)
        tests.append(lambda image: image.attrs.get(name) == wanted_size)
    elif name == "status":
        query.attribute_equals(name, check_choice(value, _STATUSES, "IMG.0001"))
    elif name == "__os_type":
        query.attribute_equals(name, check_choice(value, OS_TYPES, "IMG.0122"))
    elif name == "virtual_env_type":
        query.attribute_equals(name, check_choice(value, _ENVIRONMENTS, "IMG.0001"))
    elif name in ("__system__cmkid", "__system_cmkid"):
        query.attribute_equals("__system__cmkid", value)
    elif name == "tag":
        key, tag_value = split_tag(value)
        tests.append(lambda image: image.tags.get(key) == tag_value)
    elif name in ("created_at", "updated_at"):
        in_range = parse_time_filter(value)
        tests.append(lambda image: in_range(image.attrs.get(name)))
    elif name == "architecture":
        arm = check_architecture(value) == "arm"
        tests.append(lambda image: (image.attrs.get("__support_arm") == "true") == arm)
    elif name == "flavor_id":
        tests.append(_flavor_test(world, value))
    elif name == "enterprise_project_id":
        if value != "all_granted_eps":
            wanted_project = check_enterprise_project(value)
            tests.append(lambda image: image.attrs.get("enterprise_project_id", "0") == wanted_project)
    else:
        query.attribute_equals(name, value)


def _flavor_test(world, flavor_id):
    """The public images an ECS of this flavor can boot: enough memory, the same architecture."""
    flavor = world.flavors.get(flavor_id)
    if flavor is None:
        raise ImsError("IMG.0192")
    arm = flavor.architecture == "arm"
    return lambda image: image.is_public and (image.attrs.get("min_ram") or 0) <= flavor.ram and (image.attrs.get("__support_arm") == "true") == arm


def list_images(world, query, lingering=False):
    """One page of images for ``query``: (images, whether more follow).

    Walks the world's sorted index from the marker on, so a page costs its own length (plus skipped images),
    not a sort of every image. With ``lingering``, images deleted moments ago still show (GET /v2/cloudimages).
    """
    ordered, positions = world.ordered(query.sort_key)
    start = None
    if query.marker is not None:
        start = positions.get(query.marker)
        marker = ordered[start] if start is not None else None
        # Like Glance: the marker must be an image the caller can see, whatever the filters.
        if marker is None or not world.sees(marker, query.project_id) or (marker.deleted_at is not None and not lingering):
            raise ImsError("IMG.0027")
    if query.ids is not None:
        indexes = sorted(positions[image_id] for image_id in set(query.ids) if image_id in positions)
        if query.descending:
            indexes.reverse()
        if start is not None:
            indexes = [index for index in indexes if (index < start if query.descending else index > start)]
    elif query.descending:
        indexes = range((len(ordered) if start is None else start) - 1, -1, -1)
    else:
        indexes = range(0 if start is None else start + 1, len(ordered))
    page = []
    for index in indexes:
        image = ordered[index]
        if (image.deleted_at is None or lingering) and query.matches(image):
            if len(page) == query.limit:
                return page, True
            page.append(image)
    return page, False
