# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pre-flight of a replication from another region: what is refused before any write, and what is read."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ApiError, ConfigError, ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import Image
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_replica import check_agency, check_replicable, check_replication_target, prepare_replica
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_sources import CREATION_OPTIONS, select_source

GIB = 1024**3


class FakeAccount:
    """The account of a fake client: other regions, projects and agencies from dictionaries."""

    def __init__(self, region="r1", cloud_profile="huaweicloud", regions=None, agencies=None, agency_error=None):
        self.region, self.cloud_profile = region, cloud_profile
        self.regions = regions or {}
        self._agencies = agencies if agencies is not None else [{"name": "ims_admin_agency", "trust_domain_name": "op_svc_ims"}]
        self._agency_error = agency_error
        self.asked = []

    def client_for_region(self, region, endpoint=None):
        self.asked.append((region, endpoint))
        if region not in self.regions:
            raise ConfigError("no IMS endpoint for region %s" % region)
        return self.regions[region]

    def project(self, project_id):
        return {"id": project_id, "name": "r1_apps", "domain_id": "d1"} if project_id == "p1" else None

    def agencies(self, domain_id, name):
        if self._agency_error:
            raise self._agency_error
        return [agency for agency in self._agencies if agency["name"] == name and domain_id == "d1"]


class FakeRegion:
    """A client of the source region with the images of its project."""

    def __init__(self, *images):
        self.project_id = "p2"
        self.images = [Image.from_api(dict({"owner": "p2", "status": "active", "__imagetype": "private"}, **image)) for image in images]

    def get_image(self, image_id):
        return next((image for image in self.images if image.id == image_id), None)

    def list_images(self, filters):
        return [image for image in self.images if image.name == filters["name"] and image.owner == filters["owner"]]


class FakeClient:
    def __init__(self, account):
        self.account, self.project_id = account, "p1"

    @property
    def region(self):
        return self.account.region

    @property
    def cloud_profile(self):
        return self.account.cloud_profile


def replica_params(**changes):
    base = dict(dict.fromkeys(CREATION_OPTIONS), name="web", description=None, tags=None, min_ram=None, whole_image=False, quick_import=False, register=False)
    return dict(base, source_image="web-src", source_region="r2", agency_name="ims_admin_agency", **changes)


def test_open_telekom_cloud_has_no_replication_api():
    with pytest.raises(ValidationError) as caught:
        check_replication_target(FakeClient(FakeAccount(cloud_profile="otc")), replica_params())
    assert str(caught.value) == (
        "source_region: Open Telekom Cloud's IMS has no API to replicate images across regions (POST /v1/cloudimages/{image_id}/cross_region_copy); "
        "replicate on Huawei Cloud, or copy the image within the region"
    )


def test_the_source_region_must_be_another_one():
    with pytest.raises(ValidationError) as caught:
        check_replication_target(FakeClient(FakeAccount(region="r2")), replica_params())
    assert caught.value.field == "source_region" and "is the task's region r2" in str(caught.value) and "IMG.0142" in str(caught.value)
    check_replication_target(FakeClient(FakeAccount(cloud_profile=None)), replica_params())  # another cloud: IMS will tell
    with pytest.raises(ConfigError):
        check_replication_target(FakeClient(FakeAccount(region=None)), replica_params())


@pytest.mark.parametrize(
    "image, vault_id, field, rule",
    [
        ({"status": "saving"}, None, "source_image", "(IMG.0046)"),
        ({"__os_version": "x", "disk_format": "iso", "virtual_env_type": "IsoImage"}, None, "source_image", "(IMG.0167)"),
        ({"__system__cmkid": "key-1"}, None, "source_image", "encrypted (KMS key key-1)"),
        ({"__image_size": str(129 * GIB)}, None, "source_image", "images over 128 GB cannot be replicated across regions (IMG.0146)"),
        ({"__whole_image": "true"}, None, "vault_id", "is a full-ECS image"),
        ({}, "vault-1", "vault_id", "applies only to full-ECS images"),
    ],
)
def test_what_cannot_be_replicated(image, vault_id, field, rule):
    with pytest.raises(ValidationError) as caught:
        check_replicable(Image.from_api(dict({"id": "i", "name": "web", "status": "active"}, **image)), vault_id)
    assert caught.value.field == field and rule in str(caught.value)


def test_what_can_be_replicated():
    check_replicable(Image.from_api({"id": "i", "status": "active", "__image_size": str(128 * GIB)}), None)
    check_replicable(Image.from_api({"id": "i", "status": "active", "__whole_image": "true"}), "vault-1")


def test_the_agency_must_exist_and_delegate_to_ims():
    warnings = []
    check_agency(FakeAccount(), "d1", "ims_admin_agency", warnings.append)
    with pytest.raises(ValidationError) as missing:
        check_agency(FakeAccount(), "d1", "other", warnings.append)
    assert missing.value.field == "agency_name" and "no IAM agency named 'other'" in str(missing.value) and "IMG.0151" in str(missing.value)
    with pytest.raises(ValidationError) as foreign:
        check_agency(FakeAccount(agencies=[{"name": "ecs_agency", "trust_domain_name": "op_svc_ecs"}]), "d1", "ecs_agency", warnings.append)
    assert "does not delegate to the IMS service (op_svc_ims)" in str(foreign.value)
    assert warnings == []


def test_an_agency_the_credentials_may_not_read_is_left_to_ims():
    warnings = []
    refused = ApiError("look up IAM agency a", 403, message="no permission")
    check_agency(FakeAccount(agency_error=refused), "d1", "a", warnings.append)
    assert len(warnings) == 1 and warnings[0].startswith("agency_name 'a' was not checked: IAM refused to list the account's agencies")
    with pytest.raises(ApiError):
        check_agency(FakeAccount(agency_error=ApiError("look up IAM agency a", 500)), "d1", "a", warnings.append)


def test_prepare_resolves_the_source_and_the_destination():
    source_region = FakeRegion({"id": "i-9", "name": "web-src"})
    account = FakeAccount(regions={"r2": source_region})
    source = select_source(replica_params(source_endpoint="https://ims.r2.example"))
    prepare_replica(FakeClient(account), source, warn=None)
    assert (source.source.id, source.source_client, source.project_name) == ("i-9", source_region, "r1_apps")
    assert account.asked == [("r2", "https://ims.r2.example")]


def test_prepare_refuses_before_any_write():
    account = FakeAccount(regions={"r2": FakeRegion({"id": "i-9", "name": "web-src", "__system__cmkid": "k"})})
    with pytest.raises(ValidationError) as caught:
        prepare_replica(FakeClient(account), select_source(replica_params()), warn=None)
    assert "(IMG.0143)" in str(caught.value)
    with pytest.raises(ConfigError) as unreachable:
        prepare_replica(FakeClient(FakeAccount()), select_source(replica_params()), warn=None)
    assert str(unreachable.value) == "source_region r2: no IMS endpoint for region r2 (source_endpoint)"
