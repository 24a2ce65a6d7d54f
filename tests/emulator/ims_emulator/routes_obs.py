# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OBS, as far as IMS clients read it: ``HEAD`` of a bucket and of an object, path style
(``{obs_endpoint}/{bucket}/{key}``), served on the OBS endpoint. OBS authenticates itself, with its own signature
(``Authorization: OBS <AK>:<Base64 HMAC-SHA1>`` over the method, Content-MD5, Content-Type, Date, the ``x-obs-*``
headers and ``/bucket/key``), or the S3-compatible one it also takes (``AWS <AK>:...`` with ``x-amz-*`` headers, what
the OBS SDK sends without signature negotiation); it takes no IAM token. A user sees the buckets of the projects it may use.

HEAD answers carry no body: 200 with the object's ``Content-Length``, ``ETag``, ``Last-Modified`` (and
``x-obs-storage-class`` when it is not Standard), or the bucket's ``x-obs-bucket-location`` and
``x-obs-storage-class``; 404 when the bucket or the object does not exist; 403 when the signature is missing or wrong,
the date is more than 15 minutes off, the key is unknown, or the bucket exists but is not the caller's.
"""

import base64
import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

router = APIRouter()

MAX_SKEW = timedelta(minutes=15)


class ObsRefusal(Exception):
    """A refusal, answered as OBS answers a HEAD: the status and the request id, no body."""

    def __init__(self, status, code):
        super().__init__(code)
        self.status = status
        self.code = code


#: The header prefix each signature scheme signs.
SCHEMES = {"OBS": "x-obs-", "AWS": "x-amz-"}


def string_to_sign(method, resource, headers, prefix="x-obs-"):
    """What an OBS signature covers (``headers``: lower-cased names); an ``x-obs-date`` header empties the Date line."""
    obs_headers = "".join("%s:%s\n" % (name, headers[name].strip()) for name in sorted(headers) if name.startswith(prefix))
    date = "" if prefix + "date" in headers else headers.get("date", "")
    return "%s\n%s\n%s\n%s\n%s%s" % (method, headers.get("content-md5", ""), headers.get("content-type", ""), date, obs_headers, resource)


def _caller(request):
    """The access key that validly signed the request; ObsRefusal 403 otherwise."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    scheme, credential = (headers.get("authorization", "").split(" ", 1) + [""])[:2]
    access_key, signature = (credential.split(":", 1) + [""])[:2]
    prefix = SCHEMES.get(scheme)
    if prefix is None or not signature:
        raise ObsRefusal(403, "AccessDenied")
    key = request.app.state.identity.access_keys.get(access_key)
    if key is None:
        raise ObsRefusal(403, "InvalidAccessKeyId")
    if (key.security_token or None) != (headers.get(prefix + "security-token") or None):
        raise ObsRefusal(403, "InvalidAccessKeyId")
    try:
        sent_at = parsedate_to_datetime(headers.get(prefix + "date") or headers["date"])
    except (KeyError, TypeError, ValueError):
        raise ObsRefusal(403, "AccessDenied") from None
    if abs(datetime.now(timezone.utc) - sent_at) > MAX_SKEW:
        raise ObsRefusal(403, "RequestTimeTooSkewed")
    resource = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    expected = hmac.new(key.sk.encode("utf-8"), string_to_sign(request.method, resource, headers, prefix).encode("utf-8"), hashlib.sha1).digest()
    if not hmac.compare_digest(base64.b64encode(expected).decode("ascii"), signature):
        raise ObsRefusal(403, "SignatureDoesNotMatch")
    return key.user


def _bucket(request, name):
    """The bucket of that name among the projects the caller may use, in the region of this endpoint; 404 when it
    exists nowhere in the region (the emulator's choice for a bucket of another region), 403 when it is another's."""
    user = _caller(request)
    world = request.app.state.world
    region = request.state.region
    with world.transaction():
        owners = [project for project in world.projects.values() if name in project.buckets and project.region == region]
        if not owners:
            raise ObsRefusal(404, "NoSuchBucket")
        mine = [project for project in owners if project.id in user.project_ids]
        if not mine:
            raise ObsRefusal(403, "AccessDenied")
        return mine[0].buckets[name]


def _answer(request, status=200, headers=None):
    request_id = request.scope["state"]["request_id"]
    return Response(status_code=status, headers=dict(headers or {}, **{"x-obs-request-id": request_id, "x-obs-id-2": request_id[::-1]}))


def refused(request, refusal):
    return _answer(request, refusal.status)


@router.head("/{bucket}")
@router.head("/{bucket}/")
async def head_bucket(bucket: str, request: Request):
    try:
        found = _bucket(request, bucket)
    except ObsRefusal as refusal:
        return refused(request, refusal)
    return _answer(request, headers={"x-obs-bucket-location": request.state.region, "x-obs-storage-class": found.storage_class, "x-obs-version": "3.0"})


@router.head("/{bucket}/{key:path}")
async def head_object(bucket: str, key: str, request: Request):
    try:
        found = _bucket(request, bucket)
        stored = found.objects.get(key)
        if stored is None:
            raise ObsRefusal(404, "NoSuchKey")
    except ObsRefusal as refusal:
        return refused(request, refusal)
    headers = {
        "Content-Length": str(stored.size),
        "Content-Type": "application/octet-stream",
        "ETag": '"%s"' % hashlib.md5(("%s/%s/%d" % (bucket, key, stored.size)).encode("utf-8"), usedforsecurity=False).hexdigest(),
        "Last-Modified": format_datetime(datetime(2024, 5, 1, tzinfo=timezone.utc), usegmt=True),
    }
    if found.storage_class != "STANDARD":
        headers["x-obs-storage-class"] = found.storage_class
    return _answer(request, headers=headers)
