# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The time formats of IMS and IAM answers."""

from datetime import datetime, timezone

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.timestamps import parse_time


@pytest.mark.parametrize(
    "text, expected",
    [
        ("04-Jun-2015 18:11:06:586", datetime(2015, 6, 4, 18, 11, 6, 586000, timezone.utc)),
        ("2015-12-04T09:45:33Z", datetime(2015, 12, 4, 9, 45, 33, tzinfo=timezone.utc)),
        ("2019-02-13T06:52:13.855000Z", datetime(2019, 2, 13, 6, 52, 13, 855000, timezone.utc)),
        ("2018-10-28 10:00:00", datetime(2018, 10, 28, 10, 0, tzinfo=timezone.utc)),
        ("2018-10-28T12:00:00+02:00", datetime(2018, 10, 28, 10, 0, tzinfo=timezone.utc)),
        (1433441466586, datetime(2015, 6, 4, 18, 11, 6, 586000, timezone.utc)),
        ("", None),
        (None, None),
        ("soon", None),
        ("31-Foo-2015 18:11:06", None),
        ("31-Feb-2015 18:11:06", None),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text) == expected
