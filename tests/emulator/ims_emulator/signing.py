# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server's side of AK/SK request signing ("SDK-HMAC-SHA256").

A client signs, with HMAC-SHA256 keyed with its SK, three lines: the algorithm name, its X-Sdk-Date and the SHA-256
of a canonical request. The server rebuilds the canonical request from what it received (the raw path and query, the
headers the client says it signed, the body) and recomputes the signature. Nothing here knows keys or users.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_CLOCK_SKEW = timedelta(minutes=15)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_BODY_HASH = hashlib.sha256(b"").hexdigest()


class SignatureError(Exception):
    """The request's signature, or the material it is computed from, is not acceptable."""


@dataclass(frozen=True)
class Authorization:
    """The parsed ``Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`` header."""

    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


@dataclass(frozen=True)
class ReceivedRequest:
    """A request exactly as the server received it: raw path and query, headers by lower-case name, body."""

    method: str
    raw_path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes

    @classmethod
    def from_asgi(cls, scope, body):
        # ASGI servers may leave out raw_path; re-encoding the decoded path is then the best available guess.
        raw_path = scope.get("raw_path") or quote(scope["path"]).encode("ascii")
        return cls(
            method=scope["method"],
            raw_path=raw_path.decode("utf-8", errors="replace"),
            raw_query=scope["query_string"].decode("utf-8", errors="replace"),
            headers=header_map(scope["headers"]),
            body=body,
        )


def header_map(raw_headers):
    """ASGI headers by lower-case name; a repeated header's values joined with commas (as HTTP allows)."""
    headers = {}
    for name, value in raw_headers:
        key = name.decode("latin-1").lower()
        text = value.decode("utf-8", errors="replace")
        headers[key] = "%s,%s" % (headers[key], text) if key in headers else text
    return headers


def parse_authorization(header):
    """Parse the Authorization header; raise SignatureError when it is not a well-formed SDK-HMAC-SHA256 one."""
    algorithm, space, params = header.partition(" ")
    if algorithm != ALGORITHM or not space:
        raise SignatureError("unsupported signing algorithm")
    fields = {}
    for part in params.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep or name in fields:
            raise SignatureError("malformed Authorization header")
        fields[name] = value
    if set(fields) != {"Access", "SignedHeaders", "Signature"} or not all(fields.values()):
        raise SignatureError("the Authorization header needs Access, SignedHeaders and Signature")
    return Authorization(access_key=fields["Access"], signed_headers=tuple(fields["SignedHeaders"].lower().split(";")), signature=fields["Signature"])


def parse_sdk_date(value, now):
    """The X-Sdk-Date as a UTC datetime; raise SignatureError when it is malformed or too far from ``now``."""
    try:
        signed_at = datetime.strptime(value, DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise SignatureError("X-Sdk-Date is not in the format YYYYMMDDTHHMMSSZ") from None
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise SignatureError("X-Sdk-Date is more than 15 minutes away from the server time")
    return signed_at


def _encode(text):
    """Percent-encode everything except the RFC 3986 unreserved characters (space becomes %20, never +)."""
    return quote(text, safe="~")


def canonical_uri(raw_path):
    """Each decoded path segment re-encoded; always ends with '/' (the URL sent does not have to)."""
    path = "/".join(_encode(segment) for segment in unquote(raw_path).split("/"))
    return path if path.endswith("/") else path + "/"


def canonical_query(raw_query):
    """The query's pairs decoded, sorted by name then value, re-encoded; '+' stays a literal plus sign."""
    pairs = []
    for part in raw_query.split("&"):
        if part:
            name, value = part.split("=", 1) if "=" in part else (part, "")
            pairs.append((unquote(name), unquote(value)))
    return "&".join("%s=%s" % (_encode(name), _encode(value)) for name, value in sorted(pairs))


def canonical_headers(headers, signed_headers):
    """``name:value\\n`` for every signed header, in the order signed; raise SignatureError for a missing one."""
    lines = []
    for name in signed_headers:
        if name not in headers:
            raise SignatureError("signed header %r is missing from the request" % name)
        lines.append("%s:%s\n" % (name, headers[name].strip()))
    return "".join(lines)


def payload_hashes(request):
    """The payload hashes a legitimate client may have signed for this body.

    ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`` (sent for bodies that are neither JSON nor BSON) means the literal is
    signed instead of the hash. For an empty body the official Python SDK signs the empty hash even then, while the
    Go SDK and the API gateway's signing SDK sign the literal: both are real clients, so both are accepted.
    """
    unsigned = request.headers.get("x-sdk-content-sha256") == UNSIGNED_PAYLOAD
    if not request.body:
        return [EMPTY_BODY_HASH, UNSIGNED_PAYLOAD] if unsigned else [EMPTY_BODY_HASH]
    return [UNSIGNED_PAYLOAD] if unsigned else [hashlib.sha256(request.body).hexdigest()]


def canonical_request(request, signed_headers, payload_hash):
    """The canonical request the client signed, rebuilt from the received request."""
    return "\n".join(
        (
            request.method.upper(),
            canonical_uri(request.raw_path),
            canonical_query(request.raw_query),
            canonical_headers(request.headers, signed_headers),
            ";".join(signed_headers),
            payload_hash,
        )
    )


def signature(secret_key, sdk_date, canonical):
    """HMAC-SHA256 (keyed with the SK) of the string to sign, in lower-case hex."""
    string_to_sign = "%s\n%s\n%s" % (ALGORITHM, sdk_date, hashlib.sha256(canonical.encode("utf-8")).hexdigest())
    return hmac.new(secret_key.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(request, authorization, secret_key, now):
    """Raise SignatureError unless ``authorization`` is a valid signature of ``request`` with ``secret_key``."""
    if "host" not in authorization.signed_headers:
        raise SignatureError("the Host header must be signed")
    sdk_date = request.headers.get("x-sdk-date")
    if sdk_date is None:
        raise SignatureError("X-Sdk-Date is missing")
    parse_sdk_date(sdk_date, now)
    matches = [
        hmac.compare_digest(signature(secret_key, sdk_date, canonical_request(request, authorization.signed_headers, payload_hash)), authorization.signature)
        for payload_hash in payload_hashes(request)
    ]
    if not any(matches):
        raise SignatureError("verify aksk signature fail")
