#!/usr/bin/python
# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ims_quota_info
short_description: Show the private image quota of the project
version_added: 1.0.0
author: hwcloud.ims developers (@hwcloud-ims)
description:
  - Returns how many private images the project has in the region, how many it may have, and the range the quota can
    be set to (C(GET /v1/cloudimages/quota)).
extends_documentation_fragment:
  - hwcloud.ims.connection
  - ansible.builtin.action_common_attributes
options: {}
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
  - module: hwcloud.ims.ims_image
"""

EXAMPLES = r"""
- name: Read the image quota
  hwcloud.ims.ims_quota_info:
  register: image_quota

- name: Stop the pipeline early when fewer than three images can still be created
  ansible.builtin.assert:
    that: image_quota.quota.quota - image_quota.quota.used >= 3
    fail_msg: "only {{ image_quota.quota.quota - image_quota.quota.used }} more private images fit in the quota"
"""

RETURN = r"""
quota:
  description:
    - The private image quota of the project in the region.
  type: dict
  returned: always
  contains:
    used:
      description:
        - Number of private images in the region.
      type: int
      returned: always
      sample: 6
    quota:
      description:
        - Maximum number of private images in the region.
      type: int
      returned: always
      sample: 100
    min:
      description:
        - Lowest value the quota can be set to.
      type: int
      returned: always
      sample: 1
    max:
      description:
        - Highest value the quota can be set to.
      type: int
      returned: always
      sample: 1000
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._ims_module import ImsModule
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.quota import quota_info


def main():
    module = ImsModule(argument_spec={})
    module.run(quota_info)


if __name__ == "__main__":
    main()
