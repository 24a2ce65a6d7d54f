# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control API: reset, world, request log (without secrets), faults, job failures, settings, bulk images."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ims_emulator.testing import assert_ims_error, eventually, unique_name

LOG_KEYS = {"time", "request_id", "method", "path", "query", "project_id", "auth", "status", "duration_ms"}
CREATE = "/v2/cloudimages/action"


def api_requests(control):
    """The request log without the control API's own calls."""
    return [entry for entry in control.requests() if not entry["path"].startswith("/_emulator")]


def seed_state(world):
    """The parts of the world a reset must restore (not the clock)."""
    return {key: value for key, value in world.items() if key != "time"}


def create_body(server, name=None):
    return {"name": name or unique_name("fault"), "instance_id": server["id"]}


def test_reset_restores_the_seed(owner, control, stopped_server):
    seed = seed_state(control.world())
    image_id = owner.create_image(stopped_server["id"])
    control.add_fault("/nothing", count=5, status=500)
    control.settings(job_seconds=5)
    assert seed_state(control.world()) != seed
    control.reset()
    assert seed_state(control.world()) == seed
    assert control.faults() == []
    assert api_requests(control) == []
    owner.forget_token()
    assert owner.image(image_id) is None
    started = time.monotonic()
    owner.create_image(stopped_server["id"])
    assert time.monotonic() - started < 4, "reset must restore job_seconds"


def test_reset_invalidates_tokens(owner, control):
    owner.images()
    control.reset()
    assert owner.get("/v2/cloudimages").status_code == 401


def test_world_shows_projects_and_new_images(owner, control, stopped_server):
    image_id = owner.create_image(stopped_server["id"], image_tags=[{"key": "k", "value": "v"}])
    dump = json.dumps(control.world())
    for project in owner.info.projects:
        assert project["id"] in dump
    assert image_id in dump and stopped_server["id"] in dump


def test_request_log(any_auth, control):
    if any_auth.auth == "token":
        assert any_auth.token
    control.clear_requests()
    assert api_requests(control) == []
    response = any_auth.get("/v2/cloudimages", query={"limit": 2, "__imagetype": "gold"})
    anonymous = any_auth.request("GET", "/v2/images", auth=False)
    entries = api_requests(control)
    assert len(entries) == 2
    for entry in entries:
        assert LOG_KEYS <= set(entry), entry
    first, second = entries
    assert first["request_id"] == response.headers["X-Request-Id"]
    assert (first["method"], first["path"], first["status"]) == ("GET", "/v2/cloudimages", 200)
    assert "limit" in json.dumps(first["query"]) and "gold" in json.dumps(first["query"])
    assert first["project_id"] == any_auth.project_id
    assert first["auth"] == ("token" if any_auth.auth == "token" else "aksk")
    assert first["duration_ms"] >= 0
    assert second["request_id"] == anonymous.headers["X-Request-Id"]
    assert (second["auth"], second["status"]) == ("none", 401)
    control.clear_requests()
    assert api_requests(control) == []


def test_no_secret_in_the_request_log_or_on_stderr(api, projects, emulator, control):
    secrets = set()
    for project in projects:
        secrets.update((project["password"], project["sk"]))
    for credential in emulator.info.temporary_credentials:
        secrets.update((credential["sk"], credential["security_token"]))
    for auth in ("token", "aksk", "temporary"):
        client = api(projects[0], auth)
        client.images()
        client.get("/v2/images", query={"name": "x"})
        client.issue_token(password="wrong-password-%s" % auth)
        if auth == "token":
            secrets.add(client.token)
    secrets.add("wrong-password-token")
    text = json.dumps(control.requests()) + emulator.stderr_text()
    leaked = [secret for secret in secrets if secret and secret in text]
    assert not leaked, "secrets leaked into the request log or stderr"


