# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles hwcloud.ims.golden_image, image_share and image_retention through ansible-playbook against the emulator:
their main paths, idempotent re-runs, and check mode that sends no write and predicts the real run.

Seed of eu-de: the stopped ECS ``builder-web-01``, ``web-golden-1`` (family=web, channel=stable, shared with
eu-de_apps, pending) and ``data-disk-1`` (not shared).
"""

import pytest
from seed import APPS, HK_PROJECT, HK_SERVER, OWNER, SG_APPS, SG_PROJECT, WEB_GOLDEN, WEB_SERVER

BUILD = {
    "golden_image_family": "web",
    "golden_image_version": "2.0",
    "golden_image_instance_id": WEB_SERVER,
    "golden_image_share_projects": [APPS],
    "golden_image_promote": True,
}


def role(title, name, tasks_from=None, **role_vars):
    include = {"name": "hwcloud.ims." + name}
    if tasks_from:
        include["tasks_from"] = tasks_from
    return {"name": title, "ansible.builtin.include_role": include, "vars": role_vars}


def remember(title, **facts):
    """A task that copies facts under new names, so later runs of a role do not overwrite what a test checks."""
    return {"name": title, "ansible.builtin.set_fact": {key: "{{ %s }}" % value for key, value in facts.items()}}


def facts(play, title):
    return play.task(title)["result"]["ansible_facts"]


def writes(log):
    return [
        (entry["method"], entry["path"])
        for entry in log
        if entry["method"] != "GET" and not entry["path"].startswith(("/v3", "/_emulator")) and not entry["path"].endswith("/resource_instances/action")
    ]  # the tag search, a read


def own_images(control, project=OWNER):
    """name -> (id, tags, members) of a project's images."""
    return {
        image["attributes"]["name"]: (
            image["attributes"]["id"],
            image.get("tags") or {},
            {member["member_id"]: member["status"] for member in image.get("members") or []},
        )
        for image in control.world()["projects"][project]["images"]
    }


@pytest.mark.compat
def test_golden_image_build_rerun_promote_rollback(ansible, control):
    control.clear_requests()
    checked = ansible.play([role("build", "golden_image", **BUILD)], check=True)
    assert checked.rc == 0, checked.stdout
    assert writes(control.requests()) == []
    assert checked.task("Create the image, or wait for the one of this build")["result"]["changed"]
    assert facts(checked, "Record the image")["golden_image_result"]["id"] == ""

    played = ansible.play(
        [
            role("build", "golden_image", **BUILD),
            remember("first", first="golden_image_result"),
            role("build again", "golden_image", **BUILD),
            remember("second", second="golden_image_result"),
            role("roll back", "golden_image", tasks_from="rollback", golden_image_family="web"),
        ]
    )
    assert played.rc == 0, played.stdout
    first, second = facts(played, "first")["first"], facts(played, "second")["second"]
    assert first["created"] and not second["created"]
    assert first["id"] == second["id"] and first["name"] == "web-2.0"
    # The second build changed nothing; the first made what check mode predicted.
    build_tasks = [task for task in played.tasks if task["name"].startswith(("Create", "Share", "Tag", "Demote"))]
    assert [task["result"].get("changed", False) for task in build_tasks] == [True, True, True, True, False, False, False, False, True, True]
    images = own_images(control)
    new_id, new_tags, new_members = images["web-2.0"]
    assert new_tags == {"family": "web", "version": "2.0", "build": first["fingerprint"], "channel": "revoked"}
    assert new_members == {APPS: "pending"}
    assert images["web-golden-1"][1]["channel"] == "stable"
    assert images["web-golden-1"][0] == facts(played, "Record the image")["golden_image_result"]["id"]
    assert len([name for name in images if name.startswith("web-2.0")]) == 1


