# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ims_image replicating an image from another region (source_image + source_region) end to end, and the replica
found in its own region by ims_image_info, the lookup and the inventory.

The task runs in the destination ap-southeast-3 (Huawei Cloud), with the credentials users export for it; the images
come from ap-southeast-1. eu-de is the Open Telekom Cloud region, whose IMS has no replication API.
"""

import pytest
from seed import HK_PROJECT, SG_PROJECT, SG_VAULT, WEB_GOLDEN_HK
from test_ims_image import failed, ok
from test_inventory import inventory

SOURCE, DESTINATION = "ap-southeast-1", "ap-southeast-3"
AGENCY = "ims_admin_agency"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
CROSS_REGION_COPY = "/v1/cloudimages/%s/cross_region_copy"


def replicate(ansible, title, auth="aksk", **args):
    """An ims_image task replicating ``web-golden-hk-1`` (by default) into the destination. With AK/SK the source
    region's endpoint is given (the emulator's endpoints cannot be derived from a region); a password user's token of
    the source region names it in its catalog."""
    task_args = {"name": "web-golden", "source_image": "web-golden-hk-1", "source_region": SOURCE, "agency_name": AGENCY}
    if auth == "aksk":
        task_args["source_endpoint"] = ansible.emulator.info.region_info(SOURCE).endpoint
    task_args.update(args)
    return {"name": title, "hwcloud.ims.ims_image": {key: value for key, value in task_args.items() if value is not None}, "ignore_errors": True}


def writes(entries):
    return [
        entry for entry in entries if entry["method"] in WRITES and entry["path"].startswith(("/v1/", "/v2/")) and "resource_instances" not in entry["path"]
    ]


def images_named(control, project_id, name):
    return [image for image in control.world()["projects"][project_id]["images"] if image["attributes"]["name"] == name and not image["deleted"]]


@pytest.mark.parametrize("auth", ["aksk", "password"])
def test_replicate_then_rerun_changes_nothing(ansible, control, secrets, auth):
    tags = {"family": "web", "channel": "candidate"}
    play = ansible.play(
        [replicate(ansible, "replicate", auth, tags=tags, description="web, replicated"), replicate(ansible, "again", auth, tags=tags)],
        project=DESTINATION,
        auth=auth,
    )
    first = ok(play, "replicate")
    assert first["changed"] is True
    image = first["image"]
    assert (image["name"], image["status"], image["owner"], image["tags"]) == ("web-golden", "active", SG_PROJECT, tags)
    assert image["description"] == "web, replicated" and image["originalimagename"] == WEB_GOLDEN_HK
    assert first["job"]["job_type"] == "imsCopyImageCrossRegionJob" and first["job"]["status"] == "SUCCESS"
    assert first["job"]["image_ids"] == [image["id"]]
    assert [replica["attributes"]["id"] for replica in images_named(control, SG_PROJECT, "web-golden")] == [image["id"]]
    assert images_named(control, HK_PROJECT, "web-golden") == []

    second = ok(play, "again")
    assert second["changed"] is False and second["image"]["id"] == image["id"]
    log = control.requests()
    assert writes(play.requests_of("again", log)) == []
    replication = [entry for entry in play.requests_of("replicate", log) if entry["path"] == CROSS_REGION_COPY % WEB_GOLDEN_HK]
    assert [(entry["project_id"], entry["status"]) for entry in replication] == [(HK_PROJECT, 200)], "sent once, to the source region"
    assert not [secret for secret in secrets if secret in play.stdout + play.stderr]


def test_check_mode_and_diff(ansible, control):
    play = ansible.play([replicate(ansible, "replicate", tags={"family": "web"})], project=DESTINATION, check=True, diff=True)
    result = ok(play, "replicate")
    assert result["changed"] is True and result["image"] is None
    source = "a replica of image web-golden-hk-1 of region ap-southeast-1 (%s, web-golden-hk-1)" % WEB_GOLDEN_HK
    assert result["diff"] == {"before": {}, "after": {"name": "web-golden", "tags": {"family": "web"}, "source": source}}
    assert writes(control.requests()) == []
    assert images_named(control, SG_PROJECT, "web-golden") == []
    # The pre-flight reads happen in check mode too: the source image was looked up in its region.
    assert any(entry["project_id"] == HK_PROJECT and entry["path"] == "/v2/cloudimages" for entry in control.requests())


def test_without_waiting_the_job_is_the_source_regions(ansible, control):
    play = ansible.play([replicate(ansible, "start", wait=False)], project=DESTINATION)
    started = ok(play, "start")
    assert started["changed"] is True and started["image"] is None
    job_id = started["job"]["job_id"]
    waited = ansible.play([{"name": "wait", "hwcloud.ims.ims_job": {"job_id": job_id}}], project=SOURCE)
    job = ok(waited, "wait")["job"]
    assert job["status"] == "SUCCESS" and job["image_ids"] == [images_named(control, SG_PROJECT, "web-golden")[0]["attributes"]["id"]]


def test_a_lost_response_makes_no_duplicate(ansible, control):
    control.add_fault(CROSS_REGION_COPY % WEB_GOLDEN_HK, action="drop_after", method="POST")
    play = ansible.play([replicate(ansible, "replicate")], project=DESTINATION)
    result = ok(play, "replicate")
    assert result["changed"] is True and result["image"]["status"] == "active"
    assert any("before sending anything again" in warning for warning in result.get("warnings", [])), result.get("warnings")
    assert len(images_named(control, SG_PROJECT, "web-golden")) == 1
    assert [entry["fault"] for entry in control.requests() if entry["path"] == CROSS_REGION_COPY % WEB_GOLDEN_HK] == ["drop_after"]


def test_a_full_ecs_image_goes_into_a_vault(ansible, control):
    play = ansible.play([replicate(ansible, "replicate", name="app-full", source_image="app-full-ecs-hk-1", vault_id=SG_VAULT)], project=DESTINATION)
    image = ok(play, "replicate")["image"]
    assert image["whole_image"] is True and image["status"] == "active"


@pytest.mark.parametrize(
    "args,option,rule",
    [
        ({"source_image": "db-encrypted-hk-1"}, "source_image", "encrypted images cannot be replicated across regions (IMG.0143)"),
        ({"source_image": "rescue-iso-hk-1"}, "source_image", "images made from ISO files cannot be replicated across regions (IMG.0167)"),
        ({"source_image": "big-disk-hk-1"}, "source_image", "images over 128 GB cannot be replicated across regions (IMG.0146)"),
        ({"source_image": "app-full-ecs-hk-1"}, "vault_id", "is a full-ECS image"),
        ({"vault_id": SG_VAULT}, "vault_id", "applies only to full-ECS images"),
        ({"agency_name": "no_such_agency"}, "agency_name", "the account has no IAM agency named 'no_such_agency'"),
        ({"source_region": DESTINATION}, "source_region", "is the task's region ap-southeast-3"),
        ({"source_image": "no-such-image"}, None, "image no-such-image: no such image in project %s" % HK_PROJECT),
        ({"source_image": "web-golden-1"}, None, "image web-golden-1: no such image in project %s" % HK_PROJECT),
        ({"name": "web/golden"}, "name", "an image name may contain only"),
        ({"cmk_id": "c2af950d-225d-42f5-8faa-2e3049cf6ef5"}, "cmk_id", "does not apply to a replica of image web-golden-hk-1"),
    ],
    ids=["encrypted", "iso", "too-big", "full-ecs-without-vault", "vault-of-no-full-ecs", "agency", "same-region", "missing", "other-region", "name", "cmk"],
)
def test_refused_before_any_write(ansible, control, args, option, rule):
    play = ansible.play([replicate(ansible, "replicate", **args)], project=DESTINATION)
    message = failed(play, "replicate")["msg"]
    assert rule in message, message
    if option:
        assert message.startswith(option + ": "), message
    assert writes(control.requests()) == []


def test_options_that_need_a_replication(ansible, control):
    play = ansible.play(
        [
            {"name": "agency alone", "hwcloud.ims.ims_image": {"name": "x", "source_image": "y", "agency_name": AGENCY}, "ignore_errors": True},
            {"name": "region alone", "hwcloud.ims.ims_image": {"name": "x", "source_region": SOURCE}, "ignore_errors": True},
            replicate(ansible, "no agency", agency_name=None),
        ],
        project=DESTINATION,
    )
    assert "missing parameter(s) required by 'agency_name': source_region" in failed(play, "agency alone")["msg"]
    assert "missing parameter(s) required by 'source_region': source_image" in failed(play, "region alone")["msg"]
    assert failed(play, "no agency")["msg"] == "agency_name: is required to create a replica of image web-golden-hk-1 of region ap-southeast-1"
    assert control.requests() == [] or writes(control.requests()) == []


def test_the_sixth_running_replication_is_refused_by_ims(ansible, control):
    control.settings(job_seconds=60)
    play = ansible.play([replicate(ansible, "start %d" % number, name="web-%d" % number, wait=False) for number in range(1, 7)], project=DESTINATION)
    for number in range(1, 6):
        assert ok(play, "start %d" % number)["changed"] is True
    result = failed(play, "start 6")
    assert result["error"]["code"] == "IMG.0149", result
    assert "The number of image replicated cross regions exceeds the maximum number allowed at a time." in result["msg"]
    assert images_named(control, SG_PROJECT, "web-6") == []


def test_clouds_without_the_api_are_named(ansible, control):
    info = ansible.emulator.info
    play = ansible.play(
        [
            # Declared Open Telekom Cloud: refused before any request.
            replicate(ansible, "declared otc", cloud_profile="otc"),
            # Another cloud's endpoint: the source region's gateway knows no such API, and the module says which.
            replicate(ansible, "unknown api", source_region="eu-de", source_image="web-golden-1", source_endpoint=info.endpoint),
        ],
        project=DESTINATION,
    )
    declared = failed(play, "declared otc")["msg"]
    assert declared.startswith("source_region: Open Telekom Cloud's IMS has no API to replicate images across regions"), declared
    assert "POST /v1/cloudimages/{image_id}/cross_region_copy" in declared
    unknown = failed(play, "unknown api")
    assert "has no API POST /v1/cloudimages/{image_id}/cross_region_copy (replicating images across regions)" in unknown["msg"], unknown["msg"]
    assert "the cloud at %s" % info.endpoint in unknown["msg"] and unknown["error"]["code"] == "APIGW.0101"
    assert images_named(control, SG_PROJECT, "web-golden") == []


def test_a_pre_issued_token_cannot_reach_the_source_region(ansible):
    play = ansible.play([replicate(ansible, "replicate", "token")], project=DESTINATION, auth="token")
    assert "a pre-issued token (auth_token) is scoped to one project, so it cannot reach region ap-southeast-1" in failed(play, "replicate")["msg"]


def test_a_project_name_of_another_region_is_refused_before_any_request(ansible, control):
    """A password user who exported the source region's project and names the destination in the task."""
    control.clear_requests()
    play = ansible.play([replicate(ansible, "replicate", auth="password", region=DESTINATION)], project=SOURCE, auth="password")
    message = failed(play, "replicate")["msg"]
    assert message.startswith("project_name 'ap-southeast-1' is not a project of region ap-southeast-3: its projects are named ap-southeast-3 or")
    assert [entry for entry in control.requests() if entry["path"].startswith(("/v1/", "/v2/", "/v3"))] == []