@pytest.mark.parametrize(
    "status,body,headers",
    [
        (500, {"error": {"code": "IMG.0061", "message": "Unknown system error."}}, {}),
        (503, {"error_code": "APIGW.0201", "error_msg": "unavailable"}, {}),
        (429, {"error_code": "APIGW.0308", "error_msg": "throttled"}, {"Retry-After": "1"}),
        (400, {"error": {"code": "IMG.0060", "message": "The number of tasks exceeds the flow control limit."}}, {}),
    ],
    ids=["500", "503", "429", "IMG.0060"],
)
def test_status_fault_for_n_requests_then_normal(owner, control, stopped_server, status, body, headers):
    fault_id = control.add_fault(CREATE, method="POST", count=2, status=status, body=body, headers=headers)
    assert fault_id
    name = unique_name("faulted")
    for _attempt in range(2):
        response = owner.submit("POST", CREATE, create_body(stopped_server, name))
        assert response.status_code == status
        assert response.json() == body
        for key, value in headers.items():
            assert response.headers[key] == value
        assert response.headers.get("X-Request-Id")
    assert owner.images({"name": name}) == [], "a faulted request must not be applied"
    job = owner.wait_job(owner.start_job("POST", CREATE, create_body(stopped_server, name)))
    assert job.status == "SUCCESS"
    assert len(owner.images({"name": name})) == 1


def test_throttling_fault_defaults_to_the_gateway_answer(owner, control):
    control.add_fault("/v2/cloudimages", method="GET", status=429)
    response = owner.get("/v2/cloudimages")
    assert response.status_code == 429
    assert response.json()["error_code"] == "APIGW.0308"
    assert response.headers["Retry-After"] == "1"
    entry = [entry for entry in api_requests(control) if entry["request_id"] == response.headers["X-Request-Id"]]
    assert entry and entry[0]["status"] == 429 and entry[0]["fault"] == "status"


def test_faults_hit_iam_too(owner, control):
    control.add_fault("/v3/auth/tokens", method="POST", status=503, body={"error": {"code": 503}})
    assert owner.issue_token().status_code == 503
    assert owner.issue_token().status_code == 201


def test_faults_act_before_authentication(owner, control):
    control.add_fault("/v2/cloudimages", method="GET", status=500, body={"error": {"code": "IMG.0061"}})
    assert owner.request("GET", "/v2/cloudimages", auth=False).status_code == 500


def test_fault_matches_method_and_whole_path(owner, control, stopped_server):
    control.add_fault("/v2/cloudimages", method="GET", count=1, status=503, body={"error_code": "APIGW.0201"})
    assert owner.start_job("POST", CREATE, create_body(stopped_server))
    assert owner.get("/v2/cloudimages/%s/x" % stopped_server["id"]).status_code != 503
    assert owner.get("/v2/images").status_code == 200
    assert owner.get("/v2/cloudimages").status_code == 503
    assert owner.get("/v2/cloudimages").status_code == 200


def test_fault_path_is_a_regular_expression(owner, control):
    control.add_fault(r"/v2/images/[0-9a-f-]+", count=1, status=500, body={"error": {"code": "IMG.0061"}})
    assert owner.get("/v2/images").status_code == 200
    assert owner.get("/v2/images/00000000-0000-0000-0000-000000000000").status_code == 500


def test_faults_list_remove_and_clear(owner, control):
    first = control.add_fault("/v2/cloudimages", method="GET", count=3, status=500)
    second = control.add_fault("/b", action="delay", delay=0.1)
    listed = {fault["id"]: fault for fault in control.faults()}
    assert set(listed) == {first, second} and listed[first]["count"] == 3
    owner.get("/v2/cloudimages")
    assert {fault["id"]: fault for fault in control.faults()}[first]["count"] == 2
    control.remove_fault(first)
    assert [fault["id"] for fault in control.faults()] == [second]
    assert owner.get("/v2/cloudimages").status_code == 200
    control.clear_faults()
    assert control.faults() == []


