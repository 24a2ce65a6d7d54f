# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several regions, each on a port of its own, and replicating images between them (Huawei Cloud's "Replicating an
Image Across Regions", POST /v1/cloudimages/{image_id}/cross_region_copy).

The bundled seed has the Open Telekom Cloud region eu-de (the first) and the Huawei Cloud regions ap-southeast-1
(the source of replications here) and ap-southeast-3 (their destination).
"""

import urllib.parse

import httpx
import pytest

from ims_emulator.testing import World, assert_ims_error, unique_name

SOURCE, DESTINATION, OTC = "ap-southeast-1", "ap-southeast-3", "eu-de"
AGENCY = "ims_admin_agency"
CROSS_REGION_JOB = "imsCopyImageCrossRegionJob"


@pytest.fixture
def source(region_api):
    """The builder project of the source region, with a token."""
    return region_api(SOURCE)


@pytest.fixture
def destination(region_api):
    return region_api(DESTINATION)


def seeded_image(world, api, name):
    """The id of the seed's image called ``name`` in ``api``'s project."""
    return next(image["attributes"]["id"] for image in world.items(api.project_id, "images") if image["attributes"]["name"] == name)


def replicate(api, image_id, **fields):
    """POST .../cross_region_copy of ``image_id`` to the destination's builder project (``fields`` change the body;
    None leaves a field out)."""
    body = {"name": unique_name("replica"), "description": "a replica", "region": DESTINATION, "project_name": DESTINATION, "agency_name": AGENCY}
    body.update(fields)
    return api.submit("POST", "/v1/cloudimages/%s/cross_region_copy" % image_id, {key: value for key, value in body.items() if value is not None})


def images_of(control, project_id):
    return [image["attributes"] for image in World(control.world()).items(project_id, "images")]


# --- regions ------------------------------------------------------------------------------------------------------


def test_the_ready_line_describes_every_region(info):
    names = [region.name for region in info.regions]
    assert names == [OTC, SOURCE, DESTINATION]
    first = info.regions[0]
    assert (first.endpoint, first.iam_endpoint, first.projects, first.temporary_credentials) == (
        info.endpoint,
        info.iam_endpoint,
        info.projects,
        info.temporary_credentials,
    )
    assert {region.name: region.cloud_profile for region in info.regions} == {OTC: "otc", SOURCE: "huaweicloud", DESTINATION: "huaweicloud"}
    ports = {urllib.parse.urlsplit(region.endpoint).port for region in info.regions}
    assert len(ports) == 3, "each region has a port of its own"
    for region in info.regions:
        assert region.iam_endpoint == region.endpoint + "/v3"
        assert [project["name"] for project in region.projects] == [region.name, region.name + "_apps"]
        assert all(project["ak"] and project["sk"] and project["password"] for project in region.projects)


def test_each_region_serves_its_own_projects(region_api, info, http):
    for region in (SOURCE, DESTINATION):
        for auth in ("token", "aksk", "temporary"):
            assert isinstance(region_api(region, auth=auth).images(), list)
    # A token of a project of one region, or an AK/SK request for it, is refused at another region's endpoint.
    hk = region_api(SOURCE)
    response = http.get(info.endpoint + "/v2/cloudimages", headers={"X-Auth-Token": hk.token})
    assert response.status_code == 401 and response.json()["error_code"] == "APIGW.0301", response.text
    signed = region_api(SOURCE, auth="aksk").sign("GET", "/v2/cloudimages")
    response = http.request(
        signed.method, signed.url.replace(info.region_info(SOURCE).endpoint, info.region_info(DESTINATION).endpoint), headers=signed.headers
    )
    assert response.status_code == 401 and response.json()["error_code"] == "APIGW.0301", response.text


def test_access_keys_are_account_wide(info):
    """The builder's one AK/SK pair reaches its projects in every region."""
    assert len({region.projects[0]["ak"] for region in info.regions}) == 1


def test_a_token_catalog_lists_the_image_endpoint_of_its_projects_region(region_api, info):
    for region in (SOURCE, DESTINATION):
        token = region_api(region).issue_token().json()["token"]
        images = next(service for service in token["catalog"] if service["type"] == "image")
        assert [(endpoint["region"], endpoint["url"]) for endpoint in images["endpoints"]] == [(region, info.region_info(region).endpoint)]


def test_a_domain_scoped_token_catalog_lists_every_region(owner, info):
    body = owner.password_auth_body()
    body["auth"]["scope"] = {"domain": {"name": owner.project["domain"]}}
    token = owner.http.post(info.iam_endpoint + "/auth/tokens", json=body).json()["token"]
    images = next(service for service in token["catalog"] if service["type"] == "image")
    assert {endpoint["region"]: endpoint["url"] for endpoint in images["endpoints"]} == {region.name: region.endpoint for region in info.regions}


def test_public_images_belong_to_their_region(source, destination, owner):
    hk = {image["id"] for image in source.all_images({"__imagetype": "gold"})}
    sg = {image["id"] for image in destination.all_images({"__imagetype": "gold"})}
    de = {image["id"] for image in owner.all_images({"__imagetype": "gold"})}
    assert len(hk) == len(sg) == 2 and len(de) == 7
    assert not (hk & sg) and not (hk & de)
    foreign = sorted(de)[0]
    assert source.images({"id": foreign}) == []
    assert source.image(foreign) is None


