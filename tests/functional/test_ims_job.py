# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hwcloud.ims.ims_job through ansible-playbook against the emulator: waiting, showing, failures, timeouts, TLS."""

from datetime import datetime

import httpx
import pytest
from seed import BASE_DEBIAN, DEBIAN_DATA_DISKS, DEBIAN_SERVER


def start_job(ansible, path, body):
    """Submit an IMS call that starts a job, the way other tooling would (token, plain HTTP); return the job ID."""
    info = ansible.emulator.info
    response = httpx.post(info.endpoint + path, json=body, headers={"X-Auth-Token": ansible.issue_token()}, verify=info.verify)
    response.raise_for_status()
    return response.json()["job_id"]


def start_image_job(ansible, name):
    """A job that makes three images: a system disk image and one image per data disk of the Debian server."""
    data_images = [{"name": "%s-data-%d" % (name, number), "volume_id": volume} for number, volume in enumerate(DEBIAN_DATA_DISKS, 1)]
    return start_job(ansible, "/v2/cloudimages/action", {"name": name, "instance_id": DEBIAN_SERVER, "data_images": data_images})


def start_copy_job(ansible, name):
    return start_job(ansible, "/v1/cloudimages/%s/copy" % BASE_DEBIAN, {"name": name})


def ims_requests(log):
    """The requests of a request log that reached IMS (not IAM, not the control API)."""
    return [entry for entry in log if not entry["path"].startswith(("/v3", "/_emulator"))]


@pytest.mark.parametrize("auth, check", [("aksk", False), ("password", True), ("token", False)])
def test_returns_every_image_a_finished_job_made(ansible, control, auth, check):
    job_id = start_image_job(ansible, "multi-%s" % auth)
    control.clear_requests()
    play = ansible.play(
        [
            {"name": "wait", "hwcloud.ims.ims_job": {"job_id": job_id}},
            {"name": "show", "hwcloud.ims.ims_job": {"job_id": job_id, "wait": False}},
            {"name": "images", "hwcloud.ims.ims_image_info": {"name_match": "multi-%s" % auth, "sort_key": "name", "sort_dir": "asc"}},
        ],
        auth=auth,
        check=check,
    )
    assert play.rc == 0, play.stdout

    waited = play.task("wait")["result"]
    job = waited["job"]
    assert waited["changed"] is False
    assert (job["job_id"], job["job_type"], job["status"]) == (job_id, "imsCreateImageByInstance", "SUCCESS")
    assert job["progress"] == 100 and job["process_percent"] == 1
    # Times are ISO 8601 in UTC; compared as times (a whole second is written without a fraction).
    assert job["begin_time"].endswith("Z") and datetime.fromisoformat(job["end_time"]) >= datetime.fromisoformat(job["begin_time"])
    assert job["error_code"] is None and job["fail_reason"] is None
    assert len(job["image_ids"]) == 3 and len(job["entities"]["sub_jobs_list"]) == 3
    assert play.task("show")["result"]["job"] == job
    images = play.task("images")["result"]["images"]
    assert [image["name"] for image in images] == ["multi-%s" % auth, "multi-%s-data-1" % auth, "multi-%s-data-2" % auth]
    assert [image["id"] for image in images] == job["image_ids"]
    # Nothing but reads, in check mode too: GETs and the tag search (a POST that changes nothing) of name_match.
    writes = [entry for entry in ims_requests(control.requests()) if entry["method"] != "GET" and not entry["path"].endswith("/resource_instances/action")]
    assert writes == []


def test_shows_a_running_job_times_out_then_waits_for_it(ansible, control):
    # A job's duration is fixed when it starts: one that outlasts the test, one that ends while the play waits.
    control.settings(job_seconds=120)
    slow_job = start_copy_job(ansible, "slow-copy")
    control.settings(job_seconds=3)
    job_id = start_copy_job(ansible, "quick-copy")
    play = ansible.play(
        [
            {"name": "show", "hwcloud.ims.ims_job": {"job_id": slow_job, "wait": False}},
            {"name": "too short", "hwcloud.ims.ims_job": {"job_id": slow_job, "wait_timeout": 1}, "ignore_errors": True},
            {"name": "wait", "hwcloud.ims.ims_job": {"job_id": job_id, "wait_timeout": 60}},
        ]
    )

    shown = play.task("show")["result"]["job"]
    assert shown["status"] in ("INIT", "RUNNING") and shown["end_time"] is None
    assert shown["job_type"] == "imsCopyImageInRegionJob" and len(shown["image_ids"]) == 1
    timed_out = play.task("too short")
    assert timed_out["status"] == "failed"
    assert "did not finish within 1 seconds" in timed_out["result"]["msg"] and "it may still be running" in timed_out["result"]["msg"]
    assert timed_out["result"]["job"]["status"] in ("INIT", "RUNNING") and timed_out["result"]["job"]["image_ids"] == shown["image_ids"]
    waited = play.task("wait")
    assert waited["status"] == "ok" and waited["result"]["job"]["status"] == "SUCCESS"
    assert waited["result"]["job"]["progress"] == 100 and waited["result"]["job"]["end_time"]


