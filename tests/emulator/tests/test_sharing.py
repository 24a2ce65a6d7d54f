# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image sharing: extension batch APIs (reference 5.3), Glance members (6.4), restrictions of 9.3."""

import os
import uuid

import httpx
import pytest
import yaml

from ims_emulator.testing import EMULATOR_DIR, EmulatorProcess, assert_ims_error, eventually, unique_name

MEMBER_KEYS = {"status", "created_at", "updated_at", "image_id", "member_id", "schema"}
SHARED_ACCEPTED = {"member_status": "accepted", "visibility": "shared", "__imagetype": "shared"}
SHARED_REJECTED = {"member_status": "rejected", "visibility": "shared", "__imagetype": "shared"}
SHARED_PENDING = {"member_status": "pending", "visibility": "shared", "__imagetype": "shared"}


@pytest.fixture
def image_id(owner, bulk):
    return bulk(owner, 1)[0]["id"]


def listed(api, image_id, query=None):
    return image_id in {image["id"] for image in api.all_images(query)}


def test_share_accept_and_use(owner, consumer, image_id):
    job = owner.share([image_id], [consumer.project_id])
    assert job.body["job_type"] == "imsAddImageMembersJob"
    results = job.entities.get("results") or []
    assert results and all(result["status"] == "success" for result in results), job.body
    assert {(result["image_id"], result["project_id"]) for result in results} == {(image_id, consumer.project_id)}
    assert listed(consumer, image_id, SHARED_PENDING)
    assert not listed(consumer, image_id, SHARED_ACCEPTED)
    assert not listed(consumer, image_id), "a pending share is not in the default listing"
    job = consumer.answer_share([image_id], "accepted")
    assert job.body["job_type"] == "imsUpdateImageMembersJob"
    assert listed(consumer, image_id, SHARED_ACCEPTED)
    assert listed(consumer, image_id)
    glance = consumer.ok("GET", "/v2/images", query=dict(SHARED_ACCEPTED, limit=1000))["images"]
    assert image_id in {image["id"] for image in glance}
    seen = consumer.images({"id": image_id})[0]
    assert seen["visibility"] == "shared" and seen["__imagetype"] == "shared"
    assert seen["owner"] == owner.project_id
    assert consumer.image(image_id)["id"] == image_id
    assert owner.images({"id": image_id})[0]["__imagetype"] == "shared"


def test_rejected_share_is_hidden(owner, consumer, image_id):
    owner.share([image_id], [consumer.project_id])
    consumer.answer_share([image_id], "rejected")
    assert not listed(consumer, image_id)
    assert not listed(consumer, image_id, SHARED_ACCEPTED)
    assert listed(consumer, image_id, SHARED_REJECTED)
    consumer.answer_share([image_id], "accepted")
    assert listed(consumer, image_id, SHARED_ACCEPTED)


def test_remove_members_stops_sharing(owner, consumer, image_id):
    owner.share([image_id], [consumer.project_id])
    consumer.answer_share([image_id], "accepted")
    job = owner.run_job("DELETE", "/v1/cloudimages/members", {"images": [image_id], "projects": [consumer.project_id]})
    assert job.body["job_type"] == "imsDelImageMembersJob"
    for query in (None, SHARED_ACCEPTED, SHARED_PENDING, SHARED_REJECTED):
        assert not listed(consumer, image_id, query)
    assert consumer.image(image_id) is None


def test_owner_may_delete_a_shared_image(owner, consumer, image_id):
    owner.share([image_id], [consumer.project_id])
    consumer.answer_share([image_id], "accepted")
    assert owner.delete("/v2/images/%s" % image_id).status_code == 204
    assert eventually(lambda: consumer.image(image_id) is None)
    assert eventually(lambda: not listed(consumer, image_id, SHARED_ACCEPTED))


def test_batch_share_several_images_with_several_projects(owner, api, projects, bulk):
    images = [image["id"] for image in bulk(owner, 2)]
    consumers = [api(project) for project in projects[1:3]]
    owner.share(images, [consumer.project_id for consumer in consumers])
    for consumer in consumers:
        for image_id in images:
            assert listed(consumer, image_id, SHARED_PENDING)
        consumer.answer_share(images, "accepted")
        assert all(listed(consumer, image_id, SHARED_ACCEPTED) for image_id in images)


def test_consumer_answers_only_for_itself(owner, consumer, api, projects, image_id):
    owner.share([image_id], [consumer.project_id])
    body = {"images": [image_id], "project_id": owner.project_id, "status": "accepted"}
    response = consumer.submit("PUT", "/v1/cloudimages/members", body)
    if response.status_code == 200:
        assert consumer.wait_job(response.json()["job_id"]).status == "FAIL"
    else:
        assert 400 <= response.status_code < 500, response.text
    assert not listed(consumer, image_id, SHARED_ACCEPTED)
    if len(projects) > 2:
        outsider = api(projects[2])
        response = outsider.submit("PUT", "/v1/cloudimages/members", {"images": [image_id], "project_id": outsider.project_id, "status": "accepted"})
        if response.status_code == 200:
            assert outsider.wait_job(response.json()["job_id"]).status == "FAIL"
        else:
            assert 400 <= response.status_code < 500, response.text
        assert not listed(outsider, image_id)


