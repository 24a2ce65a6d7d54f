# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed IMS calls: what modules and plugins use, one method per API operation.

Methods return normalized models (models.Image, Job, Member, Quota) or job IDs, and raise the ImsError family.
Calls that start an asynchronous job return its ID; pass it to ``wait_for_job``. Every answer must carry what the
API promises (``images``, ``tags``, ``members``, ...): a body without it raises UnexpectedResponseError, never reads
as "none". No write is idempotent on the service side: a ResponseLostError means "look for the effect before
sending again" (``waiting.send_once``).

Internal to this collection, may change in any release.
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._client import pagination
from ansible_collections.hwcloud.ims.plugins.module_utils._client.auth import AkSkAuth
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import (
    ApiError,
    NotFoundError,
    UnexpectedResponseError,
    UnsupportedApiError,
    ValidationError,
    WaitTimeoutError,
    request_id_of,
)
from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import Image, Job, Member, Quota
from ansible_collections.hwcloud.ims.plugins.module_utils._client.rules import tag_filter
from ansible_collections.hwcloud.ims.plugins.module_utils._client.session import quote_segment, read_json, stream_size
from ansible_collections.hwcloud.ims.plugins.module_utils._client.waiting import LOST_RESPONSE_GRACE, Poller, send_once, wait_for_job
from ansible_collections.hwcloud.ims.plugins.module_utils._client.wire import (
    CROSS_REGION_COPY_API,
    MEMBER_ANSWERS,
    attribute_name,
    tags_to_dict,
    tags_to_list,
    without_none,
)

GLANCE_PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
OCTET_STREAM = "application/octet-stream"
# The API gateway refuses AK/SK-signed bodies above 12 MB; uploads need token authentication.
AKSK_BODY_LIMIT = 12 * 1024 * 1024
# What the API gateway answers for an API the cloud does not offer; what IMS answers for a job it does not know.
UNKNOWN_API = "APIGW.0101"
UNKNOWN_JOB = "IMG.0023"
# The clouds of the connection settings' profiles, for messages.
CLOUD_NAMES = {"otc": "Open Telekom Cloud", "huaweicloud": "Huawei Cloud"}
# Query filters of GET /v2/cloudimages whose wire names carry the "__" prefix, by normalized name. Other filters
# (name, status, visibility, owner, id, protected, tag, member_status, disk_format, created_at, sort_key, ...)
# have the same name on the wire.
PREFIXED_FILTERS = {
    attribute_name(name): name
    for name in (
        "__imagetype",
        "__isregistered",
        "__whole_image",
        "__system__cmkid",
        "__os_bit",
        "__os_type",
        "__platform",
        "__support_kvm",
        "__support_xen",
        "__support_largememory",
        "__support_diskintensive",
        "__support_highperformance",
        "__support_xen_gpu_type",
        "__support_kvm_gpu_type",
        "__support_xen_hana",
        "__support_kvm_infiniband",
    )
}


def query_filters(filters):
    """``filters`` (normalized names such as ``imagetype``, or raw ``__imagetype``) as query parameters."""
    return [(PREFIXED_FILTERS.get(key, key), value) for key, value in sorted((filters or {}).items()) if value is not None]


