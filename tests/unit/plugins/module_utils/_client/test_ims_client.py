# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ImsClient: the shape of every request it sends and how it reads the answers."""

import io

import httpx
import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.auth import AkSkAuth
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import (
    ApiError,
    NotFoundError,
    ResponseLostError,
    UnexpectedResponseError,
    UnsupportedApiError,
    ValidationError,
    WaitTimeoutError,
)
from ansible_collections.hwcloud.ims.plugins.module_utils._client.ims_client import ImsClient, query_filters
from ansible_collections.hwcloud.ims.plugins.module_utils._client.signer import AkSkSigner
from ansible_collections.hwcloud.ims.plugins.module_utils._client.waiting import Poller
from ansible_collections.hwcloud.ims.plugins.module_utils._client.wire import tags_to_list
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import Script, answer, body_of

ENDPOINT = "https://ims.example.com"
JOB = answer(200, {"job_id": "job-1"})


@pytest.fixture
def client(make_session):
    def build(*answers, auth=None):
        script = Script(*answers)
        return ImsClient(make_session(script), ENDPOINT, "p1", auth), script

    return build


def only(script):
    assert len(script.requests) == 1
    request = script.requests[0]
    return request.method, request.url.raw_path.decode("ascii"), body_of(request)


@pytest.mark.parametrize(
    "call, method, path, body",
    [
        (
            lambda ims: ims.create_image({"name": "web", "instance_id": "i-1", "image_tags": tags_to_list({"family": "web"})}),
            "POST",
            "/v2/cloudimages/action",
            {"name": "web", "instance_id": "i-1", "image_tags": [{"key": "family", "value": "web"}]},
        ),
        (
            lambda ims: ims.quick_import_image({"name": "q", "image_url": "bucket:file.zvhd2", "min_disk": 40, "os_version": "Ubuntu 22.04 server 64bit"}),
            "POST",
            "/v2/cloudimages/quickimport/action",
            {"name": "q", "image_url": "bucket:file.zvhd2", "min_disk": 40, "os_version": "Ubuntu 22.04 server 64bit"},
        ),
        (
            lambda ims: ims.create_whole_image({"name": "w", "backup_id": "b-1"}),
            "POST",
            "/v1/cloudimages/wholeimages/action",
            {"name": "w", "backup_id": "b-1"},
        ),
        (lambda ims: ims.copy_image("img/1", "copy"), "POST", "/v1/cloudimages/img%2F1/copy", {"name": "copy"}),
        (
            lambda ims: ims.copy_image_cross_region("img-1", "web", "r2", "r2_apps", "ims_admin_agency", description="d", vault_id="v-1"),
            "POST",
            "/v1/cloudimages/img-1/cross_region_copy",
            {"name": "web", "description": "d", "region": "r2", "project_name": "r2_apps", "agency_name": "ims_admin_agency", "vault_id": "v-1"},
        ),
        (
            lambda ims: ims.copy_image_cross_region("img-1", "web", "r2", "r2", "agency"),
            "POST",
            "/v1/cloudimages/img-1/cross_region_copy",
            {"name": "web", "region": "r2", "project_name": "r2", "agency_name": "agency"},
        ),
        (
            lambda ims: ims.export_image("img-1", "bucket:img.qcow2", "qcow2"),
            "POST",
            "/v1/cloudimages/img-1/file",
            {"bucket_url": "bucket:img.qcow2", "file_format": "qcow2"},
        ),
        (lambda ims: ims.register_image("img-1", "bucket:disk.vmdk"), "PUT", "/v1/cloudimages/img-1/upload", {"image_url": "bucket:disk.vmdk"}),
        (lambda ims: ims.add_members(["i1", "i2"], ["p2"]), "POST", "/v1/cloudimages/members", {"images": ["i1", "i2"], "projects": ["p2"]}),
        (lambda ims: ims.remove_members(["i1"], ["p2", "p3"]), "DELETE", "/v1/cloudimages/members", {"images": ["i1"], "projects": ["p2", "p3"]}),
        (
            lambda ims: ims.update_member_status(["i1"], "accepted"),
            "PUT",
            "/v1/cloudimages/members",
            {"images": ["i1"], "project_id": "p1", "status": "accepted"},
        ),
    ],
)
def test_job_calls(client, call, method, path, body):
    ims, script = client(JOB)
    assert call(ims) == "job-1"
    assert only(script) == (method, path, body)


