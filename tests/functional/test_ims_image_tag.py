# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hwcloud.ims.ims_image_tag through ansible-playbook against the emulator: purge semantics (including ``tags: {}``),
the batch calls each change costs, the tag rules, check mode and diff, and concurrent forks on one image.

Seed images of project eu-de: ``web-golden-1`` (tags family=web, channel=stable), ``data-disk-1`` (no tags).
"""

import sys
from functools import partial

import pytest
import yaml
from conftest import module_task
from seed import DATA_DISK, OWNER, PUBLIC_CENTOS, WEB_GOLDEN

TAG_BATCH_PATH = "/v2/" + OWNER + "/images/%s/tags/action"


tag_task = partial(module_task, "ims_image_tag")


def world_tags(control, image_id):
    for project in control.world()["projects"].values():
        for image in project["images"]:
            if image["attributes"]["id"] == image_id:
                return image["tags"]
    raise AssertionError("image %s not in the world" % image_id)


def is_ims(entry):
    return not entry["path"].startswith(("/v3", "/_emulator"))


def ims_requests(play, task, log):
    return [(entry["method"], entry["path"]) for entry in play.requests_of(task, log) if is_ims(entry)]


def writes(play, task, log):
    return [request for request in ims_requests(play, task, log) if request[0] != "GET"]


@pytest.mark.compat
def test_present_absent_and_purge_with_one_batch_call_per_direction(ansible, control, secrets):
    control.clear_requests()
    play = ansible.play(
        [
            tag_task("add and update", image="web-golden-1", tags={"channel": "candidate", "build": 42}),
            tag_task("again", image="web-golden-1", tags={"channel": "candidate", "build": "42"}),
            tag_task("purge", image=WEB_GOLDEN, tags={"family": "web", "owner": "team-a"}, purge_tags=True),
            tag_task("absent with another value", image=WEB_GOLDEN, tags={"family": "db"}, state="absent"),
            tag_task("absent any value", image=WEB_GOLDEN, tags={"owner": None, "missing": None}, state="absent"),
            tag_task("empty without purge", image=WEB_GOLDEN, tags={}),
            tag_task("empty with purge", image=WEB_GOLDEN, tags={}, purge_tags=True),
            tag_task("empty with purge again", image=WEB_GOLDEN, tags={}, purge_tags=True),
        ]
    )
    assert play.rc == 0, play.stdout
    log = control.requests()
    result = {task["name"]: task["result"] for task in play.tasks}
    batch_path = TAG_BATCH_PATH % WEB_GOLDEN

    added = result["add and update"]
    assert added["changed"] and added["image_id"] == WEB_GOLDEN
    assert added["tags"] == {"build": "42", "channel": "candidate", "family": "web"}
    assert (added["added_tags"], added["removed_tags"]) == ({"build": "42", "channel": "candidate"}, {})
    assert writes(play, "add and update", log) == [("POST", batch_path)]

    assert not result["again"]["changed"] and writes(play, "again", log) == []

    purged = result["purge"]
    assert purged["changed"] and purged["tags"] == {"family": "web", "owner": "team-a"}
    assert purged["added_tags"] == {"owner": "team-a"}
    assert purged["removed_tags"] == {"build": "42", "channel": "candidate"}
    assert writes(play, "purge", log) == [("POST", batch_path)] * 2  # one delete, one create

    assert not result["absent with another value"]["changed"] and writes(play, "absent with another value", log) == []
    assert result["absent any value"]["removed_tags"] == {"owner": "team-a"}
    assert result["absent any value"]["tags"] == {"family": "web"}
    assert writes(play, "absent any value", log) == [("POST", batch_path)]

    # {} means "no tags" only together with purge_tags; alone it asks for nothing.
    assert not result["empty without purge"]["changed"] and result["empty without purge"]["tags"] == {"family": "web"}
    assert result["empty with purge"]["changed"] and result["empty with purge"]["tags"] == {}
    assert result["empty with purge"]["removed_tags"] == {"family": "web"}
    assert not result["empty with purge again"]["changed"]
    assert world_tags(control, WEB_GOLDEN) == {}
    assert not any(secret in play.stdout + play.stderr for secret in secrets)


def test_check_mode_sends_no_write_and_predicts_the_real_run(ansible, control):
    task = tag_task("retag", image="web-golden-1", tags={"channel": "candidate", "build": "7"}, purge_tags=True)
    control.clear_requests()
    checked = ansible.play([task], check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    assert writes(checked, "retag", control.requests()) == []
    assert world_tags(control, WEB_GOLDEN) == {"family": "web", "channel": "stable"}
    assert '-        "family": "web"' in checked.stdout and '+        "build": "7",' in checked.stdout  # the --diff output

    real = ansible.play([task], diff=True)
    assert real.rc == 0, real.stdout
    predicted, done = checked.task("retag")["result"], real.task("retag")["result"]
    for key in ("changed", "tags", "added_tags", "removed_tags", "diff"):
        assert predicted[key] == done[key], key
    assert done["diff"] == {"before": {"tags": {"channel": "stable", "family": "web"}}, "after": {"tags": {"build": "7", "channel": "candidate"}}}
    assert world_tags(control, WEB_GOLDEN) == done["tags"]


def test_tag_rules_are_checked_before_any_request(ansible, control):
    control.clear_requests()
    play = ansible.play(
        [
            tag_task("long key", ignore_errors=True, image=WEB_GOLDEN, tags={"k" * 37: "v"}),
            tag_task("long value", ignore_errors=True, image=WEB_GOLDEN, tags={"release": "v" * 44}),
            tag_task("forbidden character", ignore_errors=True, image=WEB_GOLDEN, tags={"team/web": "a"}),
            tag_task("line break", ignore_errors=True, image=WEB_GOLDEN, tags={"release": "1.0\n"}),
            tag_task("eleven tags", ignore_errors=True, image=WEB_GOLDEN, tags={"k%02d" % number: "v" for number in range(11)}),
            tag_task("too many with the current ones", ignore_errors=True, image=WEB_GOLDEN, tags={"k%02d" % number: "v" for number in range(9)}),
            tag_task("public image", ignore_errors=True, image=PUBLIC_CENTOS, tags={"mine": "yes"}),
            tag_task("unknown image", ignore_errors=True, image="no-such-image", tags={"mine": "yes"}),
        ]
    )
    log = control.requests()
    messages = {task["name"]: task["result"].get("msg", "") for task in play.tasks}
    assert all(task["status"] == "failed" for task in play.tasks), messages
    assert "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk' is longer than 36" in messages["long key"]
    assert "value" in messages["long value"] and "longer than 43" in messages["long value"]
    assert "'team/web'" in messages["forbidden character"]
    assert "contains a control character" in messages["line break"]
    assert "at most 10 tags (got 11)" in messages["eleven tags"]
    assert "would have 11 tags" in messages["too many with the current ones"]
    assert "public image" in messages["public image"]
    assert "no such image" in messages["unknown image"]
    for name in ("long key", "long value", "forbidden character", "line break", "eleven tags"):
        assert ims_requests(play, name, log) == [], name
    assert not any(entry["method"] != "GET" for entry in log if is_ims(entry))
    assert world_tags(control, WEB_GOLDEN) == {"family": "web", "channel": "stable"}


def test_forks_adding_their_own_tags_to_one_image_lose_nothing(ansible, control):
    """Eight hosts, eight forks, one image: every fork reads the tags and adds its own key at about the same time."""
    hosts = ["fork%d" % number for number in range(8)]
    workdir = ansible.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "forks.ini").write_text(
        "[forks]\n" + "".join("%s ansible_connection=local ansible_python_interpreter=%s\n" % (host, sys.executable) for host in hosts), encoding="utf-8"
    )
    (workdir / "forks.yml").write_text(
        yaml.safe_dump(
            [
                {
                    "hosts": "forks",
                    "gather_facts": False,
                    "tasks": [{"name": "tag", "hwcloud.ims.ims_image_tag": {"image": DATA_DISK, "tags": "{{ {'tested-' ~ inventory_hostname: 'passed'} }}"}}],
                }
            ]
        ),
        encoding="utf-8",
    )
    completed = ansible.run("ansible-playbook", ["-i", str(workdir / "forks.ini"), "--forks", str(len(hosts)), str(workdir / "forks.yml")])
    assert completed.returncode == 0, completed.stdout
    assert world_tags(control, DATA_DISK) == {"tested-%s" % host: "passed" for host in hosts}
