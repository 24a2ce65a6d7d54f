# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The start-up contract: the command line, the one JSON ready line on stdout, --port 0, --tls, --ca-dir."""

import datetime
import json
import os
import socket
import time
import urllib.parse

import httpx
import pytest
import yaml
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkims.v2 import ImsClient, ListImagesRequest

from ims_emulator.testing import ControlClient, EmulatorError, EmulatorInfo, EmulatorProcess, World, parse_time, unique_name

READY_KEYS = {"endpoint", "iam_endpoint", "region", "ca_file", "control_endpoint", "projects", "temporary_credentials"}
PROJECT_KEYS = {"name", "id", "domain", "username", "password", "ak", "sk"}
TEMPORARY_KEYS = {"project", "ak", "sk", "security_token"}
DEFAULT_SEED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ims_emulator", "default_seed.yaml")


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory):
    ca_dir = tmp_path_factory.mktemp("ca")
    with EmulatorProcess(tls=True, ca_dir=ca_dir, job_seconds=0.3) as process:
        process.ca_dir_used = ca_dir
        yield process


def ready_line(process):
    return process.stdout_text().split("\n", 1)[0]


def test_ready_line_is_one_json_object_with_the_documented_keys(emulator):
    data = json.loads(ready_line(emulator))
    assert READY_KEYS <= set(data)
    endpoint = urllib.parse.urlsplit(data["endpoint"])
    assert endpoint.scheme == "http"
    assert endpoint.hostname == "127.0.0.1"
    assert endpoint.port and endpoint.port > 0
    assert data["iam_endpoint"].rstrip("/") == data["endpoint"].rstrip("/") + "/v3"
    assert data["control_endpoint"].rstrip("/") == data["endpoint"].rstrip("/") + "/_emulator"
    assert data["ca_file"] is None
    assert isinstance(data["region"], str) and data["region"]
    assert len(data["projects"]) >= 2
    for project in data["projects"]:
        assert PROJECT_KEYS <= set(project), project
        assert all(isinstance(project[key], str) and project[key] for key in PROJECT_KEYS), project
    assert len({project["id"] for project in data["projects"]}) == len(data["projects"])
    assert len({project["ak"] for project in data["projects"]}) == len(data["projects"])
    assert data["region"] in {project["name"] for project in data["projects"]}
    names = {project["name"] for project in data["projects"]}
    assert data["temporary_credentials"]
    for credential in data["temporary_credentials"]:
        assert TEMPORARY_KEYS <= set(credential), credential
        assert credential["project"] in names


def test_stdout_holds_nothing_but_the_ready_line(emulator, owner):
    owner.images()
    owner.get("/v2/images/%s" % unique_name())
    owner.post("/v2/cloudimages/action", content="{not json", content_type="application/json")
    lines = emulator.stdout_text().split("\n")
    assert lines[1:] == [""], "extra output on stdout: %r" % lines[1:]
    EmulatorInfo.from_ready_line(lines[0])


def test_port_zero_picks_distinct_free_ports():
    with EmulatorProcess() as first, EmulatorProcess() as second:
        ports = {urllib.parse.urlsplit(process.info.endpoint).port for process in (first, second)}
        assert len(ports) == 2 and 0 not in ports
        for process in (first, second):
            assert httpx.get(process.info.endpoint + "/").status_code == 300


def test_explicit_port_is_used():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with EmulatorProcess(port=port) as process:
        assert urllib.parse.urlsplit(process.info.endpoint).port == port


def test_tls_serves_https_verified_by_its_ca_file(tls_emulator):
    info = tls_emulator.info
    assert info.endpoint.startswith("https://")
    assert info.iam_endpoint.startswith("https://")
    assert info.control_endpoint.startswith("https://")
    assert info.ca_file and os.path.isfile(info.ca_file)
    assert os.path.dirname(os.path.abspath(info.ca_file)) == os.path.abspath(str(tls_emulator.ca_dir_used))
    assert httpx.get(info.endpoint + "/", verify=info.verify).status_code == 300
    with pytest.raises(httpx.ConnectError):
        httpx.get(info.endpoint + "/", verify=True)