def test_create_action_names_the_source_in_errors(client):
    ims, _script = client(answer(400, {"error": {"code": "IMG.0008", "message": "The ECS is not stopped."}}))
    with pytest.raises(ApiError) as caught:
        ims.create_image({"name": "web", "instance_id": "i-1"})
    assert str(caught.value).startswith("create image 'web' from ECS i-1 failed: HTTP 400 IMG.0008")
    ims, _script = client(answer(400, {"error": {"code": "IMG.0057", "message": "bad file"}}))
    with pytest.raises(ApiError) as caught:
        ims.create_image({"name": "f", "image_url": "b:f.qcow2"})
    assert str(caught.value).startswith("create image 'f' from OBS file b:f.qcow2 failed")


def test_cross_region_copy_where_ims_lacks_the_api(client):
    gateway = {"error_code": "APIGW.0101", "error_msg": "The API does not exist or has not been published in the environment."}
    ims, _script = client(answer(404, gateway, {"X-Request-Id": "req-9"}))
    with pytest.raises(UnsupportedApiError) as caught:
        ims.copy_image_cross_region("img-1", "web", "r2", "r2", "agency")
    assert str(caught.value) == (
        "replicate image img-1 to 'web' in r2 failed: the IMS of the cloud at https://ims.example.com has no API "
        "POST /v1/cloudimages/{image_id}/cross_region_copy (replicating images across regions) (HTTP 404 APIGW.0101, request id req-9)"
    )
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (404, "APIGW.0101", "req-9")
    ims, _script = client(answer(404, {"error": {"code": "IMG.0027", "message": "The image ID in the request does not exist."}}))
    with pytest.raises(NotFoundError) as other:
        ims.copy_image_cross_region("img-1", "web", "r2", "r2", "agency")
    assert not isinstance(other.value, UnsupportedApiError)


@pytest.mark.parametrize("status", [400, 404])
def test_an_unknown_job_is_not_found(client, status):
    ims, _script = client(answer(status, {"error": {"code": "IMG.0023", "message": "An exception occurred during task query."}}))
    with pytest.raises(NotFoundError) as caught:
        ims.get_job("j-1")
    assert (caught.value.status, caught.value.code) == (status, "IMG.0023")
    assert str(caught.value).startswith("get job j-1 failed: HTTP %d IMG.0023: An exception occurred during task query." % status)
    ims, _script = client(answer(400, {"error": {"code": "IMG.0001", "message": "bad"}}))
    with pytest.raises(ApiError) as other:
        ims.get_job("j-1")
    assert not isinstance(other.value, NotFoundError)


def test_a_job_answer_without_job_id(client):
    ims, _script = client(answer(200, {}))
    with pytest.raises(UnexpectedResponseError):
        ims.copy_image("i", "c")


def test_register_is_not_resent_after_a_lost_response(client):
    ims, script = client(httpx.ReadTimeout("timed out"), JOB)
    with pytest.raises(ResponseLostError):
        ims.register_image("img-1", "bucket:disk.vmdk")
    assert len(script.requests) == 1


def test_update_member_status_validates(client):
    ims, script = client(JOB)
    with pytest.raises(ValidationError):
        ims.update_member_status(["i1"], "pending")
    assert script.requests == []


def test_get_and_list_images(client):
    ims, script = client(answer(200, {"images": [{"id": "i1", "__imagetype": "private", "tags": ["a=b"]}]}), answer(200, {"images": []}))
    image = ims.get_image("i1")
    assert (image.id, image.imagetype, image.tags) == ("i1", "private", {"a": "b"})
    assert script.requests[0].url.raw_path == b"/v2/cloudimages?id=i1"
    assert ims.get_image("i2") is None


def test_query_filters_map_normalized_names():
    assert query_filters({"imagetype": "private", "os_type": "Linux", "name": "web", "__platform": "Ubuntu", "system_cmkid": "k", "status": None}) == [
        ("__platform", "Ubuntu"),
        ("__imagetype", "private"),
        ("name", "web"),
        ("__os_type", "Linux"),
        ("__system__cmkid", "k"),
    ]


def test_update_image_calls(client):
    operations = [{"op": "replace", "path": "/name", "value": "new"}]
    ims, script = client(answer(200, {"id": "i1", "name": "new"}))
    assert ims.update_image("i1", operations).name == "new"
    assert only(script) == ("PATCH", "/v2/cloudimages/i1", operations)
    assert script.requests[0].headers["Content-Type"] == "application/json"
    ims, script = client(answer(200, {"id": "i1", "name": "new"}))
    ims.update_glance_image("i1", operations)
    assert script.requests[0].headers["Content-Type"] == "application/openstack-images-v2.1-json-patch"
    assert script.requests[0].url.raw_path == b"/v2/images/i1"


