# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection and the official Huawei Cloud SDK (huaweicloudsdkims v2) speak the same IMS.

For every IMS API the collection calls (every request-sending method of ImsClient, with the bodies the creation
sources, the attribute planner and the client build), the request goes to an API the SDK knows (method and path
template), its body has only fields of the SDK's request model of that API with the model's types, and every response
field the collection reads is a field of the SDK's response model: the keys it asks for by name (recorded while the
answer, built from the SDK's response model, is read) and the fields of its models (Image, Job, Member, Quota).

Where the SDK's model lacks a field the API reference documents, ``REFERENCE_ONLY`` names it with the reference's
section; a test fails when the SDK gains it, so the list cannot outlive its reason.
"""

import inspect
import re

import pytest
from huaweicloudsdkims import v2

from ansible_collections.hwcloud.ims.plugins.module_utils._client import ims_client as ims_client_module
from ansible_collections.hwcloud.ims.plugins.module_utils._client.ims_client import ImsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import Image, Job, Member, Quota, attribute_name
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_attributes import MUTABLE_ATTRIBUTES, plan_update
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_sources import CREATION_OPTIONS, select_source
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import answer, body_of

ENDPOINT = "https://ims.example.com"
PROJECT = "0123456789abcdef0123456789abcdef"
IMAGE = "3028e6f3-c970-4977-a7f0-65c2f564d22f"

#: (SDK request body model, field): fields of a request body that the API reference documents and the SDK lacks.
REFERENCE_ONLY_REQUEST = {
    # 5.1.3, "Creating an Image": os_type of an imported file, and the entries of data_images of a file import
    # (Table 5-6); the SDK models data_images after the ECS data disks of Table 5-5 only.
    ("CreateImageRequestBody", "os_type"): "5.1.3",
    ("CreateDataImage", "image_url"): "5.1.3, Table 5-6",
    ("CreateDataImage", "min_disk"): "5.1.3, Table 5-6",
    ("CreateDataImage", "is_quick_import"): "5.1.3, Table 5-6",
    ("CreateDataImage", "image_tags"): "5.1.3, Table 5-6",
}
#: (SDK response model, normalized field): image attributes the API reference's image object has and the SDK lacks.
REFERENCE_ONLY_RESPONSE = {
    ("ImageInfo", "whole_image"): "5.1.1, the __whole_image attribute of an image",
    ("UpdateImageResponse", "whole_image"): "5.1.2, the __whole_image attribute of an image",
    ("GlanceShowImageListResponseBody", "whole_image"): "6.1.1, the __whole_image attribute of an image",
    ("GlanceUpdateImageResponse", "whole_image"): "6.1.3, the __whole_image attribute of an image",
}
#: The image fields the collection reads where it does not read whole images: the SDK response model's name to them.
IMAGE_FIELDS_READ = {
    # Image metadata to upload or register a file into: only its ID is used (the image is read again later).
    "GlanceCreateImageMetadataResponse": ("id",),
}
#: Collection calls of APIs the SDK has no model of, with the reference's section.
NOT_IN_SDK = {"upload_image_file": "6.1.4, uploading an image file: a binary body"}
#: Fields of the collection's Job that it computes from others (they are not read from the answer).
COMPUTED_JOB_FIELDS = frozenset(("process_percent", "progress", "image_ids"))
#: ImsClient methods that send no request of their own.
NOT_API_CALLS = frozenset(
    ("close", "poller", "clock", "check_upload_size", "send_once", "wait_for_image", "wait_for_job", "region", "cloud_profile", "cloud_name")
)


# --- the SDK's route table and models ----------------------------------------------------------------------------------


def sdk_operations():
    """[(method, path regex, request model, response model)] of every API of the SDK's ImsClient."""
    operations = []
    for name, build in inspect.getmembers(v2.ImsClient):
        if not (name.startswith("_") and name.endswith("_http_info")):
            continue
        request_name = "".join(part.capitalize() for part in name[1 : -len("_http_info")].split("_")) + "Request"
        info = build(getattr(v2, request_name)())
        template = re.sub(r"\{[^}]+\}", "[^/]+", info["resource_path"])
        operations.append((info["method"], re.compile(template + "$"), getattr(v2, info["request_type"]), getattr(v2, info["response_type"])))
    return operations


