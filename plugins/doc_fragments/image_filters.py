# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image filters shared by hwcloud.ims.ims_image_info, the inventory plugin and the lookup plugin."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Kept in step with FILTER_ARGUMENT_SPEC in plugins/module_utils/_tasks/image_query.py (a unit test compares the two)."""

    DOCUMENTATION = r"""
options:
  id:
    description:
      - Image ID.
    type: str
  name:
    description:
      - Image name, matched exactly. See O(name_match) for part of a name.
    type: str
  status:
    description:
      - Image status. Only V(active) images can be used.
    type: str
    choices: [queued, saving, deleted, killed, active]
  visibility:
    description:
      - V(public), V(private) or V(shared) images only.
      - V(shared) lists the images other projects shared with this one and this one accepted (or, with
        O(member_status), those in that sharing status).
    type: str
    choices: [public, private, shared]
  imagetype:
    description:
      - Image type (IMS C(__imagetype)) - V(gold) (public), V(private) or V(shared). An image you own becomes
        V(shared) once you share it, so V(private) leaves out your shared images; O(own=true) lists all of yours.
    type: str
    choices: [gold, private, shared]
  owner:
    description:
      - ID of the project that owns the image.
    type: str
  own:
    description:
      - V(true) lists the images this project owns, shared with other projects or not (O(owner) set to this
        project's ID, which need not be known). This is the filter for "all my images".
      - Cannot be combined with O(owner) or O(member_status).
    type: bool
    default: false
  member_status:
    description:
      - Images shared with this project whose sharing status is V(accepted), V(rejected) or V(pending).
      - Implies O(visibility=shared) (the service requires it).
    type: str
    choices: [accepted, rejected, pending]
  protected:
    description:
      - Protected (V(true)) or unprotected (V(false)) images only. Public images are protected.
    type: bool
  isregistered:
    description:
      - Registered images only (IMS C(__isregistered)). The service lists only registered images to ordinary users.
    type: bool
  whole_image:
    description:
      - Full-ECS images (V(true)) or other images (V(false)) only (IMS C(__whole_image)).
    type: bool
  system_cmkid:
    description:
      - ID of the KMS key that encrypts the image (IMS C(__system__cmkid)).
    type: str
  container_format:
    description:
      - Container format, normally V(bare).
    type: str
  disk_format:
    description:
      - Image file format, for example V(zvhd2), V(vhd), V(zvhd), V(raw), V(qcow2) or V(iso).
    type: str
  min_ram:
    description:
      - Minimum memory in MB the image declares, matched exactly.
    type: int
  min_disk:
    description:
      - Minimum system disk size in GB the image declares, matched exactly.
    type: int
  os_bit:
    description:
      - OS architecture, 32 or 64 bit (IMS C(__os_bit)).
    type: int
    choices: [32, 64]
  os_type:
    description:
      - OS type (IMS C(__os_type)).
    type: str
    choices: [Linux, Windows, Other]
  platform:
    description:
      - OS platform (IMS C(__platform)), for example V(Ubuntu), V(CentOS), V(Debian), V(EulerOS), V(Windows) or
        V(Other).
    type: str
  support_kvm:
    description:
      - Images that support KVM (V(true)) or do not (V(false)) (IMS C(__support_kvm)).
      - The service only filters for V(true); V(false) is checked on the listed images (an image that lacks the
        attribute does not support the feature).
    type: bool
  support_xen:
    description:
      - Images that support Xen (V(true)) or do not (V(false)) (IMS C(__support_xen)); V(false) as for O(support_kvm).
    type: bool
  support_largememory:
    description:
      - Images that support large-memory ECSs (IMS C(__support_largememory)); V(false) as for O(support_kvm).
    type: bool
  support_diskintensive:
    description:
      - Images that support disk-intensive ECSs (IMS C(__support_diskintensive)); V(false) as for O(support_kvm).
    type: bool
  support_highperformance:
    description:
      - Images that support high-performance ECSs (IMS C(__support_highperformance)); V(false) as for
        O(support_kvm).
    type: bool
  support_xen_hana:
    description:
      - Images that support HANA ECSs on Xen (IMS C(__support_xen_hana)); V(false) as for O(support_kvm).
    type: bool
  support_kvm_infiniband:
    description:
      - Images that support ECSs with InfiniBand NICs on KVM (IMS C(__support_kvm_infiniband)); V(false) as for
        O(support_kvm).
    type: bool
  support_xen_gpu_type:
    description:
      - GPU type the image supports on Xen (IMS C(__support_xen_gpu_type)).
    type: str
  support_kvm_gpu_type:
    description:
      - GPU type the image supports on KVM (IMS C(__support_kvm_gpu_type)).
    type: str
  virtual_env_type:
    description:
      - Where the image is used - V(FusionCompute) (ECS system disk), V(DataImage) (data disk), V(Ironic) (bare metal
        server) or V(IsoImage).
    type: str
    choices: [FusionCompute, Ironic, DataImage, IsoImage]
  enterprise_project_id:
    description:
      - Enterprise project the images belong to - V(0) (the default enterprise project), an enterprise project ID, or
        V(all_granted_eps) (every enterprise project the user may see).
    type: str
  flavor_id:
    description:
      - Public images an ECS of this flavor can run (one flavor ID; not for bare metal flavors).
    type: str
  architecture:
    description:
      - CPU architecture of the image.
    type: str
    choices: [x86, arm]
  created_at:
    description:
      - Comparisons with the creation time; every given one must hold, so O(created_at.gte) and O(created_at.lt)
        together select a range.
      - Each time is UTC, written V(2024-05-02T09:00:00Z), V(2024-05-02 09:00:00) or V(2024-05-02), or with a UTC
        offset (V(2024-05-02T11:00:00+02:00)).
      - The service compares one time per attribute; a second comparison is checked on the listed images.
    type: dict
    suboptions:
      gt:
        description: Created after this time.
        type: str
      gte:
        description: Created at or after this time.
        type: str
      lt:
        description: Created before this time.
        type: str
      lte:
        description: Created at or before this time.
        type: str
      eq:
        description: Created at exactly this time (to the second).
        type: str
      neq:
        description: Not created at exactly this time.
        type: str
  updated_at:
    description:
      - Comparisons with the time of the last update, written as for O(created_at).
    type: dict
    suboptions:
      gt:
        description: Updated after this time.
        type: str
      gte:
        description: Updated at or after this time.
        type: str
      lt:
        description: Updated before this time.
        type: str
      lte:
        description: Updated at or before this time.
        type: str
      eq:
        description: Updated at exactly this time (to the second).
        type: str
      neq:
        description: Not updated at exactly this time.
        type: str
  tags:
    description:
      - Images that have all of these tags. Each key maps to a value, a list of values (any of them matches) or
        V(null) (any value).
      - At most 10 keys with at most 10 values each. Any tag condition (O(tags), O(tags_any), O(not_tags),
        O(not_tags_any), O(without_any_tag), O(name_match)) selects among the images this project owns, as the tag
        search of IMS does.
    type: dict
  tags_any:
    description:
      - Images that have at least one of these tags, written as for O(tags).
    type: dict
  not_tags:
    description:
      - Images that do not have all of these tags (an image with only some of them is kept), written as for O(tags).
    type: dict
  not_tags_any:
    description:
      - Images that have none of these tags, written as for O(tags).
    type: dict
  without_any_tag:
    description:
      - Images of this project that have no tag at all. Cannot be combined with the other tag conditions.
    type: bool
    default: false
  name_match:
    description:
      - Images of this project whose name contains this text (the fuzzy name match of the IMS tag search).
    type: str
  sort_key:
    description:
      - Attribute to sort by. The service sorts by V(created_at) when not set.
    type: str
    choices: [name, container_format, disk_format, status, id, size, created_at]
  sort_dir:
    description:
      - Sort order. The service sorts in descending order (V(desc)) when not set.
    type: str
    choices: [asc, desc]
  latest:
    description:
      - Only the most recently created matching image (a list of at most one image).
      - Cannot be combined with O(sort_key), O(sort_dir) or O(limit).
    type: bool
    default: false
  limit:
    description:
      - At most this many images, in the order of O(sort_key) and O(sort_dir). Every matching image when not set.
    type: int
notes:
  - Attribute filters are sent to the IMS query API (C(GET /v2/cloudimages)), which is read in pages of 500 images,
    so a search costs one request per 500 matching images (plus authentication). O(limit) and O(latest) fetch no more
    than needed.
  - A single tag with a single value in O(tags) is matched by the query API itself. Other tag conditions first ask
    the IMS tag search API for the matching images, then read their attributes from the query API.
"""
