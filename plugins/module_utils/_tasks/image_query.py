# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding images: the filters users write, checked once, and the cheapest set of requests that answers them.

Shared by ``ims_image_info``, the ``hwcloud.ims.ims`` inventory plugin and the ``hwcloud.ims.ims_image`` lookup, so a
filter means the same everywhere and every caller returns the same normalized image dicts::

    query = validate_query({"tags": {"family": "web"}, "latest": True})   # before any request
    with connect(config) as ims:
        images = find_images(ims, query)

The options (``FILTER_ARGUMENT_SPEC``) use the names of the normalized image (``imagetype``, not ``__imagetype``) and
real types: booleans may be false, sizes are integers, times are parsed. They are documented in the
``hwcloud.ims.image_filters`` doc fragment.

How a query becomes requests (the plan):

1. Attribute filters go to the query API, ``GET /v2/cloudimages``, as its own parameters; results are fetched in
   pages of ``PAGE_SIZE`` with the service's marker. A query without tag conditions costs one request per page:
   ceil(N / PAGE_SIZE), or one more when N is a multiple of the page size (only a short page ends a marker listing).
   ``limit`` shrinks the last page so nothing beyond the cap is fetched; ``latest`` asks for one image, newest first.
2. Tag conditions select among the project's own images, because that is what the tag search API searches
   (``POST /v2/{project_id}/images/resource_instances/action``). Two cases:

   * Only ``tags``, with one key and one non-empty value: the query API's own ``tag`` filter does the job, plus
     ``owner=<project>`` for the scope. No extra request.
   * Anything else (several tags, any/not conditions, ``without_any_tag``, ``name_match``): the tag search API
     evaluates the conditions and yields the set of matching image IDs (1000 per request). The query API then lists
     the attribute filters, narrowed by ``owner=<project>`` and by the ``tag`` filter of one single-valued ``tags``
     condition when there is one, and only images of that set are kept. The listing stops as soon as every image of
     the set was seen (or the cap is reached), so ``latest`` normally costs a single page. A set of one image is
     fetched by its ID instead (one request, the least possible). Fetching a larger set image by image would cost
     one request per image, and the query API documents no "one of these IDs" filter, so a set of several images
     is matched against the listing.

3. What the query API cannot express is checked on the returned images, never by fetching anything else: a
   ``support_*`` flag set to false (the service only understands ``true``; images that lack support omit the
   attribute), and a second comparison on ``created_at`` or ``updated_at`` (one is sent per attribute). With such a
   check, pages are fetched whole and the cap is applied to what passes it.