OPERATIONS = sdk_operations()


def operation_of(method, path):
    matches = [operation for operation in OPERATIONS if operation[0] == method and operation[1].match(path)]
    assert len(matches) == 1, "the SDK has %d APIs for %s %s" % (len(matches), method, path)
    return matches[0]


def model_class(type_name):
    return getattr(v2, type_name, None)


def element_type(type_name):
    """The element type of ``list[X]`` or ``dict(str, X)``, else None."""
    found = re.fullmatch(r"list\[(.+)\]", type_name) or re.fullmatch(r"dict\(str, (.+)\)", type_name)
    return found.group(1) if found else None


PRIMITIVES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


def conformity_problems(value, type_name, where):
    """Why ``value`` (a request body part) is no ``type_name`` of the SDK: [] when it is."""
    if type_name == "object":
        return []
    if type_name in PRIMITIVES:
        wrong = not isinstance(value, PRIMITIVES[type_name]) or (isinstance(value, bool) and type_name != "bool")
        return ["%s: %r is no %s" % (where, value, type_name)] if wrong else []
    inner = element_type(type_name)
    if type_name.startswith("list["):
        if not isinstance(value, list):
            return ["%s: %r is no list" % (where, value)]
        return [problem for item in value for problem in conformity_problems(item, inner, where + "[]")]
    if type_name.startswith("dict("):
        return [problem for key, item in value.items() for problem in conformity_problems(item, inner, "%s.%s" % (where, key))]
    model = model_class(type_name)
    assert model is not None, "unknown SDK type %s" % type_name
    if not isinstance(value, dict):
        return ["%s: %r is no %s object" % (where, value, type_name)]
    fields = {json_key: model.openapi_types[attribute] for attribute, json_key in model.attribute_map.items()}
    problems = []
    for key, item in value.items():
        if key not in fields:
            if (type_name, key) not in REFERENCE_ONLY_REQUEST:
                problems.append("%s.%s: no field of the SDK's %s" % (where, key, type_name))
            continue
        problems += conformity_problems(item, fields[key], "%s.%s" % (where, key))
    return problems


def response_type_at(response_model, path):
    """The SDK type at ``path`` (``images[].id``) of a response model; None when the model has no such field."""
    fields = dict(response_model.openapi_types)
    current = fields["body"] if set(fields) == {"body"} else response_model.__name__  # a bare JSON array or value
    for part in re.findall(r"\[\]|[^.\[\]]+", path):
        if part == "[]":
            current = element_type(current)
        else:
            model = model_class(current)
            if model is None:
                return None
            by_json = {json_key: model.openapi_types[attribute] for attribute, json_key in model.attribute_map.items()}
            current = by_json.get(part)
        if current is None:
            return None
    return current


def sample(type_name, depth=0):
    """A value of an SDK type: every field of a model filled, one element per list."""
    if type_name in ("str", "object"):
        return "sample" if type_name == "str" else {}
    if type_name in ("int", "float"):
        return 1
    if type_name == "bool":
        return True
    inner = element_type(type_name)
    if type_name.startswith("list["):
        return [sample(inner, depth + 1)]
    if type_name.startswith("dict("):
        return {"key": sample(inner, depth + 1)}
    model = model_class(type_name)
    if model is None or depth > 6:
        return None
    return {json_key: sample(model.openapi_types[attribute], depth + 1) for attribute, json_key in model.attribute_map.items()}


def sample_response(response_model):
    fields = response_model.openapi_types
    if set(fields) == {"body"}:
        return sample(fields["body"])
    body = sample(response_model.__name__)
    if "next" in body:
        body["next"] = None  # the last page
    return body


