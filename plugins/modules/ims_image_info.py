#!/usr/bin/python
# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ims_image_info
short_description: Find images of the Image Management Service (IMS)
version_added: 1.0.0
author: hwcloud.ims developers (@hwcloud-ims)
description:
  - Lists the images of Huawei Cloud, Open Telekom Cloud or another cloud running IMS that match every given filter
    - their own images, public images and images shared with the project - with every attribute, normalized.
  - Filters on attributes (name, type, OS, sharing status, creation time, ...) and on tags (all, any, none, no tag at
    all) combine freely. O(latest) picks the newest match, O(limit) caps the list; without them every match is
    returned, however many pages that takes.
  - The inventory plugin P(hwcloud.ims.ims#inventory) and the lookup plugin P(hwcloud.ims.ims_image#lookup) take the
    same filters.
extends_documentation_fragment:
  - hwcloud.ims.image_filters
  - hwcloud.ims.connection
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads, so it runs the same in check mode.
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    platforms: all
seealso:
  - module: hwcloud.ims.ims_job
"""

EXAMPLES = r"""
- name: Find an image by name
  hwcloud.ims.ims_image_info:
    name: web-1042
  register: found

- name: Fail unless exactly one image has that name
  ansible.builtin.assert:
    that: found.images | length == 1
    fail_msg: "expected one image named web-1042, found {{ found.images | length }}"

- name: This project's images of the web family, shared or not
  hwcloud.ims.ims_image_info:
    own: true
    tags:
      family: web
  register: web_images

- name: The newest stable web image
  hwcloud.ims.ims_image_info:
    tags:
      family: web
      channel: stable
    status: active
    latest: true
  register: stable

- name: Boot from it
  ansible.builtin.debug:
    msg: "image {{ stable.images[0].id }} ({{ stable.images[0].name }})"
  when: stable.images | length > 0

- name: Images other projects shared with this one and this one accepted
  hwcloud.ims.ims_image_info:
    member_status: accepted
  register: shared_with_me

- name: Shares still waiting for this project's answer
  hwcloud.ims.ims_image_info:
    member_status: pending
  register: pending

- name: This project's images created in the last seven days
  hwcloud.ims.ims_image_info:
    own: true
    created_at:
      gte: "{{ '%Y-%m-%dT%H:%M:%SZ' | strftime(now().timestamp() - 7 * 86400, utc=true) }}"
  register: this_week

- name: Images created in May 2024, oldest first
  hwcloud.ims.ims_image_info:
    created_at:
      gte: "2024-05-01"
      lt: "2024-06-01"
    sort_key: created_at
    sort_dir: asc
  register: may

- name: Candidates of any family, but not the ones already marked for deletion
  hwcloud.ims.ims_image_info:
    tags:
      channel: candidate
    not_tags_any:
      retire: ~
  register: candidates

- name: Untagged images of this project
  hwcloud.ims.ims_image_info:
    without_any_tag: true
  register: untagged

- name: Images whose name contains "golden", at most 20
  hwcloud.ims.ims_image_info:
    name_match: golden
    limit: 20
  register: golden

- name: Public Ubuntu images an s3.large.2 server can boot, in Open Telekom Cloud eu-nl
  hwcloud.ims.ims_image_info:
    region: eu-nl
    imagetype: gold
    platform: Ubuntu
    flavor_id: s3.large.2
  register: ubuntu

- name: Full-ECS images with their names, one per line
  hwcloud.ims.ims_image_info:
    whole_image: true
  register: full_ecs

- name: Show them
  ansible.builtin.debug:
    msg: "{{ full_ecs.images | map(attribute='name') | list }}"
"""

RETURN = r"""
images:
  description:
    - The matching images, in the order of O(sort_key) and O(sort_dir) (newest first unless told otherwise).
    - Every image has the same normalized shape in every module and plugin of the collection - IMS attribute names
      without their C(__) prefix (C(__os_version) becomes C(os_version), C(__system__cmkid) C(system_cmkid)),
      C(true)/C(false) strings as booleans, sizes as integers and tags as a dictionary. The keys below marked
      "always" are present in every image (V(null) when the service does not report them); the others appear when
      the service reports them, and attributes the service adds beyond these are kept under the same naming rule.
  type: list
  elements: dict
  returned: always
  contains:
      id:
        description:
          - Image ID.
        type: str
        returned: always
        sample: "3028e6f3-c970-4977-a7f0-65c2f564d22f"
      name:
        description:
          - Image name.
        type: str
        returned: always
        sample: "web-1042"
      status:
        description:
          - "Image status: C(queued), C(saving), C(active), C(killed) or C(deleted). Only C(active) images can
            be used."
        type: str
        returned: always
        sample: "active"
      visibility:
        description:
          - C(private), C(public) or C(shared).
        type: str
        returned: always
        sample: "private"
      imagetype:
        description:
          - "Image type: C(gold) (public), C(private) or C(shared) (IMS C(__imagetype))."
        type: str
        returned: always
        sample: "private"
      owner:
        description:
          - ID of the project that owns the image.
        type: str
        returned: always
        sample: "67477b5b052646869adfd66f5cb8d955"
      description:
        description:
          - Image description (IMS C(__description)).
        type: str
        returned: always
        sample: "web golden image, commit 4f2a9c1"
      tags:
        description:
          - Image tags as a dictionary of tag key to tag value.
        type: dict
        returned: always
        sample: {"family": "web", "channel": "stable"}
      os_version:
        description:
          - OS version, for example C(Ubuntu 22.04 server 64bit) (IMS C(__os_version)).
        type: str
        returned: always
        sample: "Ubuntu 22.04 server 64bit"
      os_type:
        description:
          - "OS type: C(Linux), C(Windows) or C(Other) (IMS C(__os_type))."
        type: str
        returned: always
        sample: "Linux"
      os_bit:
        description:
          - OS architecture, C(32) or C(64) (IMS C(__os_bit)).
        type: str
        returned: always
        sample: "64"
      platform:
        description:
          - OS platform, for example C(Ubuntu), C(CentOS) or C(Windows) (IMS C(__platform)).
        type: str
        returned: always
        sample: "Ubuntu"
      disk_format:
        description:
          - Image file format, for example C(zvhd2), C(qcow2), C(raw) or C(iso).
        type: str
        returned: always
        sample: "zvhd2"
      container_format:
        description:
          - Container format, normally C(bare).
        type: str
        returned: always
        sample: "bare"
      min_disk:
        description:
          - Minimum system disk size in GB.
        type: int
        returned: always
        sample: 40
      min_ram:
        description:
          - Minimum memory in MB (0 means no restriction).
        type: int
        returned: always
        sample: 0
      max_ram:
        description:
          - Maximum memory in MB, if set.
        type: int
        returned: always
      image_size:
        description:
          - Size of the image file in bytes (IMS C(__image_size)).
        type: int
        returned: always
        sample: 3221225472
      protected:
        description:
          - Whether the image is protected from deletion.
        type: bool
        returned: always
        sample: false
      isregistered:
        description:
          - Whether the image is registered (IMS C(__isregistered)).
        type: bool
        returned: always
        sample: true
      whole_image:
        description:
          - Whether the image is a full-ECS image (IMS C(__whole_image)).
        type: bool
        returned: always
        sample: false
      virtual_env_type:
        description:
          - "Where the image is used: C(FusionCompute) (ECS system disk), C(DataImage), C(Ironic) (BMS) or
            C(IsoImage)."
        type: str
        returned: always
        sample: "FusionCompute"
      hw_firmware_type:
        description:
          - "Boot mode: C(bios) or C(uefi)."
        type: str
        returned: always
        sample: "bios"
      originalimagename:
        description:
          - ID of the image this one was made from, if any (IMS C(__originalimagename)).
        type: str
        returned: always
        sample: "81a2265f-fe96-4db3-8f82-bb6901d00113"
      backup_id:
        description:
          - ID of the backup this image was made from, if any (IMS C(__backup_id)).
        type: str
        returned: always
        sample: ""
      data_origin:
        description:
          - Source of the image, for example C(instance,<server id>) (IMS C(__data_origin)).
        type: str
        returned: always
        sample: "instance,847d0961-f108-4c54-b3a1-6305dde81e56"
      system_cmkid:
        description:
          - ID of the KMS key that encrypts the image, if any (IMS C(__system__cmkid)).
        type: str
        returned: always
      created_at:
        description:
          - Creation time (UTC, ISO 8601).
        type: str
        returned: always
        sample: "2024-05-02T09:00:00Z"
      updated_at:
        description:
          - Last update time (UTC, ISO 8601).
        type: str
        returned: always
        sample: "2024-05-02T09:12:41Z"
      active_at:
        description:
          - Time the image became active (UTC, ISO 8601).
        type: str
        returned: always
        sample: "2024-05-02T09:12:41Z"
      enterprise_project_id:
        description:
          - Enterprise project the image belongs to; V(0) is the default enterprise project.
        type: str
        returned: when the service reports it
        sample: "0"
      support_kvm:
        description:
          - Whether the image supports KVM (IMS C(__support_kvm)).
        type: bool
        returned: when the service reports it
      support_xen:
        description:
          - Whether the image supports Xen (IMS C(__support_xen)).
        type: bool
        returned: when the service reports it
      support_largememory:
        description:
          - Whether the image supports large-memory ECSs (IMS C(__support_largememory)).
        type: bool
        returned: when the service reports it
      support_diskintensive:
        description:
          - Whether the image supports disk-intensive ECSs (IMS C(__support_diskintensive)).
        type: bool
        returned: when the service reports it
      support_highperformance:
        description:
          - Whether the image supports high-performance ECSs (IMS C(__support_highperformance)).
        type: bool
        returned: when the service reports it
      support_xen_hana:
        description:
          - Whether the image supports HANA ECSs on Xen (IMS C(__support_xen_hana)).
        type: bool
        returned: when the service reports it
      support_kvm_infiniband:
        description:
          - Whether the image supports ECSs with InfiniBand NICs on KVM (IMS C(__support_kvm_infiniband)).
        type: bool
        returned: when the service reports it
      support_xen_gpu_type:
        description:
          - GPU type the image supports on Xen (IMS C(__support_xen_gpu_type)).
        type: str
        returned: when the service reports it
      support_kvm_gpu_type:
        description:
          - GPU type the image supports on KVM (IMS C(__support_kvm_gpu_type)).
        type: str
        returned: when the service reports it
      support_fc_inject:
        description:
          - Whether Cloud-Init password or key injection is B(not) supported (IMS C(__support_fc_inject)).
        type: bool
        returned: when the service reports it
      support_amd:
        description:
          - Whether the image is for AMD x86 CPUs (IMS C(__support_amd)).
        type: bool
        returned: when the service reports it
      support_arm:
        description:
          - Whether the image is for Arm CPUs (IMS C(__support_arm)).
        type: bool
        returned: when the service reports it
      support_agent_list:
        description:
          - Agents the image supports, for example V(hss,ces) (IMS C(__support_agent_list)).
        type: str
        returned: when the service reports it
      hw_vif_multiqueue_enabled:
        description:
          - Whether the image supports NIC multi-queue.
        type: bool
        returned: when the service reports it
      lazyloading:
        description:
          - Whether the image supports lazy loading (IMS C(__lazyloading)).
        type: bool
        returned: when the service reports it
      os_feature_list:
        description:
          - Advanced features of the image, as the JSON text the service returns (IMS C(__os_feature_list)).
        type: str
        returned: when the service reports it
      image_source_type:
        description:
          - Backend storage of the image, V(uds) (IMS C(__image_source_type)).
        type: str
        returned: when the service reports it
      root_origin:
        description:
          - V(file) when the image was imported from an external image file (IMS C(__root_origin)).
        type: str
        returned: when the service reports it
      sequence_num:
        description:
          - ECS system disk slot of the image, for example V(0) (IMS C(__sequence_num)).
        type: str
        returned: when the service reports it
      productcode:
        description:
          - Marketplace product ID of the image, if any (IMS C(__productcode)).
        type: str
        returned: when the service reports it
      checksum:
        description:
          - Checksum field of the image; not used by IMS.
        type: str
        returned: when the service reports it
      size:
        description:
          - Size field of the image; not used by IMS (see RV(images[].image_size)).
        type: int
        returned: when the service reports it
      virtual_size:
        description:
          - Virtual size field of the image; not used by IMS.
        type: int
        returned: when the service reports it
      deleted_at:
        description:
          - Time the image was deleted, for images being deleted.
        type: str
        returned: when the service reports it
      file:
        description:
          - Path of the image file (native OpenStack API).
        type: str
        returned: when the service reports it
        sample: /v2/images/3028e6f3-c970-4977-a7f0-65c2f564d22f/file
      self:
        description:
          - Path of the image (native OpenStack API).
        type: str
        returned: when the service reports it
        sample: /v2/images/3028e6f3-c970-4977-a7f0-65c2f564d22f
      schema:
        description:
          - Path of the image schema (native OpenStack API).
        type: str
        returned: when the service reports it
        sample: /v2/schemas/image
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._ims_module import ImsModule
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_query import FILTER_ARGUMENT_SPEC, find_images, validate_query


def main():
    module = ImsModule(argument_spec=FILTER_ARGUMENT_SPEC)
    # The checks Ansible's argument spec cannot express (times, tag limits, combinations), before any request.
    query = module.preflight(validate_query, {name: module.params[name] for name in FILTER_ARGUMENT_SPEC})
    module.run(lambda ims: {"images": find_images(ims, query)})


if __name__ == "__main__":
    main()
