# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ims_image: replicating an image of another region of the account into the task's region (Huawei Cloud's
``POST /v1/cloudimages/{image_id}/cross_region_copy``), with everything IMS would refuse checked before any write.

The constraints of the Huawei Cloud reference ("Replicating an Image Across Regions"): another region than the
source's, not encrypted, not made from an ISO file, at most 128 GB, at most five replications of an account at a
time; the destination project must exist (it is the task's own, so it does) and the IAM agency must exist. A
full-ECS image also needs a CBR vault of the destination (``vault_id``). Open Telekom Cloud's IMS has no such API.
Only the limit of five running replications cannot be read beforehand: IMS itself refuses a sixth (IMG.0149).

Internal to this collection, may change in any release.
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ApiError, ConfigError, ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.wire import CROSS_REGION_COPY_API
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_ref import require_image

MAX_REPLICA_BYTES = 128 * 1024**3
# The IAM trust domain of the IMS service: the agency a replication names delegates to it.
IMS_TRUST_DOMAIN = "op_svc_ims"
# Clouds whose IMS has no cross-region replication API.
WITHOUT_REPLICATION = {"otc": "Open Telekom Cloud"}


def check_replication_target(ims, params):
    """What needs no request: a cloud that offers the API, a task region to replicate into, another source region."""
    cloud = WITHOUT_REPLICATION.get(ims.cloud_profile)
    if cloud:
        raise ValidationError(
            "source_region",
            "%s's IMS has no API to replicate images across regions (%s); replicate on Huawei Cloud, or copy the image within the region"
            % (cloud, CROSS_REGION_COPY_API),
        )
    if ims.account is None or not ims.region:
        raise ConfigError("replicating from another region needs the task's region (the region option, HW_REGION_NAME or OS_REGION_NAME)")
    if params["source_region"] == ims.region:
        raise ValidationError(
            "source_region",
            "is the task's region %s: a replica is made in another region (IMS refuses with IMG.0142); leave source_region out to copy within the region"
            % ims.region,
        )


def prepare_replica(ims, source, warn):
    """The remote pre-flight of a ReplicaSource: the source region's client, its image and what IMS checks of it, the
    destination project's name and the IAM agency. Only reads; sets ``source.source_client``, ``source.source`` and
    ``source.project_name``."""
    params = source.params
    try:
        source.source_client = ims.account.client_for_region(params["source_region"], params.get("source_endpoint"))
    except ConfigError as error:
        raise ConfigError("source_region %s: %s (source_endpoint)" % (params["source_region"], error)) from None
    source.source = require_image(source.source_client, source.source_image)
    check_replicable(source.source, params.get("vault_id"))
    project = ims.account.project(ims.project_id)
    if project is None:
        raise ConfigError("project %s is not among the projects IAM lists for these credentials; it cannot receive a replica" % ims.project_id)
    source.project_name = project["name"]
    check_agency(ims.account, project.get("domain_id"), params["agency_name"], warn)


def check_replicable(image, vault_id):
    """Refuse, before the request, what a cross-region replication refuses of its source image."""
    what = "image %s (%s)" % (image.id, image.name)
    if image.status != "active":
        raise ValidationError("source_image", "%s is %s; only active images can be replicated (IMG.0046)" % (what, image.status))
    if image.is_iso:
        raise ValidationError("source_image", "%s is an ISO image; images made from ISO files cannot be replicated across regions (IMG.0167)" % what)
    if image.system_cmkid:
        raise ValidationError(
            "source_image", "%s is encrypted (KMS key %s); encrypted images cannot be replicated across regions (IMG.0143)" % (what, image.system_cmkid)
        )
    if (image.image_size or 0) > MAX_REPLICA_BYTES:
        raise ValidationError("source_image", "%s has %d bytes; images over 128 GB cannot be replicated across regions (IMG.0146)" % (what, image.image_size))
    if image.whole_image and not vault_id:
        raise ValidationError("vault_id", "%s is a full-ECS image: its backup is replicated into a CBR vault of the destination; give the vault's ID" % what)
    if vault_id and not image.whole_image:
        raise ValidationError("vault_id", "applies only to full-ECS images; %s is not one" % what)


def check_agency(account, domain_id, name, warn):
    """The account has an IAM agency ``name`` that delegates to IMS (IMS refuses a replication without: IMG.0151).
    Credentials that may not list agencies (HTTP 403) leave the check to IMS, with a warning."""
    try:
        agencies = account.agencies(domain_id, name)
    except ApiError as error:
        if error.status != 403:
            raise
        warn("agency_name %r was not checked: IAM refused to list the account's agencies (%s); IMS checks it when replicating" % (name, error))
        return
    if not agencies:
        raise ValidationError(
            "agency_name",
            "the account has no IAM agency named %r; create one that delegates to the IMS service (%s) in the destination region "
            "(IMS refuses with IMG.0151)" % (name, IMS_TRUST_DOMAIN),
        )
    if all(agency.get("trust_domain_name") != IMS_TRUST_DOMAIN for agency in agencies):
        raise ValidationError("agency_name", "IAM agency %r does not delegate to the IMS service (%s) (IMS refuses with IMG.0151)" % (name, IMS_TRUST_DOMAIN))