def test_an_image_is_shared_only_within_its_region(source, world, info):
    image_id = seeded_image(world, source, "web-golden-hk-1")
    other_region = info.region_info(DESTINATION).projects[1]["id"]
    response = source.submit("POST", "/v1/cloudimages/members", {"images": [image_id], "projects": [other_region]})
    source.expect_refusal(response, "IMG.0108")
    same_region = info.region_info(SOURCE).projects[1]["id"]
    source.share([image_id], [same_region])


def test_the_world_shows_the_region_of_every_project(control, info):
    data = control.world()
    assert data["regions"] == {region.name: region.cloud_profile for region in info.regions}
    for region in info.regions:
        for project in region.projects:
            assert data["projects"][project["id"]]["region"] == region.name


def test_the_otc_region_has_no_cross_region_api(info, http, owner, world):
    """Open Telekom Cloud's IMS does not offer the API: its gateway answers as for any unknown API, before it looks
    at credentials."""
    image_id = world.items(owner.project_id, "images")[0]["attributes"]["id"]
    path = "/v1/cloudimages/%s/cross_region_copy" % image_id
    for response in (http.post(info.endpoint + path, json={}), replicate(owner, image_id)):
        assert_ims_error(response, 404, "APIGW.0101")


# --- replicating --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["token", "aksk", "temporary"])
def test_replication_makes_a_private_image_in_the_destination(region_api, control, world, info, auth):
    source = region_api(SOURCE, auth=auth)
    destination = region_api(DESTINATION, auth=auth)
    image_id = seeded_image(world, source, "web-golden-hk-1")
    original = next(image for image in images_of(control, source.project_id) if image["id"] == image_id)
    name = unique_name("replica")
    response = replicate(source, image_id, name=name, description="web, replicated")
    assert response.status_code == 200, response.text
    job_id = response.json()["job_id"]
    queued = destination.images({"name": name})
    assert [image["status"] for image in queued] in (["queued"], ["saving"]), "the replica exists in the destination at once"

    job = source.wait_job(job_id)
    assert job.status == "SUCCESS" and job.body["job_type"] == CROSS_REGION_JOB
    replica = destination.images({"id": job.image_id})[0]
    assert replica["name"] == name and replica["__description"] == "web, replicated"
    assert replica["status"] == "active" and replica["owner"] == destination.project_id
    assert replica["__imagetype"] == "private" and replica["visibility"] == "private"
    assert replica["id"] != image_id and replica["tags"] == [], "tags are not replicated"
    for attribute in ("__os_version", "__platform", "__os_type", "min_disk", "disk_format", "virtual_env_type", "__image_size"):
        assert replica[attribute] == original[attribute], attribute
    assert replica["__originalimagename"] == image_id
    # The job is the source region's: the destination does not know it.
    assert_ims_error(destination.get("/v1/{project_id}/jobs/%s" % job_id), 400, "IMG.0023")
    assert source.images({"name": name}) == []
    assert info.region_info(DESTINATION).projects[0]["id"] == destination.project_id


def test_a_full_ecs_image_is_replicated_into_a_vault(source, destination, world, control):
    image_id = seeded_image(world, source, "app-full-ecs-hk-1")
    assert_ims_error(replicate(source, image_id), 400, "IMG.0001")
    assert_ims_error(replicate(source, image_id, vault_id="no-such-vault"), 400, "IMG.0184")
    vault_id = World(control.world()).items(destination.project_id, "vaults")[0]["id"]
    job = source.wait_job(replicate(source, image_id, vault_id=vault_id).json()["job_id"])
    replica = destination.images({"id": job.image_id})[0]
    assert replica["__whole_image"] is True and replica["__backup_id"]


def test_replication_into_a_sub_project(source, region_api, world, info):
    target = region_api(DESTINATION, project=DESTINATION + "_apps")
    job = source.run_job(
        "POST",
        "/v1/cloudimages/%s/cross_region_copy" % seeded_image(world, source, "web-golden-hk-1"),
        {"name": unique_name("replica"), "region": DESTINATION, "project_name": DESTINATION + "_apps", "agency_name": AGENCY},
    )
    assert target.images({"id": job.image_id})[0]["owner"] == info.region_info(DESTINATION).projects[1]["id"]