def test_golden_image_from_obs_with_export_once_and_name_guard(ansible, control):
    build = {
        "golden_image_family": "centos",
        "golden_image_version": "7.6",
        "golden_image_url": "ims-images:centos7.qcow2",
        "golden_image_os_version": "CentOS 7.6 64bit",
        "golden_image_export_url": "ims-exports:centos-7.6.qcow2",
    }
    played = ansible.play(
        [
            role("build", "golden_image", **build),
            role("build again", "golden_image", **build),
            {
                "name": "other inputs, same name",
                "ansible.builtin.include_role": {"name": "hwcloud.ims.golden_image", "apply": {"ignore_errors": True}},
                "vars": dict(build, golden_image_build_inputs="other"),
            },
        ]
    )
    assert played.rc == 0, played.stdout
    exports = [task for task in played.tasks if task["name"] == "Export the image to OBS"]
    assert [task["status"] for task in exports] == ["ok", "skipped", "skipped"]
    refused = played.task("Refuse to reuse the name of another build")
    assert refused["status"] == "failed" and "centos-7.6" in refused["result"]["msg"]
    objects = [obj["name"] for bucket in control.world()["projects"][OWNER]["buckets"] if bucket["name"] == "ims-exports" for obj in bucket["objects"]]
    assert objects == ["centos-7.6.qcow2"]
    assert own_images(control)["centos-7.6"][1]["channel"] == "candidate"


@pytest.mark.compat
def test_image_share_shares_and_accepts_with_the_consumers_credentials(ansible, control, secrets):
    consumer = ansible.emulator.info.project("eu-de_apps")
    share = role(
        "share",
        "image_share",
        image_share_images=["data-disk-1", WEB_GOLDEN],
        image_share_consumers=[{"project_id": APPS, "access_key": consumer["ak"], "secret_key": consumer["sk"]}],
    )
    control.clear_requests()
    checked = ansible.play([share], check=True)
    assert checked.rc == 0, checked.stdout
    assert writes(control.requests()) == []

    played = ansible.play([share, dict(share, name="share again")])
    assert played.rc == 0, played.stdout
    shares = [task for task in played.tasks if task["name"] == "Share the images"]
    accepts = [task for task in played.tasks if task["name"] == "Accept the images as each consumer"]
    assert [task["result"]["changed"] for task in shares] == [True, False]
    assert [task["result"]["changed"] for task in accepts] == [True, False]
    # Check mode predicted the share; the consumer's answer to web-golden-1 (already shared, pending) too.
    assert checked.task("Share the images")["result"]["changed"]
    assert checked.task("Accept the images as each consumer")["result"]["changed"]
    images = own_images(control)
    assert images["data-disk-1"][2] == {APPS: "accepted"} and images["web-golden-1"][2] == {APPS: "accepted"}
    for secret in secrets:
        assert secret not in checked.stdout + played.stdout


