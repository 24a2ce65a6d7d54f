# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading query parameters: one value per parameter, booleans and integers; anything else is IMG.0001 unless the
caller names a more precise code."""

import re

from .errors import ImsError


def single_params(params):
    """Query parameters as a dict; a parameter given twice is refused."""
    items = params.multi_items()
    result = dict(items)
    if len(result) != len(items):
        raise ImsError("IMG.0001")
    return result


def parse_bool(text):
    if text.lower() not in ("true", "false"):
        raise ImsError("IMG.0001")
    return text.lower() == "true"


def parse_int(text, code="IMG.0001"):
    if not re.fullmatch(r"-?\d+", text):
        raise ImsError(code)
    return int(text)
