# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading request bodies: the JSON document a client sent, and ``Body``, its fields read one by one with their types
checked.

A body that is empty where one is required is IMG.0007; one that is not JSON (or nested too deeply to be read), not an
object where one is expected or has a wrongly typed field is IMG.0001.
"""

import json

from .errors import ImsError


async def read_json(request, required=True):
    """The JSON document of the request body; None for an empty body when it is not required."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise ImsError("IMG.0007")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ImsError("IMG.0001") from None


async def read_object(request, required=True):
    """The JSON object of the request body, wrapped for checked access."""
    data = await read_json(request, required)
    if data is None:
        return Body({})
    if not isinstance(data, dict):
        raise ImsError("IMG.0001")
    return Body(data)


class Body:
    """A JSON object from a client, read field by field. A wrongly typed field is IMG.0001; a missing mandatory
    one is ``missing`` (IMG.0001 unless the caller knows a more precise code). JSON null counts as absent."""

    def __init__(self, data):
        self.data = data

    def has(self, key):
        return self.data.get(key) is not None

    def _get(self, key, kinds, required, missing):
        value = self.data.get(key)
        if value is None:
            if required:
                raise ImsError(missing)
            return None
        # bool is an int in Python, never in JSON schemas.
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise ImsError("IMG.0001")
        return value

    def text(self, key, required=False, missing="IMG.0001"):
        return self._get(key, (str,), required, missing)

    def integer(self, key, required=False, missing="IMG.0001"):
        return self._get(key, (int,), required, missing)

    def boolean(self, key, default=None):
        value = self._get(key, (bool,), False, "IMG.0001")
        return default if value is None else value

    def texts(self, key, required=False, missing="IMG.0001"):
        values = self._get(key, (list,), required, missing)
        if values is not None and not all(isinstance(value, str) for value in values):
            raise ImsError("IMG.0001")
        return values

    def objects(self, key, required=False, missing="IMG.0001"):
        values = self._get(key, (list,), required, missing)
        if values is not None and not all(isinstance(value, dict) for value in values):
            raise ImsError("IMG.0001")
        return None if values is None else [Body(value) for value in values]

    def object(self, key, required=False, missing="IMG.0001"):
        value = self._get(key, (dict,), required, missing)
        return None if value is None else Body(value)
