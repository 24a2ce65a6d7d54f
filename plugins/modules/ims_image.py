#!/usr/bin/python
# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ims_image
short_description: Create, update and delete private images of the Image Management Service (IMS)
version_added: 1.0.0
author: hwcloud.ims developers (@hwcloud-ims)
description:
  - Manages one private image of the project, identified by O(id), or by O(name) among the project's own images
    (when several images have the name, the module fails, lists their IDs and creation times, and says how that
    happens).
  - B(Creating.) When no image of the name exists, the module creates it from exactly one source - an ECS
    (O(instance_id), with its data disks in O(data_disks)), a data disk an OS was installed on from an ISO image
    (O(volume_id)), data disks on their own (O(volume_id) with O(image_type=DataImage), or O(data_disks) without
    O(instance_id)), a file in OBS (O(image_url); O(quick_import) or O(register) choose another API, and
    O(image_type=DataImage) makes a data disk image of it), a full-ECS image of an ECS or of a CSBS backup
    (O(whole_image)), a copy of another image (O(source_image)), a replica of an image of another region
    (O(source_image) with O(source_region)), or a file of the machine running the module (O(local_file)). It waits
    for the creation job and returns the new image.
  - B(Replicating across regions.) As with C(amazon.aws.ec2_ami_copy), the task's region (O(region)) and project
    are where the image is to exist, and O(source_region) is where O(source_image) is (one of the account's own
    images there). The same credentials reach it - AK/SK are account-wide, a password user gets a token of the
    source region's default project. IMS makes the replica through the IAM agency O(agency_name) (Huawei Cloud's
    C(POST /v1/cloudimages/{image_id}/cross_region_copy); the job is the source region's, the new image a private
    image of the task's project). The replica is found by O(name) in the task's region, so a re-run changes nothing.
    Open Telekom Cloud's IMS has no such API; the module says so before any request.
  - B(Never a duplicate.) IMS has no idempotency key. Before creating, the module looks for the name; an image of
    the name that is still C(queued) or C(saving) is a creation in flight, which is waited for instead of being
    repeated. When the outcome of a creation request is unknown (HTTP 500 to 504, a timeout, a dropped connection),
    the module looks for a new image of the name before sending anything again.
  - B(One image per name, also across controllers.) After creating, the module watches the name until its image
    and every other image of the name that appeared since it first looked have settled. When several did (another
    controller created the same name at the same moment, or a lost request was applied late), every task keeps the
    oldest (by creation time, then ID), deletes the others of that window (never an image that existed before it
    looked, never a protected one), warns with their IDs and returns the one kept. With O(wait=false) the name is
    not watched.
  - B(Updating.) When the image exists, its mutable attributes (O(description), O(min_ram), the C(support_*)
    flags, O(hw_firmware_type), O(hw_vif_multiqueue_enabled), O(is_config_init), and O(name) when the image is
    given by O(id)) are brought to the given values with one C(PATCH /v2/cloudimages/{id}) carrying exactly the
    needed C(add), C(replace) and C(remove) operations. O(tags) and O(purge_tags) work as in
    M(hwcloud.ims.ims_image_tag).
  - Creation options (the source, O(os_version), O(min_disk), O(disk_format), O(max_ram), ...) cannot change an
    existing image. When they contradict it, the module warns and leaves the image alone; it never deletes and
    recreates an image by itself.
  - B(Deleting.) O(state=absent) deletes the image and waits until it is no longer listed. Protected images and
    images still being created are refused with the reason. A deletion whose answer was lost but whose image is
    gone reports C(changed=true).
  - B(Pre-flight.) Before a creation request the module checks what can be known in advance - the image quota, the
    name, description and tag rules (on Huawei Cloud, O(cloud_profile=huaweicloud), names may also have Chinese
    characters), the O(min_disk) range, the O(os_version) value (against the region's catalog), and what the source
    image's own attributes forbid (copying a public, full-ECS or ISO image, or an encrypted image shared with the
    project; replicating to the source's own region, an encrypted, ISO or over 128 GB image, a full-ECS image without
    O(vault_id), with an IAM agency the account does not have). What only other services know is read from them,
    never written - the ECS (C(GET /v1/{project_id}/cloudservers/{id}) - it exists, is stopped, or running or stopped
    for a full-ECS image, and has the O(data_disks)) and OBS (a C(HEAD) with OBS's own AK/SK signature - the bucket
    exists and is of the Standard storage class, the file exists, is not empty and not larger than the import takes)
    - and fails with the C(IMG) code IMS would refuse with, before any write. Whether five replications of the
    account are running already is refused by IMS itself (C(IMG.0149)), which the failure reports.
  - Where ECS or OBS cannot be read - no O(ecs_endpoint) or O(obs_endpoint) known, OBS with token or password
    credentials (OBS takes AK/SK signatures only), or credentials without the permission (HTTP 403) - a warning says
    so, and IMS decides as without the check, its refusal reported with its C(IMG) code.
  - Throttling (HTTP 429, C(IMG.0060)) and failed reads are retried with back-off, with a warning per retry; every
    write of unknown outcome (the creation, the PATCH, the tags, the deletion, the file step of O(register) and
    O(local_file)) is sent again only when its effect does not show, and C(changed) follows the effect.