def test_names_follow_the_cloud(ansible, control):
    play = ansible.play(
        [
            replicate(ansible, "default rules", name="镜像-web"),
            replicate(ansible, "huawei cloud", name="镜像-web", cloud_profile="huaweicloud"),
        ],
        project=DESTINATION,
    )
    assert "an image name may contain only letters, digits, hyphens (-), periods (.), underscores (_) and spaces" in failed(play, "default rules")["msg"]
    assert ok(play, "huawei cloud")["image"]["name"] == "镜像-web"
    assert len(images_named(control, SG_PROJECT, "镜像-web")) == 1


def test_the_replica_is_found_in_its_own_region(ansible, control):
    play = ansible.play(
        [
            replicate(ansible, "replicate", tags={"family": "web", "channel": "candidate"}),
            {"name": "by name", "hwcloud.ims.ims_image_info": {"name": "web-golden"}, "register": "by_name"},
            {"name": "by tags", "hwcloud.ims.ims_image_info": {"tags": {"family": "web", "channel": "candidate"}}},
            {
                "name": "lookup",
                "ansible.builtin.debug": {"msg": "{{ lookup('hwcloud.ims.ims_image', tags={'family': 'web', 'channel': 'candidate'}, latest=true) }}"},
            },
            {
                "name": "not in the source region",
                "hwcloud.ims.ims_image_info": {"name": "web-golden", "region": SOURCE, "project_id": HK_PROJECT, "endpoint": "{{ source_endpoint }}"},
            },
        ],
        project=DESTINATION,
        play_vars={"source_endpoint": ansible.emulator.info.region_info(SOURCE).endpoint},
    )
    replica = ok(play, "replicate")["image"]
    assert [image["id"] for image in ok(play, "by name")["images"]] == [replica["id"]]
    assert [image["id"] for image in ok(play, "by tags")["images"]] == [replica["id"]]
    assert ok(play, "lookup")["msg"] == replica["id"]
    assert ok(play, "not in the source region")["images"] == []

    inv = inventory(ansible, {"regions": [SOURCE, DESTINATION], "filters": {"tags": {"family": "web"}}}, auth="password")
    assert inv.rc == 0, inv.output
    by_region = {(hostvars["ims_region"], hostvars["ims_name"]) for hostvars in inv.hostvars.values()}
    assert by_region == {(SOURCE, "web-golden-hk-1"), (DESTINATION, "web-golden")}
