#!/usr/bin/python
# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ims_image_member
short_description: Share private IMS images with other projects, or accept or reject images shared with yours
version_added: 1.0.0
author: hwcloud.ims developers (@hwcloud-ims)
description:
  - B(The owner's side), with O(projects) - shares the project's private images with other projects (O(state=present)),
    stops sharing them (O(state=absent)), or makes the set of projects exactly O(projects) (O(purge_members=true)).
  - The module reads the members of every image and their status through the native members API, so members
    added, removed, accepted or rejected outside Ansible are seen and reported. It applies the changes with the
    batch members API (C(POST) and C(DELETE /v1/cloudimages/members)), one call per direction when every image
    needs the same change (images that need different projects take one call per group), and waits for each
    asynchronous job.
  - What IMS does not allow is refused before anything is changed, so a refused task changes nothing - sharing with
    the project that owns the image, more than 128 projects per image, encrypted images, full-ECS images, images
    that are not active, and public images or images of other projects.
  - New members are C(pending) until the other project accepts the image.
  - When the outcome of a member call is unknown (HTTP 500 to 504, a timeout, a dropped connection), the members
    (or the consumer's own status) are read first, and the call is sent again only when its change does not show;
    a change found made counts as C(changed=true), with no RV(job_ids) entry for it.
  - B(The consumer's side), with O(status) - the calling project accepts (V(accepted)) or rejects (V(rejected)) images
    other projects share with it (C(PUT /v1/cloudimages/members)). The module reads the project's own member status
    first and only changes images whose status differs. Once accepted, an image shows in
    M(hwcloud.ims.ims_image_info) with O(hwcloud.ims.ims_image_info#module:member_status=accepted), and in the
    default listing.
extends_documentation_fragment:
  - hwcloud.ims.connection
  - ansible.builtin.action_common_attributes
options:
  image:
    description:
      - The images, by ID or by name; one image or a list.
      - On the owner's side, images of the calling project; a name must match exactly one of them. With
        O(state=absent), a reference that matches no image is skipped (such an image has no members).
      - On the consumer's side, images shared with the calling project, whatever their status; IDs are cheaper than
        names (a name takes one listing per member status).
    type: list
    elements: str
    required: true
  projects:
    description:
      - IDs of the projects to share the images with (O(state=present)) or to stop sharing them with
        (O(state=absent)). At most 128.
      - With O(purge_members=true) and O(state=present), V([]) stops sharing the images with anyone.
      - Mutually exclusive with O(status).
    type: list
    elements: str
  state:
    description:
      - On the owner's side, whether the images are shared with O(projects) (V(present)) or not (V(absent)).
      - Mutually exclusive with O(status).
    type: str
    choices: [present, absent]
    default: present
  purge_members:
    description:
      - With O(state=present), also stop sharing the images with every project not in O(projects).
      - Mutually exclusive with O(status).
    type: bool
    default: false
  status:
    description:
      - The consumer's side - V(accepted) to accept the images shared with the calling project, V(rejected) to
        reject them. A rejected image is hidden from the default image listing, but it can still be used.
      - Mutually exclusive with O(projects), O(state) and O(purge_members).
    type: str
    choices: [accepted, rejected]
  wait:
    description:
      - Whether to wait until the asynchronous sharing jobs have finished.
      - With V(false), RV(members) is the expected result and RV(job_ids) can be given to M(hwcloud.ims.ims_job).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait at most for each job.
      - Every module of this collection that waits waits at most one hour (3600 s) by default, long enough for the
        slowest IMS job, a copy or import of a large image.
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
    details:
      - Reads the images and members and reports exactly what a real run would change, without sending any change.
  diff_mode:
    support: full
    details:
      - Shows the members and their status before and after (owner), or the project's own status (consumer).
  platform:
    platforms: all
notes:
  - The two sides run with the credentials of different projects - the owner's to share, the consumer's to accept.
seealso:
  - module: hwcloud.ims.ims_image_info
  - module: hwcloud.ims.ims_job
"""

EXAMPLES = r"""
# The owner's side, with the credentials of the project that owns the image.
- name: Share the new golden image with the application projects, and with no one else
  hwcloud.ims.ims_image_member:
    image: "{{ golden.image.id }}"
    projects: "{{ app_project_ids }}"
    purge_members: true
  register: sharing

- name: Show who still has to accept it
  ansible.builtin.debug:
    msg: "{{ sharing.members | selectattr('status', 'equalto', 'pending') | map(attribute='member_id') | list }}"

- name: Share several images with one more project
  hwcloud.ims.ims_image_member:
    image:
      - web-golden-1
      - base-debian-10
    projects:
      - fceeffa8d26b4158b9456c60289e2995

- name: Stop sharing an image with a project
  hwcloud.ims.ims_image_member:
    image: web-golden-1
    projects:
      - fceeffa8d26b4158b9456c60289e2995
    state: absent

- name: Stop sharing an image with anyone
  hwcloud.ims.ims_image_member:
    image: web-golden-1
    projects: []
    purge_members: true

# The consumer's side, with the credentials of the project the image is shared with.
- name: Accept the shared golden image
  hwcloud.ims.ims_image_member:
    image: "{{ golden_image_id }}"
    status: accepted

- name: Find it among the accepted shared images
  hwcloud.ims.ims_image_info:
    id: "{{ golden_image_id }}"
    visibility: shared
    member_status: accepted
  register: accepted

- name: Reject an image offered by another project
  hwcloud.ims.ims_image_member:
    image: web-golden-1
    status: rejected
"""

RETURN = r"""
members:
  description:
    - Owner's side - every member of the images as the task leaves them (in check mode, or with O(wait=false), as
      it would leave them).
    - Consumer's side - the calling project's own member record of each image.
    - Members the task adds are C(pending) and have no times yet.
  type: list
  elements: dict
  returned: success
  contains:
    image_id:
      description:
        - Image ID.
      type: str
      returned: always
      sample: 3028e6f3-c970-4977-a7f0-65c2f564d22f
    member_id:
      description:
        - Project ID of the member the image is shared with.
      type: str
      returned: always
      sample: fceeffa8d26b4158b9456c60289e2995
    status:
      description:
        - C(pending), C(accepted) or C(rejected).
      type: str
      returned: always
      sample: accepted
    created_at:
      description:
        - Time the image was shared with the member.
      type: str
      returned: always
      sample: "2024-05-02T09:00:03Z"
    updated_at:
      description:
        - Time the member status last changed.
      type: str
      returned: always
      sample: "2024-05-02T10:12:41Z"
added_members:
  description:
    - Owner's side - the members this task added, as C(image_id) and C(member_id) pairs.
  type: list
  elements: dict
  returned: success, on the owner's side
  sample: [{"image_id": "3028e6f3-c970-4977-a7f0-65c2f564d22f", "member_id": "fceeffa8d26b4158b9456c60289e2995"}]
removed_members:
  description:
    - Owner's side - the members this task removed, as C(image_id) and C(member_id) pairs, including members added
      outside Ansible and removed by O(purge_members=true).
  type: list
  elements: dict
  returned: success, on the owner's side
  sample: []
job_ids:
  description:
    - IDs of the asynchronous jobs the task started (none in check mode or when nothing changed). A share request
      whose response was lost, and whose members then appeared, left no job ID to report.
  type: list
  elements: str
  returned: success
  sample: ["ff8080814dbd65d7014dbe0d84db0013"]
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._ims_module import ImsModule
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_member import MEMBER_ANSWERS, MEMBER_STATES, answer_shares, share_images


def main():
    module = ImsModule(
        argument_spec={
            "image": {"type": "list", "elements": "str", "required": True},
            "projects": {"type": "list", "elements": "str"},
            "state": {"type": "str", "choices": list(MEMBER_STATES), "default": "present"},
            "purge_members": {"type": "bool", "default": False},
            "status": {"type": "str", "choices": list(MEMBER_ANSWERS)},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 3600},
        },
        required_one_of=[("projects", "status")],
        # Checked before defaults are filled in: only what the user wrote counts.
        mutually_exclusive=[("projects", "status"), ("state", "status"), ("purge_members", "status")],
    )
    params = module.params
    waiting = {"check_mode": module.check_mode, "wait": params["wait"], "wait_timeout": params["wait_timeout"]}
    if params["status"]:
        module.run(lambda ims: answer_shares(ims, params["image"], params["status"], warn=module.warn, **waiting))
    else:
        module.run(lambda ims: share_images(ims, params["image"], params["projects"], params["state"], params["purge_members"], warn=module.warn, **waiting))


if __name__ == "__main__":
    main()
