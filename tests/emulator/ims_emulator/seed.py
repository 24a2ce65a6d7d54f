# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seed: the world an emulator starts from (and goes back to on reset), read from a YAML file.

Identity code reads only the regions and ``domains`` (with their users, agencies and project ids, names and regions); the
IMS half reads the rest. Every model forbids unknown keys so that a typo in a hand-written seed fails loudly at start-up.

A seed describes one region at its top level (``region``, ``cloud_profile``, ``public_images``) and may add more under
``regions``; a project belongs to the first region unless it names another one.
"""

import os
import re
from datetime import datetime
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_SEED_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "default_seed.yaml")

#: Region-wide catalogs a user's seed may leave out; they then come from the bundled default seed.
CATALOG_KEYS = ("os_versions", "flavors")

PROJECT_ID = r"^[0-9a-f]{32}$"

#: The clouds a region can belong to: where their IMS differ, the emulator follows the region's cloud.
CloudProfile = Literal["otc", "huaweicloud"]

#: Formats IMS recognizes in an image file name, by extension.
FILE_FORMATS = ("vhd", "zvhd", "zvhd2", "qcow2", "raw", "vmdk", "vhdx", "qed", "vdi", "qcow", "iso")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccessKeySeed(_Model):
    """An AK/SK pair; one with a security token is a temporary credential."""

    ak: str
    sk: str
    security_token: str | None = None


class UserSeed(_Model):
    id: str
    name: str
    password: str
    projects: list[str] = Field(default_factory=list, description="names of the projects the user may scope to")
    access_keys: list[AccessKeySeed] = Field(default_factory=list)


class QuotaSeed(_Model):
    """The private image quota; ``used`` is always counted from the project's images."""

    quota: int = Field(default=100, ge=0)
    min: int = Field(default=1, ge=0)
    max: int = Field(default=1000, ge=0)


class ServerSeed(_Model):
    """An ECS. ``image_id`` is the image it was created from (it decides the lineage of images made from it)."""

    id: str
    name: str
    status: Literal["ACTIVE", "SHUTOFF", "BUILD", "REBOOT", "RESIZE", "ERROR"] = "SHUTOFF"
    os_version: str
    image_id: str | None = None
    system_volume_id: str | None = None
    data_volume_ids: list[str] = Field(default_factory=list)
    architecture: Literal["x86", "arm"] = "x86"
    hw_firmware_type: Literal["bios", "uefi"] = "bios"


class VolumeSeed(_Model):
    """An EVS disk; ``size`` in GB."""

    id: str
    name: str
    size: int = Field(ge=1)
    status: Literal["available", "in-use", "creating", "error", "deleting"] = "in-use"
    server_id: str | None = None


class BackupSeed(_Model):
    """A CSBS backup of a server; ``image_id`` is the full-ECS image already made from it, if any."""

    id: str
    name: str
    server_id: str
    status: Literal["available", "protecting", "error", "deleting"] = "available"
    image_id: str | None = None


class ObjectSeed(_Model):
    """An OBS object; ``size`` in bytes, ``format`` from the extension when left out, ``bitmap`` the name of the
    bitmap object a RAW file needs for quick import."""

    name: str
    size: int = Field(ge=0)
    format: str | None = None
    bitmap: str | None = None

    @model_validator(mode="after")
    def _format_from_extension(self):
        if self.format is None:
            extension = self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""
            self.format = extension if extension in FILE_FORMATS else "unknown"
        return self


class BucketSeed(_Model):
    name: str
    storage_class: Literal["STANDARD", "WARM", "COLD"] = "STANDARD"
    objects: list[ObjectSeed] = Field(default_factory=list)


class KmsKeySeed(_Model):
    id: str
    alias: str
    state: Literal["enabled", "disabled"] = "enabled"


class MemberSeed(_Model):
    project_id: str = Field(pattern=PROJECT_ID)
    status: Literal["pending", "accepted", "rejected"] = "pending"


class ImageSeed(_Model):
    """An image as its owner created it. Fields map to IMS attributes (see the README); ``properties`` adds any
    further raw attribute (``__support_kvm``, ``hw_vif_multiqueue_enabled``, ...) as a string."""

    id: str
    name: str
    status: Literal["queued", "saving", "active", "killed"] = "active"
    os_version: str = "Other Linux(64 bit)"
    disk_format: str = "zvhd2"
    container_format: str = "bare"
    min_disk: int = Field(default=40, ge=0)
    min_ram: int = Field(default=0, ge=0)
    max_ram: int | None = None
    size: int = Field(default=0, ge=0, description="bytes of the image file (__image_size)")
    protected: bool = False
    description: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    virtual_env_type: Literal["FusionCompute", "Ironic", "DataImage", "IsoImage"] = "FusionCompute"
    source_image_id: str | None = Field(default=None, description="parent image (__originalimagename)")
    data_origin: str | None = None
    imported: bool = Field(default=False, description="made from an image file (__root_origin: file)")
    backup_id: str | None = None
    whole_image: bool = False
    cmk_id: str | None = Field(default=None, description="KMS key that encrypts the image (__system__cmkid)")
    architecture: Literal["x86", "arm"] = "x86"
    hw_firmware_type: Literal["bios", "uefi"] = "bios"
    enterprise_project_id: str = "0"
    tags: dict[str, str] = Field(default_factory=dict)
    members: list[MemberSeed] = Field(default_factory=list)
    properties: dict[str, str] = Field(default_factory=dict)


class VaultSeed(_Model):
    """A CBR vault: where the backups of a full-ECS image replicated into the project go."""

    id: str
    name: str