# --- recording what the collection reads -----------------------------------------------------------------------------


class Recorder:
    """The key paths of the answers the collection asked for, and the models it built from which parts of which
    answer (``(model, path, request)``)."""

    def __init__(self):
        self.paths = set()
        self.models = []

    def wrap(self, value, path, request):
        if isinstance(value, dict):
            return RecordingDict(value, path, self, request)
        if isinstance(value, list):
            return [self.wrap(item, path + "[]", request) for item in value]
        return value


class RecordingDict(dict):
    """A JSON object that notes which keys are asked for by name (``get``, ``[]``, ``in``)."""

    def __init__(self, data, path, recorder, request):
        super().__init__(data)
        self.path, self.recorder, self.request = path, recorder, request

    def _note(self, key):
        self.recorder.paths.add("%s.%s" % (self.path, key) if self.path else key)

    def get(self, key, default=None):
        self._note(key)
        return self.recorder.wrap(super().get(key, default), self._child(key), self.request)

    def __getitem__(self, key):
        self._note(key)
        return self.recorder.wrap(super().__getitem__(key), self._child(key), self.request)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def _child(self, key):
        return "%s.%s" % (self.path, key) if self.path else key


@pytest.fixture
def recorder(monkeypatch):
    """Answers read through ImsClient are recorded; so is every model built from them (with the part it came from)."""
    recording = Recorder()
    read_json = ims_client_module.read_json
    monkeypatch.setattr(
        ims_client_module, "read_json", lambda response, action, required=(): recording.wrap(read_json(response, action, required), "", response.request)
    )
    for model in (Image, Job, Member, Quota):
        original = model.from_api.__func__

        def from_api(cls, raw, _original=original):
            recording.models.append((cls, getattr(raw, "path", ""), getattr(raw, "request", None)))
            return _original(cls, raw)

        monkeypatch.setattr(model, "from_api", classmethod(from_api))
    return recording


# --- the calls ---------------------------------------------------------------------------------------------------------


def source_params(**changes):
    base = dict(dict.fromkeys(CREATION_OPTIONS), name="web", description="desc", tags={"family": "web"}, min_ram=1024, max_ram=None)
    base.update(whole_image=False, quick_import=False, register=False)
    return dict(base, **changes)


def submit(params, **prepared):
    """Submit the creation source ``params`` name, with what the pre-flight would have resolved."""

    def call(ims):
        source = select_source(source_params(**params))
        for name, value in prepared.items():
            setattr(source, name, value)
        return source.submit(ims)

    return call


def every_attribute_patch(ims):
    wanted = {attribute.option: _wanted_value(attribute) for attribute in MUTABLE_ATTRIBUTES}
    return ims.update_image(IMAGE, plan_update({}, wanted).operations)


def _wanted_value(attribute):
    return {"integer": 2048, "presence": True, "boolean": True}.get(attribute.kind, "uefi" if attribute.option == "hw_firmware_type" else "value")


