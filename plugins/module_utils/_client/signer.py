# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AK/SK request signing, algorithm "SDK-HMAC-SHA256".

The result is byte-identical to the official Huawei Cloud SDK's signer (huaweicloudsdkcore), which the unit tests
use as an oracle. The canonical request is::

    METHOD \\n canonical path \\n canonical query \\n canonical headers \\n signed header names \\n payload hash

and the signature is HMAC-SHA256(SK, "SDK-HMAC-SHA256\\n<X-Sdk-Date>\\nSHA256(canonical request)").

The query string a request is *sent* with must be the canonical one: the HTTP layer builds its URLs with
``canonical_query`` instead of letting the HTTP library encode parameters (httpx encodes a space as "+", the
signature needs "%20").

Internal to this collection, may change in any release.
"""

import hashlib
import hmac
from datetime import datetime, timezone
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
CONTENT_SHA256_HEADER = "X-Sdk-Content-Sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
# Bodies of these content types are hashed into the signature; any other body (a JSON-patch, a file upload) is
# sent as UNSIGNED-PAYLOAD, as the SDK does, so that streams need not be read twice.
SIGNED_PAYLOAD_TYPES = ("application/json", "application/bson")


def encode_component(text):
    """Percent-encode everything but the unreserved characters A-Z a-z 0-9 - _ . ~ (space becomes %20)."""
    return quote(text, safe="~")


def _query_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def canonical_query(params):
    """The canonical query string of ``params``, which is also the query string to send.

    ``params`` is a mapping or a sequence of ``(key, value)`` pairs; a value may be a list (one pair per item),
    a bool ("true"/"false") or anything ``str()`` turns into the wire value. None values are left out. Pairs are
    sorted by raw key, then raw value, before encoding (as the SDK does); repeated keys are kept.
    """
    if not params:
        return ""
    items = params.items() if hasattr(params, "items") else params
    pairs = []
    for key, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((key, _query_value(item)) for item in values if item is not None)
    pairs.sort()
    return "&".join("%s=%s" % (encode_component(key), encode_component(value)) for key, value in pairs)


def canonical_path(path):
    """The canonical form of a URL path as sent (percent-encoded): each segment re-encoded, always ending in "/"."""
    encoded = "/".join(encode_component(segment) for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def is_payload_signed(content_type):
    """Whether a body of this content type is hashed into the signature (else UNSIGNED-PAYLOAD)."""
    return not content_type or content_type.startswith(SIGNED_PAYLOAD_TYPES)


class AkSkSigner:
    """Signs requests with an access key / secret key pair.

    The secret key is kept only as the HMAC key; it is never part of the repr or of any header.
    """

    def __init__(self, access_key, secret_key):
        if not access_key or not secret_key:
            raise ValueError("both an access key and a secret key are required to sign requests")
        self._access_key = access_key
        self._secret_key = secret_key.encode("utf-8")

    def __repr__(self):
        return "AkSkSigner(access_key=%r)" % self._access_key

    def sign(self, method, host, path, query_string, headers, body=None, now=None):
        """Return the headers to send: ``headers`` plus Host, X-Sdk-Date, Authorization (and X-Sdk-Content-Sha256).

        ``host`` is the URL's netloc (with a non-default port), ``path`` the percent-encoded path and
        ``query_string`` the ``canonical_query`` string the request is sent with. ``body`` is bytes, None, or a
        stream (any other object), which is only allowed with a content type whose payload is not signed. Every
        header in ``headers`` is signed except names containing "_"; values are trimmed. ``now`` (an aware or UTC
        datetime) defaults to the current time, unless ``headers`` already carries X-Sdk-Date.
        """
        signed = {name: str(value).strip() for name, value in headers.items()}
        lower_names = {name.lower() for name in signed}
        if not is_payload_signed(_get(signed, "Content-Type")):
            signed[CONTENT_SHA256_HEADER] = UNSIGNED_PAYLOAD
        if DATE_HEADER.lower() not in lower_names:
            signed[DATE_HEADER] = (now or datetime.now(timezone.utc)).strftime(DATE_FORMAT)
        if "host" not in lower_names:
            signed["Host"] = host

        canonical_headers = {name.lower(): value for name, value in signed.items()}
        signed_names = sorted(name for name in canonical_headers if "_" not in name)
        canonical_request = "\n".join(
            (
                method.upper(),
                canonical_path(path),
                query_string,
                "".join("%s:%s\n" % (name, canonical_headers[name]) for name in signed_names),
                ";".join(signed_names),
                self._payload_hash(body, signed),
            )
        )
        string_to_sign = "\n".join((ALGORITHM, _get(signed, DATE_HEADER), _sha256_hex(canonical_request.encode("utf-8"))))
        signature = hmac.new(self._secret_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        signed["Authorization"] = "%s Access=%s, SignedHeaders=%s, Signature=%s" % (ALGORITHM, self._access_key, ";".join(signed_names), signature)
        return signed

    @staticmethod
    def _payload_hash(body, headers):
        if body is None or (isinstance(body, (bytes, bytearray)) and not body):
            return EMPTY_BODY_SHA256
        declared = _get(headers, CONTENT_SHA256_HEADER)
        if declared:
            return declared
        if not isinstance(body, (bytes, bytearray)):
            raise ValueError("a streamed body needs a content type whose payload is not signed")
        return _sha256_hex(body)


def _sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def _get(headers, name):
    """Case-insensitive header lookup in a plain dict (the last match wins, as in the SDK)."""
    found = None
    for key, value in headers.items():
        if key.lower() == name.lower():
            found = value
    return found