def test_delay_fault(owner, control):
    control.add_fault("/v2/cloudimages", method="GET", action="delay", delay=0.8)
    started = time.monotonic()
    assert owner.get("/v2/cloudimages").status_code == 200
    assert time.monotonic() - started >= 0.8
    started = time.monotonic()
    assert owner.get("/v2/cloudimages").status_code == 200
    assert time.monotonic() - started < 0.8


def test_drop_before_changes_nothing(owner, control, stopped_server):
    control.add_fault(CREATE, method="POST", action="drop_before")
    name = unique_name("dropped")
    with pytest.raises(httpx.TransportError):
        owner.submit("POST", CREATE, create_body(stopped_server, name))
    time.sleep(1.0)
    assert owner.images({"name": name}) == []
    dropped = [entry for entry in api_requests(control) if entry["fault"] == "drop_before"]
    assert len(dropped) == 1 and dropped[0]["status"] is None
    assert owner.start_job("POST", CREATE, create_body(stopped_server))


def test_drop_after_applies_the_request(owner, control, stopped_server):
    control.add_fault(CREATE, method="POST", action="drop_after")
    name = unique_name("lost-answer")
    with pytest.raises(httpx.TransportError):
        owner.submit("POST", CREATE, create_body(stopped_server, name))
    eventually(lambda: [image for image in owner.images({"name": name}) if image["status"] == "active"])
    found = owner.images({"name": name})
    assert len(found) == 1 and found[0]["status"] == "active", found


def test_drop_after_on_a_synchronous_call(owner, control, bulk):
    image_id = bulk(owner, 1)[0]["id"]
    control.add_fault("/v2/cloudimages/%s" % image_id, method="PATCH", action="drop_after")
    with pytest.raises(httpx.TransportError):
        owner.patch("/v2/cloudimages/%s" % image_id, json_body=[{"op": "replace", "path": "/name", "value": "kept"}])
    assert owner.images({"id": image_id})[0]["name"] == "kept"


def test_apply_late_answers_nothing_then_applies_the_request(owner, control, stopped_server):
    control.add_fault(CREATE, method="POST", action="apply_late", delay=1.0)
    name = unique_name("late")
    with pytest.raises(httpx.TransportError):
        owner.submit("POST", CREATE, create_body(stopped_server, name))
    assert owner.images({"name": name}) == []  # not yet
    eventually(lambda: owner.images({"name": name}))
    entries = [entry for entry in api_requests(control) if entry["path"] == CREATE]
    assert [(entry["fault"], entry["status"]) for entry in entries] == [("apply_late", None), ("applied_late", 200)]
    assert entries[0]["request_id"] == entries[1]["request_id"]


def test_apply_late_needs_a_delay(control):
    response = httpx.post(control.control_endpoint + "/faults", json={"path": CREATE, "action": "apply_late"})
    assert response.status_code == 400 and "delay" in response.json()["error"]


CHAOS_FAULTS = [
    {"path": "/v2/cloudimages", "method": "GET", "action": "status", "status": 500},
    {"path": "/v2/cloudimages", "method": "GET", "action": "drop_before"},
]


def chaos_outcomes(owner, count=40):
    outcomes = []
    for _request in range(count):
        try:
            outcomes.append(owner.get("/v2/cloudimages").status_code)
        except httpx.TransportError:
            outcomes.append("dropped")
    return outcomes


def test_chaos_faults_a_seeded_share_of_the_requests_never_too_many_in_a_row(owner, control):
    control.chaos(0.5, CHAOS_FAULTS, seed=3, max_in_a_row=2)
    first = chaos_outcomes(owner)
    stats = control.stop_chaos()
    assert 5 < sum(outcome != 200 for outcome in first) < 35, first
    assert set(first) <= {200, 500, "dropped"} and {500, "dropped"} <= set(first)
    assert stats["requests"] == 40 and sum(stats["faulted"].values()) == sum(outcome != 200 for outcome in first)
    assert not any(all(outcome != 200 for outcome in first[index : index + 3]) for index in range(len(first) - 2)), first
    assert owner.get("/v2/cloudimages").status_code == 200  # stopped
    control.chaos(0.5, CHAOS_FAULTS, seed=3, max_in_a_row=2)
    assert chaos_outcomes(owner) == first  # the same seed, the same faults
    control.reset()
    assert control.call("GET", "/chaos") == {"chaos": None}


