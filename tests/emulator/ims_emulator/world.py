# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulated world: projects with their servers, volumes, backups, buckets, KMS keys and images, and the jobs
that change them.

Everything here is guarded by ``World.lock``; routes use ``World.transaction()``, which also lets due jobs act
first. Images keep their raw IMS attributes (what the API shows) apart from what the service knows but does not
show (lineage, the job making them, members, tags).
"""

import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import ImsError
from .jobs import Job, JobBoard, SubJob, Timeline, new_job_id
from .seed import os_bits

#: The md5 of nothing: the checksum IMS shows for images whose file it has not checksummed.
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"

#: Public image platforms whose images, and the private images made from them, cannot be exported (5.1.7).
EXPORT_RESTRICTED_PLATFORMS = frozenset({"Windows", "SUSE", "Red Hat", "Ubuntu", "Oracle Linux"})

MAX_MEMBERS = 128
MAX_TAGS = 10

#: __os_version recorded when none is given (6.1.6).
DEFAULT_OS_VERSION = "Other Linux(64 bit)"

#: How long, by default, a new job answers 404 and a deleted image still shows in GET /v2/cloudimages (seconds).
DEFAULT_CONSISTENCY_LAG = 0.2

#: Attributes a client may sort by, and how each orders images.
SORT_KEYS = {
    "created_at": lambda image: image.created_key,
    "name": lambda image: image.attrs["name"],
    "container_format": lambda image: image.attrs["container_format"],
    "disk_format": lambda image: image.attrs["disk_format"],
    "status": lambda image: image.attrs["status"],
    "id": lambda image: image.id,
    "size": lambda image: int(image.attrs.get("__image_size") or 0),
}


def iso_time(moment):
    """An IMS timestamp: ``2018-09-06T14:03:27Z``."""
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_tag(key, value):
    """A tag as image objects list it: ``key=value``, or the bare key when the value is empty."""
    return "%s=%s" % (key, value) if value else key


MEMBER_SCHEMA = "/v2/schemas/member"
MEMBERS_SCHEMA = "/v2/schemas/members"


@dataclass
class Member:
    """A project an image is shared with."""

    status: str
    created_at: str
    updated_at: str


class Image:
    """An image: raw IMS attributes (all but ``tags``; ``__imagetype`` and ``visibility`` as the owner sees them before sharing)
    plus hidden state, among it the region it lives in."""

    def __init__(self, attrs, created_key, tags=None, export_restricted=False, region=None):
        self.attrs = attrs
        self.region = region
        self.tags = dict(tags or {})
        self.members = {}
        self.export_restricted = export_restricted
        self.created_key = created_key
        self.job_id = None
        self.deleted_at = None

    @property
    def id(self):
        return self.attrs["id"]

    @property
    def owner(self):
        return self.attrs["owner"]

    @property
    def status(self):
        return self.attrs["status"]

    @property
    def is_public(self):
        return self.attrs["__imagetype"] == "gold"

    @property
    def is_whole(self):
        return self.attrs.get("__whole_image") is True

    @property
    def is_iso(self):
        return self.attrs.get("virtual_env_type") == "IsoImage" or self.attrs.get("disk_format") == "iso"

    def as_json(self):
        members = [{"member_id": pid, "status": m.status, "created_at": m.created_at, "updated_at": m.updated_at} for pid, m in self.members.items()]
        return {
            "attributes": dict(self.attrs),
            "tags": dict(self.tags),
            "members": members,
            "export_restricted": self.export_restricted,
            "deleted": self.deleted_at is not None,
            "region": self.region,
        }


def member_view(image, project_id):
    """A member of an image as the member APIs show it."""
    member = image.members[project_id]
    return {
        "status": member.status,
        "created_at": member.created_at,
        "updated_at": member.updated_at,
        "image_id": image.id,
        "member_id": project_id,
        "schema": MEMBER_SCHEMA,
    }


def visible_members(image, project_id):
    """The members ``project_id`` may see: all of them for the owner, only itself for a member."""
    if image.owner == project_id:
        return list(image.members)
    return [project_id] if project_id in image.members else []


@dataclass
class Bucket:
    name: str
    storage_class: str
    objects: dict

    def as_json(self):
        return {"name": self.name, "storage_class": self.storage_class, "objects": [obj.model_dump(mode="json") for obj in self.objects.values()]}


class Project:
    """A tenant project of one region and the resources IMS works with."""

    def __init__(self, seed, domain_id, region):
        self.id = seed.id
        self.name = seed.name
        self.domain_id = domain_id
        self.region = region
        self.quota = seed.quota.model_copy()
        self.servers = {server.id: server.model_copy(deep=True) for server in seed.servers}
        self.volumes = {volume.id: volume.model_copy(deep=True) for volume in seed.volumes}
        self.backups = {backup.id: backup.model_copy(deep=True) for backup in seed.backups}
        self.buckets = {
            bucket.name: Bucket(bucket.name, bucket.storage_class, {obj.name: obj.model_copy() for obj in bucket.objects}) for bucket in seed.buckets
        }
        self.kms_keys = {key.id: key.model_copy() for key in seed.kms_keys}
        self.vaults = {vault.id: vault.model_copy() for vault in seed.vaults}
        self.image_ids = set()

    def quota_json(self):
        return {"type": "image", "used": len(self.image_ids), "quota": self.quota.quota, "min": self.quota.min, "max": self.quota.max}


class World:
    """The whole emulated cloud: every region of the seed, with its projects, public images and jobs. Create it with
    the seed; ``reset()`` goes back to it."""

    def __init__(self, seed, job_seconds):
        self.seed = seed
        self.lock = threading.RLock()
        self._initial_job_seconds = job_seconds
        self.reset()

    # --- life cycle -------------------------------------------------------------------------------------------

    def reset(self):
        with self.lock:
            self.job_seconds = self._initial_job_seconds
            self.consistency_lag = DEFAULT_CONSISTENCY_LAG
            self.timeline = Timeline()
            self.jobs = JobBoard(self.timeline)
            self.os_versions = self.seed.os_versions_flat()
            self.flavors = {flavor.id: flavor for flavor in self.seed.flavors}
            self.regions = {region.name: region.cloud_profile for region in self.seed.all_regions()}
            self.projects = {}
            self.images = {}
            self.revision = 0
            self._orders = {}
            self._last_created = 0.0
            for domain in self.seed.domains:
                for project_seed in domain.projects:
                    self.projects[project_seed.id] = Project(project_seed, domain.id, self.seed.region_of(project_seed))
            for region in self.seed.all_regions():
                for image_seed in region.public_images:
                    self._add_seed_image(image_seed, self.seed.public_image_owner, public=True, region=region.name)
            for project_seed in self.seed.projects():
                for image_seed in project_seed.images:
                    self._add_seed_image(image_seed, project_seed.id, public=False, region=self.seed.region_of(project_seed))
            for image in self.images.values():
                image.export_restricted = self.lineage_restricted(image.id)

    @contextmanager
    def transaction(self):
        """Hold the lock, after letting every job event that is due act."""
        with self.lock:
            self.advance()
            yield self

    def advance(self):
        self.timeline.run_due(self.now())

    @staticmethod
    def now():
        return time.time()

    def _created_key(self, moment):
        # Creation times order listings: keep those of new images increasing even within one clock tick.
        self._last_created = max(moment, self._last_created + 1e-6)
        return self._last_created

    def changed(self):
        """Note that images changed: sorted listings must be rebuilt."""
        self.revision += 1

    # --- catalogs -----------------------------------------------------------------------------------------------

    def os_fields(self, os_version, os_type=None):
        """The attributes an __os_version implies: __os_version, __platform, __os_type, __os_bit."""
        platform = self.os_versions.get(os_version, "Other")
        if platform == "Windows" or (platform == "Other" and os_type == "Windows"):
            kind = "Windows"
        else:
            kind = os_type if platform == "Other" and os_type else "Linux"
        return {"__os_version": os_version, "__platform": platform, "__os_type": kind, "__os_bit": os_bits(os_version)}

    # --- images -------------------------------------------------------------------------------------------------

    def image_attrs(
        self,
        image_id,
        owner,
        name,
        moment,
        *,
        os_version=DEFAULT_OS_VERSION,
        os_type=None,
        public=False,
        status="queued",
        disk_format="zvhd2",
        min_disk=0,
        min_ram=0,
        virtual_env_type="FusionCompute",
        description="",
    ):
        """The attributes of a new image, as IMS records them; callers add what their flow knows."""
        stamp = iso_time(moment)
        attrs = {
            "id": image_id,
            "name": name,
            "status": status,
            "owner": owner,
            "visibility": "public" if public else "private",
            "__imagetype": "gold" if public else "private",
            "protected": public,
            "container_format": "bare",
            "disk_format": disk_format,
            "min_disk": min_disk,
            "min_ram": min_ram,
            "virtual_env_type": virtual_env_type,
            "__description": description,
            "__image_source_type": "uds",
            "__isregistered": "true",
            "__originalimagename": "",
            "__backup_id": "",
            "__productcode": "",
            "__image_size": "0",
            "__data_origin": None,
            "__lazyloading": "true",
            "__support_fc_inject": "false",
            "hw_firmware_type": "bios",
            "enterprise_project_id": "0",
            "checksum": EMPTY_MD5,
            "size": 0,
            "virtual_size": None,
            "file": "/v2/images/%s/file" % image_id,
            "self": "/v2/images/%s" % image_id,
            "schema": "/v2/schemas/image",
            "created_at": stamp,
            "updated_at": stamp,
        }
        if virtual_env_type == "DataImage":
            attrs.update({"__os_type": os_type or "Linux", "__os_bit": "64"})
        else:
            attrs.update(self.os_fields(os_version, os_type))
            attrs["hw_vif_multiqueue_enabled"] = "true"
        if status == "active":
            attrs["active_at"] = stamp
        return attrs

    def _add_seed_image(self, seed, owner, public, region):
        moment = seed.created_at.timestamp() if seed.created_at else self.now()
        attrs = self.image_attrs(
            seed.id,
            owner,
            seed.name,
            moment,
            os_version=seed.os_version,
            public=public,
            status=seed.status,
            disk_format=seed.disk_format,
            min_disk=seed.min_disk,
            min_ram=seed.min_ram,
            virtual_env_type=seed.virtual_env_type,
            description=seed.description,
        )
        attrs.update(
            {
                "container_format": seed.container_format,
                "protected": seed.protected,
                "__image_size": str(seed.size),
                "hw_firmware_type": seed.hw_firmware_type,
                "enterprise_project_id": seed.enterprise_project_id,
                "__originalimagename": seed.source_image_id or "",
                "__data_origin": seed.data_origin,
                "__backup_id": seed.backup_id or "",
            }
        )
        if seed.updated_at:
            attrs["updated_at"] = iso_time(seed.updated_at.timestamp())
        optional = {
            "max_ram": seed.max_ram,
            "__system__cmkid": seed.cmk_id,
            "__root_origin": "file" if seed.imported else None,
            "__whole_image": True if seed.whole_image else None,
            "__support_arm": "true" if seed.architecture == "arm" else None,
        }
        attrs.update({key: value for key, value in optional.items() if value is not None})
        attrs.update(seed.properties)
        image = Image(attrs, moment, seed.tags, region=region)
        stamp = iso_time(moment)
        image.members = {member.project_id: Member(member.status, stamp, stamp) for member in seed.members}
        self.add_image(image)

    def add_image(self, image):
        self.images[image.id] = image
        project = self.projects.get(image.owner)
        if project is not None:
            project.image_ids.add(image.id)
        self.changed()
        return image

    def new_image(self, owner, name, extra=None, tags=None, **attrs_kwargs):
        """A new private image of ``owner`` (queued unless told otherwise), added to the world in the owner's region.
        ``extra`` adds or overrides raw attributes beyond what ``image_attrs`` sets."""
        now = self.now()
        attrs = self.image_attrs(str(uuid.uuid4()), owner, name, now, **attrs_kwargs)
        attrs.update(extra or {})
        return self.add_image(Image(attrs, self._created_key(now), tags, region=self.region_of(owner)))

    def update_image(self, image, changes):
        """Change raw attributes of an image (a dict: many attribute names are not Python identifiers)."""
        image.attrs.update(changes)
        image.attrs["updated_at"] = iso_time(self.now())
        self.changed()

    def set_tags(self, image, tags):
        """Give an image these tags (a dict); an image has at most 10 (IMG.0116)."""
        if len(tags) > MAX_TAGS:
            raise ImsError("IMG.0116")
        image.tags = dict(tags)
        image.attrs["updated_at"] = iso_time(self.now())
        self.changed()

    def patch_image(self, image, operations):
        """Apply checked JSON-patch operations (op, attribute, value) all or nothing: ``replace`` or ``remove``
        of an attribute the image lacks is an attribute conflict (IMG.0035); ``add`` adds or replaces."""
        attrs = dict(image.attrs)
        for operation, name, value in operations:
            if operation in ("replace", "remove") and name not in attrs:
                raise ImsError("IMG.0035")
            if operation == "remove":
                del attrs[name]
            else:
                attrs[name] = value
        attrs["updated_at"] = iso_time(self.now())
        image.attrs = attrs
        self.changed()

    def busy(self, image):
        """Whether the job that makes the image is still running (it cannot be deleted, IMG.0090)."""
        return image.status == "saving" or self.jobs.unfinished(lambda job: job.id == image.job_id)

    def delete_image(self, image):
        """Delete an image. GET /v2/cloudimages still lists it for ``consistency_lag`` seconds, as IMS does."""
        now = self.now()
        image.deleted_at = now
        project = self.projects.get(image.owner)
        if project is not None:
            project.image_ids.discard(image.id)
        for project in self.projects.values():
            for backup in project.backups.values():
                if backup.image_id == image.id:
                    backup.image_id = None
        self.changed()

        def purge():
            self.images.pop(image.id, None)
            self.changed()

        self.timeline.at(now + self.consistency_lag, purge)

    def image(self, image_id):
        """The live (not deleted) image with this id, whoever owns it."""
        image = self.images.get(image_id)
        return image if image is not None and image.deleted_at is None else None

    def sees(self, image, project_id):
        """Whether ``project_id`` may see the image by id: its own, a public one of its region, or one shared with it."""
        return image.owner == project_id or project_id in image.members or (image.is_public and image.region == self.region_of(project_id))

    def find_image(self, image_id, project_id):
        """The image as ``project_id`` may see it by id (see ``sees``)."""
        image = self.image(image_id) if isinstance(image_id, str) else None
        if image is None or not self.sees(image, project_id):
            return None
        return image

    def imagetype_for(self, image, project_id):
        """``__imagetype`` as ``project_id`` sees it: shared once its owner shares it, and for its members."""
        if image.is_public:
            return "gold"
        if image.owner != project_id or image.members:
            return "shared"
        return "private"

    def visibility_for(self, image, project_id):
        """``visibility`` as ``project_id`` sees it (5.1.1): ``public`` for public images, ``shared`` wherever
        ``__imagetype`` is ``shared`` (the owner's image once it has a member, and for its members), else ``private``."""
        imagetype = self.imagetype_for(image, project_id)
        return {"gold": "public", "shared": "shared"}.get(imagetype, "private")

    def view(self, image, project_id):
        """The image object the API returns to ``project_id``."""
        body = dict(image.attrs)
        body["__imagetype"] = self.imagetype_for(image, project_id)
        body["visibility"] = self.visibility_for(image, project_id)
        body["tags"] = [render_tag(key, value) for key, value in image.tags.items()]
        return body

    def ordered(self, sort_key):
        """All images (deleted ones still lingering included), ascending by ``sort_key``, and their positions.

        Kept until the images change, so that paging through a large listing does not sort again per page.
        """
        cached = self._orders.get(sort_key)
        if cached is None or cached[0] != self.revision:
            key = SORT_KEYS[sort_key]
            images = sorted(self.images.values(), key=lambda image: (key(image), image.created_key, image.id))
            cached = (self.revision, images, {image.id: index for index, image in enumerate(images)})
            self._orders[sort_key] = cached
        return cached[1], cached[2]

    def lineage_restricted(self, image_id):
        """Whether the image descends from a public image that may not be exported (5.1.7)."""
        seen = set()
        image = self.images.get(image_id)
        while image is not None and image.id not in seen:
            if image.is_public:
                return image.attrs.get("__platform") in EXPORT_RESTRICTED_PLATFORMS
            if image.export_restricted:
                return True
            seen.add(image.id)
            image = self.images.get(image.attrs.get("__originalimagename") or "")
        return False

    # --- sharing ----------------------------------------------------------------------------------------------

    def check_shareable(self, image):
        """Refuse to share what cannot be shared (9.3): public, full-ECS, encrypted or unavailable images."""
        if image.is_public:
            raise ImsError("IMG.0089")
        if image.is_whole:
            raise ImsError("IMG.0135")
        if image.attrs.get("__system__cmkid"):
            raise ImsError("IMG.0098")
        if image.status != "active":
            raise ImsError("IMG.0046")

    def check_member_project(self, owner, project_id):
        """A project an image may be shared with: not the owner itself, and one that exists in the owner's region."""
        if project_id == owner:
            raise ImsError("IMG.0076")
        if not isinstance(project_id, str) or project_id not in self.projects or self.region_of(project_id) != self.region_of(owner):
            raise ImsError("IMG.0108")

    def check_member_room(self, image, project_ids):
        """An image is shared with at most 128 projects (IMG.0088)."""
        if len(set(image.members) | set(project_ids)) > MAX_MEMBERS:
            raise ImsError("IMG.0088")

    def add_member(self, image, project_id):
        """Share the image with a project (pending until it accepts); sharing again changes nothing."""
        if project_id not in image.members:
            stamp = iso_time(self.now())
            image.members[project_id] = Member("pending", stamp, stamp)
            self.changed()
        return image.members[project_id]

    def remove_member(self, image, project_id):
        if image.members.pop(project_id, None) is not None:
            self.changed()

    def set_member_status(self, image, project_id, status):
        member = image.members[project_id]
        member.status = status
        member.updated_at = iso_time(self.now())
        self.changed()
        return member

    # --- other resources ----------------------------------------------------------------------------------------

    def project(self, project_id):
        project = self.projects.get(project_id)
        if project is None:
            raise ImsError("IMG.0067")
        return project

    def region_of(self, project_id):
        """The region of a tenant project; None for anything else (the owner of public images)."""
        project = self.projects.get(project_id)
        return project.region if project is not None else None

    def profile_of(self, project_id):
        """The cloud (``otc`` or ``huaweicloud``) of a tenant project's region: where the clouds' IMS differ, the
        emulator follows it."""
        return self.regions[self.project(project_id).region]

    def find_project(self, domain_id, region, name):
        """The project called ``name`` of account ``domain_id`` in ``region``, or None."""
        return next((p for p in self.projects.values() if (p.domain_id, p.region, p.name) == (domain_id, region, name)), None)

    def kms_key(self, project_id, key_id):
        """The enabled KMS key ``key_id`` of the project; IMG.0095 when unknown, IMG.0097 when not enabled."""
        key = self.project(project_id).kms_keys.get(key_id)
        if key is None:
            raise ImsError("IMG.0095")
        if key.state != "enabled":
            raise ImsError("IMG.0097")
        return key

    # --- jobs ---------------------------------------------------------------------------------------------------

    def new_job(self, project_id, job_type, **fields):
        now = self.now()
        return Job(
            id=new_job_id(), job_type=job_type, project_id=project_id, begin=now, duration=self.job_seconds, visible_at=now + self.consistency_lag, **fields
        )

    def image_job(self, project_id, job_type, images, sizes, sub_job_types=None, source=None, on_success=None, on_failure=None, internal=False):
        """Submit a job that makes ``images`` (queued now): saving once it runs, active (with their final
        ``sizes`` in bytes) when it succeeds, killed when it fails. With ``sub_job_types`` (one per image) each
        image also gets a sub-job, as multi-image jobs report them."""
        first = images[0]
        job = self.new_job(project_id, job_type, image_id=first.id, image_name=first.attrs["name"], source=source, internal=internal)
        if sub_job_types:
            job.sub_jobs = [
                SubJob(new_job_id(), sub_job_type, image.id, image.attrs["name"]) for image, sub_job_type in zip(images, sub_job_types, strict=False)
            ]
        for image in images:
            image.job_id = job.id

        def alive():
            return [image for image in images if image.deleted_at is None]

        def start():
            for image in alive():
                if image.status == "queued":
                    self.update_image(image, {"status": "saving"})

        def succeed():
            stamp = iso_time(self.now())
            for image, size in zip(images, sizes, strict=False):
                if image.deleted_at is None:
                    self.update_image(image, {"status": "active", "active_at": stamp, "__image_size": str(size)})
            if on_success:
                on_success()

        def fail():
            for image in alive():
                self.update_image(image, {"status": "killed"})
            if on_failure:
                on_failure()

        return self.jobs.submit(job, start, succeed, fail)

    def simple_job(self, project_id, job_type, on_success=None, **fields):
        """Submit a job that changes the world only when it succeeds."""
        return self.jobs.submit(self.new_job(project_id, job_type, **fields), on_success=on_success)

    def fail_next_jobs(self, count, job_type, error_code, fail_reason):
        """Make the next ``count`` jobs (of ``job_type``, or any a client asks for) end in FAIL."""
        self.jobs.fail_next(count, job_type, error_code, fail_reason)

    # --- control API helpers ------------------------------------------------------------------------------------

    def bulk_create_images(self, project_id, count, name_prefix, tags, protected=False):
        """Add ``count`` active private images named ``<name_prefix><n>`` to a project at once; returns their ids.

        For scale tests: no job, no quota check (the quota's ``used`` does count them)."""
        if project_id not in self.projects:
            raise KeyError(project_id)
        now = self.now()
        width = max(5, len(str(count)))
        ids = []
        for number in range(1, count + 1):
            image_id = str(uuid.uuid4())
            name = "%s%0*d" % (name_prefix, width, number)
            attrs = self.image_attrs(image_id, project_id, name, now, status="active", min_disk=40)
            attrs["__image_size"] = "1073741824"
            attrs["protected"] = protected
            image = Image(attrs, self._created_key(now), tags, region=self.region_of(project_id))
            self.images[image_id] = image
            self.projects[project_id].image_ids.add(image_id)
            ids.append(image_id)
        self.changed()
        return ids

    def snapshot(self):
        """The whole world as JSON-able data (control API ``GET /_emulator/world``)."""
        self.advance()
        projects = {}
        for project in self.projects.values():
            projects[project.id] = {
                "name": project.name,
                "domain_id": project.domain_id,
                "region": project.region,
                "quota": project.quota_json(),
                "servers": [server.model_dump(mode="json") for server in project.servers.values()],
                "volumes": [volume.model_dump(mode="json") for volume in project.volumes.values()],
                "backups": [backup.model_dump(mode="json") for backup in project.backups.values()],
                "buckets": [bucket.as_json() for bucket in project.buckets.values()],
                "kms_keys": [key.model_dump(mode="json") for key in project.kms_keys.values()],
                "vaults": [vault.model_dump(mode="json") for vault in project.vaults.values()],
                "images": [image.as_json() for image in self.images.values() if image.owner == project.id],
            }
        public = [image.as_json() for image in self.images.values() if image.is_public]
        return {
            "region": self.seed.region,
            "regions": dict(self.regions),
            "time": iso_time(self.now()),
            "job_seconds": self.job_seconds,
            "consistency_lag": self.consistency_lag,
            "projects": projects,
            "public_images": public,
            "jobs": self.jobs.as_json(),
        }
