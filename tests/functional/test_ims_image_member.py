# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hwcloud.ims.ims_image_member through ansible-playbook against the emulator, from both sides of sharing: the owner
project eu-de shares, the consumer project eu-de_apps answers with its own credentials. Also drift (a member added
outside Ansible), the batch calls per direction, the refusals of section 9.3, and check mode.

Seed images of eu-de: ``web-golden-1`` (shared with eu-de_apps, pending), ``data-disk-1`` and ``rescue-iso-1`` (not
shared), ``db-encrypted-1`` (encrypted), ``app-full-ecs-1`` (full-ECS).
"""

from functools import partial

import httpx
import pytest
from conftest import module_task
from seed import APPS, DATA_DISK, OWNER, PUBLIC_CENTOS, RESCUE_ISO, WEB_GOLDEN

MEMBERS_PATH = "/v1/cloudimages/members"


member_task = partial(module_task, "ims_image_member")


def info_task(title, /, **args):
    return {"name": title, "hwcloud.ims.ims_image_info": args}


def writes(log, play=None, task=None):
    """(method, path) of every IMS request that could change something, in the whole log or while a task ran."""
    entries = play.requests_of(task, log) if play else log
    return [(entry["method"], entry["path"]) for entry in entries if entry["method"] != "GET" and not entry["path"].startswith(("/v3", "/_emulator"))]


def members_of(result):
    return {(member["image_id"], member["member_id"]): member["status"] for member in result["members"]}


def world_members(control, image_id):
    for image in control.world()["projects"][OWNER]["images"]:
        if image["attributes"]["id"] == image_id:
            return {member["member_id"]: member["status"] for member in image["members"]}
    raise AssertionError("image %s not in the world" % image_id)


@pytest.mark.compat
def test_share_accept_visible_reject_unshare(ansible, control, secrets):
    control.clear_requests()
    shared = ansible.play(
        [
            member_task("share", image=["data-disk-1", RESCUE_ISO], projects=[APPS]),
            member_task("share again", image=["data-disk-1", RESCUE_ISO], projects=[APPS]),
        ]
    )
    assert shared.rc == 0, shared.stdout
    log = control.requests()
    share = shared.task("share")["result"]
    assert share["changed"] and len(share["job_ids"]) == 1
    assert members_of(share) == {(DATA_DISK, APPS): "pending", (RESCUE_ISO, APPS): "pending"}
    assert share["added_members"] == [{"image_id": DATA_DISK, "member_id": APPS}, {"image_id": RESCUE_ISO, "member_id": APPS}]
    assert writes(log, shared, "share") == [("POST", MEMBERS_PATH)]  # both images in one batch call
    assert not shared.task("share again")["result"]["changed"] and writes(log, shared, "share again") == []

    # The consumer answers with its own (password) credentials; a pending image is found by name too.
    answered = ansible.play(
        [
            member_task("accept", image=["data-disk-1"], status="accepted"),
            member_task("accept again", image=[DATA_DISK], status="accepted"),
            info_task("accepted images", name="data-disk-1", visibility="shared", member_status="accepted"),
            member_task("reject", image=[DATA_DISK], status="rejected"),
            info_task("accepted after rejecting", name="data-disk-1", visibility="shared", member_status="accepted"),
            info_task("rejected images", name="data-disk-1", visibility="shared", member_status="rejected"),
        ],
        project="eu-de_apps",
        auth="password",
    )
    assert answered.rc == 0, answered.stdout
    accept = answered.task("accept")["result"]
    assert accept["changed"] and members_of(accept) == {(DATA_DISK, APPS): "accepted"} and len(accept["job_ids"]) == 1
    assert not answered.task("accept again")["result"]["changed"]
    assert [image["id"] for image in answered.task("accepted images")["result"]["images"]] == [DATA_DISK]
    assert members_of(answered.task("reject")["result"]) == {(DATA_DISK, APPS): "rejected"}
    assert answered.task("accepted after rejecting")["result"]["images"] == []
    assert [image["id"] for image in answered.task("rejected images")["result"]["images"]] == [DATA_DISK]

    unshared = ansible.play(
        [
            member_task("owner sees the answer", image=[DATA_DISK], projects=[APPS]),
            member_task("unshare", image=[DATA_DISK, RESCUE_ISO], projects=[APPS], state="absent"),
            member_task("unshare again", image=[DATA_DISK, RESCUE_ISO], projects=[APPS], state="absent"),
        ]
    )
    assert unshared.rc == 0, unshared.stdout
    log = control.requests()
    assert members_of(unshared.task("owner sees the answer")["result"]) == {(DATA_DISK, APPS): "rejected"}
    unshare = unshared.task("unshare")["result"]
    assert unshare["changed"] and unshare["members"] == [] and len(unshare["removed_members"]) == 2
    assert writes(log, unshared, "unshare") == [("DELETE", MEMBERS_PATH)]
    assert not unshared.task("unshare again")["result"]["changed"]
    assert world_members(control, DATA_DISK) == {} and world_members(control, RESCUE_ISO) == {}

    gone = ansible.play([member_task("accept an unshared image", ignore_errors=True, image=[DATA_DISK], status="accepted")], project="eu-de_apps")
    assert gone.tasks[0]["status"] == "failed" and "no such image shared with project %s" % APPS in gone.tasks[0]["result"]["msg"]
    outputs = "".join(play.stdout + play.stderr for play in (shared, answered, unshared, gone))
    assert not any(secret in outputs for secret in secrets)


def test_member_added_outside_ansible_is_reported_and_purged(ansible, control):
    # Behind Ansible's back: the owner shares data-disk-1 through the native API, and the consumer accepts it.
    for project, method, path, body in (
        ("eu-de", "POST", "/v2/images/%s/members" % DATA_DISK, {"member": APPS}),
        ("eu-de_apps", "PUT", "/v2/images/%s/members/%s" % (DATA_DISK, APPS), {"status": "accepted"}),
    ):
        response = httpx.request(
            method,
            ansible.emulator.info.endpoint + path,
            json=body,
            headers={"X-Auth-Token": ansible.issue_token(project)},
            verify=ansible.emulator.info.verify,
        )
        assert response.status_code == 200, response.text

    purge = member_task("purge", image=["data-disk-1"], projects=[], purge_members=True)
    play = ansible.play([member_task("report", image=["data-disk-1"], projects=[]), purge, purge])
    assert play.rc == 0, play.stdout
    report, purged, again = (task["result"] for task in play.tasks)
    assert not report["changed"] and members_of(report) == {(DATA_DISK, APPS): "accepted"}
    assert purged["changed"] and purged["removed_members"] == [{"image_id": DATA_DISK, "member_id": APPS}] and purged["members"] == []
    assert not again["changed"]
    assert world_members(control, DATA_DISK) == {}


def test_check_mode_sends_no_write_and_predicts_the_real_run(ansible, control):
    tasks = [
        member_task("owner", image=[WEB_GOLDEN, "data-disk-1"], projects=[APPS], purge_members=True),
        member_task("drop web", image=[WEB_GOLDEN], projects=[APPS], state="absent"),
    ]
    control.clear_requests()
    checked = ansible.play(tasks, check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    assert writes(control.requests()) == []
    assert world_members(control, DATA_DISK) == {}
    assert '+            "%s": "pending"' % APPS in checked.stdout  # the --diff output

    real = ansible.play(tasks, diff=True)
    assert real.rc == 0, real.stdout
    for name in ("owner", "drop web"):
        predicted, done = checked.task(name)["result"], real.task(name)["result"]
        for key in ("changed", "added_members", "removed_members", "diff"):
            assert predicted[key] == done[key], (name, key)
        assert members_of(predicted) == members_of(done)
    assert real.task("owner")["result"]["added_members"] == [{"image_id": DATA_DISK, "member_id": APPS}]  # web-golden-1 had it
    assert real.task("drop web")["result"]["diff"]["after"] == {"members": {WEB_GOLDEN: {}}}

    # The consumer's side in check mode: predicted, not sent.
    control.clear_requests()
    consumer_task = [member_task("accept", image=[DATA_DISK], status="accepted")]
    consumer_checked = ansible.play(consumer_task, project="eu-de_apps", check=True, diff=True)
    assert writes(control.requests()) == [] and world_members(control, DATA_DISK) == {APPS: "pending"}
    consumer_real = ansible.play(consumer_task, project="eu-de_apps")
    assert consumer_checked.task("accept")["result"]["changed"] and consumer_real.task("accept")["result"]["changed"]
    assert members_of(consumer_checked.task("accept")["result"]) == members_of(consumer_real.task("accept")["result"])
    assert world_members(control, DATA_DISK) == {APPS: "accepted"}


def test_refusals_come_before_any_write(ansible, control):
    control.clear_requests()
    too_many = ["%032x" % number for number in range(1, 130)]
    play = ansible.play(
        [
            member_task("own project", ignore_errors=True, image=[DATA_DISK], projects=[APPS, OWNER]),
            member_task("129 projects", ignore_errors=True, image=[DATA_DISK], projects=too_many),
            member_task("encrypted", ignore_errors=True, image=["db-encrypted-1"], projects=[APPS]),
            member_task("full-ECS", ignore_errors=True, image=["app-full-ecs-1", DATA_DISK], projects=[APPS]),
            member_task("public", ignore_errors=True, image=[PUBLIC_CENTOS], projects=[APPS]),
            member_task("unknown", ignore_errors=True, image=["no-such-image"], projects=[APPS]),
            member_task("answer as the owner", ignore_errors=True, image=[DATA_DISK], status="accepted"),
            member_task("status with projects", ignore_errors=True, image=[DATA_DISK], status="accepted", projects=[APPS]),
            member_task("unknown image to unshare is skipped", image=["no-such-image"], projects=[APPS], state="absent"),
        ]
    )
    log = control.requests()
    messages = {task["name"]: task["result"].get("msg", "") for task in play.tasks}
    assert [task["status"] for task in play.tasks] == ["failed"] * 8 + ["ok"], messages
    assert "cannot be shared with its owner" in messages["own project"]
    assert "at most 128 projects (got 129)" in messages["129 projects"]
    assert "encrypted" in messages["encrypted"]
    assert "full-ECS image" in messages["full-ECS"]
    assert "public image" in messages["public"]
    assert "no such image" in messages["unknown"]
    assert "belongs to this project" in messages["answer as the owner"]
    assert "mutually exclusive" in messages["status with projects"]
    assert [entry for entry in play.requests_of("own project", log) + play.requests_of("129 projects", log) if not entry["path"].startswith("/_emulator")] == []
    assert writes(log) == []


def test_a_share_whose_response_was_lost_is_not_sent_again_once_its_members_appear(ansible, control):
    control.add_fault(MEMBERS_PATH, action="drop_after", method="POST")
    play = ansible.play([member_task("share", image=["data-disk-1", "rescue-iso-1"], projects=[APPS])])
    recorded = play.task("share")
    assert recorded["status"] == "ok" and recorded["result"]["changed"] is True, recorded["result"]
    assert recorded["result"]["job_ids"] == []
    assert "looking for %s as members of" % APPS in " ".join(recorded["result"]["warnings"])
    assert writes(control.requests()) == [("POST", MEMBERS_PATH)]
    world = control.world()["projects"][OWNER]["images"]
    shared = {image["attributes"]["name"]: [member["member_id"] for member in image["members"]] for image in world}
    assert shared["data-disk-1"] == [APPS] and shared["rescue-iso-1"] == [APPS]