def test_delete_image(client):
    ims, script = client(answer(204), answer(404, text="not found"))
    assert ims.delete_image("i1", delete_backup=True) is True
    assert only(script) == ("DELETE", "/v2/images/i1", {"delete_backup": True})
    assert ims.delete_image("i1") is False
    assert script.requests[1].content == b""


def test_create_glance_image_and_upload(client):
    ims, script = client(answer(201, {"id": "i9", "status": "queued", "name": "up"}), answer(204))
    image = ims.create_glance_image({"name": "up", "disk_format": "qcow2", "min_disk": 1, "tags": ["k=v"]})
    assert image.status == "queued"
    ims.upload_image_file("i9", io.BytesIO(b"\0" * 4096))
    upload = script.requests[1]
    assert (upload.method, upload.url.raw_path, upload.headers["Content-Type"]) == ("PUT", b"/v2/images/i9/file", "application/octet-stream")
    assert upload.content == b"\0" * 4096


def test_large_upload_with_aksk_is_refused_before_sending(client):
    ims, script = client(answer(204), auth=AkSkAuth(AkSkSigner("AK", "SK"), "p1"))
    stream = io.BytesIO()
    stream.seek(12 * 1024 * 1024)
    stream.write(b"x")
    stream.seek(0)
    with pytest.raises(ValidationError) as caught:
        ims.upload_image_file("i9", stream)
    assert "token" in str(caught.value) and script.requests == []
    ims.upload_image_file("i9", io.BytesIO(b"small"))
    assert script.requests[0].headers["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"


def test_tag_calls(client):
    ims, script = client(answer(200, {"tags": [{"key": "a", "value": "1"}, {"key": "b", "value": ""}]}), answer(204))
    assert ims.get_image_tags("i1") == {"a": "1", "b": ""}
    ims.add_image_tags("i1", {"z": "26", "a": "2"})
    ims.remove_image_tags("i1", ["b", "a"])
    ims.remove_image_tags("i1", {"c": "3"})
    paths = [request.url.raw_path for request in script.requests]
    assert paths == [b"/v2/p1/images/i1/tags"] + [b"/v2/p1/images/i1/tags/action"] * 3
    assert body_of(script.requests[1]) == {"action": "create", "tags": [{"key": "a", "value": "2"}, {"key": "z", "value": "26"}]}
    assert body_of(script.requests[2]) == {"action": "delete", "tags": [{"key": "a"}, {"key": "b"}]}
    assert body_of(script.requests[3]) == {"action": "delete", "tags": [{"key": "c", "value": "3"}]}


def test_member_reads(client):
    member = {"status": "accepted", "image_id": "i1", "member_id": "p2", "created_at": "2016-09-01T02:05:14Z", "updated_at": "2016-09-01T02:37:11Z"}
    ims, script = client(answer(200, {"members": [member], "schema": "/v2/schemas/members"}), answer(200, member), answer(404, text="no"))
    assert [m.member_id for m in ims.list_members("i1")] == ["p2"]
    assert ims.get_member("i1", "p2").status == "accepted"
    assert ims.get_member("i1", "p3") is None
    assert [request.url.raw_path for request in script.requests] == [b"/v2/images/i1/members", b"/v2/images/i1/members/p2", b"/v2/images/i1/members/p3"]


def test_quota_and_count(client):
    ims, script = client(
        answer(200, {"quotas": {"resources": [{"type": "image", "used": 3, "quota": 20, "min": 1, "max": 1000}]}}), answer(200, {"total_count": 36})
    )
    assert ims.get_quota().quota == 20
    assert ims.count_images_by_tags(tags={"family": "web"}, not_tags_any={"channel": ["old", "broken"]}, name="web") == 36
    assert body_of(script.requests[1]) == {
        "action": "count",
        "tags": [{"key": "family", "values": ["web"]}],
        "not_tags_any": [{"key": "channel", "values": ["old", "broken"]}],
        "matches": [{"key": "resource_name", "value": "web"}],
    }


def test_wait_for_image(client, clock):
    ims, script = client(
        answer(200, {"images": []}), answer(200, {"images": [{"id": "i1", "status": "saving"}]}), answer(200, {"images": [{"id": "i1", "status": "active"}]})
    )
    image = ims.wait_for_image("i1", until=lambda found: found.status == "active", poller=Poller(60, sleep=clock.sleep, clock=clock))
    assert image.status == "active" and len(script.requests) == 3
    ims, _script = client(answer(200, {"images": []}))
    with pytest.raises(WaitTimeoutError) as caught:
        ims.wait_for_image("i1", poller=Poller(10, sleep=clock.sleep, clock=clock))
    assert "not visible" in str(caught.value)