def test_chaos_touches_only_the_requests_its_faults_match(owner, control):
    control.chaos(1.0, CHAOS_FAULTS)
    assert owner.get("/v1/cloudimages/quota").status_code == 200
    assert control.call("GET", "/chaos")["requests"] == 0


def test_fail_jobs_counts(owner, control, stopped_server):
    control.fail_jobs(count=2, error_code="IMG.0014", fail_reason="planned")
    for _attempt in range(2):
        job = owner.run_job("POST", CREATE, create_body(stopped_server), expect="FAIL")
        assert (job.body["error_code"], job.body["fail_reason"]) == ("IMG.0014", "planned")
    owner.run_job("POST", CREATE, create_body(stopped_server))


def test_settings_job_seconds(owner, control, stopped_server):
    assert control.settings()["job_seconds"] == pytest.approx(0.3)
    control.settings(job_seconds=2)
    assert control.settings()["job_seconds"] == 2
    job_id = owner.start_job("POST", CREATE, create_body(stopped_server))
    time.sleep(0.8)
    assert owner.ok("GET", "/v1/{project_id}/jobs/%s" % job_id)["status"] in ("INIT", "RUNNING")
    assert owner.wait_job(job_id).status == "SUCCESS"


def test_settings_consistency_lag(owner, control, stopped_server, bulk):
    """consistency_lag: how long a new job answers 404 and an image deleted through Glance is still listed."""
    assert control.settings()["consistency_lag"] == pytest.approx(0.2)
    assert control.call("PUT", "/settings", {"consistency_lag": 0})["consistency_lag"] == 0
    job_id = owner.start_job("POST", CREATE, create_body(stopped_server))
    assert owner.get("/v1/{project_id}/jobs/%s" % job_id).status_code == 200, "no lag: visible at once"
    assert owner.wait_job(job_id).status == "SUCCESS"
    settings = control.call("PUT", "/settings", {"consistency_lag": 60})
    assert settings["consistency_lag"] == 60 and control.settings()["consistency_lag"] == 60
    assert settings["job_seconds"] == pytest.approx(0.3), "other settings are left alone"
    job_id = owner.start_job("POST", CREATE, create_body(stopped_server))
    assert_ims_error(owner.get("/v1/{project_id}/jobs/%s" % job_id), 404, "IMG.0023")
    image_id = bulk(owner, 1)[0]["id"]
    assert owner.delete("/v2/images/%s" % image_id).status_code == 204
    time.sleep(0.5)
    assert owner.images({"id": image_id}), "a deleted image lingers in GET /v2/cloudimages for consistency_lag"
    for body in ({"consistency_lag": -1}, {"consistency_lag": "soon"}):
        response = httpx.put(control.control_endpoint + "/settings", json=body, verify=owner.info.verify)
        assert response.status_code == 400, response.text
    assert control.settings()["consistency_lag"] == 60
    assert control.reset()["settings"]["consistency_lag"] == pytest.approx(0.2)
    assert control.settings()["consistency_lag"] == pytest.approx(0.2)


