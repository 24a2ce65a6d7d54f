# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a new image comes from: the creation sources of ``ims_image``, checked and turned into IMS requests.

``select_source(params)`` reads the module's options, finds the one source they name, checks every rule that needs
no request (which options the source takes, the ``min_disk`` ranges, the local file's size) and returns a Source.
Each Source knows the options it sends at creation, how many images it makes (for the quota check) and how to
``submit`` itself. The request bodies follow the API reference:

=================  ==============================================================  ==============================
source             request                                                         reference
=================  ==============================================================  ==============================
``instance_id``    POST /v2/cloudimages/action (system disk, + ``data_disks``)      5.1.3
``volume_id``      POST /v2/cloudimages/action with ``volume_id``, ``os_version``   7.1 (ISO flow, step 4)
+ ``DataImage``    POST /v2/cloudimages/action with ``data_images`` only            5.1.3 (data disk images)
``data_disks``     the same, without ``instance_id``: data disk images only         5.1.3 (data disk images)
``image_url``      POST /v2/cloudimages/action (+ ``data_images``)                  5.1.3
+ ``DataImage``    POST /v1/cloudimages/dataimages/action                           data disk image from a file
+ ``quick_import`` POST /v2/cloudimages/quickimport/action                          5.1.4
+ ``register``     POST /v2/images, then PUT /v1/cloudimages/{id}/upload            6.1.6, 5.1.6
``whole_image``    POST /v1/cloudimages/wholeimages/action (ECS or ``backup_id``)   5.1.5
``source_image``   POST /v1/cloudimages/{id}/copy                                   5.4.1
+ ``source_region`` POST /v1/cloudimages/{id}/cross_region_copy to the source     Huawei Cloud: "Replicating an
                   region: a replica in the task's region and project               Image Across Regions"
``local_file``     POST /v2/images, then PUT /v2/images/{id}/file (streamed)        6.1.6, 6.1.4
=================  ==============================================================  ==============================

Sources that start with image metadata (``register``, ``local_file``) can ``resume``: a queued image of the wanted
name is metadata whose file step did not happen (a lost response, an interrupted run), and the file step is done
on it instead of creating a second image.

Internal to this collection, may change in any release.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.rules import (
    split_obs_url,
    tag_strings,
    validate_description,
    validate_image_name,
    validate_tags,
)

# OS_TYPES and ARCHITECTURES: the choices of ims_image's options, which takes them from here (modules never import the client).
from ansible_collections.hwcloud.ims.plugins.module_utils._client.wire import (  # noqa: F401  pylint: disable=unused-import
    ARCHITECTURES,
    OS_TYPES,
    tags_to_list,
    without_none,
)
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.source_checks import (
    IMPORT_LIMIT,
    QUICK_IMPORT_LIMIT,
    RUNNING_OR_STOPPED,
    SKIPPED,
    STOPPED,
    check_obs_file,
    check_server,
)

SOURCE_OPTIONS = ("instance_id", "volume_id", "image_url", "backup_id", "source_image", "local_file")
SYSTEM_DISK_GB = (1, 1024)
DATA_DISK_GB = (1, 2048)
LOCAL_FILE_MAX = 2 * 1024**3
DISK_FORMATS = ("zvhd2", "zvhd", "vhd", "raw", "iso", "qcow2")
IMAGE_TYPES = ("ECS", "BMS", "DataImage", "IsoImage")
# Options that describe how an image is made: given for an existing image they cannot change it (see ims_image).
CREATION_OPTIONS = SOURCE_OPTIONS + (
    "source_region",
    "agency_name",
    "vault_id",
    "source_endpoint",
    "whole_image",
    "data_disks",
    "quick_import",
    "register",
    "data_images",
    "os_version",
    "os_type",
    "min_disk",
    "is_config",
    "cmk_id",
    "image_type",
    "architecture",
    "disk_format",
    "max_ram",
)


@dataclass(frozen=True)
class Submitted:
    """What a creation request returned: the job to wait for and/or the image it made right away. ``job_client`` is the
    ImsClient that sees the job when it is not the task's own (a replication's job is the source region's)."""

    job_id: str | None = None
    image_id: str | None = None
    job_client: object = None


class Source:
    """One way of making an image. Subclasses set ``kind``, ``options`` (what they send) and ``submit``."""

    kind = ""
    label = ""  # the options that choose this source, for messages
    options = ()
    # The options a source of this kind cannot do without, and the ones it sends when the user gives them.
    required = ()
    # The option listing the further images the creation makes (data disk images), if the source takes one, and
    # whether their tags travel as "key.value" strings (where the API takes no tag objects for them).
    further_images = None
    further_tag_strings = False
    # For a source read from an OBS file (image_url): the largest file its API takes, checked in OBS first.
    obs_file_limit = None

    def __init__(self, params):
        self.params = params
        # What the ECS or OBS reads found about the source (its name and state, its size), for the diff.
        self.detail = None
        self._check_options()

    def check_further_images(self, cloud_profile=None):
        """The name, description and tags of every further image, by the rules of ``cloud_profile`` (the task's cloud)."""
        for number, item in enumerate(self.further_items(), 1):
            field = "%s[%d]" % (self.further_images, number)
            if item.get("name") is not None:  # data_images name their images after the file when left out
                validate_image_name(item["name"], field + ".name", cloud_profile)
            validate_description(item.get("description"), field + ".description")
            tags = validate_tags(item.get("tags") or {}, field + ".tags")
            if self.further_tag_strings:
                tag_strings(tags, field + ".tags")

    def _check_options(self):
        given = {option for option in CREATION_OPTIONS if self.params.get(option) not in (None, False, [])}
        foreign = sorted(given - set(self.options) - set(SOURCE_OPTIONS))
        if foreign:
            raise ValidationError(foreign[0], "does not apply to %s; it applies to %s" % (self.describe(), _who_takes(foreign[0])))
        for option in self.required:
            if self.params.get(option) is None:
                raise ValidationError(option, "is required to create %s" % self.describe())

    def further_items(self):
        """The entries of the ``further_images`` option (none when the source takes no such option)."""
        return (self.params.get(self.further_images) if self.further_images else None) or ()

    @property
    def image_count(self):
        """How many images the creation makes (the quota check needs room for all of them)."""
        return 1 + len(self.further_items())

    def further_bodies(self, own_fields, items=None):
        """The ``data_images`` entries of the request (None when there are none): for each of ``items`` (default the
        further items) ``own_fields(item)`` with its name, description and tags."""
        bodies = [
            without_none(dict(own_fields(item), name=item.get("name"), description=item.get("description"), **self._further_tags(item)))
            for item in (self.further_items() if items is None else items)
        ]
        return bodies or None

    def _further_tags(self, item):
        tags = validate_tags(item.get("tags") or {})
        if not tags:
            return {}
        return {"tags": tag_strings(tags)} if self.further_tag_strings else {"image_tags": tags_to_list(tags)}

    @property
    def os_version(self):
        return self.params.get("os_version")

    def describe(self):
        raise NotImplementedError

    def describe_checked(self):
        """What the image is made from, with what the pre-flight reads found out about it (the diff's ``source``)."""
        return "%s (%s)" % (self.describe(), self.detail) if self.detail else self.describe()

    def check_outside(self, ims, warn):
        """Check what only ECS or OBS know about the source (see source_checks); set and return ``detail``."""
        if self.obs_file_limit:
            found = check_obs_file(ims, "image_url", self.params["image_url"], self.obs_file_limit, warn)
            self.detail = None if found is SKIPPED else "%d bytes" % found.size
        return self.detail

    def submit(self, ims):
        raise NotImplementedError

    def common_body(self, ram=True):
        """name, description, tags (and memory limits where the API takes them) of the new image."""
        params = self.params
        body = {"name": params["name"], "description": params.get("description")}
        if params.get("tags"):
            body["image_tags"] = tags_to_list(params["tags"])
        if ram:
            body.update(min_ram=params.get("min_ram"), max_ram=params.get("max_ram"))
        return body

    @property
    def can_resume(self):
        return False


class InstanceSource(Source):
    """A system disk image of a stopped ECS, with images of its data disks (``data_disks``)."""

    kind = "instance"
    label = "instance_id"
    options = ("instance_id", "data_disks", "max_ram")
    required = ("instance_id",)
    further_images = "data_disks"
    further_tag_strings = True  # 5.1.3, Table 5-5: an ECS's data disk images take tags as strings only

    def describe(self):
        return "an image of ECS %s" % self.params["instance_id"]

    def check_outside(self, ims, warn):
        volume_ids = [disk["volume_id"] for disk in self.further_items()]
        self.detail = _server_detail(check_server(ims, self.params["instance_id"], STOPPED, ("a system disk image", "IMG.0008"), warn, volume_ids))
        return self.detail

    def submit(self, ims):
        body = dict(self.common_body(), instance_id=self.params["instance_id"])
        body["data_images"] = self.further_bodies(lambda disk: {"volume_id": disk["volume_id"]})
        return Submitted(job_id=ims.create_image(without_none(body)))


class WholeImageSource(Source):
    """A full-ECS image (system and data disks together) of an ECS or of a CSBS backup."""

    kind = "whole_image"
    label = "whole_image"
    options = ("instance_id", "backup_id", "whole_image", "max_ram")

    def __init__(self, params):
        super().__init__(params)
        if not (params.get("instance_id") or params.get("backup_id")):
            raise ValidationError("whole_image", "a full-ECS image is made from an ECS (instance_id) or a CSBS backup (backup_id)")

    def describe(self):
        if self.params.get("backup_id"):
            return "a full-ECS image of backup %s" % self.params["backup_id"]
        return "a full-ECS image of ECS %s" % self.params["instance_id"]

    def check_outside(self, ims, warn):
        if self.params.get("instance_id"):
            self.detail = _server_detail(check_server(ims, self.params["instance_id"], RUNNING_OR_STOPPED, ("a full-ECS image", "IMG.0126"), warn))
        return self.detail

    def submit(self, ims):
        origin = {"backup_id": self.params["backup_id"]} if self.params.get("backup_id") else {"instance_id": self.params["instance_id"]}
        return Submitted(job_id=ims.create_whole_image(without_none(dict(self.common_body(), **origin))))


class VolumeSource(Source):
    """A system disk image of a data disk an OS was installed on from an ISO image (reference 7.1)."""

    kind = "volume"
    label = "volume_id"
    options = ("volume_id", "os_version", "image_type")
    required = ("volume_id", "os_version")

    def __init__(self, params):
        super().__init__(params)
        if params.get("image_type") not in (None, "ECS", "BMS"):
            raise ValidationError("image_type", "a system disk image of a data disk is an ECS or BMS image (DataImage makes a data disk image)")

    def describe(self):
        return "a system disk image of data disk %s" % self.params["volume_id"]

    def submit(self, ims):
        body = dict(
            self.common_body(ram=False), volume_id=self.params["volume_id"], type=self.params.get("image_type") or "ECS", os_version=self.params["os_version"]
        )
        return Submitted(job_id=ims.create_image(without_none(body)))


class DataDiskSource(Source):
    """Data disk images only, of data disks attached to an ECS (``data_images`` without ``instance_id``, reference 5.1.3):
    the image ``name`` of ``volume_id`` (with ``image_type: DataImage``), and one more per ``data_disks`` entry. Without
    ``volume_id``, ``name`` is the ``data_disks`` entry the task manages: it is sent first, so that it is the job's
    first image."""

    kind = "data_disk"
    label = "volume_id with image_type DataImage, or data_disks without instance_id"
    options = ("volume_id", "image_type", "data_disks")
    further_images = "data_disks"
    further_tag_strings = True  # the data_images entries of this API take tags as "key.value" strings (reference 5.1.3)

    def __init__(self, params):
        super().__init__(params)
        if not params.get("volume_id"):
            names = [disk["name"] for disk in params["data_disks"]]
            if params["name"] not in names:
                raise ValidationError(
                    "name",
                    "with data_disks and neither instance_id nor volume_id, name must be one of the data_disks names, the image the "
                    "task manages (got %r; data_disks names %s)" % (params["name"], ", ".join(names)),
                )

    @property
    def image_count(self):
        return len(self.disks())

    def disks(self):
        """Every data disk image to make, as ``data_disks`` entries, the one named ``name`` first."""
        params = self.params
        listed = list(params.get("data_disks") or ())
        if params.get("volume_id"):
            own = {"volume_id": params["volume_id"], "name": params["name"], "description": params.get("description"), "tags": params.get("tags")}
            return [own] + listed
        return sorted(listed, key=lambda disk: disk["name"] != params["name"])

    def describe(self):
        return "data disk images of %s" % ", ".join("volume %s" % disk["volume_id"] for disk in self.disks())

    def submit(self, ims):
        return Submitted(job_id=ims.create_image({"data_images": self.further_bodies(lambda disk: {"volume_id": disk["volume_id"]}, self.disks())}))


class DataFileSource(Source):
    """A data disk image of a file in OBS (``image_url`` with ``image_type: DataImage``): POST
    /v1/cloudimages/dataimages/action, the API for a data disk image from an external file; ``min_disk`` 1 to 2048."""

    kind = "data_file"
    label = "image_url with image_type DataImage"
    obs_file_limit = IMPORT_LIMIT
    options = ("image_url", "min_disk", "os_type", "cmk_id", "image_type")
    required = ("image_url", "min_disk")

    def __init__(self, params):
        super().__init__(params)
        split_obs_url(params["image_url"], "image_url")
        check_range("min_disk", params["min_disk"], *DATA_DISK_GB)
        if params.get("os_type") not in (None, "Linux", "Windows"):
            raise ValidationError("os_type", "a data disk image is of a Linux or a Windows system (got %s)" % params["os_type"])

    def describe(self):
        return "a data disk image of OBS file %s" % self.params["image_url"]

    def submit(self, ims):
        params = self.params
        body = dict(
            self.common_body(ram=False), image_url=params["image_url"], min_disk=params["min_disk"], os_type=params.get("os_type"), cmk_id=params.get("cmk_id")
        )
        return Submitted(job_id=ims.create_data_image(without_none(body)))


class FileImportSource(Source):
    """An image of a file in OBS (``bucket:file``), with up to three data disk images of more files."""

    kind = "file"
    label = "image_url"
    obs_file_limit = IMPORT_LIMIT
    options = ("image_url", "min_disk", "os_version", "os_type", "is_config", "cmk_id", "image_type", "architecture", "data_images", "max_ram")
    required = ("image_url", "min_disk")
    further_images = "data_images"

    def __init__(self, params):
        super().__init__(params)
        split_obs_url(params["image_url"], "image_url")
        kind = params.get("image_type") or "ECS"
        check_range("min_disk", params["min_disk"], *SYSTEM_DISK_GB)
        if kind == "IsoImage" and not params.get("os_version"):
            raise ValidationError("os_version", "is required to import an ISO file (IMS needs the OS the ISO installs)")
        for number, data_image in enumerate(params.get("data_images") or (), 1):
            field = "data_images[%d]" % number
            split_obs_url(data_image["image_url"], field + ".image_url")
            check_range(field + ".min_disk", data_image["min_disk"], *DATA_DISK_GB)

    def describe(self):
        return "an image of OBS file %s" % self.params["image_url"]

    def check_outside(self, ims, warn):
        for number, item in enumerate(self.further_items(), 1):
            check_obs_file(ims, "data_images[%d].image_url" % number, item["image_url"], QUICK_IMPORT_LIMIT if item.get("quick_import") else IMPORT_LIMIT, warn)
        return super().check_outside(ims, warn)

    def submit(self, ims):
        params = self.params
        body = dict(
            self.common_body(),
            image_url=params["image_url"],
            min_disk=params["min_disk"],
            os_version=params.get("os_version"),
            os_type=params.get("os_type"),
            is_config=params.get("is_config"),
            cmk_id=params.get("cmk_id"),
            type=params.get("image_type"),
            architecture=params.get("architecture"),
        )
        body["data_images"] = self.further_bodies(
            lambda item: {"image_url": item["image_url"], "min_disk": item["min_disk"], "is_quick_import": item.get("quick_import") or None}
        )
        return Submitted(job_id=ims.create_image(without_none(body)))


class QuickImportSource(Source):
    """A large ZVHD2 or RAW (with its bitmap) file imported without conversion (reference 5.1.4)."""

    kind = "quick_import"
    label = "image_url and quick_import"
    obs_file_limit = QUICK_IMPORT_LIMIT
    options = ("image_url", "quick_import", "min_disk", "os_version", "os_type", "image_type", "architecture")
    required = ("image_url", "min_disk")

    def __init__(self, params):
        super().__init__(params)
        split_obs_url(params["image_url"], "image_url")
        kind = params.get("image_type") or "ECS"
        if kind not in ("ECS", "BMS", "DataImage"):
            raise ValidationError("image_type", "a quick import makes an ECS, BMS or DataImage image")
        low, high = DATA_DISK_GB if kind == "DataImage" else SYSTEM_DISK_GB
        check_range("min_disk", params["min_disk"], low, high)
        if kind != "DataImage" and not params.get("os_version"):
            raise ValidationError("os_version", "is required for a quick import of a system disk image")

    def describe(self):
        return "a quick import of OBS file %s" % self.params["image_url"]

    def submit(self, ims):
        params = self.params
        body = dict(
            self.common_body(ram=False),
            image_url=params["image_url"],
            min_disk=params["min_disk"],
            type=params.get("image_type"),
            architecture=params.get("architecture"),
        )
        if params.get("image_type") == "DataImage":
            body["os_type"] = params.get("os_type")
        else:
            body["os_version"] = params["os_version"]
        return Submitted(job_id=ims.quick_import_image(without_none(body)))


class CopySource(Source):
    """A copy of another image in the same region, optionally encrypted with another KMS key (reference 5.4.1)."""

    kind = "copy"
    label = "source_image"
    options = ("source_image", "cmk_id")
    required = ("source_image",)

    def __init__(self, params):
        super().__init__(params)
        self.source = None  # the source Image, resolved by the pre-flight checks

    @property
    def source_image(self):
        return self.params["source_image"]

    def describe(self):
        return "a copy of image %s" % self.params["source_image"]

    def check_outside(self, ims, warn):
        if self.source is not None:
            self.detail = "%s, %s" % (self.source.id, self.source.name)
        return self.detail

    def submit(self, ims):
        return Submitted(job_id=ims.copy_image(self.source.id, self.params["name"], self.params.get("description"), self.params.get("cmk_id")))


class ReplicaSource(CopySource):
    """A replica of an image of another region (``source_region``) of the account, made by IMS through the IAM agency
    ``agency_name`` (Huawei Cloud). The request goes to the source region; the replica lands in the task's region and
    project. The pre-flight checks resolve ``source``, ``source_client`` (the source region's) and ``project_name``
    (the task's project, the destination)."""

    kind = "replica"
    label = "source_image and source_region"
    options = ("source_image", "source_region", "agency_name", "vault_id", "source_endpoint")
    required = ("source_image", "source_region", "agency_name")

    def __init__(self, params):
        super().__init__(params)
        self.source_client = None
        self.project_name = None

    def describe(self):
        return "a replica of image %s of region %s" % (self.params["source_image"], self.params["source_region"])

    def submit(self, ims):
        params = self.params
        job_id = self.source_client.copy_image_cross_region(
            self.source.id,
            params["name"],
            ims.region,
            self.project_name,
            params["agency_name"],
            description=params.get("description"),
            vault_id=params.get("vault_id"),
        )
        return Submitted(job_id=job_id, job_client=self.source_client)


class _MetadataSource(Source):
    """Image metadata first (POST /v2/images), then its file: the base of registration and upload."""

    @property
    def can_resume(self):
        return True

    def metadata(self):
        params = self.params
        body = {
            "name": params["name"],
            "__os_version": params.get("os_version"),
            "disk_format": self.disk_format(),
            "container_format": "bare",
            "min_disk": params.get("min_disk"),
            "min_ram": params.get("min_ram"),
            "visibility": "private",
            "protected": False,
        }
        if params.get("tags"):
            body["tags"] = ["%s=%s" % (key, value) for key, value in sorted(params["tags"].items())]
        return without_none(body)

    def disk_format(self):
        return self.params.get("disk_format")

    def submit(self, ims):
        image = ims.create_glance_image(self.metadata())
        return self.resume(ims, image.id)

    def resume(self, ims, image_id):
        raise NotImplementedError


class RegisterSource(_MetadataSource):
    """An OBS file registered as the file of new image metadata (reference 5.1.6)."""

    kind = "register"
    label = "image_url and register"
    obs_file_limit = QUICK_IMPORT_LIMIT
    options = ("image_url", "register", "os_version", "min_disk", "disk_format")
    required = ("image_url",)

    def __init__(self, params):
        super().__init__(params)
        split_obs_url(params["image_url"], "image_url")
        if params.get("min_disk") is not None:
            check_range("min_disk", params["min_disk"], *SYSTEM_DISK_GB)

    def describe(self):
        return "a registration of OBS file %s" % self.params["image_url"]

    def resume(self, ims, image_id):
        return Submitted(job_id=ims.register_image(image_id, self.params["image_url"]), image_id=image_id)


class LocalFileSource(_MetadataSource):
    """A file of the machine running the module, streamed into new image metadata (at most 2 GB, reference 6.1.4)."""

    kind = "local_file"
    label = "local_file"
    options = ("local_file", "os_version", "min_disk", "disk_format")
    required = ("local_file",)

    def __init__(self, params):
        super().__init__(params)
        path = params["local_file"]
        if not os.path.isfile(path):
            raise ValidationError("local_file", "%s is not a readable file" % path)
        self.size = os.path.getsize(path)
        if not 0 < self.size <= LOCAL_FILE_MAX:
            raise ValidationError("local_file", "%s has %d bytes; an uploaded file has 1 byte to 2 GB (register larger files from OBS)" % (path, self.size))
        if self.disk_format() not in DISK_FORMATS:
            raise ValidationError("disk_format", "is required for %s: its extension names none of %s" % (path, ", ".join(DISK_FORMATS)))
        if params.get("min_disk") is not None:
            check_range("min_disk", params["min_disk"], *SYSTEM_DISK_GB)

    def disk_format(self):
        return self.params.get("disk_format") or os.path.splitext(self.params["local_file"])[1].lstrip(".").lower()

    def describe(self):
        return "an upload of local file %s" % self.params["local_file"]

    def resume(self, ims, image_id):
        with open(self.params["local_file"], "rb") as stream:
            ims.upload_image_file(image_id, stream)
        return Submitted(image_id=image_id)


def names_a_source(params):
    """Whether the options name something to create an image from (data disks alone are one)."""
    return any(params.get(option) for option in SOURCE_OPTIONS) or bool(params.get("data_disks"))


def select_source(params, cloud_profile=None):
    """The Source the creation options name; raises ValidationError when they name none, several, or break a rule
    (names by the rules of ``cloud_profile``, the task's cloud)."""
    source = _named_source(params)
    source.check_further_images(cloud_profile)
    return source


def _named_source(params):
    named = [option for option in SOURCE_OPTIONS if params.get(option)]
    if params.get("whole_image"):
        if set(named) - {"instance_id", "backup_id"} or len(named) != 1:
            raise ValidationError("whole_image", "a full-ECS image is made from exactly one of instance_id and backup_id")
        return WholeImageSource(params)
    data_only = params.get("data_disks") and not named
    if data_only or (named == ["volume_id"] and params.get("image_type") == "DataImage"):
        return DataDiskSource(params)
    if len(named) != 1:
        raise ValidationError("name", "to create an image, give exactly one source: %s (got %s)" % (", ".join(SOURCE_OPTIONS), ", ".join(named) or "none"))
    source = named[0]
    if source == "image_url":
        if params.get("quick_import") and params.get("register"):
            raise ValidationError("quick_import", "an OBS file is either imported quickly or registered, not both")
        if params.get("quick_import"):
            return QuickImportSource(params)
        if params.get("register"):
            return RegisterSource(params)
        return DataFileSource(params) if params.get("image_type") == "DataImage" else FileImportSource(params)
    if source == "backup_id":
        raise ValidationError("backup_id", "a CSBS backup makes a full-ECS image: set whole_image to true")
    if source == "source_image" and params.get("source_region"):
        return ReplicaSource(params)
    classes = {"instance_id": InstanceSource, "volume_id": VolumeSource, "source_image": CopySource, "local_file": LocalFileSource}
    return classes[source](params)


def _server_detail(server):
    return None if server is SKIPPED else "%s, %s" % (server.name, server.status)


def check_range(field, value, low, high):
    if not low <= value <= high:
        raise ValidationError(field, "must be from %d to %d GB (got %d)" % (low, high, value))


def _who_takes(option):
    takers = [cls.label for cls in _SOURCES if option in cls.options]
    return "images made with %s" % " or ".join(takers) if takers else "no creation source"


_SOURCES = (
    InstanceSource,
    WholeImageSource,
    VolumeSource,
    DataDiskSource,
    FileImportSource,
    DataFileSource,
    QuickImportSource,
    CopySource,
    ReplicaSource,
    RegisterSource,
    LocalFileSource,
)
