# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ECS and OBS reads: the requests they send (OBS's own signature) and the answers they read."""

import base64
import hashlib
import hmac

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.ecs_client import EcsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import PermissionDeniedError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.obs_client import ObsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.obs_signer import ObsAuth, string_to_sign
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import Script, answer

# 2015-10-12 08:12:38 UTC, the time of the OBS reference's own example.
MOMENT = 1444637558


def test_the_string_to_sign_is_the_obs_references_example():
    headers = {"Host": "bucket.obs.example.com", "Date": "Sat, 12 Oct 2015 08:12:38 GMT"}
    assert string_to_sign("GET", "/bucket/object.txt", headers) == "GET\n\n\nSat, 12 Oct 2015 08:12:38 GMT\n/bucket/object.txt"
    headers.update({"Content-Type": "text/plain", "X-OBS-Meta-B": " 2 ", "x-obs-acl": "private"})
    assert string_to_sign("put", "/b/k", headers) == "PUT\n\ntext/plain\nSat, 12 Oct 2015 08:12:38 GMT\nx-obs-acl:private\nx-obs-meta-b:2\n/b/k"


def test_a_head_of_an_object_is_signed_path_style_with_the_security_token(make_session):
    script = Script(answer(200, headers={"Content-Length": "1234"}))
    obs = ObsClient(make_session(script), "https://obs.example.com", ObsAuth("AK", "SK", "TOKEN", clock=lambda: MOMENT))
    found = obs.head_object("ims-images", "dir/centos 7.qcow2")
    assert (found.bucket, found.key, found.size) == ("ims-images", "dir/centos 7.qcow2", 1234)
    request = script.requests[0]
    assert (request.method, request.url.raw_path) == ("HEAD", b"/ims-images/dir/centos%207.qcow2")
    date = "Mon, 12 Oct 2015 08:12:38 GMT"
    assert request.headers["Date"] == date and request.headers["x-obs-security-token"] == "TOKEN"
    signed = "HEAD\n\n\n%s\nx-obs-security-token:TOKEN\n/ims-images/dir/centos%%207.qcow2" % date
    expected = base64.b64encode(hmac.new(b"SK", signed.encode(), hashlib.sha1).digest()).decode()
    assert request.headers["Authorization"] == "OBS AK:%s" % expected
    assert "X-Auth-Token" not in request.headers


def test_obs_answers_become_buckets_none_or_a_permission_error(make_session):
    obs = ObsClient(make_session(Script(answer(200, headers={"x-obs-storage-class": "warm"}))), "https://obs.example.com/", ObsAuth("AK", "SK"))
    assert obs.head_bucket("ims-archive").storage_class == "WARM"
    assert ObsClient(make_session(Script(answer(200))), "https://obs.example.com", ObsAuth("AK", "SK")).head_bucket("b").storage_class == "STANDARD"
    assert ObsClient(make_session(Script(answer(404))), "https://obs.example.com", ObsAuth("AK", "SK")).head_object("b", "k") is None
    with pytest.raises(PermissionDeniedError) as caught:
        ObsClient(make_session(Script(answer(403))), "https://obs.example.com", ObsAuth("AK", "SK")).head_bucket("b")
    assert caught.value.status == 403 and "read OBS bucket b failed: HTTP 403" in str(caught.value)
    assert "SK" not in repr(ObsAuth("AK", "SK-secret"))


def test_ecs_shows_a_server_and_its_disks(make_session):
    body = {"server": {"id": "s1", "name": "web", "status": "SHUTOFF", "os-extended-volumes:volumes_attached": [{"id": "v1"}, {"id": "v2"}]}}
    script = Script(answer(200, body), answer(404, {"error": {"code": "Ecs.0114", "message": "Instance[x] could not be found."}}))
    ecs = EcsClient(make_session(script), "https://ecs.example.com", "p1", None)
    server = ecs.get_server("s1")
    assert (server.id, server.name, server.status, server.volume_ids) == ("s1", "web", "SHUTOFF", ("v1", "v2"))
    assert str(server) == "ECS s1 (web, SHUTOFF)"
    assert script.requests[0].url.raw_path == b"/v1/p1/cloudservers/s1"
    assert ecs.get_server("x") is None
