# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``ims_quota_info`` does: read the project's private image quota.

Internal to this collection, may change in any release.
"""


def quota_info(ims):
    """The task result ``{"quota": {"used", "quota", "min", "max"}}``."""
    return {"quota": ims.get_quota().to_dict()}