@pytest.mark.parametrize(
    "image_name,fields,code",
    [
        ("web-golden-hk-1", {"agency_name": "no_such_agency"}, "IMG.0151"),
        ("web-golden-hk-1", {"project_name": "ap-southeast-3_nothing"}, "IMG.0145"),
        ("web-golden-hk-1", {"project_name": SOURCE}, "IMG.0145"),
        ("web-golden-hk-1", {"region": "cn-north-4"}, "IMG.0147"),
        ("web-golden-hk-1", {"region": OTC, "project_name": OTC}, "IMG.0147"),
        ("web-golden-hk-1", {"region": SOURCE, "project_name": SOURCE}, "IMG.0142"),
        ("web-golden-hk-1", {"name": "镜像 web"}, None),
        ("web-golden-hk-1", {"name": "web/one"}, "IMG.0003"),
        ("web-golden-hk-1", {"name": None}, "IMG.0013"),
        ("web-golden-hk-1", {"region": None}, "IMG.0001"),
        ("web-golden-hk-1", {"project_name": None}, "IMG.0001"),
        ("web-golden-hk-1", {"agency_name": None}, "IMG.0001"),
        ("web-golden-hk-1", {"description": "a\nb"}, "IMG.0054"),
        ("db-encrypted-hk-1", {}, "IMG.0143"),
        ("rescue-iso-hk-1", {}, "IMG.0167"),
        ("big-disk-hk-1", {}, "IMG.0146"),
    ],
    ids=[
        "missing agency",
        "missing project",
        "project of another region",
        "unknown region",
        "region of another cloud",
        "same region",
        "chinese name",
        "bad name",
        "no name",
        "no region",
        "no project",
        "no agency",
        "bad description",
        "encrypted",
        "iso",
        "over 128 GB",
    ],
)
def test_replication_refusals(source, destination, control, world, image_name, fields, code):
    image_id = seeded_image(world, source, image_name)
    before = images_of(control, destination.project_id)
    response = replicate(source, image_id, **fields)
    if code is None:  # Huawei Cloud's names may have Chinese characters
        assert source.wait_job(response.json()["job_id"]).status == "SUCCESS"
        return
    assert_ims_error(response, 400, code)
    assert images_of(control, destination.project_id) == before, "a refused replication makes nothing"


def test_public_and_foreign_images_are_not_replicated(source, region_api, world):
    public = source.images({"__imagetype": "gold", "limit": 1})[0]["id"]
    assert_ims_error(replicate(source, public), 400, "IMG.0083")
    consumer = region_api(SOURCE, project=SOURCE + "_apps")
    assert_ims_error(replicate(consumer, seeded_image(world, source, "web-golden-hk-1")), 400, "IMG.0027")
    source.share([seeded_image(world, source, "web-golden-hk-1")], [consumer.project_id])
    consumer.answer_share([seeded_image(world, source, "web-golden-hk-1")], "accepted")
    assert_ims_error(replicate(consumer, seeded_image(world, source, "web-golden-hk-1"), project_name=DESTINATION + "_apps"), 400, "IMG.0047")


def test_at_most_five_replications_run_at_a_time(source, control, world):
    control.settings(job_seconds=3)
    image_id = seeded_image(world, source, "web-golden-hk-1")
    running = [replicate(source, image_id).json()["job_id"] for _attempt in range(5)]
    assert_ims_error(replicate(source, image_id), 400, "IMG.0149")
    source.wait_job(running[0])
    assert replicate(source, image_id).status_code == 200, "once one is done, the next one runs"


def test_a_failing_replication_leaves_a_killed_replica(source, destination, control, world):
    control.fail_jobs(job_type=CROSS_REGION_JOB, error_code="IMG.0179", fail_reason="agency token invalid")
    job = source.wait_job(replicate(source, seeded_image(world, source, "web-golden-hk-1")).json()["job_id"])
    assert job.status == "FAIL" and job.body["error_code"] == "IMG.0179"
    assert destination.images({"id": job.image_id})[0]["status"] == "killed"


# --- IAM agencies ---------------------------------------------------------------------------------------------------


def agencies_url(api, **query):
    return api.info.endpoint + "/v3.0/OS-AGENCY/agencies?" + urllib.parse.urlencode(query)


def test_agencies_are_listed_by_name(source, info):
    domain_id = source.issue_token().json()["token"]["user"]["domain"]["id"]
    headers = {"X-Auth-Token": source.token}
    found = httpx.get(agencies_url(source, domain_id=domain_id, name=AGENCY), headers=headers).json()["agencies"]
    assert [(agency["name"], agency["trust_domain_name"], agency["domain_id"]) for agency in found] == [(AGENCY, "op_svc_ims", domain_id)]
    assert httpx.get(agencies_url(source, domain_id=domain_id, name="other"), headers=headers).json() == {"agencies": []}
    missing = httpx.get(agencies_url(source), headers=headers)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == 400
    foreign = httpx.get(agencies_url(source, domain_id="0" * 32), headers=headers)
    assert foreign.status_code == 403 and foreign.json()["error"]["title"] == "Forbidden"
    anonymous = httpx.get(agencies_url(source, domain_id=domain_id))
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == 401


def test_agencies_are_listed_with_aksk(region_api):
    signed = region_api(SOURCE, auth="aksk")
    token_api = region_api(SOURCE)
    domain_id = token_api.issue_token().json()["token"]["user"]["domain"]["id"]
    request = signed.sign("GET", "/v3.0/OS-AGENCY/agencies", query={"domain_id": domain_id}, project_header=False)
    response = signed.send(request)
    assert response.status_code == 200 and [agency["name"] for agency in response.json()["agencies"]] == [AGENCY]
