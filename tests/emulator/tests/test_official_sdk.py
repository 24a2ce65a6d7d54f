# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The official Huawei Cloud SDK (huaweicloudsdkims v2), unchanged, drives the emulator through a whole scenario."""

import time
import uuid

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkims.v2 import (
    BatchAddMembersRequest,
    BatchAddMembersRequestBody,
    BatchAddOrDeleteTagsRequest,
    BatchAddOrDeleteTagsRequestBody,
    BatchDeleteMembersRequest,
    BatchUpdateMembersRequest,
    BatchUpdateMembersRequestBody,
    CopyImageCrossRegionRequest,
    CopyImageCrossRegionRequestBody,
    CopyImageInRegionRequest,
    CopyImageInRegionRequestBody,
    CreateImageRequest,
    CreateImageRequestBody,
    ExportImageRequest,
    ExportImageRequestBody,
    GlanceDeleteImageRequest,
    GlanceDeleteImageRequestBody,
    GlanceListImagesRequest,
    GlanceShowImageRequest,
    ImsClient,
    ListImagesRequest,
    ListImageTagsRequest,
    ListVersionsRequest,
    ResourceTag,
    ShowImageQuotaRequest,
    ShowJobRequest,
    TagKeyValue,
    UpdateImageRequest,
    UpdateImageRequestBody,
)

from ims_emulator.testing import eventually

JOB_TIMEOUT = 30.0


def sdk_client(info, project, security_token=None, ak=None, sk=None, endpoint=None):
    config = HttpConfig.get_default_config()
    config.timeout = (10, 60)
    if info.ca_file:
        config.ssl_ca_cert = info.ca_file
    credentials = BasicCredentials(ak or project["ak"], sk or project["sk"], project["id"])
    if security_token:
        credentials.with_security_token(security_token)
    return ImsClient.new_builder().with_http_config(config).with_credentials(credentials).with_endpoints([endpoint or info.endpoint]).build()


def wait(client, job_id, expect="SUCCESS"):
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        try:
            job = client.show_job(ShowJobRequest(job_id=job_id))
        except ClientRequestException as error:
            if error.status_code != 404:
                raise
            time.sleep(0.05)
            continue
        if job.status in ("SUCCESS", "FAIL"):
            assert job.status == expect, job
            return job
        time.sleep(0.05)
    raise AssertionError("job %s did not finish" % job_id)


def listed_ids(client, **filters):
    return {image.id for image in client.list_images(ListImagesRequest(limit=500, **filters)).images}


@pytest.fixture
def clients(info, projects):
    return sdk_client(info, projects[0]), sdk_client(info, projects[1])


def test_official_sdk_scenario(projects, clients, world, owner):
    client, consumer_client = clients
    consumer_id = projects[1]["id"]

    public = client.list_images(ListImagesRequest(imagetype="gold", protected=True, sort_key="name", sort_dir="asc", limit=5)).images
    assert public and all(image.imagetype == "gold" for image in public)
    assert [image.name for image in public] == sorted(image.name for image in public)

    servers = world.servers_by_lineage(projects[0]["id"], owner.all_images({"__imagetype": "gold"}), licensed=False)
    assert servers, "the seed needs a stopped ECS with an exportable lineage"
    name = "sdk-%s" % uuid.uuid4().hex[:8]
    created = client.create_image(
        CreateImageRequest(
            body=CreateImageRequestBody(
                name=name, instance_id=servers[0]["id"], description="from the official SDK", image_tags=[TagKeyValue(key="origin", value="sdk")]
            )
        )
    )
    job = wait(client, created.job_id)
    image_id = job.entities.image_id
    assert image_id
    assert listed_ids(client, name=name) == {image_id}

    updated = client.update_image(UpdateImageRequest(image_id=image_id, body=[UpdateImageRequestBody(op="replace", path="/name", value=name + "-renamed")]))
    assert updated.name == name + "-renamed"

    client.batch_add_or_delete_tags(
        BatchAddOrDeleteTagsRequest(
            image_id=image_id,
            body=BatchAddOrDeleteTagsRequestBody(action="create", tags=[ResourceTag(key="team", value="blue"), ResourceTag(key="tier", value="")]),
        )
    )
    tags = {tag.key: tag.value for tag in client.list_image_tags(ListImageTagsRequest(image_id=image_id)).tags}
    assert tags == {"origin": "sdk", "team": "blue", "tier": ""}

    shared = client.batch_add_members(BatchAddMembersRequest(body=BatchAddMembersRequestBody(images=[image_id], projects=[consumer_id])))
    wait(client, shared.job_id)
    accepted = consumer_client.batch_update_members(
        BatchUpdateMembersRequest(body=BatchUpdateMembersRequestBody(images=[image_id], project_id=consumer_id, status="accepted"))
    )
    wait(consumer_client, accepted.job_id)
    assert image_id in listed_ids(consumer_client, member_status="accepted", visibility="shared", imagetype="shared")
    removed = client.batch_delete_members(BatchDeleteMembersRequest(body=BatchAddMembersRequestBody(images=[image_id], projects=[consumer_id])))
    wait(client, removed.job_id)
    assert image_id not in listed_ids(consumer_client, member_status="accepted", visibility="shared")

    copied = client.copy_image_in_region(
        CopyImageInRegionRequest(image_id=image_id, body=CopyImageInRegionRequestBody(name=name + "-copy", description="copy"))
    )
    copy_id = wait(client, copied.job_id).entities.image_id
    assert copy_id and copy_id != image_id

    bucket = world.bucket(projects[0]["id"])["name"]
    exported = client.export_image(
        ExportImageRequest(image_id=image_id, body=ExportImageRequestBody(bucket_url="%s:%s.qcow2" % (bucket, name), file_format="qcow2"))
    )
    wait(client, exported.job_id)

    quota = [item for item in client.show_image_quota(ShowImageQuotaRequest()).quotas.resources if item.type == "image"][0]
    assert quota.used == len(owner.all_images({"owner": projects[0]["id"]}))

    client.glance_delete_image(GlanceDeleteImageRequest(image_id=image_id, body=GlanceDeleteImageRequestBody(delete_backup=False)))
    assert eventually(lambda: image_id not in listed_ids(client, id=image_id))
    assert client.show_image_quota(ShowImageQuotaRequest()).quotas.resources[0].used == quota.used - 1