Internal to this collection, may change in any release.
"""

from collections.abc import Mapping

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.rules import tag_filter
from ansible_collections.hwcloud.ims.plugins.module_utils._client.timestamps import parse_time
from ansible_collections.hwcloud.ims.plugins.module_utils._client.wire import ARCHITECTURES, MEMBER_ANSWERS, MEMBER_PENDING, OS_TYPES

PAGE_SIZE = 500
TIME_OPERATORS = ("gt", "gte", "lt", "lte", "eq", "neq")
TAG_CONDITIONS = ("tags", "tags_any", "not_tags", "not_tags_any")
TIME_FILTERS = ("created_at", "updated_at")
# "If yes, the value is true; otherwise this parameter is not required" (reference 5.1.1): false cannot be sent.
SUPPORT_FLAGS = (
    "support_kvm",
    "support_xen",
    "support_largememory",
    "support_diskintensive",
    "support_highperformance",
    "support_xen_hana",
    "support_kvm_infiniband",
)
_TIME_OPTIONS = {operator: {"type": "str"} for operator in TIME_OPERATORS}
_WIRE_TIME = "%Y-%m-%dT%H:%M:%SZ"

FILTER_ARGUMENT_SPEC = {
    # GET /v2/cloudimages filters, union of the three published variants of "Querying Images".
    "id": {"type": "str"},
    "name": {"type": "str"},
    "status": {"type": "str", "choices": ["queued", "saving", "deleted", "killed", "active"]},
    "visibility": {"type": "str", "choices": ["public", "private", "shared"]},
    "imagetype": {"type": "str", "choices": ["gold", "private", "shared"]},
    "owner": {"type": "str"},
    # The project's own images, shared or not: owner=<the connected project>, without knowing its ID.
    "own": {"type": "bool", "default": False},
    "member_status": {"type": "str", "choices": list(MEMBER_ANSWERS) + [MEMBER_PENDING]},
    "protected": {"type": "bool"},
    "isregistered": {"type": "bool"},
    "whole_image": {"type": "bool"},
    "system_cmkid": {"type": "str"},
    "container_format": {"type": "str"},
    "disk_format": {"type": "str"},
    "min_ram": {"type": "int"},
    "min_disk": {"type": "int"},
    "os_bit": {"type": "int", "choices": [32, 64]},
    "os_type": {"type": "str", "choices": list(OS_TYPES)},
    "platform": {"type": "str"},
    **{flag: {"type": "bool"} for flag in SUPPORT_FLAGS},
    "support_xen_gpu_type": {"type": "str"},
    "support_kvm_gpu_type": {"type": "str"},
    "virtual_env_type": {"type": "str", "choices": ["FusionCompute", "Ironic", "DataImage", "IsoImage"]},
    "enterprise_project_id": {"type": "str"},
    "flavor_id": {"type": "str"},
    "architecture": {"type": "str", "choices": list(ARCHITECTURES)},
    "created_at": {"type": "dict", "options": _TIME_OPTIONS},
    "updated_at": {"type": "dict", "options": _TIME_OPTIONS},
    # Tag search conditions (POST /v2/{project_id}/images/resource_instances/action).
    **{condition: {"type": "dict"} for condition in TAG_CONDITIONS},
    "without_any_tag": {"type": "bool", "default": False},
    "name_match": {"type": "str"},
    # Order and size of the result.
    "sort_key": {"type": "str", "choices": ["name", "container_format", "disk_format", "status", "id", "size", "created_at"]},
    "sort_dir": {"type": "str", "choices": ["asc", "desc"]},
    "latest": {"type": "bool", "default": False},
    "limit": {"type": "int"},
}
_NOT_SENT_AS_IS = frozenset(TAG_CONDITIONS + TIME_FILTERS + SUPPORT_FLAGS + ("own", "without_any_tag", "name_match", "latest", "limit"))
API_FILTERS = tuple(name for name in FILTER_ARGUMENT_SPEC if name not in _NOT_SENT_AS_IS)
_VALIDATORS = {name: ArgumentSpecValidator({name: spec}) for name, spec in FILTER_ARGUMENT_SPEC.items()}


def validate_query(raw):
    """Check ``raw`` (filter name -> value; None or absent means unset) and return the normalized query.

    Raises ValidationError naming the option and the rule, before any request. The result has every option of
    FILTER_ARGUMENT_SPEC: times as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC) per operator, tag conditions as ``{key: [values]}``
    (an empty list: any value), ``visibility`` set to ``shared`` when ``member_status`` needs it. Validating a
    validated query returns it unchanged.
    """
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(FILTER_ARGUMENT_SPEC))
    if unknown:
        raise ValidationError(unknown[0], "unknown image filter; the filters are %s" % ", ".join(FILTER_ARGUMENT_SPEC))
    query = {}
    for name, validator in _VALIDATORS.items():
        options = FILTER_ARGUMENT_SPEC[name].get("options")
        # ansible-core's validation crashes on a number or a list where a dictionary of sub-options is due.
        if options and raw.get(name) is not None and not isinstance(raw[name], (Mapping, str)):
            raise ValidationError(name, "must be a dictionary of %s, got a value of type %s" % (", ".join(options), type(raw[name]).__name__))
        result = validator.validate({name: raw[name]} if raw.get(name) is not None else {})
        if result.error_messages:
            raise ValidationError(name, "; ".join(_describe(error) for error in result.errors.errors))
        query[name] = result.validated_parameters.get(name)
    for name in TIME_FILTERS:
        query[name] = _time_conditions(name, query[name])
    for name in TAG_CONDITIONS:
        query[name] = _tag_condition(name, query[name])
    _check_combinations(query)
    return query


def find_images(ims, query):
    """The images matching ``query`` as normalized dicts (see models.IMAGE_FIELDS), in the listing's order.

    ``ims`` is a connected ImsClient; ``query`` as validate_query returns it (a raw one is validated first).
    """
    query = validate_query(query)
    filters, checks = _listing(query)
    if query["own"]:
        filters["owner"] = ims.project_id
    wanted_ids = None
    if _has_tag_conditions(query):
        if query["owner"] not in (None, ims.project_id):
            return []  # tag conditions only ever match the project's own images
        filters["owner"] = ims.project_id
        single_tag = _single_value_tag(query["tags"])
        if single_tag:
            filters["tag"] = "%s=%s" % single_tag
        if not _fast_tag_path(query):
            wanted_ids = _tag_search_ids(ims, query)
            if not wanted_ids:
                return []
            if len(wanted_ids) == 1 and not query["id"]:
                filters["id"] = next(iter(wanted_ids))  # one request, whatever else the listing would hold
            checks.append(lambda image: image["id"] in wanted_ids)

    cap = 1 if query["latest"] else query["limit"]
    if not checks:
        return [image.to_dict() for image in ims.list_images(filters, page_size=PAGE_SIZE, limit=cap)]
    found = []
    for image in ims.list_images(filters, page_size=PAGE_SIZE):
        record = image.to_dict()
        if all(check(record) for check in checks):
            found.append(record)
            # Stop at the cap, or once every image the tag search found was seen: nothing else can match.
            if len(found) == cap or (wanted_ids is not None and len(found) == len(wanted_ids)):
                break
    return found


def _listing(query):
    """(query API filters, checks on the returned images) for the attribute filters and the order of ``query``."""
    filters = {name: query[name] for name in API_FILTERS if query[name] is not None}
    filters.update({name: True for name in SUPPORT_FLAGS if query[name]})
    checks = [_lacks_flag(name) for name in SUPPORT_FLAGS if query[name] is False]
    for name in TIME_FILTERS:
        comparisons = sorted((query[name] or {}).items(), key=lambda item: TIME_OPERATORS.index(item[0]))
        if comparisons:
            filters[name] = "%s:%s" % comparisons[0]
            checks += [_time_check(name, operator, moment) for operator, moment in comparisons[1:]]
    if query["latest"]:
        filters.update(sort_key="created_at", sort_dir="desc")
    return filters, checks


# --- validation helpers ------------------------------------------------------------------------------------------


def _describe(error):
    # Ansible's message for an unknown sub-option is only "<option>.<key>. Supported parameters include: ...".
    return "unsupported parameter %s" % error.msg if isinstance(error, UnsupportedError) else error.msg


def _time_conditions(name, conditions):
    """``{operator: time}`` with each time as the API's UTC text; None when no operator is set."""
    conditions = {operator: moment for operator, moment in (conditions or {}).items() if moment is not None}
    for operator, moment in conditions.items():
        # parse_time reads times without a zone as UTC, which is what the service compares with.
        parsed = parse_time(moment) if moment.strip() else None
        if parsed is None:
            raise ValidationError("%s.%s" % (name, operator), "%r is not a time; write it like 2024-05-02T09:00:00Z or 2024-05-02 09:00:00 (UTC)" % moment)
        conditions[operator] = parsed.strftime(_WIRE_TIME)
    return conditions or None


