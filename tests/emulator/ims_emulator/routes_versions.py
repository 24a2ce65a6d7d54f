# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The native OpenStack API's version documents and JSON schemas (API reference 6.3 and 6.5).

The version documents (``GET /``, ``GET /{version}``) are the only IMS calls that need no authentication; they answer
300 like the real service, and keystoneauth reads them to find the /v2/ endpoint. The schemas are as the reference
prints them, with its page-layout damage repaired: the list schemas embed the very same image and member schemas.
"""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .errors import GuardedRoute

router = APIRouter(route_class=GuardedRoute)

#: (id, status, path prefix) of every API version, newest first.
VERSIONS = (
    ("v2.2", "CURRENT", "/v2/"),
    ("v2.1", "SUPPORTED", "/v2/"),
    ("v2.0", "SUPPORTED", "/v2/"),
    ("v1.1", "DEPRECATED", "/v1/"),
    ("v1.0", "DEPRECATED", "/v1/"),
)
#: A version id or a major version ("v2": all v2.x), with or without the trailing slash.
_SELECTORS = sorted({version[0] for version in VERSIONS} | {version[2].strip("/") for version in VERSIONS})
#: The paths that answer a version document; the gateway lets GET on them through without credentials.
VERSION_DOCUMENT_PATHS = frozenset(["/"] + ["/" + selector for selector in _SELECTORS] + ["/%s/" % selector for selector in _SELECTORS])

UUID_PATTERN = "^[0-9a-fA-F]{8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
DOCS_URL = "http://docs.openstack.org/trunk/openstack-compute/admin/content/adding-images.html"


def _string(description, **extra):
    return {"type": "string", "description": description, **extra}


def _integer(description):
    return {"type": "integer", "description": description}


def _enum(values, description):
    return {"enum": list(values), "type": "string", "description": description}


IMAGE_SCHEMA = {
    "additionalProperties": {"type": "string"},
    "name": "image",
    "links": [{"href": "{self}", "rel": "self"}, {"href": "{file}", "rel": "enclosure"}, {"href": "{schema}", "rel": "describedby"}],
    "properties": {
        "status": _enum(("queued", "saving", "active", "killed", "deleted", "pending_delete"), "Status of the image (READ-ONLY)"),
        "tags": {"items": {"type": "string", "maxLength": 255}, "type": "array", "description": "List of strings related to the image"},
        "kernel_id": {
            "pattern": UUID_PATTERN,
            "type": "string",
            "description": "ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.",
            "is_base": False,
        },
        "container_format": _enum(("ami", "ari", "aki", "bare", "ovf", "ova"), "Format of the container"),
        "min_ram": _integer("Amount of ram (in MB) required to boot image."),
        "ramdisk_id": {
            "pattern": UUID_PATTERN,
            "type": "string",
            "description": "ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.",
            "is_base": False,
        },
        "locations": {
            "items": {
                "required": ["url", "metadata"],
                "type": "object",
                "properties": {"url": {"type": "string", "maxLength": 255}, "metadata": {"type": "object"}},
            },
            "type": "array",
            "description": "A set of URLs to access the image file kept in external store",
        },
        "visibility": _enum(("public", "private"), "Scope of image accessibility"),
        "updated_at": _string("Date and time of the last image modification (READ-ONLY)"),
        "owner": _string("Owner of the image", maxLength=255),
        "file": _string("(READ-ONLY)"),
        "min_disk": _integer("Amount of disk space (in GB) required to boot image."),
        "virtual_size": _integer("Virtual size of image in bytes (READ-ONLY)"),
        "id": {"pattern": UUID_PATTERN, "type": "string", "description": "An identifier for the image"},
        "size": _integer("Size of image file in bytes (READ-ONLY)"),
        "instance_uuid": _string("ID of instance used to create this image.", is_base=False),
        "os_distro": _string("Common name of operating system distribution as specified in " + DOCS_URL, is_base=False),
        "name": _string("Descriptive name for the image", maxLength=255),
        "checksum": _string("md5 hash of image contents. (READ-ONLY)", maxLength=32),
        "created_at": _string("Date and time of image registration (READ-ONLY)"),
        "disk_format": _enum(("ami", "ari", "aki", "vhd", "vmdk", "raw", "qcow2", "vdi", "iso"), "Format of the disk"),
        "os_version": _string("Operating system version as specified by the distributor", is_base=False),
        "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
        "architecture": _string("Operating system architecture as specified in " + DOCS_URL, is_base=False),
        "direct_url": _string("URL to access the image file kept in external store (READ-ONLY)"),
        "self": _string("(READ-ONLY)"),
        "schema": _string("(READ-ONLY)"),
    },
}

IMAGES_SCHEMA = {
    "name": "images",
    "links": [{"href": "{first}", "rel": "first"}, {"href": "{next}", "rel": "next"}, {"href": "{schema}", "rel": "describedby"}],
    "properties": {
        "images": {"items": IMAGE_SCHEMA, "type": "array"},
        "schema": {"type": "string"},
        "next": {"type": "string"},
        "first": {"type": "string"},
    },
}

MEMBER_SCHEMA = {
    "name": "member",
    "properties": {
        "status": _enum(("pending", "accepted", "rejected"), "The status of this image member"),
        "created_at": _string("Date and time of image member creation"),
        "updated_at": _string("Date and time of last modification of image member"),
        "image_id": {"pattern": UUID_PATTERN, "type": "string", "description": "An identifier for the image"},
        "member_id": _string("An identifier for the image member (tenantId)"),
        "schema": {"readOnly": True, "type": "string"},
    },
}

MEMBERS_SCHEMA = {
    "name": "members",
    "links": [{"href": "{schema}", "rel": "describedby"}],
    "properties": {
        "members": {"items": MEMBER_SCHEMA, "type": "array"},
        "schema": {"type": "string"},
    },
}

SCHEMAS = {"image": IMAGE_SCHEMA, "images": IMAGES_SCHEMA, "member": MEMBER_SCHEMA, "members": MEMBERS_SCHEMA}


def _versions_document(request, selector=None):
    base = str(request.base_url).rstrip("/")
    versions = [
        {"status": status, "id": version_id, "links": [{"href": base + prefix, "rel": "self"}]}
        for version_id, status, prefix in VERSIONS
        if selector is None or selector in (version_id, prefix.strip("/"))
    ]
    return JSONResponse({"versions": versions}, status_code=300)


@router.get("/")
async def list_versions(request: Request):
    return _versions_document(request)


def _version_route(selector):
    async def show_version(request: Request):
        return _versions_document(request, selector)

    return show_version


for _selector in _SELECTORS:
    router.add_api_route("/" + _selector, _version_route(_selector), methods=["GET"])
    router.add_api_route("/%s/" % _selector, _version_route(_selector), methods=["GET"])


def _schema_route(schema):
    async def show_schema():
        return schema

    return show_schema


for _name, _schema in SCHEMAS.items():
    router.add_api_route("/v2/schemas/" + _name, _schema_route(_schema), methods=["GET"])
