# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the pre-flight reads of ECS and OBS decide, and the endpoints and credentials they are read with."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import resolve_config
from ansible_collections.hwcloud.ims.plugins.module_utils._client.connection import connect
from ansible_collections.hwcloud.ims.plugins.module_utils._client.ecs_client import Server
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import PermissionDeniedError, ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.obs_client import Bucket, StoredObject
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.source_checks import (
    IMPORT_LIMIT,
    SKIPPED,
    STOPPED,
    check_obs_file,
    check_server,
    export_target_exists,
)
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import Script, answer


class FakeObs:
    def __init__(self, buckets=None, objects=None, denied=False):
        self.buckets, self.objects, self.denied = buckets or {}, objects or {}, denied

    def head_bucket(self, name):
        if self.denied:
            raise PermissionDeniedError("read OBS bucket %s" % name, 403)
        return self.buckets.get(name)

    def head_object(self, bucket, key):
        return self.objects.get((bucket, key))


class FakeEcs:
    def __init__(self, *servers):
        self.servers = {server.id: server for server in servers}

    def get_server(self, server_id):
        return self.servers.get(server_id)


class FakeIms:
    project_id = "p1"

    def __init__(self, ecs=None, obs=None, unreadable=None):
        self.ecs, self.obs, self.unreadable = ecs, obs, unreadable or {}


STANDARD = FakeObs(
    {"b": Bucket("b", "STANDARD"), "w": Bucket("w", "WARM")}, {("b", "f.qcow2"): StoredObject("b", "f.qcow2", 10), ("b", "e"): StoredObject("b", "e", 0)}
)


def test_an_ecs_must_exist_be_in_the_state_and_have_the_disks():
    ims = FakeIms(ecs=FakeEcs(Server("s1", "web", "SHUTOFF", ("v1",)), Server("s2", "db", "ACTIVE", ())))
    assert check_server(ims, "s1", STOPPED, ("a system disk image", "IMG.0008"), print, ["v1"]).name == "web"
    for server_id, volumes, text in (
        ("s2", [], "needs an ECS that is SHUTOFF (IMG.0008)"),
        ("s3", [], "(IMG.0005)"),
        ("s1", ["v9"], "volume v9 is not attached"),
    ):
        with pytest.raises(ValidationError) as caught:
            check_server(ims, server_id, STOPPED, ("a system disk image", "IMG.0008"), print, volumes)
        assert text in str(caught.value)


@pytest.mark.parametrize(
    "url, text",
    [("x:f.qcow2", "bucket x does not exist (IMG.0069)"), ("w:f.qcow2", "WARM storage class"), ("b:g.qcow2", "does not exist (IMG.0057)"), ("b:e", "is empty")],
)
def test_an_obs_file_must_be_there_in_a_standard_bucket(url, text):
    with pytest.raises(ValidationError) as caught:
        check_obs_file(FakeIms(obs=STANDARD), "image_url", url, IMPORT_LIMIT, print)
    assert text in str(caught.value)


def test_a_file_over_the_limit_and_an_existing_export_target():
    with pytest.raises(ValidationError, match="IMG.0059"):
        check_obs_file(FakeIms(obs=STANDARD), "image_url", "b:f.qcow2", 5, print)
    assert export_target_exists(FakeIms(obs=STANDARD), "b:f.qcow2", print) is True
    assert export_target_exists(FakeIms(obs=STANDARD), "b:new.qcow2", print) is False


def test_what_cannot_be_read_is_skipped_with_the_reason():
    warnings = []
    ims = FakeIms(unreadable={"ecs": "no ECS endpoint is known", "obs": "OBS takes AK/SK signatures only"})
    assert check_server(ims, "s1", STOPPED, ("x", "y"), warnings.append) is SKIPPED
    assert check_obs_file(ims, "image_url", "b:f", IMPORT_LIMIT, warnings.append) is SKIPPED
    assert export_target_exists(FakeIms(obs=FakeObs(denied=True)), "b:f", warnings.append) is SKIPPED
    assert warnings[0] == "ECS s1 is not checked before the request, IMS decides: no ECS endpoint is known"
    assert "OBS takes AK/SK signatures only" in warnings[1] and "the credentials may not read it" in warnings[2]


def config(**options):
    return resolve_config(options, {}, clouds_yaml_paths=["/nonexistent"])


@pytest.mark.parametrize(
    "region, ecs, obs",
    [
        ("eu-de", "https://ecs.eu-de.otc.t-systems.com", "https://obs.eu-de.otc.t-systems.com"),
        ("ap-southeast-1", "https://ecs.ap-southeast-1.myhuaweicloud.com", "https://obs.ap-southeast-1.myhuaweicloud.com"),
    ],
)
def test_the_endpoints_follow_the_region_and_can_be_set(region, ecs, obs):
    derived = config(access_key="AK", secret_key="SK", region=region, project_id="p1")
    assert (derived.ecs_endpoint, derived.obs_endpoint) == (ecs, obs)
    given = config(access_key="AK", secret_key="SK", region=region, project_id="p1", ecs_endpoint="https://ecs.x", obs_endpoint="https://obs.x")
    assert (given.ecs_endpoint, given.obs_endpoint) == ("https://ecs.x", "https://obs.x")
    other_cloud = config(
        access_key="AK", secret_key="SK", region=region, project_id="p1", endpoint="https://ims.cloud.example", auth_url="https://iam.cloud.example/v3"
    )
    assert (other_cloud.ecs_endpoint, other_cloud.obs_endpoint) == (None, None)


def test_the_connection_reads_obs_with_aksk_only_and_takes_endpoints_from_the_catalog(tmp_path):
    aksk = config(
        access_key="AK", secret_key="SK", region="eu-de", project_id="p1", endpoint="https://ims.x", auth_url="https://iam.x/v3", obs_endpoint="https://obs.x"
    )
    with connect(aksk, transport=Script(answer(200)).transport) as ims:
        assert ims.obs.endpoint == "https://obs.x" and ims.ecs is None and "ecs_endpoint" in ims.unreadable["ecs"]
    expires = "2099-01-01T00:00:00.000000Z"
    catalog = [
        {"type": kind, "endpoints": [{"interface": "public", "region_id": "eu-de", "url": "https://%s.x/v1/67477b5b052646869adfd66f5cb8d955" % kind}]}
        for kind in ("image", "ecs", "obs")
    ]
    issued = answer(201, {"token": {"expires_at": expires, "project": {"id": "p1"}, "catalog": catalog}}, {"X-Subject-Token": "tok"})
    password = config(username="u", password="pw", domain_name="d", region="eu-de", auth_url="https://iam.x/v3", token_cache_dir=str(tmp_path))
    with connect(password, transport=Script(issued).transport) as ims:
        assert ims.ecs.endpoint == "https://ecs.x" and ims.obs is None
        assert ims.unreadable["obs"].startswith("OBS takes AK/SK signatures only")