def test_tls_serves_iam_ims_and_control(tls_emulator, make_api):
    info = tls_emulator.info
    with httpx.Client(verify=info.verify, timeout=30) as http, ControlClient.for_emulator(tls_emulator) as control:
        control.reset()
        for auth in ("token", "aksk"):
            api = make_api(info, http, auth=auth)
            assert isinstance(api.images(), list)


def test_tls_ca_file_works_for_the_official_sdk(tls_emulator):
    info = tls_emulator.info
    project = info.projects[0]
    config = HttpConfig.get_default_config()
    config.ssl_ca_cert = info.ca_file
    client = (
        ImsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(project["ak"], project["sk"], project["id"]))
        .with_endpoints([info.endpoint])
        .build()
    )
    assert client.list_images(ListImagesRequest(limit=5)).images is not None


def test_a_start_failure_reports_the_stderr_of_the_emulator(tmp_path):
    missing = tmp_path / "no-such-seed.yaml"
    process = EmulatorProcess(seed=missing, startup_timeout=30)
    with pytest.raises(EmulatorError) as failure:
        process.start()
    assert not process.running
    assert "stderr" in str(failure.value)
    assert process.stderr_text().strip(), "the emulator exited silently"
    assert process.stderr_text().strip() in str(failure.value)
    process.close()


def one_region_seed(tmp_path, change=None):
    """The bundled seed without its further regions (and their projects), changed by ``change(seed)``."""
    with open(DEFAULT_SEED, encoding="utf-8") as stream:
        seed = yaml.safe_load(stream)
    del seed["regions"]
    for domain in seed["domains"]:
        domain["projects"] = [project for project in domain["projects"] if "region" not in project]
        for user in domain["users"]:
            user["projects"] = [name for name in user["projects"] if name.startswith(seed["region"])]
    if change:
        change(seed)
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(seed), encoding="utf-8")
    return path


def test_a_seed_of_one_region_serves_one(tmp_path):
    with EmulatorProcess(seed=one_region_seed(tmp_path)) as process:
        assert [(region.name, region.endpoint, region.cloud_profile) for region in process.info.regions] == [("eu-de", process.info.endpoint, "otc")]


def test_a_project_of_an_unknown_region_is_refused_at_start_up(tmp_path):
    def misplace(seed):
        seed["domains"][0]["projects"][1]["region"] = "eu-nl"

    process = EmulatorProcess(seed=one_region_seed(tmp_path, misplace))
    with pytest.raises(EmulatorError) as failure:
        process.start()
    assert "unknown regions ['eu-nl']" in str(failure.value)
    process.close()


def test_every_region_serves_tls(tls_emulator):
    info = tls_emulator.info
    assert len(info.regions) == 3
    for region in info.regions:
        assert region.endpoint.startswith("https://") and region.iam_endpoint.startswith("https://")
        assert httpx.get(region.endpoint + "/", verify=info.verify).status_code == 300


def test_stop_terminates_the_process():
    process = EmulatorProcess()
    process.start()
    assert process.running
    process.stop()
    assert not process.running
    with pytest.raises(httpx.TransportError):
        httpx.get(process.info.endpoint + "/", timeout=2)
    process.close()


def test_cli_job_seconds_and_token_lifetime(make_api):
    with EmulatorProcess(job_seconds=1.5, token_lifetime=120) as process:
        info = process.info
        with httpx.Client(timeout=30) as http:
            api = make_api(info, http)
            response = api.issue_token()
            assert response.status_code == 201
            expires = parse_time(response.json()["token"]["expires_at"])
            remaining = (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
            assert 100 < remaining <= 125, remaining
            world = World(ControlClient.for_emulator(process).world())
            server = world.stopped_server(api.project_id)
            started = time.monotonic()
            job = api.wait_job(api.start_job("POST", "/v2/cloudimages/action", {"name": unique_name(), "instance_id": server["id"]}))
            assert job.status == "SUCCESS"
            assert time.monotonic() - started >= 1.0