@pytest.mark.compat
def test_a_failed_job_fails_the_task_with_the_job(ansible, control):
    control.fail_jobs(error_code="IMG.0014", fail_reason="the source image is broken")
    job_id = start_copy_job(ansible, "doomed-copy")
    # Right after submission a job can be unknown for a moment: the waiter tolerates the 404s.
    control.add_fault(
        r"/v1/[0-9a-f]+/jobs/%s" % job_id, method="GET", count=2, status=404, body={"error": {"code": "IMG.0023", "message": "The job does not exist."}}
    )
    play = ansible.play(
        [
            {"name": "wait", "hwcloud.ims.ims_job": {"job_id": job_id}, "ignore_errors": True},
            {"name": "show", "hwcloud.ims.ims_job": {"job_id": job_id, "wait": False}, "ignore_errors": True},
        ]
    )

    for name in ("wait", "show"):
        task = play.task(name)
        assert task["status"] == "failed", name
        assert task["result"]["msg"] == "job %s (imsCopyImageInRegionJob) failed: IMG.0014: the source image is broken" % job_id
        job = task["result"]["job"]
        assert (job["status"], job["error_code"], job["fail_reason"]) == ("FAIL", "IMG.0014", "the source image is broken")
    assert [entry["status"] for entry in ims_requests(control.requests()) if "/jobs/" in entry["path"]][:3] == [404, 404, 200]


def test_an_unknown_job_fails_clearly(ansible):
    play = ansible.play(
        [
            {"name": "show", "hwcloud.ims.ims_job": {"job_id": "ff8080814dbd65d7014dbe0d84db0013", "wait": False}, "ignore_errors": True},
            {"name": "wait", "hwcloud.ims.ims_job": {"job_id": "ff8080814dbd65d7014dbe0d84db0013", "wait_timeout": 1}, "ignore_errors": True},
        ],
        auth="password",
    )

    for name in ("show", "wait"):
        assert play.task(name)["status"] == "failed"
        result = play.task(name)["result"]
        assert "job" not in result
        # IMS answers a job it does not know with the error table's 400 IMG.0023; waiting tolerated it as long as the
        # job could still be on its way (the grace of a new job's 404).
        assert result["msg"].startswith("get job ff8080814dbd65d7014dbe0d84db0013 failed: HTTP 400 IMG.0023: ")
        assert result["error"]["code"] == "IMG.0023" and result["error"]["request_id"]


def test_bad_input_fails_before_any_request(ansible, control):
    play = ansible.play(
        [
            {"name": "negative timeout", "hwcloud.ims.ims_job": {"job_id": "x", "wait_timeout": -1}, "ignore_errors": True},
            {"name": "timeout not a number", "hwcloud.ims.ims_job": {"job_id": "x", "wait_timeout": "soon"}, "ignore_errors": True},
            {"name": "no job id", "hwcloud.ims.ims_job": {"wait": False}, "ignore_errors": True},
        ]
    )

    assert play.task("negative timeout")["result"]["msg"] == "wait_timeout: must be 0 or more seconds"
    assert "wait_timeout" in play.task("timeout not a number")["result"]["msg"]
    assert play.task("no job id")["result"]["msg"] == "missing required arguments: job_id"
    assert not [entry for entry in control.requests() if not entry["path"].startswith("/_emulator")]


def test_over_https_with_the_emulators_ca(tls_ansible):
    ansible = tls_ansible
    ca_file = ansible.emulator.info.ca_file
    job_id = start_copy_job(ansible, "tls-copy")
    # The CA comes from the ca_path option here, not from OS_CACERT, so a task without it must refuse the server.
    play = ansible.play(
        [
            {"name": "job", "hwcloud.ims.ims_job": {"job_id": job_id, "ca_path": ca_file}},
            {"name": "images", "hwcloud.ims.ims_image_info": {"name": "tls-copy", "ca_path": ca_file}},
            {"name": "untrusted", "hwcloud.ims.ims_image_info": {"name": "tls-copy"}, "ignore_errors": True},
        ],
        env={"OS_CACERT": ""},
    )

    job = play.task("job")["result"]["job"]
    assert job["status"] == "SUCCESS"
    assert [image["id"] for image in play.task("images")["result"]["images"]] == job["image_ids"]
    assert play.task("untrusted")["status"] == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in play.task("untrusted")["result"]["msg"]
    assert "set ca_path" in play.task("untrusted")["result"]["msg"]
