# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OBS's own request signature ("Authentication of Signature in a Header" of the OBS API reference), which differs
from the SDK-HMAC-SHA256 signature of IMS and ECS:

    Authorization: OBS <AK>:Base64(HMAC-SHA1(SK, StringToSign))
    StringToSign = Method \\n Content-MD5 \\n Content-Type \\n Date \\n CanonicalizedHeaders CanonicalizedResource

``Date`` is the RFC 1123 time (OBS refuses one more than 15 minutes off); CanonicalizedHeaders are the ``x-obs-*``
headers, lower-cased, sorted, ``name:value\\n`` each (a temporary key's ``x-obs-security-token`` among them);
CanonicalizedResource is ``/bucket/key`` as the request's path-style URL names it. OBS takes no IAM token.

Internal to this collection, may change in any release.
"""

import base64
import hashlib
import hmac
import time
from email.utils import formatdate

OBS_HEADER_PREFIX = "x-obs-"


def string_to_sign(method, resource, headers):
    """The text OBS signs for a request to ``resource`` (``/bucket/key``, percent-encoded as sent) with ``headers``."""
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    obs_headers = "".join("%s:%s\n" % (name, lowered[name]) for name in sorted(lowered) if name.startswith(OBS_HEADER_PREFIX))
    return "%s\n%s\n%s\n%s\n%s%s" % (
        method.upper(),
        lowered.get("content-md5", ""),
        lowered.get("content-type", ""),
        lowered.get("date", ""),
        obs_headers,
        resource,
    )


class ObsAuth:
    """Signs requests to OBS with an AK/SK pair (``authorize``, as HttpSession calls it); nothing to renew."""

    def __init__(self, access_key, secret_key, security_token=None, clock=time.time):
        self._access_key = access_key
        self._secret_key = secret_key
        self._security_token = security_token
        self._clock = clock

    def __repr__(self):
        return "ObsAuth(access_key=%r)" % self._access_key

    def authorize(self, request):
        headers = dict(request.headers, Date=formatdate(self._clock(), usegmt=True))
        if self._security_token:
            headers["x-obs-security-token"] = self._security_token
        digest = hmac.new(self._secret_key.encode("utf-8"), string_to_sign(request.method, request.path, headers).encode("utf-8"), hashlib.sha1).digest()
        headers["Authorization"] = "OBS %s:%s" % (self._access_key, base64.b64encode(digest).decode("ascii"))
        return headers

    def reauthenticate(self):
        return False
