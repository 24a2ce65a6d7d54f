# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What IMS cannot tell and OBS can, read-only: whether a bucket exists (and its storage class) and whether an object
exists (and its size), with ``HEAD`` requests in path style (``{endpoint}/{bucket}/{key}``), signed by obs_signer.

``None`` means "not there" (HTTP 404); a refusal of the credentials (HTTP 403) raises PermissionDeniedError, which
callers turn into a warning and leave the decision to IMS.

Internal to this collection, may change in any release.
"""

from dataclasses import dataclass
from urllib.parse import quote

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import NotFoundError

STANDARD = "STANDARD"


@dataclass(frozen=True)
class Bucket:
    """A bucket as HEAD Bucket shows it; ``storage_class`` is STANDARD, WARM or COLD."""

    name: str
    storage_class: str


@dataclass(frozen=True)
class StoredObject:
    """An object as HEAD Object shows it."""

    bucket: str
    key: str
    size: int


class ObsClient:
    """Reads of one OBS endpoint over the shared HttpSession, signed with ``auth`` (an ObsAuth)."""

    def __init__(self, session, endpoint, auth):
        self.session = session
        self.endpoint = endpoint.rstrip("/")
        self._auth = auth

    def __repr__(self):
        return "ObsClient(endpoint=%r)" % self.endpoint

    def head_bucket(self, bucket):
        """The Bucket, or None when OBS knows no bucket of that name."""
        response = self._head("/%s" % quote(bucket, safe=""), "read OBS bucket %s" % bucket)
        if response is None:
            return None
        return Bucket(bucket, (response.headers.get("x-obs-storage-class") or STANDARD).upper())

    def head_object(self, bucket, key):
        """The StoredObject, or None when the bucket has no object ``key``."""
        response = self._head("/%s/%s" % (quote(bucket, safe=""), quote(key, safe="/~")), "read OBS object %s:%s" % (bucket, key))
        if response is None:
            return None
        return StoredObject(bucket, key, int(response.headers.get("Content-Length") or 0))

    def _head(self, path, action):
        try:
            return self.session.request("HEAD", self.endpoint, path, action, auth=self._auth)
        except NotFoundError:
            return None