def test_answer_with_an_unknown_status_is_refused(owner, consumer, image_id):
    owner.share([image_id], [consumer.project_id])
    response = consumer.submit("PUT", "/v1/cloudimages/members", {"images": [image_id], "project_id": consumer.project_id, "status": "maybe"})
    assert_ims_error(response, 400)


def test_share_with_yourself_is_refused(owner, image_id):
    owner.expect_refusal(owner.submit("POST", "/v1/cloudimages/members", {"images": [image_id], "projects": [owner.project_id]}), "IMG.0076")


@pytest.fixture(scope="module")
def crowded(tmp_path_factory, make_api):
    """An emulator whose seed has 129 more projects in the first domain (members must be existing tenants)."""
    with open(os.path.join(EMULATOR_DIR, "ims_emulator", "default_seed.yaml"), encoding="utf-8") as handle:
        seed = yaml.safe_load(handle)
    extra = [{"id": uuid.uuid4().hex, "name": "eu-de_member%03d" % number} for number in range(129)]
    seed["domains"][0]["projects"].extend(extra)
    path = tmp_path_factory.mktemp("seed") / "crowded.yaml"
    path.write_text(yaml.safe_dump(seed), encoding="utf-8")
    with EmulatorProcess(seed=path, job_seconds=0.1) as process, httpx.Client(timeout=30) as http:
        info = process.info
        yield make_api(info, http), [project["id"] for project in extra]


def test_at_most_128_members(crowded):
    api, members = crowded
    image_id = api.glance_create()["id"]
    api.run_job("PUT", "/v1/cloudimages/%s/upload" % image_id, {"image_url": "ims-images:centos7.qcow2"})
    api.share([image_id], members[:100])
    api.share([image_id], members[100:128])
    assert len(api.ok("GET", "/v2/images/%s/members" % image_id)["members"]) == 128
    response = api.submit("POST", "/v1/cloudimages/members", {"images": [image_id], "projects": [members[128]]})
    api.expect_refusal(response, "IMG.0088")
    assert len(api.ok("GET", "/v2/images/%s/members" % image_id)["members"]) == 128


def test_members_must_be_tenants_of_the_region(owner, image_id):
    response = owner.submit("POST", "/v1/cloudimages/members", {"images": [image_id], "projects": [uuid.uuid4().hex]})
    owner.expect_refusal(response, "IMG.0108", "IMG.0067")


def test_encrypted_image_cannot_be_shared(owner, consumer, world):
    image_id = owner.import_image(world.object_url(owner.project_id, ".qcow2"), cmk_id=world.kms_key(owner.project_id))
    response = owner.submit("POST", "/v1/cloudimages/members", {"images": [image_id], "projects": [consumer.project_id]})
    owner.expect_refusal(response, "IMG.0098")
    response = owner.post("/v2/images/%s/members" % image_id, json_body={"member": consumer.project_id})
    assert_ims_error(response, 400, "IMG.0098")


def test_full_ecs_image_cannot_be_shared(owner, consumer, stopped_server):
    job = owner.run_job("POST", "/v1/cloudimages/wholeimages/action", {"name": unique_name("whole"), "instance_id": stopped_server["id"]})
    image_id = job.image_id or job.sub_image_ids()[0]
    response = owner.submit("POST", "/v1/cloudimages/members", {"images": [image_id], "projects": [consumer.project_id]})
    owner.expect_refusal(response, "IMG.0135")


def test_public_image_cannot_be_shared(owner, consumer):
    public = owner.images({"__imagetype": "gold", "limit": 1})[0]
    response = owner.submit("POST", "/v1/cloudimages/members", {"images": [public["id"]], "projects": [consumer.project_id]})
    owner.expect_refusal(response, "IMG.0089")


def test_only_the_owner_shares(owner, consumer, api, projects, image_id):
    owner.share([image_id], [consumer.project_id])
    consumer.answer_share([image_id], "accepted")
    third = projects[2]["id"] if len(projects) > 2 else uuid.uuid4().hex
    response = consumer.submit("POST", "/v1/cloudimages/members", {"images": [image_id], "projects": [third]})
    if response.status_code == 200:
        assert consumer.wait_job(response.json()["job_id"]).status == "FAIL"
    else:
        assert 400 <= response.status_code < 500, response.text
    if len(projects) > 2:
        assert not listed(api(projects[2]), image_id, SHARED_PENDING)


