# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What only ECS and OBS know, read before any write (and in check mode), so that a creation or an export IMS would
refuse fails first, and check mode predicts the real outcome: is the ECS there and stopped, are its data disks
attached, is the OBS file there, in a Standard bucket and not too large, is an export's file already there.

Each read goes to the ECS or OBS client the connection attached to the IMS client (``ims.ecs``, ``ims.obs``). When
there is none (no endpoint, or OBS with token credentials) or the credentials may not read (HTTP 403), the check is
skipped with a warning saying why, and IMS decides as it would without the check.

Internal to this collection, may change in any release.
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import PermissionDeniedError, ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.obs_client import STANDARD
from ansible_collections.hwcloud.ims.plugins.module_utils._client.rules import split_obs_url

GIB = 1024**3
IMPORT_LIMIT = 128 * GIB
QUICK_IMPORT_LIMIT = 1024 * GIB
# Server states each kind of image accepts (IMG.0008: a system disk image needs a stopped ECS; IMG.0126: a full-ECS
# image is made of a running or stopped one).
STOPPED = ("SHUTOFF",)
RUNNING_OR_STOPPED = ("ACTIVE", "SHUTOFF")
# The answer of a check that could not be made.
SKIPPED = object()


def read(ims, service, what, reading, warn):
    """``reading(client)`` with the ``service`` ("ecs", "obs") client of ``ims``, or SKIPPED (with a warning)."""
    client = getattr(ims, service)
    if client is None:
        warn("%s is not checked before the request, IMS decides: %s" % (what, ims.unreadable.get(service, "no %s client" % service.upper())))
        return SKIPPED
    try:
        return reading(client)
    except PermissionDeniedError as refusal:
        warn("%s is not checked before the request, IMS decides: the credentials may not read it (%s)" % (what, refusal))
        return SKIPPED


def check_server(ims, server_id, states, refusal, warn, volume_ids=()):
    """The ECS an image is made of, as ECS shows it; a missing ECS, one in another state than ``states`` or data disks
    it does not have raise ValidationError with the code IMS would refuse with. SKIPPED when ECS cannot be read."""
    server = read(ims, "ecs", "ECS %s" % server_id, lambda ecs: ecs.get_server(server_id), warn)
    if server is SKIPPED:
        return server
    if server is None:
        raise ValidationError("instance_id", "ECS %s does not exist in project %s (IMG.0005)" % (server_id, ims.project_id))
    if server.status not in states:
        raise ValidationError("instance_id", "%s: %s needs an ECS that is %s (%s)" % (server, refusal[0], " or ".join(states), refusal[1]))
    foreign = [volume_id for volume_id in volume_ids if volume_id not in server.volume_ids]
    if foreign:
        raise ValidationError("data_disks", "volume %s is not attached to %s (IMG.0140)" % (", ".join(foreign), server))
    return server


def check_obs_file(ims, field, url, limit, warn):
    """The OBS object an import reads (``bucket:file``); a missing bucket or file, a bucket that is not of the Standard
    storage class and a file that is empty or over ``limit`` bytes raise ValidationError. SKIPPED when OBS cannot be
    read."""
    bucket_name, key = split_obs_url(url, field)
    bucket = _standard_bucket(ims, field, bucket_name, "reads files", "IMG.0057", warn)
    if bucket is SKIPPED:
        return bucket
    found = read(ims, "obs", "OBS file %s" % url, lambda obs: obs.head_object(bucket_name, key), warn)
    if found is SKIPPED:
        return found
    if found is None or found.size == 0:
        raise ValidationError(field, "OBS file %s %s (IMG.0057)" % (url, "does not exist" if found is None else "is empty"))
    if found.size > limit:
        raise ValidationError(field, "OBS file %s has %d bytes; this import takes files up to %d GB (IMG.0059)" % (url, found.size, limit // GIB))
    return found


def export_target_exists(ims, url, warn):
    """Whether the file an export would write is already there (True/False); a missing or non-Standard bucket raises
    ValidationError. SKIPPED when OBS cannot be read."""
    bucket_name, key = split_obs_url(url, "bucket_url")
    bucket = _standard_bucket(ims, "bucket_url", bucket_name, "writes exports", "IMG.0069", warn)
    if bucket is SKIPPED:
        return bucket
    found = read(ims, "obs", "OBS file %s" % url, lambda obs: obs.head_object(bucket_name, key), warn)
    return found if found is SKIPPED else found is not None


def _standard_bucket(ims, field, name, use, code, warn):
    bucket = read(ims, "obs", "OBS bucket %s" % name, lambda obs: obs.head_bucket(name), warn)
    if bucket is None:
        raise ValidationError(field, "OBS bucket %s does not exist (IMG.0069)" % name)
    if bucket is not SKIPPED and bucket.storage_class != STANDARD:
        raise ValidationError(field, "OBS bucket %s is of the %s storage class; IMS %s in Standard buckets only (%s)" % (name, bucket.storage_class, use, code))
    return bucket
