# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The time formats of IMS and IAM answers, read into UTC datetimes.

Internal to this collection, may change in any release.
"""

import re
from datetime import datetime, timezone

_LEGACY_TIME = re.compile(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?:[:.](\d{1,6}))?$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_time(value):
    """A UTC datetime from the time formats IMS uses, or None for empty or unreadable values.

    Accepts ISO 8601 ("2015-12-04T09:45:33Z", "2019-02-13T06:52:13.855000Z", "2018-10-28 10:00:00"), the job
    format "04-Jun-2015 18:11:06:586" (milliseconds after a colon) and epoch milliseconds.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000.0, timezone.utc)
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_legacy_time(text)
    if parsed is None:
        return None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def _parse_legacy_time(text):
    match = _LEGACY_TIME.match(text)
    if not match or match.group(2).lower() not in _MONTHS:
        return None
    day, month, year, hour, minute, second, fraction = match.groups()
    try:
        return datetime(int(year), _MONTHS.index(month.lower()) + 1, int(day), int(hour), int(minute), int(second), int((fraction or "0").ljust(6, "0")))
    except ValueError:
        return None