def test_official_sdk_reports_ims_errors(info, projects, clients, world):
    client = clients[0]
    running = world.running_server(projects[0]["id"])
    try:
        response = client.create_image(CreateImageRequest(body=CreateImageRequestBody(name="sdk-running", instance_id=running["id"])))
    except ClientRequestException as error:
        assert error.status_code == 400
        assert error.error_code == "IMG.0008"
        assert error.request_id
    else:
        job = wait(client, response.job_id, expect="FAIL")
        assert job.error_code == "IMG.0008"
    with pytest.raises(ClientRequestException) as refused:
        client.glance_show_image(GlanceShowImageRequest(image_id=str(uuid.uuid4())))
    assert refused.value.status_code == 404
    wrong = sdk_client(info, projects[0], sk=uuid.uuid4().hex)
    with pytest.raises(ClientRequestException) as unauthorized:
        wrong.list_images(ListImagesRequest(limit=1))
    assert unauthorized.value.status_code == 401
    assert unauthorized.value.error_code.startswith("APIGW.")


def test_official_sdk_replicates_an_image_across_regions(info, control):
    """CopyImageCrossRegion, unchanged, from ap-southeast-1 to ap-southeast-3; the job is the source region's."""
    source_region, target_region = info.region_info("ap-southeast-1"), info.region_info("ap-southeast-3")
    source = sdk_client(info, source_region.projects[0], endpoint=source_region.endpoint)
    target = sdk_client(info, target_region.projects[0], endpoint=target_region.endpoint)
    image_id = listed_ids_by_name(source, "web-golden-hk-1")[0]
    name = "sdk-replica-%s" % uuid.uuid4().hex[:8]
    body = CopyImageCrossRegionRequestBody(
        name=name, description="replicated by the SDK", region=target_region.name, project_name=target_region.name, agency_name="ims_admin_agency"
    )
    accepted = source.copy_image_cross_region(CopyImageCrossRegionRequest(image_id=image_id, body=body))
    job = wait(source, accepted.job_id)
    assert job.job_type == "imsCopyImageCrossRegionJob" and job.entities.image_id
    replica = target.list_images(ListImagesRequest(id=job.entities.image_id)).images[0]
    assert (replica.name, replica.description, replica.status, replica.owner) == (name, "replicated by the SDK", "active", target_region.projects[0]["id"])
    with pytest.raises(ClientRequestException) as refused:
        source.copy_image_cross_region(
            CopyImageCrossRegionRequest(
                image_id=image_id, body=CopyImageCrossRegionRequestBody(name=name, region=source_region.name, project_name="x", agency_name="y")
            )
        )
    assert (refused.value.status_code, refused.value.error_code) == (400, "IMG.0142")
    otc = sdk_client(info, info.projects[0])
    with pytest.raises(ClientRequestException) as missing:
        otc.copy_image_cross_region(CopyImageCrossRegionRequest(image_id=image_id, body=body))
    assert (missing.value.status_code, missing.value.error_code) == (404, "APIGW.0101")


def listed_ids_by_name(client, name):
    return [image.id for image in client.list_images(ListImagesRequest(name=name)).images]


def test_official_sdk_with_temporary_credentials(info, projects):
    project = projects[0]
    temporary = info.temporary_credential(project["name"])
    client = sdk_client(info, project, ak=temporary["ak"], sk=temporary["sk"], security_token=temporary["security_token"])
    assert client.list_images(ListImagesRequest(limit=3)).images is not None


def test_official_sdk_glance_list_and_versions(clients, owner, bulk):
    client = clients[0]
    bulk(owner, 3)
    page = client.glance_list_images(GlanceListImagesRequest(limit=2, owner=owner.project_id))
    assert len(page.images) == 2 and page.next and page.first
    image = client.glance_show_image(GlanceShowImageRequest(image_id=page.images[0].id))
    assert image.id == page.images[0].id
    versions = client.list_versions(ListVersionsRequest()).versions
    assert {"v2.0", "v2.1"} <= {version.id for version in versions}