def _tag_condition(name, condition):
    """``{key: [values]}`` from ``{key: value | [values] | None}``, within the tag search API's limits; None when empty."""
    if not condition:
        return None
    normalized = {}
    for key, values in condition.items():
        values = [] if values is None else list(values) if isinstance(values, (list, tuple)) else [values]
        if any(isinstance(value, (dict, list, tuple)) or value is None for value in values):
            raise ValidationError(name, "tag %r: a value must be a string or a list of strings" % key)
        normalized[str(key)] = [_tag_text(value) for value in values]
    tag_filter(normalized, name)  # raises on too many keys or values and on repeated values
    return normalized


def _tag_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_combinations(query):
    if query["limit"] is not None and query["limit"] < 1:
        raise ValidationError("limit", "must be 1 or more; leave it out to get every matching image")
    for name in ("min_ram", "min_disk"):
        if query[name] is not None and query[name] < 0:
            raise ValidationError(name, "must be 0 or more")
    if query["name_match"] == "":
        raise ValidationError("name_match", "must not be empty; use name for an exact match")
    if query["own"] and query["owner"] is not None:
        raise ValidationError("own", "already means owner=<this project>; give own or owner, not both")
    if query["own"] and query["member_status"]:
        raise ValidationError("own", "selects this project's own images; member_status selects images other projects shared with it")
    if query["member_status"]:
        if query["visibility"] not in (None, "shared"):
            raise ValidationError("member_status", "applies to shared images only; it cannot be combined with visibility %s" % query["visibility"])
        query["visibility"] = "shared"
    if query["latest"]:
        clashing = [name for name in ("sort_key", "sort_dir", "limit") if query[name] is not None]
        if clashing:
            raise ValidationError("latest", "returns the single newest image; it cannot be combined with %s" % ", ".join(clashing))
    if query["without_any_tag"]:
        clashing = [name for name in TAG_CONDITIONS if query[name]]
        if clashing:
            raise ValidationError("without_any_tag", "selects images without tags; it cannot be combined with %s" % ", ".join(clashing))


# --- planning helpers --------------------------------------------------------------------------------------------


def _has_tag_conditions(query):
    return bool(query["without_any_tag"] or query["name_match"] or any(query[name] for name in TAG_CONDITIONS))


def _single_value_tag(tags):
    """(key, value) of the first ``tags`` key that asks for exactly one non-empty value, or None."""
    for key in sorted(tags or {}):
        if len(tags[key]) == 1 and tags[key][0]:
            return key, tags[key][0]
    return None


def _fast_tag_path(query):
    """Whether the query API's ``tag`` filter expresses every tag condition: just one tag with one value."""
    others = query["without_any_tag"] or query["name_match"] or any(query[name] for name in TAG_CONDITIONS[1:])
    return not others and len(query["tags"] or ()) == 1 and _single_value_tag(query["tags"]) is not None


def _tag_search_ids(ims, query):
    found = ims.search_images_by_tags(
        tags=query["tags"],
        tags_any=query["tags_any"],
        not_tags=query["not_tags"],
        not_tags_any=query["not_tags_any"],
        name=query["name_match"],
        without_any_tag=query["without_any_tag"],
    )
    return {image["id"] for image in found}


def _lacks_flag(name):
    return lambda image: image.get(name) is not True


_COMPARE = {
    "gt": lambda left, right: left > right,
    "gte": lambda left, right: left >= right,
    "lt": lambda left, right: left < right,
    "lte": lambda left, right: left <= right,
    "eq": lambda left, right: left == right,
    "neq": lambda left, right: left != right,
}


def _time_check(name, operator, moment):
    bound = parse_time(moment)

    def check(image):
        stamp = parse_time(image.get(name))
        return stamp is not None and _COMPARE[operator](stamp.replace(microsecond=0), bound)

    return check