def test_settings_latency(owner, control):
    """latency: every IMS, Glance and IAM request waits that long before it is answered, control calls never do."""
    assert control.settings()["latency"] == 0
    settings = control.settings(latency=0.6)
    assert settings["latency"] == pytest.approx(0.6) and settings["job_seconds"] == pytest.approx(0.3)
    for send in (lambda: owner.get("/v2/cloudimages"), lambda: owner.get("/v2/images"), owner.issue_token):
        started = time.monotonic()
        assert send().status_code in (200, 201)
        assert time.monotonic() - started >= 0.6
    started = time.monotonic()
    assert control.settings()["latency"] == pytest.approx(0.6)
    control.clear_requests()
    assert time.monotonic() - started < 0.6, "control calls get no latency"
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _number: owner.get("/v2/cloudimages").status_code, range(4)))
    assert statuses == [200] * 4
    assert time.monotonic() - started < 4 * 0.6, "the wait blocks no other request"
    assert all(entry["duration_ms"] >= 600 for entry in api_requests(control))
    for body in ({"latency": -0.1}, {"latency": "slow"}):
        response = httpx.put(control.control_endpoint + "/settings", json=body, verify=owner.info.verify)
        assert response.status_code == 400, response.text
    assert control.reset()["settings"]["latency"] == 0
    owner.forget_token()
    started = time.monotonic()
    assert owner.get("/v2/cloudimages").status_code == 200
    assert time.monotonic() - started < 0.6


def test_bulk_images(owner, consumer, bulk):
    made = bulk(owner, 12, tags={"batch": "one"})
    for image in made:
        assert image["status"] == "active"
        assert image["__imagetype"] == "private" and image["visibility"] == "private"
        assert image["owner"] == owner.project_id
    assert owner.image_tags(made[0]["id"]) == {"batch": "one"}
    assert not {image["id"] for image in made} & {image["id"] for image in consumer.all_images()}


def test_bulk_protected_images_cannot_be_deleted(owner, control):
    image_id = control.bulk_images(owner.project_id, 1, name_prefix=unique_name("guarded"), protected=True)["ids"][0]
    assert owner.image(image_id)["protected"] is True
    owner.expect_refusal(owner.delete("/v2/images/%s" % image_id), "IMG.0028")
    assert owner.image(image_id)["status"] == "active"


def test_bulk_refuses_bad_requests(control, owner):
    for body in ({"project_id": owner.project_id, "count": -1}, {"project_id": "no-such-project", "count": 1}):
        response = httpx.post(control.control_endpoint + "/images/bulk", json=body, verify=owner.info.verify)
        assert 400 <= response.status_code < 500, response.text


def test_twenty_thousand_images_page_quickly(owner, control):
    existing = len(owner.all_images())
    started = time.monotonic()
    control.bulk_images(owner.project_id, 20000, name_prefix="scale")
    created = time.monotonic() - started
    started = time.monotonic()
    seen = []
    query = {"limit": 500}
    while True:
        page = owner.images(query)
        seen.extend(image["id"] for image in page)
        if len(page) < 500:
            break
        query["marker"] = page[-1]["id"]
    paged = time.monotonic() - started
    print("bulk-created 20000 images in %.2f s; paged %d images (limit=500) in %.2f s" % (created, len(seen), paged))
    assert len(seen) == len(set(seen)) == existing + 20000
    assert len(owner.images()) == 500
    assert owner.quota()["used"] >= 20000


def test_unknown_control_call_is_refused(control):
    response = httpx.post(control.control_endpoint + "/no-such-call", json={})
    assert response.status_code == 404


def test_control_fault_body_validation(control):
    response = httpx.post(control.control_endpoint + "/faults", json={"path": "(", "action": "status", "count": 1})
    assert 400 <= response.status_code < 500
    response = httpx.post(control.control_endpoint + "/faults", json={"path": "/x", "action": "explode", "count": 1})
    assert 400 <= response.status_code < 500


def test_ims_error_answers_during_faults_keep_the_gateway_untouched(owner, control):
    control.add_fault("/v2/cloudimages", method="GET", count=1, status=400, body={"error": {"code": "IMG.0060", "message": "flow control"}})
    assert_ims_error(owner.get("/v2/cloudimages"), 400, "IMG.0060")
    assert owner.get("/v2/cloudimages").status_code == 200
