# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ECS and OBS endpoints: what IMS clients read there, spoken to by the official ECS SDK and the official OBS SDK
(their signatures, their parsing), and the refusals of each."""

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import EcsClient, ShowServerRequest
from obs import ObsClient

WEB_SERVER = "847d0961-f108-4c54-b3a1-6305dde81e56"
WEB_DATA_DISK = "f8c84ba8-d4e5-4459-8b91-21fa690b23f5"
DB_SERVER = "666311a7-2bdb-4793-94c4-2154f54b2ce7"


def ecs_client(info, project):
    return EcsClient.new_builder().with_credentials(BasicCredentials(project["ak"], project["sk"], project["id"])).with_endpoint(info.ecs_endpoint).build()


def obs_client(info, project, signature="obs", **keys):
    credentials = {"access_key_id": project["ak"], "secret_access_key": project["sk"], **keys}
    return ObsClient(server=info.obs_endpoint, path_style=True, is_signature_negotiation=False, signature=signature, **credentials)


def test_the_endpoints_are_announced_and_in_the_catalog(info, owner):
    assert info.ecs_endpoint and info.obs_endpoint and len({info.endpoint, info.ecs_endpoint, info.obs_endpoint}) == 3
    services = {service["type"]: service["endpoints"][0]["url"] for service in owner.issue_token().json()["token"]["catalog"]}
    assert (services["ecs"], services["obs"]) == (info.ecs_endpoint, info.obs_endpoint)


def test_ecs_shows_a_server_with_its_status_and_disks(info, projects):
    server = ecs_client(info, projects[0]).show_server(ShowServerRequest(server_id=WEB_SERVER)).server
    assert (server.id, server.name, server.status) == (WEB_SERVER, "builder-web-01", "SHUTOFF")
    assert WEB_DATA_DISK in [volume.id for volume in server.os_extended_volumesvolumes_attached]
    assert ecs_client(info, projects[0]).show_server(ShowServerRequest(server_id=DB_SERVER)).server.status == "ACTIVE"


def test_ecs_refuses_unknown_servers_and_other_projects(info, projects, owner, http):
    with pytest.raises(ClientRequestException) as caught:
        ecs_client(info, projects[0]).show_server(ShowServerRequest(server_id="00000000-0000-4000-8000-000000000000"))
    assert (caught.value.status_code, caught.value.error_code) == (404, "Ecs.0114")
    # A server of another project is not there for this one; its path, another project's, is refused.
    with pytest.raises(ClientRequestException) as caught:
        ecs_client(info, projects[1]).show_server(ShowServerRequest(server_id=WEB_SERVER))
    assert caught.value.status_code == 404
    foreign = http.get("%s/v1/%s/cloudservers/%s" % (info.ecs_endpoint, projects[1]["id"], WEB_SERVER), headers={"X-Auth-Token": owner.token})
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (403, "Ecs.0001")
    anonymous = http.get("%s/v1/%s/cloudservers/%s" % (info.ecs_endpoint, projects[0]["id"], WEB_SERVER))
    assert anonymous.status_code == 401 and anonymous.json()["error_code"] == "APIGW.0301"
    # The ECS endpoint serves ECS only.
    assert http.get(info.ecs_endpoint + "/v2/cloudimages", headers={"X-Auth-Token": owner.token}).status_code == 404


@pytest.mark.parametrize("signature", ["obs", "v2"])
def test_obs_heads_objects_and_buckets(info, projects, signature):
    client = obs_client(info, projects[0], signature)
    found = client.getObjectMetadata("ims-images", "centos7.qcow2")
    assert found.status == 200 and found.body.contentLength > 0
    assert client.headBucket("ims-images").status == 200
    assert dict(client.getBucketMetadata("ims-archive").header)["storage-class"] == "WARM"
    assert client.getObjectMetadata("ims-images", "no-such-file.qcow2").status == 404
    assert client.headBucket("no-such-bucket").status == 404
    assert client.headBucket("apps-images").status == 403  # a bucket of a project the user may not use


def test_obs_checks_its_signature_and_takes_temporary_keys(info, projects, http):
    wrong = dict(projects[0], sk="not-the-secret-key")
    assert obs_client(info, wrong).headBucket("ims-images").status == 403
    temporary = info.temporary_credential(projects[0]["name"])
    keys = {"ak": temporary["ak"], "sk": temporary["sk"]}
    assert obs_client(info, keys, security_token=temporary["security_token"]).headBucket("ims-images").status == 200
    assert obs_client(info, keys).headBucket("ims-images").status == 403
    assert http.head(info.obs_endpoint + "/ims-images", headers={"X-Auth-Token": "MII-a-token"}).status_code == 403


def test_obs_requests_are_logged_and_faults_apply(info, projects, control):
    control.clear_requests()
    control.add_fault("/ims-images", method="HEAD", status=503, body=None)
    client = obs_client(info, projects[0])
    assert client.headBucket("ims-images").status in (503, 200)  # the SDK may retry the 503
    entries = [entry for entry in control.requests() if entry["path"] == "/ims-images"]
    assert entries and entries[0]["fault"] == "status" and entries[0]["status"] == 503
    assert httpx.head(info.obs_endpoint + "/ims-images").status_code == 403  # unsigned
