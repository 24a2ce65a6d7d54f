#!/usr/bin/python
# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ims_image_tag
short_description: Add, update and remove the tags of a private IMS image
version_added: 1.0.0
author: hwcloud.ims developers (@hwcloud-ims)
description:
  - Brings the tags of one of the project's private images to what the task lists. With O(state=present) the listed
    tags are added, or updated when their value differs; with O(purge_tags=true) every other tag is removed as well,
    so O(tags={}) with O(purge_tags=true) removes all tags. With O(state=absent) the listed keys are removed.
  - The module reads the current tags, computes the difference and applies it with the batch tag API
    (C(POST /v2/{project_id}/images/{image_id}/tags/action)) - at most one call that removes tags and one that adds
    or updates them, and none when nothing changes.
  - The tags are checked against the rules of IMS before any IMS request, and an error names the offending key. An
    image has at most 10 tags; a key has 1 to 36 characters, a value 0 to 43; neither may contain C(=), C(*), C(<),
    C(>), C(\), C(,), C(|), C(/) or a control character (a line break, a tab), or start or end with a space.
  - When the outcome of a tag call is unknown (HTTP 500 to 504, a timeout, a dropped connection), the tags are read
    first and the call is sent again only when its change does not show.
  - Several tasks may change the tags of one image at the same time (for example forks of one play) - adding,
    updating and removing named keys never undoes what another task did, because each call only names its own keys.
    Purging reads the tags first and removes the unlisted keys it saw then; a key another task adds after that
    read is kept until the next purge.
extends_documentation_fragment:
  - hwcloud.ims.connection
  - ansible.builtin.action_common_attributes
options:
  image:
    description:
      - ID or name of the image. It must belong to the project; a name must match exactly one of the project's images.
    type: str
    required: true
  tags:
    description:
      - Tags as a dictionary of key to value.
      - With O(state=present), the tags the image must have. Values are text; numbers and booleans are converted
        to text, and a missing value (V(null)) is the empty string.
      - With O(state=absent), the tags to remove. A value of V(null) removes the key whatever its value; any other
        value removes the key only when it has that value.
    type: dict
    required: true
  state:
    description:
      - V(present) adds or updates the listed tags; V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  purge_tags:
    description:
      - With O(state=present), also remove every tag whose key is not in O(tags).
      - Ignored with O(state=absent).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - Reads the tags and reports exactly what a real run would change, without sending any change.
  diff_mode:
    support: full
    details:
      - Shows the tags before and after.
  platform:
    platforms: all
seealso:
  - module: hwcloud.ims.ims_image_info
  - module: hwcloud.ims.ims_image_member
"""

EXAMPLES = r"""
- name: Promote an image to the stable channel (other tags are kept)
  hwcloud.ims.ims_image_tag:
    image: web-1042
    tags:
      channel: stable

- name: Make the tags exactly these
  hwcloud.ims.ims_image_tag:
    image: 3028e6f3-c970-4977-a7f0-65c2f564d22f
    tags:
      family: web
      channel: stable
      build: "{{ build_id }}"
    purge_tags: true

- name: Remove every tag
  hwcloud.ims.ims_image_tag:
    image: web-1042
    tags: {}
    purge_tags: true

- name: Remove the candidate marker, and the channel tag only while it is "candidate"
  hwcloud.ims.ims_image_tag:
    image: web-1042
    tags:
      candidate:
      channel: candidate
    state: absent

- name: Each host of a play records its own test result on one image (safe with forks)
  hwcloud.ims.ims_image_tag:
    image: web-1042
    tags: "{{ {'tested-' ~ inventory_hostname: 'passed'} }}"
  delegate_to: localhost
"""

RETURN = r"""
image_id:
  description:
    - ID of the image.
  type: str
  returned: success
  sample: 3028e6f3-c970-4977-a7f0-65c2f564d22f
tags:
  description:
    - The image's tags as this task leaves them (in check mode, as it would leave them).
  type: dict
  returned: success
  sample:
    family: web
    channel: stable
added_tags:
  description:
    - Tags this task added, or whose value it changed, with their new values.
  type: dict
  returned: success
  sample:
    channel: stable
removed_tags:
  description:
    - Tags this task removed, with the values they had.
  type: dict
  returned: success
  sample:
    candidate: ""
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._ims_module import ImsModule
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_tag import TAG_STATES, check_desired_tags, sync_image_tags


def main():
    module = ImsModule(
        argument_spec={
            "image": {"type": "str", "required": True},
            "tags": {"type": "dict", "required": True},
            "state": {"type": "str", "choices": list(TAG_STATES), "default": "present"},
            "purge_tags": {"type": "bool", "default": False},
        }
    )
    params = module.params
    module.preflight(check_desired_tags, params["tags"], params["state"])
    module.run(lambda ims: sync_image_tags(ims, params["image"], params["tags"], params["purge_tags"], params["state"], module.check_mode, module.warn))


if __name__ == "__main__":
    main()