SOURCE_IMAGE = Image.from_api({"id": IMAGE, "name": "base"})
CALLS = {
    "list_images": lambda ims: list(ims.list_images({"imagetype": "private", "name": "web", "os_type": "Linux"})),
    "get_image": lambda ims: ims.get_image(IMAGE),
    "list_glance_images": lambda ims: list(ims.list_glance_images({"name": "web"})),
    "search_images_by_tags": lambda ims: list(ims.search_images_by_tags(tags={"family": "web"}, not_tags_any={"channel": None}, name="web")),
    "count_images_by_tags": lambda ims: ims.count_images_by_tags(tags_any={"family": ["web", "db"]}, without_any_tag=True),
    "update_image": every_attribute_patch,
    "update_glance_image": lambda ims: ims.update_glance_image(IMAGE, [{"op": "replace", "path": "/name", "value": "renamed"}]),
    "delete_image": lambda ims: ims.delete_image(IMAGE, delete_backup=True),
    "create_image": submit({"instance_id": "i-1", "data_disks": [{"volume_id": "v-1", "name": "data", "description": "d", "tags": {"role": "data"}}]}),
    "create_image (file)": submit(
        {
            "image_url": "bucket:file.qcow2",
            "min_disk": 40,
            "os_version": "CentOS 7.6 64bit",
            "os_type": "Linux",
            "is_config": True,
            "cmk_id": "key-1",
            "image_type": "ECS",
            "architecture": "x86",
            "data_images": [{"image_url": "bucket:data.qcow2", "min_disk": 100, "name": "d", "description": "x", "tags": {"a": "b"}, "quick_import": True}],
        }
    ),
    "create_image (volume)": submit({"volume_id": "v-1", "os_version": "CentOS 7.6 64bit", "image_type": "ECS"}),
    "create_image (data disks)": submit({"data_disks": [{"volume_id": "v-1", "name": "web", "description": "d", "tags": {"role": "data"}}]}),
    "create_image (data disk of a volume)": submit({"volume_id": "v-1", "image_type": "DataImage", "tags": {"role": "data"}}),
    "create_data_image": submit({"image_url": "bucket:data.qcow2", "min_disk": 100, "image_type": "DataImage", "os_type": "Linux", "cmk_id": "key-1"}),
    "quick_import_image": submit({"image_url": "bucket:big.zvhd2", "quick_import": True, "min_disk": 40, "os_version": "CentOS 7.6 64bit"}),
    "quick_import_image (data)": submit({"image_url": "bucket:d.zvhd2", "quick_import": True, "min_disk": 40, "image_type": "DataImage", "os_type": "Linux"}),
    "create_whole_image": submit({"instance_id": "i-1", "whole_image": True}),
    "create_whole_image (backup)": submit({"backup_id": "b-1", "whole_image": True}),
    "copy_image": submit({"source_image": IMAGE, "cmk_id": "key-2"}, source=SOURCE_IMAGE),
    "copy_image_cross_region": lambda ims: ims.copy_image_cross_region(IMAGE, "web", "r2", "r2_apps", "ims_admin_agency", description="d", vault_id="v-1"),
    "export_image": lambda ims: ims.export_image(IMAGE, "bucket:web.qcow2", "qcow2"),
    "export_image (quick)": lambda ims: ims.export_image(IMAGE, "bucket:web.zvhd2", quick=True),
    "register_image": submit({"image_url": "bucket:disk.vmdk", "register": True, "os_version": "CentOS 7.6 64bit", "min_disk": 40, "disk_format": "vhd"}),
    "create_glance_image": lambda ims: ims.create_glance_image(
        {"name": "up", "__os_version": "CentOS 7.6 64bit", "disk_format": "qcow2", "container_format": "bare", "min_disk": 1, "tags": ["k=v"]}
    ),
    "get_image_tags": lambda ims: ims.get_image_tags(IMAGE),
    "add_image_tags": lambda ims: ims.add_image_tags(IMAGE, {"family": "web", "channel": ""}),
    "remove_image_tags": lambda ims: (ims.remove_image_tags(IMAGE, ["family"]), ims.remove_image_tags(IMAGE, {"channel": "old"})),
    "list_members": lambda ims: ims.list_members(IMAGE),
    "get_member": lambda ims: ims.get_member(IMAGE, PROJECT),
    "add_members": lambda ims: ims.add_members([IMAGE], [PROJECT]),
    "remove_members": lambda ims: ims.remove_members([IMAGE], [PROJECT]),
    "update_member_status": lambda ims: ims.update_member_status([IMAGE], "accepted"),
    "get_job": lambda ims: ims.get_job("job-1"),
    "list_os_versions": lambda ims: ims.list_os_versions(),
    "get_quota": lambda ims: ims.get_quota(),
}


def test_every_api_call_of_the_client_is_covered():
    """A new ImsClient call needs its contract here."""
    methods = {name for name, _member in inspect.getmembers(ImsClient) if not name.startswith("_")} - NOT_API_CALLS
    covered = {name.split(" ")[0] for name in CALLS} | set(NOT_IN_SDK)
    assert methods == covered, "not covered: %s; not a method: %s" % (sorted(methods - covered), sorted(covered - methods))