extends_documentation_fragment:
  - hwcloud.ims.connection
  - ansible.builtin.action_common_attributes
options:
  id:
    description:
      - ID of an existing image of the project. With O(id), O(name) is the name to give the image (a rename).
      - An image cannot be created with a chosen ID; to create one, give O(name) and no O(id).
    type: str
  name:
    description:
      - Name of the image; identifies it among the project's own images when O(id) is not given.
      - 1 to 128 characters - letters, digits, spaces, C(-), C(.) and C(_) - not starting or ending with a space, and
        without line breaks (a trailing newline is refused too).
      - Required unless O(id) is given.
    type: str
  state:
    description:
      - V(present) creates the image when it does not exist and updates it when it does; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Description of the image, at most 1024 characters, without line breaks, other control characters (a tab) or
        angle brackets (C(<) C(>)).
        V("") clears it.
    type: str
  min_ram:
    description:
      - Minimum memory in MB an ECS needs to run the image; V(0) means no minimum.
    type: int
  max_ram:
    description:
      - Maximum memory in MB. IMS takes it only at creation, from an ECS, an OBS file or a full-ECS image; an
        existing image keeps its value (a difference is warned about).
    type: int
  tags:
    description:
      - Tags of the image as a dictionary of key to value. Set at creation; on an existing image the listed tags are
        added or updated and, with O(purge_tags=true), every other tag is removed.
      - At most 10 tags; keys 1 to 36 characters, values 0 to 43, neither with C(=), C(*), C(<), C(>), C(\), C(,),
        C(|) or C(/), nor starting or ending with a space.
      - Not given, the tags are left alone.
    type: dict
  purge_tags:
    description:
      - Remove the tags whose key is not in O(tags). Without O(tags), nothing is removed.
    type: bool
    default: false
  support_xen:
    description:
      - Whether the image supports Xen ECSs (IMS C(__support_xen)). V(false) removes the flag.
    type: bool
  support_largememory:
    description:
      - Whether the image supports large-memory ECSs (IMS C(__support_largememory)).
    type: bool
  support_diskintensive:
    description:
      - Whether the image supports disk-intensive ECSs (IMS C(__support_diskintensive)).
    type: bool
  support_highperformance:
    description:
      - Whether the image supports high-performance ECSs (IMS C(__support_highperformance)).
    type: bool
  support_xen_hana:
    description:
      - Whether the image supports HANA ECSs on Xen (IMS C(__support_xen_hana)).
    type: bool
  support_xen_gpu_type:
    description:
      - GPU type of GPU-accelerated Xen ECSs the image supports, for example V(M60_vGPU) (IMS
        C(__support_xen_gpu_type)). V("") removes it.
    type: str
  support_kvm_gpu_type:
    description:
      - GPU type of GPU-accelerated KVM ECSs the image supports, for example V(V100) (IMS C(__support_kvm_gpu_type)).
        V("") removes it.
    type: str
  hw_firmware_type:
    description:
      - Boot mode of ECSs made from the image. An image without the attribute boots with BIOS.
    type: str
    choices: [bios, uefi]
  hw_vif_multiqueue_enabled:
    description:
      - Whether the image supports NIC multi-queue.
    type: bool
  is_config_init:
    description:
      - Whether the initial configuration of the image is complete (IMS C(__is_config_init)).
    type: bool
  instance_id:
    description:
      - Create the image from this ECS - a system disk image, or a full-ECS image with O(whole_image=true).
      - The ECS must be stopped (IMS refuses with C(IMG.0008) otherwise).
    type: str
  data_disks:
    description:
      - With O(instance_id), also make data disk images of these data disks of the same ECS; they are returned in
        RV(images).
      - Without O(instance_id), make data disk images only (C(POST /v2/cloudimages/action) with C(data_images)), of
        disks attached to one ECS - with O(volume_id) and O(image_type=DataImage) in addition to the image O(name)
        of O(volume_id); without O(volume_id), O(name) must be the name of one of the entries, the image the task
        manages (found, waited for and returned as RV(image)).
    type: list
    elements: dict
    suboptions:
      volume_id:
        description:
          - ID of the data disk.
        type: str
        required: true
      name:
        description:
          - Name of the data disk image.
        type: str
        required: true
      description:
        description:
          - Description of the data disk image.
        type: str
      tags:
        description:
          - Tags of the data disk image.
        type: dict
  whole_image:
    description:
      - Make a full-ECS image (system and data disks together) of O(instance_id) or O(backup_id).
      - Full-ECS images cannot be exported, copied or shared.
    type: bool
    default: false
  backup_id:
    description:
      - Create a full-ECS image from this CSBS backup; needs O(whole_image=true). A backup makes one image only.
    type: str
  volume_id:
    description:
      - Create a system disk image from this data disk, on which an OS was installed from an ISO image (the ISO flow -
        import the ISO with O(image_type=IsoImage), install it on a data disk of a temporary ECS, then make the
        image of that disk). Needs O(os_version).
      - With O(image_type=DataImage), create a data disk image of this data disk (attached to an ECS) instead; more
        data disks may follow in O(data_disks).
    type: str
  image_url:
    description:
      - Create the image from this file in an OBS bucket of the Standard storage class, as C(bucket:file). The file
        name follows OBS's rules for object names, checked before any request (at most 1024 bytes, no control
        characters or backslashes, no empty, C(.) or C(..) folder).
      - Needs O(min_disk). By default the file is imported (C(POST /v2/cloudimages/action)); O(quick_import) and
        O(register) choose another API, and O(image_type=DataImage) imports it as a data disk image
        (C(POST /v1/cloudimages/dataimages/action), O(min_disk) 1 to 2048, O(os_type) V(Linux) or V(Windows),
        O(cmk_id)).
    type: str
  quick_import:
    description:
      - Import O(image_url) with the quick-import API, for large ZVHD2 files and RAW files with their bitmap (up to
        1 TB). Needs O(os_version) for system disk images.
    type: bool
    default: false
  register:
    description:
      - Register O(image_url) as the file of new image metadata (C(POST /v2/images), then
        C(PUT /v1/cloudimages/{id}/upload)). O(description) is set once the image is active.
    type: bool
    default: false
  data_images:
    description:
      - With O(image_url), up to three more OBS files to import as data disk images of the same upload.
    type: list
    elements: dict
    suboptions:
      image_url:
        description:
          - The file, as C(bucket:file).
        type: str
        required: true
      min_disk:
        description:
          - Size of the data disk in GB, 1 to 2048.
        type: int
        required: true
      name:
        description:
          - Name of the data disk image.
        type: str
      description:
        description:
          - Description of the data disk image.
        type: str
      tags:
        description:
          - Tags of the data disk image.
        type: dict
      quick_import:
        description:
          - Import this file quickly.
        type: bool
        default: false
  os_version:
    description:
      - OS version of an imported, registered or uploaded file, or of the disk of O(volume_id), for example
        V(CentOS 7.6 64bit). Checked against the region's catalog (C(GET /v1/cloudimages/os_version)).
    type: str
  os_type:
    description:
      - OS type of an imported file (data disk images of a quick import take V(Linux) or V(Windows)).
    type: str
    choices: [Linux, Windows, Other]
  min_disk:
    description:
      - Minimum system disk size in GB for an imported, registered or uploaded file, 1 to 1024 (1 to 2048 for
        O(image_type=DataImage)).
    type: int
  is_config:
    description:
      - Let IMS configure an imported file automatically (drivers, cloud-init).
    type: bool
  cmk_id:
    description:
      - ID of the KMS key to encrypt the image with, for an imported file or a copy (O(source_image)).
    type: str
  image_type:
    description:
      - What an imported file becomes - an ECS system disk image, a BMS image, a data disk image or an ISO image.
        For O(volume_id), V(ECS) or V(BMS) (a system disk image of the disk) or V(DataImage) (a data disk image).
    type: str
    choices: [ECS, BMS, DataImage, IsoImage]
  architecture:
    description:
      - Architecture of an imported file; V(arm) images boot with UEFI.
    type: str
    choices: [x86, arm]
  source_image:
    description:
      - Copy this image (ID or name; an own image or one shared with the project and accepted) within the region.
      - With O(source_region), replicate this image (ID or name) of the source region's default project into the
        task's region and project instead.
      - The copy does not inherit the source's tags; O(tags) are set on the copy.
    type: str
  source_region:
    description:
      - The region O(source_image) is in, to replicate it into the task's region (Huawei Cloud). It must not be the
        task's region. Requires O(source_image) and O(agency_name).
      - The source image must be active, neither encrypted nor made from an ISO file, and at most 128 GB; IMS runs
        at most five replications of an account at a time.
    type: str
  agency_name:
    description:
      - Name of the IAM agency IMS replicates through (one that delegates to the IMS service, C(op_svc_ims), with
        the permissions of cross-region replication in the task's region). Checked before the request when the
        credentials may list agencies.
    type: str
  vault_id:
    description:
      - ID of a CBR vault of the task's project, required to replicate a full-ECS image (its backup goes there).
    type: str
  source_endpoint:
    description:
      - IMS endpoint of O(source_region). By default it is derived from the region and O(cloud_profile), or taken
        from the IAM catalog of a token of the source region's project (password authentication). Needed with AK/SK
        when O(endpoint) is given explicitly (a cloud whose endpoints cannot be derived).
    type: str
  local_file:
    description:
      - Upload this file of the machine running the module into new image metadata (C(POST /v2/images), then a
        streamed C(PUT /v2/images/{id}/file)). At most 2 GB; larger files are registered from OBS instead.
      - Files above 12 MB need token authentication (O(username)/O(password) or O(auth_token)); the API gateway
        refuses larger AK/SK-signed bodies.
    type: path
  disk_format:
    description:
      - Format of a registered or uploaded file. For O(local_file) it defaults to the file's extension.
    type: str
    choices: [zvhd2, zvhd, vhd, raw, iso, qcow2]
  delete_backup:
    description:
      - With O(state=absent), also delete the CSBS backup of a full-ECS image (ignored, with a warning, for other
        images).
    type: bool
  wait:
    description:
      - Wait until the image is created (or deleted). With V(false), the module returns after the request was
        accepted, with the RV(job) ID to resume with M(hwcloud.ims.ims_job).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait at most, for the creation job and the image (or, with O(state=absent), its deletion).
      - Every module of this collection that waits waits at most one hour (3600 s) by default, long enough for the
        slowest IMS job, a copy or import of a large image.
    type: int
    default: 3600
notes:
  - Each run makes one request to find the image when nothing has to change.
  - A creation watches its name for at least two seconds after IMS accepted it, so that a racing creation of the
    same second is seen.
  - An image of the name created after a task stopped watching (a lost request applied even later, or one created
    with O(wait=false)) is not removed; the next run fails naming the images. See the collection's
    C(docs/reliability.md) for what is guaranteed and what is not.
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads what the real run reads (the image, the quota, the OS versions, the source image, the ECS
        and the OBS file) and sends no write request; C(changed) is what the real run would report, and the
        pre-flight refusals (a running ECS, a missing OBS file) happen too.
  diff_mode:
    support: full
    details:
      - Shows the managed attributes and the tags before and after; for a creation also its C(source), what the image
        is made from, with what the pre-flight found out about it (the ECS's name and status, the file's size, the
        source image's ID and name).
  platform:
    platforms: all
seealso:
  - module: hwcloud.ims.ims_image_info
  - module: hwcloud.ims.ims_image_tag
  - module: hwcloud.ims.ims_image_member
  - module: hwcloud.ims.ims_image_export
  - module: hwcloud.ims.ims_job
"""

EXAMPLES = r"""
- name: Create the web golden image from a stopped server (a re-run finds it and changes nothing)
  hwcloud.ims.ims_image:
    name: "web-{{ build_id }}"
    instance_id: 847d0961-f108-4c54-b3a1-6305dde81e56
    description: "web golden image, commit {{ git_sha }}"
    tags:
      family: web
      channel: candidate
    wait_timeout: 3600
  register: golden

- name: System disk image plus images of two data disks of the same server
  hwcloud.ims.ims_image:
    name: debian-app-1
    instance_id: fc07bf31-5b3b-464f-a9ee-8022acfa3eb9
    data_disks:
      - volume_id: 0e386a7c-bf7b-4a44-bb62-e4a453ce97fa
        name: debian-app-1-data-1
      - volume_id: 7c20f3be-e7e8-4605-ae2a-905458a5a7d4
        name: debian-app-1-data-2
        tags:
          role: data
  register: app
# app.images lists the three images

- name: Import a QCOW2 file from OBS
  hwcloud.ims.ims_image:
    name: centos7-imported
    image_url: ims-images:centos7.qcow2
    min_disk: 40
    os_version: CentOS 7.6 64bit
    is_config: true
    cmk_id: c2af950d-225d-42f5-8faa-2e3049cf6ef5

- name: A data disk image of one data disk of a server
  hwcloud.ims.ims_image:
    name: debian-data-1
    volume_id: 0e386a7c-bf7b-4a44-bb62-e4a453ce97fa
    image_type: DataImage
    tags:
      role: data

- name: Data disk images of two data disks, without an image of the system disk
  hwcloud.ims.ims_image:
    name: debian-data-a
    data_disks:
      - volume_id: 0e386a7c-bf7b-4a44-bb62-e4a453ce97fa
        name: debian-data-a
      - volume_id: 7c20f3be-e7e8-4605-ae2a-905458a5a7d4
        name: debian-data-b

- name: A data disk image of a file in OBS
  hwcloud.ims.ims_image:
    name: data-from-file
    image_url: ims-images:datadisk.qcow2
    image_type: DataImage
    min_disk: 100

- name: Import a system disk with a data disk file
  hwcloud.ims.ims_image:
    name: centos7-with-data
    image_url: ims-images:centos7.vhd
    min_disk: 40
    os_version: CentOS 7.6 64bit
    data_images:
      - image_url: ims-images:datadisk.qcow2
        min_disk: 100
        name: centos7-with-data-disk

- name: Quick import of a large RAW file (its bitmap lies next to it)
  hwcloud.ims.ims_image:
    name: big-raw
    image_url: ims-images:bigdisk.raw
    quick_import: true
    min_disk: 300
    os_version: CentOS 7.6 64bit

- name: Register an OBS file as new image metadata
  hwcloud.ims.ims_image:
    name: centos7-registered
    image_url: ims-images:centos7.qcow2
    register: true
    disk_format: qcow2
    os_version: CentOS 7.6 64bit
    min_disk: 40

- name: ISO flow, step 1 - import the ISO file
  hwcloud.ims.ims_image:
    name: centos7-installer
    image_url: ims-images:centos7.iso
    image_type: IsoImage
    min_disk: 40
    os_version: CentOS 7.6 64bit

# Step 2 happens outside IMS: boot a temporary ECS from the ISO image and install the OS on its data disk.

- name: ISO flow, step 3 - a system disk image of the data disk the OS was installed on
  hwcloud.ims.ims_image:
    name: centos7-from-iso
    volume_id: c61e509f-c2a4-4b76-8279-74b54547382a
    os_version: CentOS 7.6 64bit

- name: Full-ECS image of a server
  hwcloud.ims.ims_image:
    name: debian-full
    instance_id: fc07bf31-5b3b-464f-a9ee-8022acfa3eb9
    whole_image: true

- name: Full-ECS image of a CSBS backup
  hwcloud.ims.ims_image:
    name: debian-from-backup
    backup_id: 81f8087a-5284-4871-bbec-5ccc396bffca
    whole_image: true

- name: Copy an image, encrypted, keeping the family tag
  hwcloud.ims.ims_image:
    name: base-debian-10-encrypted
    source_image: base-debian-10
    cmk_id: c2af950d-225d-42f5-8faa-2e3049cf6ef5
    tags:
      family: base

- name: Upload a small local file (token authentication above 12 MB)
  hwcloud.ims.ims_image:
    name: tiny-appliance
    local_file: /srv/images/appliance.qcow2
    os_version: Other Linux(64 bit)
    min_disk: 10

- name: Replicate the golden image of ap-southeast-1 into this task's region (Huawei Cloud)
  hwcloud.ims.ims_image:
    region: ap-southeast-3
    name: web-golden-1
    source_image: web-golden-1
    source_region: ap-southeast-1
    agency_name: ims_admin_agency
    tags:
      family: web
      channel: candidate
  register: replica

- name: Replicate a full-ECS image into a CBR vault of the destination
  hwcloud.ims.ims_image:
    region: ap-southeast-3
    name: app-full-ecs
    source_image: app-full-ecs-1
    source_region: ap-southeast-1
    agency_name: ims_admin_agency
    vault_id: d23abcf5-153e-43a4-9fa2-8d6959475191

- name: Start a long copy and come back for it later
  hwcloud.ims.ims_image:
    name: web-copy
    source_image: web-golden-1
    wait: false
  register: started

- name: Wait for it
  hwcloud.ims.ims_job:
    job_id: "{{ started.job.job_id }}"
    wait_timeout: 3600

- name: Update attributes and tags of an existing image
  hwcloud.ims.ims_image:
    name: web-golden-1
    description: web golden image, approved
    min_ram: 2048
    hw_firmware_type: uefi
    hw_vif_multiqueue_enabled: true
    support_largememory: true
    tags:
      channel: stable
    purge_tags: false

- name: Rename an image given by ID
  hwcloud.ims.ims_image:
    id: 3028e6f3-c970-4977-a7f0-65c2f564d22f
    name: web-golden-2024-05

- name: Delete an image
  hwcloud.ims.ims_image:
    name: web-copy
    state: absent

- name: Delete a full-ECS image together with its CSBS backup
  hwcloud.ims.ims_image:
    name: debian-full
    state: absent
    delete_backup: true
"""

RETURN = r"""
image:
  description:
    - The image as the module left it, normalized as M(hwcloud.ims.ims_image_info) returns images.
    - V(null) when the image does not exist (O(state=absent)), in check mode for an image that would be created, and
      when O(wait=false) let the module return before the image existed. After a deletion, the deleted image.
  type: dict
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
images:
  description:
    - Every image a creation made, RV(image) first; a creation from an ECS with O(data_disks) or from a file with
      O(data_images) makes several. For an existing image, that image alone.
  type: list
  elements: dict
  returned: when O(state=present)
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
job:
  description:
    - The creation job, V(null) when nothing was created or the creation needed no job (O(local_file)).
    - With O(wait=false), only RV(job.job_id); pass it to M(hwcloud.ims.ims_job).
  type: dict
  returned: when O(state=present)
  contains:
    job_id:
      description:
        - Job ID.
      type: str
      returned: always
      sample: ff8080814dbd65d7014dbe0d84db0013
    job_type:
      description:
        - Job type, for example C(imsCreateImageByInstance).
      type: str
      returned: when waited for
      sample: imsCreateImageByInstance
    status:
      description:
        - C(INIT), C(RUNNING), C(SUCCESS) or C(FAIL).
      type: str
      returned: when waited for
      sample: SUCCESS
    begin_time:
      description:
        - Start time (UTC, ISO 8601), if known.
      type: str
      returned: when waited for
      sample: "2024-05-02T09:00:03.586000Z"
    end_time:
      description:
        - End time (UTC, ISO 8601), if finished.
      type: str
      returned: when waited for
      sample: "2024-05-02T09:12:41.120000Z"
    error_code:
      description:
        - Error code of a failed job.
      type: str
      returned: when waited for
      sample: IMG.0014
    fail_reason:
      description:
        - Failure reason of a failed job.
      type: str
      returned: when waited for
    process_percent:
      description:
        - Progress as the service reports it (a fraction from 0 to 1), if any.
      type: float
      returned: when waited for
      sample: 1.0
    progress:
      description:
        - Progress in percent (0 to 100); 100 once the job succeeded.
      type: float
      returned: when waited for
      sample: 100.0
    image_ids:
      description:
        - IDs of every image the job produced (system, data disk and sub-job images), in order.
      type: list
      elements: str
      returned: when waited for
      sample: ["e9e91bff-14b6-4a0b-8377-4ed0813e3360"]
    entities:
      description:
        - The job's raw C(entities) object.
      type: dict
      returned: when waited for
      sample:
        image_id: e9e91bff-14b6-4a0b-8377-4ed0813e3360
        image_name: web-1042
        process_percent: 1.0
        current_task: CreateImageByInstanceTask
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._ims_module import ImsModule
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image import IMAGE_STATES, ImageLifecycle, check_options
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_attributes import FIRMWARE_TYPES
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_sources import ARCHITECTURES, DISK_FORMATS, IMAGE_TYPES, OS_TYPES

TAGS = {"type": "dict"}
DATA_DISK_OPTIONS = {
    "volume_id": {"type": "str", "required": True},
    "name": {"type": "str", "required": True},
    "description": {"type": "str"},
    "tags": TAGS,
}
DATA_IMAGE_OPTIONS = {
    "image_url": {"type": "str", "required": True},
    "min_disk": {"type": "int", "required": True},
    "name": {"type": "str"},
    "description": {"type": "str"},
    "tags": TAGS,
    "quick_import": {"type": "bool", "default": False},
}
ARGUMENT_SPEC = {
    "id": {"type": "str"},
    "name": {"type": "str"},
    "state": {"type": "str", "choices": list(IMAGE_STATES), "default": "present"},
    "description": {"type": "str"},
    "min_ram": {"type": "int"},
    "max_ram": {"type": "int"},
    "tags": TAGS,
    "purge_tags": {"type": "bool", "default": False},
    "support_xen": {"type": "bool"},
    "support_largememory": {"type": "bool"},
    "support_diskintensive": {"type": "bool"},
    "support_highperformance": {"type": "bool"},
    "support_xen_hana": {"type": "bool"},
    "support_xen_gpu_type": {"type": "str"},
    "support_kvm_gpu_type": {"type": "str"},
    "hw_firmware_type": {"type": "str", "choices": list(FIRMWARE_TYPES)},
    "hw_vif_multiqueue_enabled": {"type": "bool"},
    "is_config_init": {"type": "bool"},
    "instance_id": {"type": "str"},
    "data_disks": {"type": "list", "elements": "dict", "options": DATA_DISK_OPTIONS},
    "whole_image": {"type": "bool", "default": False},
    "backup_id": {"type": "str"},
    "volume_id": {"type": "str"},
    "image_url": {"type": "str"},
    "quick_import": {"type": "bool", "default": False},
    "register": {"type": "bool", "default": False},
    "data_images": {"type": "list", "elements": "dict", "options": DATA_IMAGE_OPTIONS},
    "os_version": {"type": "str"},
    "os_type": {"type": "str", "choices": list(OS_TYPES)},
    "min_disk": {"type": "int"},
    "is_config": {"type": "bool"},
    "cmk_id": {"type": "str"},
    "source_region": {"type": "str"},
    "agency_name": {"type": "str"},
    "vault_id": {"type": "str"},
    "source_endpoint": {"type": "str"},
    "image_type": {"type": "str", "choices": list(IMAGE_TYPES)},
    "architecture": {"type": "str", "choices": list(ARCHITECTURES)},
    "source_image": {"type": "str"},
    "local_file": {"type": "path"},
    "disk_format": {"type": "str", "choices": list(DISK_FORMATS)},
    "delete_backup": {"type": "bool"},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 3600},
}


def main():
    module = ImsModule(
        argument_spec=ARGUMENT_SPEC,
        required_one_of=[("id", "name")],
        mutually_exclusive=[("instance_id", "volume_id", "image_url", "backup_id", "source_image", "local_file")],
        required_by={
            "data_images": "image_url",
            "source_region": "source_image",
            "agency_name": "source_region",
            "vault_id": "source_region",
            "source_endpoint": "source_region",
        },
    )
    module.preflight(check_options, module.params, module.config.cloud_profile)

    def run(ims):
        lifecycle = ImageLifecycle(ims, module.params, check_mode=module.check_mode, warn=module.warn)
        return lifecycle.present() if module.params["state"] == "present" else lifecycle.absent()

    module.run(run)


if __name__ == "__main__":
    main()