def test_shared_image_cannot_be_changed_or_deleted_by_the_consumer(owner, consumer, image_id):
    owner.share([image_id], [consumer.project_id])
    consumer.answer_share([image_id], "accepted")
    response = consumer.patch("/v2/cloudimages/%s" % image_id, json_body=[{"op": "replace", "path": "/name", "value": "mine"}])
    assert 400 <= response.status_code < 500
    response = consumer.delete("/v2/images/%s" % image_id)
    assert 400 <= response.status_code < 500
    image = owner.images({"id": image_id})[0]
    assert image["name"] != "mine" and image["status"] == "active"


@pytest.mark.parametrize(
    "body", [{"images": "x", "projects": []}, {"images": []}, {"projects": ["p"]}, {}], ids=["images-string", "no-projects", "no-images", "empty"]
)
def test_bad_member_bodies_are_refused(owner, body):
    assert_ims_error(owner.post("/v1/cloudimages/members", json_body=body), 400)


def test_glance_members_lifecycle(owner, consumer, image_id):
    url = "/v2/images/%s/members" % image_id
    member = owner.ok("POST", url, json_body={"member": consumer.project_id})
    assert MEMBER_KEYS <= set(member)
    assert (member["status"], member["image_id"], member["member_id"], member["schema"]) == ("pending", image_id, consumer.project_id, "/v2/schemas/member")
    listing = owner.ok("GET", url)
    assert listing["schema"] == "/v2/schemas/members"
    assert [item["member_id"] for item in listing["members"]] == [consumer.project_id]
    assert owner.ok("GET", "%s/%s" % (url, consumer.project_id))["status"] == "pending"
    accepted = consumer.ok("PUT", "%s/%s" % (url, consumer.project_id), json_body={"status": "accepted"})
    assert MEMBER_KEYS <= set(accepted) and accepted["status"] == "accepted"
    assert listed(consumer, image_id, SHARED_ACCEPTED)
    assert consumer.ok("GET", "%s/%s" % (url, consumer.project_id))["status"] == "accepted"
    response = owner.delete("%s/%s" % (url, consumer.project_id))
    assert response.status_code == 204 and response.content == b""
    assert owner.get("%s/%s" % (url, consumer.project_id)).status_code == 404
    assert not listed(consumer, image_id, SHARED_ACCEPTED)
    assert owner.ok("GET", url)["members"] == []


def test_glance_member_rules(owner, consumer, image_id):
    url = "/v2/images/%s/members" % image_id
    owner.ok("POST", url, json_body={"member": consumer.project_id})
    assert 400 <= owner.post(url, json_body={"member": consumer.project_id}).status_code < 500
    assert_ims_error(owner.post(url, json_body={"member": owner.project_id}), 400, "IMG.0076")
    assert 400 <= owner.post(url, json_body={}).status_code < 500
    bad_status = consumer.put("%s/%s" % (url, consumer.project_id), json_body={"status": "maybe"})
    assert 400 <= bad_status.status_code < 500
    owner_answer = owner.put("%s/%s" % (url, consumer.project_id), json_body={"status": "accepted"})
    assert 400 <= owner_answer.status_code < 500
    assert owner.ok("GET", "%s/%s" % (url, consumer.project_id))["status"] == "pending"
    assert owner.delete("%s/%s" % (url, uuid.uuid4().hex)).status_code == 404


def test_members_of_a_foreign_image_are_hidden(consumer, image_id):
    foreign = consumer.get("/v2/images/%s/members" % image_id)
    missing = consumer.get("/v2/images/%s/members" % uuid.uuid4())
    assert foreign.status_code == missing.status_code == 404
    foreign = consumer.get("/v1/{project_id}/cloudimages/%s/members" % image_id)
    missing = consumer.get("/v1/{project_id}/cloudimages/%s/members" % uuid.uuid4())
    assert foreign.status_code == missing.status_code and 400 <= foreign.status_code < 500


def test_v1_member_queries(owner, consumer, image_id):
    owner.share([image_id], [consumer.project_id])
    body = owner.ok("GET", "/v1/{project_id}/cloudimages/%s/members" % image_id)
    assert [member["member_id"] for member in body["members"]] == [consumer.project_id]
    assert MEMBER_KEYS <= set(body["members"][0])
    member = owner.ok("GET", "/v1/{project_id}/cloudimages/%s/members/%s" % (image_id, consumer.project_id))
    assert member["member_id"] == consumer.project_id and member["status"] == "pending"
    assert member["image_id"] == image_id
    assert owner.get("/v1/{project_id}/cloudimages/%s/members/%s" % (image_id, uuid.uuid4().hex)).status_code == 404


def test_world_records_members(owner, consumer, control, image_id):
    owner.share([image_id], [consumer.project_id])
    dump = str(control.world())
    assert image_id in dump and consumer.project_id in dump