@pytest.mark.compat
def test_image_retention_keeps_newest_and_spares_stable_shared_and_protected(ansible, control):
    guarded = control.bulk_images(OWNER, 1, name_prefix="web-guarded-", tags={"family": "web"}, protected=True)["ids"][0]
    ids = [control.bulk_images(OWNER, 1, name_prefix="web-old-%d-" % number, tags={"family": "web"})["ids"][0] for number in range(5)]
    # web-old-1 is shared and accepted, web-old-2 shared and still pending.
    shared = ansible.play([{"name": "share", "hwcloud.ims.ims_image_member": {"image": ids[1:3], "projects": [APPS]}}])
    assert shared.rc == 0, shared.stdout
    accepted = ansible.play([{"name": "accept", "hwcloud.ims.ims_image_member": {"image": ids[1], "status": "accepted"}}], project="eu-de_apps")
    assert accepted.rc == 0, accepted.stdout
    # Newest first: web-old-4, web-old-3, ..., web-old-0, web-golden-1 (stable); keep the newest one.
    retention = role("retain", "image_retention", image_retention_family="web", image_retention_keep=1)
    expected = {ids[0]: "web-old-0-00001", ids[2]: "web-old-2-00001", ids[3]: "web-old-3-00001"}

    control.clear_requests()
    checked = ansible.play([retention], check=True)
    assert checked.rc == 0, checked.stdout
    assert writes(control.requests()) == []
    result = facts(checked, "Decide what goes")["image_retention_result"]
    assert result["deleted"] == expected
    assert result["kept"] == {ids[4]: "web-old-4-00001"}
    assert result["spared"] == {"protected": {guarded: "web-guarded-00001"}, "channel": {WEB_GOLDEN: "web-golden-1"}, "shared": {ids[1]: "web-old-1-00001"}}
    assert checked.task("Delete the older images")["result"]["changed"]

    played = ansible.play(
        [
            dict(retention, name="dry run", vars=dict(retention["vars"], image_retention_dry_run=True)),
            retention,
            dict(retention, name="again"),
        ]
    )
    assert played.rc == 0, played.stdout
    deletions = [task for task in played.tasks if task["name"] == "Delete the older images"]
    assert [task["status"] for task in deletions] == ["skipped", "ok", "skipped"]
    assert deletions[1]["result"]["changed"]
    names = set(own_images(control))
    assert not names & set(expected.values())
    assert {"web-old-1-00001", "web-old-4-00001", "web-golden-1", "web-guarded-00001"} <= names


def test_golden_image_replicated_to_another_region(ansible, control):
    info = ansible.emulator.info
    build = {
        "golden_image_family": "web",
        "golden_image_version": "3.0",
        "golden_image_instance_id": HK_SERVER,
        "golden_image_promote": True,
        "golden_image_source_region": "ap-southeast-1",
        "golden_image_source_endpoint": info.region_info("ap-southeast-1").endpoint,
        "golden_image_agency_name": "ims_admin_agency",
        "golden_image_replicas": [
            {"region": "ap-southeast-3", "project_id": SG_PROJECT, "endpoint": info.region_info("ap-southeast-3").endpoint, "share_projects": [SG_APPS]}
        ],
    }
    control.clear_requests()
    checked = ansible.play([role("build", "golden_image", **build)], project="ap-southeast-1", check=True)
    assert checked.rc == 0, checked.stdout
    assert writes(control.requests()) == []

    played = ansible.play([role("build", "golden_image", **build)], project="ap-southeast-1")
    assert played.rc == 0, played.stdout
    result = facts(played, "Record the replicas")["golden_image_result"]
    replica_id = result["replicas"]["ap-southeast-3"]
    fingerprint = result["fingerprint"]
    source_id, source_tags, _members = own_images(control, HK_PROJECT)["web-3.0"]
    assert source_id == result["id"] and source_tags["channel"] == "stable"
    replicas = own_images(control, SG_PROJECT)
    assert list(replicas) == ["web-3.0"]
    assert replicas["web-3.0"] == (replica_id, {"family": "web", "version": "3.0", "build": fingerprint, "channel": "stable"}, {SG_APPS: "pending"})

    control.clear_requests()
    again = ansible.play([role("build again", "golden_image", **build)], project="ap-southeast-1")
    assert again.rc == 0, again.stdout
    assert writes(control.requests()) == [], "a re-run changes nothing, in either region"
    assert [task["name"] for task in again.tasks if task["result"].get("changed")] == []
    assert facts(again, "Record the replicas")["golden_image_result"]["replicas"] == {"ap-southeast-3": replica_id}
    assert len(own_images(control, SG_PROJECT)) == 1


def test_golden_image_replication_needs_its_settings(ansible):
    build = dict(BUILD, golden_image_replicas=[{"region": "ap-southeast-3"}])
    played = ansible.play([dict(role("build", "golden_image", **build), ignore_errors=True)])
    assert "Replicating to golden_image_replicas needs golden_image_source_region" in played.task("Check the replication settings")["result"]["msg"]