class ProjectSeed(_Model):
    id: str = Field(pattern=PROJECT_ID)
    name: str
    region: str | None = Field(default=None, description="the region of the project; None: the seed's first region")
    quota: QuotaSeed = Field(default_factory=QuotaSeed)
    servers: list[ServerSeed] = Field(default_factory=list)
    volumes: list[VolumeSeed] = Field(default_factory=list)
    backups: list[BackupSeed] = Field(default_factory=list)
    buckets: list[BucketSeed] = Field(default_factory=list)
    kms_keys: list[KmsKeySeed] = Field(default_factory=list)
    vaults: list[VaultSeed] = Field(default_factory=list)
    images: list[ImageSeed] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self):
        volumes = {volume.id for volume in self.volumes}
        servers = {server.id for server in self.servers}
        for server in self.servers:
            missing = [vid for vid in [server.system_volume_id, *server.data_volume_ids] if vid and vid not in volumes]
            if missing:
                raise ValueError("server %s refers to unknown volumes %s" % (server.id, missing))
        for volume in self.volumes:
            if volume.server_id and volume.server_id not in servers:
                raise ValueError("volume %s is attached to unknown server %s" % (volume.id, volume.server_id))
        for backup in self.backups:
            if backup.server_id not in servers:
                raise ValueError("backup %s is of unknown server %s" % (backup.id, backup.server_id))
        return self


class AgencySeed(_Model):
    """An IAM agency of the account: IMS acts through the one a cross-region replication names."""

    id: str
    name: str
    trust_domain_name: str = "op_svc_ims"
    description: str = ""
    duration: str = "FOREVER"


class DomainSeed(_Model):
    id: str
    name: str
    users: list[UserSeed] = Field(default_factory=list)
    agencies: list[AgencySeed] = Field(default_factory=list)
    projects: list[ProjectSeed] = Field(default_factory=list)


class RegionSeed(_Model):
    """A region beyond the first one: its name, its cloud and the public images it offers."""

    name: str
    cloud_profile: CloudProfile
    public_images: list[ImageSeed] = Field(default_factory=list)


class FlavorSeed(_Model):
    """An ECS flavor, for the ``flavor_id`` filter of the image query; ``ram`` in MB."""

    id: str
    vcpus: int = Field(ge=1)
    ram: int = Field(ge=1)
    architecture: Literal["x86", "arm"] = "x86"


class Seed(_Model):
    region: str
    cloud_profile: CloudProfile = Field(default="otc", description="the cloud of the first region")
    public_image_owner: str = Field(pattern=PROJECT_ID, description="the system project that owns public images")
    public_images: list[ImageSeed] = Field(default_factory=list)
    domains: list[DomainSeed]
    os_versions: dict[str, list[str]] = Field(description="__os_version values by __platform")
    flavors: list[FlavorSeed] = Field(default_factory=list)
    regions: list[RegionSeed] = Field(default_factory=list, description="the regions after the first one")

    def projects(self):
        """Every project of every domain."""
        return [project for domain in self.domains for project in domain.projects]

    def all_regions(self):
        """Every region, the first one (the top-level keys) first."""
        first = RegionSeed(name=self.region, cloud_profile=self.cloud_profile, public_images=self.public_images)
        return [first] + list(self.regions)

    def region_of(self, project):
        """The region a project seed belongs to."""
        return project.region or self.region

    @model_validator(mode="after")
    def _ids_unique(self):
        project_ids = [project.id for project in self.projects()]
        if len(set(project_ids)) != len(project_ids):
            raise ValueError("project ids are not unique")
        region_names = [region.name for region in self.all_regions()]
        if len(set(region_names)) != len(region_names):
            raise ValueError("region names are not unique")
        unknown_regions = sorted({self.region_of(project) for project in self.projects()} - set(region_names))
        if unknown_regions:
            raise ValueError("projects refer to unknown regions %s" % unknown_regions)
        public_images = [image for region in self.all_regions() for image in region.public_images]
        image_ids = [image.id for image in public_images]
        image_ids += [image.id for project in self.projects() for image in project.images]
        if len(set(image_ids)) != len(image_ids):
            raise ValueError("image ids are not unique")
        known = set(self.os_versions_flat())
        unknown = {image.os_version for image in public_images if image.os_version not in known}
        if unknown:
            raise ValueError("public images use unknown os_versions %s" % sorted(unknown))
        return self

    def os_versions_flat(self):
        """The catalog as {os_version: platform}."""
        return {version: platform for platform, versions in self.os_versions.items() for version in versions}


def os_bits(os_version):
    """The OS bit count an __os_version names ("... 32bit" or "... (32 bit)"); 64 when it names none."""
    match = re.search(r"(32|64)\s*bit", os_version)
    return match.group(1) if match else "64"


def load_seed(path: str | None = None) -> Seed:
    """Read a seed file (None: the bundled default). Catalogs a user's seed leaves out come from the default."""
    with open(path or DEFAULT_SEED_FILE, encoding="utf-8") as stream:
        data = yaml.safe_load(stream)
    if not isinstance(data, dict):
        raise ValueError("seed %s is not a YAML mapping" % (path or DEFAULT_SEED_FILE))
    if path and any(key not in data for key in CATALOG_KEYS):
        with open(DEFAULT_SEED_FILE, encoding="utf-8") as stream:
            default = yaml.safe_load(stream)
        for key in CATALOG_KEYS:
            data.setdefault(key, default[key])
    return Seed.model_validate(data)
