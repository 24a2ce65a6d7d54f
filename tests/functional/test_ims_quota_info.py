# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ims_quota_info end to end."""

import pytest


@pytest.mark.compat
def test_quota(ansible, control):
    result = ansible.module("hwcloud.ims.ims_quota_info")
    assert result["changed"] is False
    assert result["quota"] == {"used": 6, "quota": 100, "min": 1, "max": 1000}
    assert [entry["path"] for entry in control.requests() if entry["path"].startswith("/v1/")] == ["/v1/cloudimages/quota"]