class ImsClient:
    """IMS calls for one project at one endpoint. Build it with ``connection.connect(config)``; close it when done.

    ``account`` (a ``connection.Account``, None for a bare client) is what the same credentials reach beyond this
    project: its region and cloud, the account's other regions, its IAM.
    """

    def __init__(self, session, endpoint, project_id, auth, owns_session=True, account=None):
        self.session = session
        self.endpoint = endpoint.rstrip("/")
        self.project_id = project_id
        self._auth = auth
        self._owns_session = owns_session
        self.account = account
        # What IMS cannot tell: ECS and OBS reads (ecs_client.EcsClient, obs_client.ObsClient), attached by
        # connection.connect where an endpoint and fitting credentials are known; otherwise why not, by service.
        self.ecs = self.obs = None
        self.unreadable = {}

    @property
    def region(self):
        """The region of this client's project (None when unknown)."""
        return self.account.region if self.account else None

    @property
    def cloud_profile(self):
        """``otc``, ``huaweicloud`` or None (another cloud, or unknown): where the clouds' rules differ."""
        return self.account.cloud_profile if self.account else None

    @property
    def cloud_name(self):
        """The cloud, for messages: its name, else the IMS endpoint."""
        return CLOUD_NAMES.get(self.cloud_profile) or "the cloud at %s" % self.endpoint

    def __repr__(self):
        return "ImsClient(endpoint=%r, project_id=%r, auth=%r)" % (self.endpoint, self.project_id, self._auth)

    def close(self):
        if self._owns_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # --- images ---------------------------------------------------------------------------------------------

    def list_images(self, filters=None, page_size=500, limit=None):
        """Images matching ``filters`` (GET /v2/cloudimages), lazily, ``page_size`` per request, at most ``limit``."""
        params = query_filters(filters)

        def fetch_page(marker, page_limit):
            page = params + [("limit", page_limit)] + ([("marker", marker)] if marker else [])
            return self._json("GET", "/v2/cloudimages", "list images", params=page, required=("images",))["images"] or []

        return (Image.from_api(raw) for raw in pagination.by_marker(fetch_page, page_size, limit, action="list images"))

    def get_image(self, image_id):
        """The image with this ID, or None (GET /v2/cloudimages?id=...)."""
        images = self._json("GET", "/v2/cloudimages", "get image %s" % image_id, params={"id": image_id}, required=("images",))["images"] or []
        return Image.from_api(images[0]) if images else None

    def list_glance_images(self, filters=None, page_size=25, limit=None):
        """Images through the native OpenStack API (GET /v2/images), following its ``next`` links."""

        def fetch_page(params):
            body = self._json("GET", "/v2/images", "list images (native API)", params=params, required=("images",))
            return body["images"] or [], body.get("next")

        return (Image.from_api(raw) for raw in pagination.by_next_link(fetch_page, query_filters(filters), page_size, limit, action="list images (native API)"))

    def poller(self, timeout):
        """A Poller for ``timeout`` seconds on the session's clock."""
        return Poller(timeout, sleep=self.session.sleep, clock=self.session.clock)

    def clock(self):
        """Seconds on the session's monotonic clock."""
        return self.session.clock()

    def send_once(self, send, find_effect, effect, warn, grace=LOST_RESPONSE_GRACE):
        """``waiting.send_once`` on the session's clock: send a write, and after a lost response look for its effect
        before sending it again; returns the SendOutcome."""
        return send_once(send, find_effect, effect, grace, warn, self.poller(grace))

    def wait_for_image(self, image_id, timeout=300, until=None, poller=None):
        """Poll until the image is visible (and ``until(image)`` holds, if given); return it.

        New images can take a moment to show up in the query API after their job succeeded.
        """
        poller = poller or self.poller(timeout)
        image = None
        for _poll in poller:
            image = self.get_image(image_id)
            if image is not None and (until is None or until(image)):
                return image
        state = "not visible" if image is None else "status %s" % image.status
        raise WaitTimeoutError("image %s was not ready within %s seconds (%s)" % (image_id, poller.timeout, state))

    def search_images_by_tags(self, tags=None, tags_any=None, not_tags=None, not_tags_any=None, name=None, page_size=1000, limit=None, without_any_tag=False):
        """Images by tag conditions (POST .../images/resource_instances/action), lazily.

        Each condition is ``{key: value | [values] | None}`` (None: any value): ``tags`` all of them, ``tags_any``
        any of them, ``not_tags`` / ``not_tags_any`` exclude. ``name`` matches names fuzzily. ``without_any_tag``
        selects untagged images (the service then ignores the tag conditions). Yields ``{"id", "name", "status",
        "tags"}`` dicts (tags as ``{key: value}``).
        """
        body = self._tag_search_body(tags, tags_any, not_tags, not_tags_any, name, without_any_tag)

        def fetch_page(offset, page_limit):
            page = dict(body, action="filter", offset=str(offset), limit=str(page_limit))
            answer = self._json(
                "POST", self._project_path("/images/resource_instances/action"), "search images by tags", json_body=page, reads=True, required=("resources",)
            )
            return answer["resources"] or [], answer.get("total_count")

        return (_tagged_image(resource) for resource in pagination.by_offset(fetch_page, page_size, limit, action="search images by tags"))

    def count_images_by_tags(self, tags=None, tags_any=None, not_tags=None, not_tags_any=None, name=None, without_any_tag=False):
        """The number of images ``search_images_by_tags`` would yield."""
        body = dict(self._tag_search_body(tags, tags_any, not_tags, not_tags_any, name, without_any_tag), action="count")
        return self._json(
            "POST", self._project_path("/images/resource_instances/action"), "count images by tags", json_body=body, reads=True, required=("total_count",)
        )["total_count"]

    def update_image(self, image_id, operations):
        """Apply JSON-patch ``operations`` (``[{"op", "path", "value"}]``) with PATCH /v2/cloudimages/{id}."""
        raw = self._json("PATCH", "/v2/cloudimages/%s" % quote_segment(image_id), "update image %s" % image_id, json_body=operations, required=("id",))
        return Image.from_api(raw)

    def update_glance_image(self, image_id, operations):
        """Apply JSON-patch ``operations`` with the native PATCH /v2/images/{id} (any attribute, add/replace/remove)."""
        raw = self._json(
            "PATCH",
            "/v2/images/%s" % quote_segment(image_id),
            "update image %s (native API)" % image_id,
            json_body=operations,
            content_type=GLANCE_PATCH_TYPE,
            required=("id",),
        )
        return Image.from_api(raw)

    def delete_image(self, image_id, delete_backup=None):
        """Delete an image (DELETE /v2/images/{id}); False when it was already gone.

        The image can linger in the query API for a while after the 204.
        """
        body = None if delete_backup is None else {"delete_backup": delete_backup}
        try:
            self._call("DELETE", "/v2/images/%s" % quote_segment(image_id), "delete image %s" % image_id, json_body=body)
        except NotFoundError:
            return False
        return True

    # --- image creation (each returns a job ID, except the native create) -------------------------------------

    def create_image(self, body):
        """POST /v2/cloudimages/action: a system disk image from an ECS (``instance_id``), from an OBS file
        (``image_url``), or data disk images (``data_images``). Tags go in ``image_tags`` (see models.tags_to_list)."""
        return self._job("POST", "/v2/cloudimages/action", _create_action(body), body)

    def create_data_image(self, body):
        """POST /v1/cloudimages/dataimages/action: a data disk image from a file in OBS (``image_url``, ``min_disk``)."""
        return self._job(
            "POST", "/v1/cloudimages/dataimages/action", "create data disk image %r from OBS file %s" % (body.get("name"), body.get("image_url")), body
        )

    def quick_import_image(self, body):
        """POST /v2/cloudimages/quickimport/action: an image from a large ZVHD2/RAW file in OBS."""
        return self._job("POST", "/v2/cloudimages/quickimport/action", "quick-import image %r from %s" % (body.get("name"), body.get("image_url")), body)

    def create_whole_image(self, body):
        """POST /v1/cloudimages/wholeimages/action: a full-ECS image from an ECS (``instance_id``) or a CSBS/CBR backup (``backup_id``)."""
        source = "ECS %s" % body["instance_id"] if body.get("instance_id") else "backup %s" % body.get("backup_id")
        return self._job("POST", "/v1/cloudimages/wholeimages/action", "create full-ECS image %r from %s" % (body.get("name"), source), body)

    def copy_image(self, image_id, name, description=None, cmk_id=None):
        """POST /v1/cloudimages/{id}/copy: a copy in the same region (the copy's tags are not copied)."""
        body = without_none({"name": name, "description": description, "cmk_id": cmk_id})
        return self._job("POST", "/v1/cloudimages/%s/copy" % quote_segment(image_id), "copy image %s to %r" % (image_id, name), body)

    def copy_image_cross_region(self, image_id, name, region, project_name, agency_name, description=None, vault_id=None):
        """POST /v1/cloudimages/{id}/cross_region_copy (Huawei Cloud): a replica of this region's image in project
        ``project_name`` of ``region``, made through IAM agency ``agency_name`` (and, for a full-ECS image, into CBR
        vault ``vault_id`` there). The job is this region's. Raises UnsupportedApiError where IMS lacks the API."""
        body = without_none(
            {"name": name, "description": description, "region": region, "project_name": project_name, "agency_name": agency_name, "vault_id": vault_id}
        )
        path = "/v1/cloudimages/%s/cross_region_copy" % quote_segment(image_id)
        try:
            return self._job("POST", path, "replicate image %s to %r in %s" % (image_id, name, region), body)
        except NotFoundError as error:
            if error.code == UNKNOWN_API:
                raise UnsupportedApiError(error, CROSS_REGION_COPY_API + " (replicating images across regions)", self.cloud_name) from None
            raise

    def export_image(self, image_id, bucket_url, file_format=None, quick=None):
        """POST /v1/cloudimages/{id}/file: export to OBS ``bucket_url`` ("bucket:file")."""
        body = without_none({"bucket_url": bucket_url, "file_format": file_format, "is_quick_export": quick})
        return self._job("POST", "/v1/cloudimages/%s/file" % quote_segment(image_id), "export image %s to %s" % (image_id, bucket_url), body)

    def register_image(self, image_id, image_url):
        """PUT /v1/cloudimages/{id}/upload: register an OBS file ("bucket:file") as the image created with create_glance_image."""
        path = "/v1/cloudimages/%s/upload" % quote_segment(image_id)
        return self._job("PUT", path, "register %s as image %s" % (image_url, image_id), {"image_url": image_url})

    def create_glance_image(self, body):
        """POST /v2/images: image metadata to upload or register a file into; returns the queued Image."""
        return Image.from_api(self._json("POST", "/v2/images", "create image metadata %r" % body.get("name"), json_body=body, required=("id",)))

    def check_upload_size(self, size):
        """Raise ValidationError when a body of ``size`` bytes (None: unknown) cannot be uploaded with this authentication."""
        if isinstance(self._auth, AkSkAuth) and (size is None or size > AKSK_BODY_LIMIT):
            raise ValidationError("file", "uploads over 12 MB need token (password) authentication; the API gateway refuses larger AK/SK-signed bodies")

    def upload_image_file(self, image_id, stream):
        """PUT /v2/images/{id}/file: stream a binary file object into the image (token authentication above 12 MB)."""
        self.check_upload_size(stream_size(stream))
        self._call(
            "PUT",
            "/v2/images/%s/file" % quote_segment(image_id),
            "upload the file of image %s" % image_id,
            content=stream,
            content_type=OCTET_STREAM,
        )

    # --- tags -------------------------------------------------------------------------------------------------

    def get_image_tags(self, image_id):
        """The image's tags as ``{key: value}`` (GET /v2/{project_id}/images/{id}/tags)."""
        path = self._project_path("/images/%s/tags" % quote_segment(image_id))
        return tags_to_dict(self._json("GET", path, "get the tags of image %s" % image_id, required=("tags",))["tags"])

    def add_image_tags(self, image_id, tags):
        """Add or overwrite tags (``{key: value}``) in one batch call."""
        self._tag_batch(image_id, "create", tags_to_list(tags), "tag image %s" % image_id)

    def remove_image_tags(self, image_id, tags):
        """Remove tags in one batch call: a list of keys (any value) or ``{key: value}`` (only with that value).
        Removing an absent tag is not an error."""
        items = tags_to_list(tags) if isinstance(tags, dict) else [{"key": key} for key in sorted(tags)]
        self._tag_batch(image_id, "delete", items, "remove tags from image %s" % image_id)

    # --- members ----------------------------------------------------------------------------------------------

    def list_members(self, image_id):
        """The projects the image is shared with (GET /v2/images/{id}/members)."""
        path = "/v2/images/%s/members" % quote_segment(image_id)
        members = self._json("GET", path, "list the members of image %s" % image_id, required=("members",))["members"]
        return [Member.from_api(raw) for raw in members or ()]

    def get_member(self, image_id, member_id):
        """One member, or None when the image is not shared with that project."""
        path = "/v2/images/%s/members/%s" % (quote_segment(image_id), quote_segment(member_id))
        try:
            return Member.from_api(self._json("GET", path, "get member %s of image %s" % (member_id, image_id), required=("member_id", "status")))
        except NotFoundError:
            return None

    def add_members(self, image_ids, project_ids):
        """Share images with projects in one batch (POST /v1/cloudimages/members); returns a job ID."""
        body = {"images": list(image_ids), "projects": list(project_ids)}
        return self._job("POST", "/v1/cloudimages/members", "share %s with %s" % (", ".join(image_ids), ", ".join(project_ids)), body)

    def remove_members(self, image_ids, project_ids):
        """Stop sharing images with projects in one batch (DELETE /v1/cloudimages/members); returns a job ID."""
        body = {"images": list(image_ids), "projects": list(project_ids)}
        return self._job("DELETE", "/v1/cloudimages/members", "stop sharing %s with %s" % (", ".join(image_ids), ", ".join(project_ids)), body)

    def update_member_status(self, image_ids, status, project_id=None):
        """Accept or reject images shared with ``project_id`` (default: this project); returns a job ID."""
        if status not in MEMBER_ANSWERS:
            raise ValidationError("status", "must be one of %s" % ", ".join(MEMBER_ANSWERS))
        body = {"images": list(image_ids), "project_id": project_id or self.project_id, "status": status}
        return self._job("PUT", "/v1/cloudimages/members", "set the sharing status of %s to %s" % (", ".join(image_ids), status), body)

    # --- jobs and quota ---------------------------------------------------------------------------------------

    def get_job(self, job_id):
        """The job (GET /v1/{project_id}/jobs/{id}); raises NotFoundError while the service does not know it (yet): a 404,
        or the error table's 400 IMG.0023 for a job it does not know."""
        path = "/v1/%s/jobs/%s" % (quote_segment(self.project_id), quote_segment(job_id))
        try:
            return Job.from_api(self._json("GET", path, "get job %s" % job_id, required=("status",)))
        except ApiError as error:
            if error.code == UNKNOWN_JOB and not isinstance(error, NotFoundError):
                raise NotFoundError(error.action, error.status, error.code, error.message, error.request_id, error.method, error.url) from None
            raise

    def wait_for_job(self, job_id, timeout=1800, on_progress=None, not_found_grace=60, poller=None):
        """Wait until the job succeeds and return it; see jobs.wait_for_job."""
        return wait_for_job(
            self.get_job, job_id, timeout=timeout, not_found_grace=not_found_grace, on_progress=on_progress, poller=poller or self.poller(timeout)
        )

    def list_os_versions(self):
        """Every ``__os_version`` value the region accepts (GET /v1/cloudimages/os_version), as a set of strings."""
        action = "list OS versions"
        response = self._call("GET", "/v1/cloudimages/os_version", action)
        platforms = read_json(response, action)
        if not isinstance(platforms, list):
            raise UnexpectedResponseError(
                action, response.status_code, message="the response is not a list of platforms", request_id=request_id_of(response.headers)
            )
        versions = (version for platform in platforms if isinstance(platform, dict) for version in platform.get("version_list") or ())
        return {version.get("os_version") for version in versions if isinstance(version, dict)} - {None}

    def get_quota(self):
        """The private image quota of the project (GET /v1/cloudimages/quota)."""
        return Quota.from_api(self._json("GET", "/v1/cloudimages/quota", "get the image quota", required=("quotas",)))

    # --- plumbing ---------------------------------------------------------------------------------------------

    def _call(self, method, path, action, **kwargs):
        return self.session.request(method, self.endpoint, path, action, auth=self._auth, **kwargs)

    def _json(self, method, path, action, required=(), **kwargs):
        return read_json(self._call(method, path, action, **kwargs), action, required)

    def _job(self, method, path, action, body):
        job_id = self._json(method, path, action, json_body=body, required=("job_id",))["job_id"]
        if not job_id:
            raise UnexpectedResponseError(action, 200, message="the answer has an empty job_id")
        return job_id

    def _project_path(self, path):
        return "/v2/%s%s" % (quote_segment(self.project_id), path)

    def _tag_batch(self, image_id, action, items, description):
        path = self._project_path("/images/%s/tags/action" % quote_segment(image_id))
        self._call("POST", path, description, json_body={"action": action, "tags": items})

    @staticmethod
    def _tag_search_body(tags, tags_any, not_tags, not_tags_any, name, without_any_tag):
        conditions = {"tags": tags, "tags_any": tags_any, "not_tags": not_tags, "not_tags_any": not_tags_any}
        body = {key: tag_filter(value, key) for key, value in conditions.items() if value}
        if without_any_tag:
            body["without_any_tag"] = True
        if name:
            body["matches"] = [{"key": "resource_name", "value": name}]
        return body


def _create_action(body):
    name = body.get("name")
    if body.get("instance_id"):
        return "create image %r from ECS %s" % (name, body["instance_id"])
    if body.get("image_url"):
        return "create image %r from OBS file %s" % (name, body["image_url"])
    return "create data disk images %s" % ", ".join(repr(image.get("name")) for image in body.get("data_images") or ())


def _tagged_image(resource):
    return {
        "id": resource.get("resource_id"),
        "name": resource.get("resource_name"),
        "status": (resource.get("resource_detail") or {}).get("status"),
        "tags": tags_to_dict(resource.get("tags")),
    }