class SdkShapedCloud:
    """A MockTransport handler answering every request with the SDK's response model of its API, filled in; it
    records the exchanges as (request, SDK request model, SDK response model)."""

    def __init__(self):
        self.exchanges = []

    def __call__(self, request):
        request.read()
        _method, _pattern, request_model, response_model = operation_of(request.method, request.url.path)
        self.exchanges.append((request, request_model, response_model))
        body = sample_response(response_model)
        status = 201 if request.method == "POST" and request.url.path == "/v2/images" else 200
        return answer(status, body) if body is not None else answer(204)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_requests_and_answers_match_the_sdk(name, make_session, recorder):
    cloud = SdkShapedCloud()
    ims = ImsClient(make_session(cloud), ENDPOINT, PROJECT, auth=None)
    CALLS[name](ims)
    assert cloud.exchanges, "%s sent no request" % name
    for request, request_model, _response_model in cloud.exchanges:
        body = body_of(request) if request.content[:1] in (b"{", b"[") else None
        if body is not None:
            assert "body" in request_model.openapi_types, "%s sends a body to %s, which takes none" % (name, request_model.__name__)
            assert conformity_problems(body, request_model.openapi_types["body"], request_model.__name__) == []
    response_models = [response_model for _request, _request_model, response_model in cloud.exchanges]
    unknown = sorted(path for path in recorder.paths if all(response_type_at(model, path) is None for model in response_models))
    assert unknown == [], "%s reads fields no SDK response model of its APIs has" % name
    answered = {id(request): response_model for request, _request_model, response_model in cloud.exchanges}
    for model, path, request in recorder.models:
        response_model = answered[id(request)]
        missing = [field for field in model_fields_read(model, response_model) if not has_model_field(response_model, path, model, field)]
        assert missing == [], "%s: %s fields missing from the SDK's %s at %r" % (name, model.__name__, response_model.__name__, path)


def model_fields_read(model, response_model):
    """The fields of a collection model that come from the answer of ``response_model`` (by normalized name for images)."""
    if model is Image and response_model.__name__ in IMAGE_FIELDS_READ:
        return list(IMAGE_FIELDS_READ[response_model.__name__])
    fields = set(model.model_fields)
    return sorted(fields - COMPUTED_JOB_FIELDS if model is Job else fields)


def has_model_field(response_model, path, model, field):
    """Whether the SDK response model has the collection model's ``field`` where the model was read from."""
    if model is Quota:
        path = (path + "." if path else "") + "quotas.resources[]"
    if model is Image:
        object_type = response_type_at(response_model, path) if path else response_model.__name__
        sdk_model = model_class(object_type or "")
        if sdk_model is None:
            return False
        names = {attribute_name(json_key) for json_key in sdk_model.attribute_map.values()}
        return field in names or (sdk_model.__name__, field) in REFERENCE_ONLY_RESPONSE
    return response_type_at(response_model, "%s.%s" % (path, field) if path else field) is not None


@pytest.mark.parametrize("model_name, field", sorted(REFERENCE_ONLY_REQUEST))
def test_request_fields_only_the_reference_has_are_still_missing_from_the_sdk(model_name, field):
    model = model_class(model_name)
    assert field not in model.attribute_map.values(), "the SDK's %s has %s now: drop it from REFERENCE_ONLY_REQUEST" % (model_name, field)


@pytest.mark.parametrize("model_name, field", sorted(REFERENCE_ONLY_RESPONSE))
def test_response_fields_only_the_reference_has_are_still_missing_from_the_sdk(model_name, field):
    names = {attribute_name(json_key) for json_key in model_class(model_name).attribute_map.values()}
    assert field not in names, "the SDK's %s has %s now: drop it from REFERENCE_ONLY_RESPONSE" % (model_name, field)
