# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks under playbooks/ through ansible-playbook against the emulator, with the credentials in environment
variables as a user sets them: the demo (which imports golden_image_pipeline.yml, cleanup_images.yml and
replicate_image.yml) twice, the second run changing nothing; share_image.yml, export_image.yml and
replicate_image.yml."""

import json
import sys

from conftest import REPO_ROOT
from seed import APPS, BASE_DEBIAN, WEB_SERVER

PLAYBOOKS = REPO_ROOT / "playbooks"


def run_playbook(ansible, playbook, *args, consumer=True):
    """Runs a playbook of playbooks/ as the builder project eu-de (and the consumer eu-de_apps in IMS_CONSUMER_*);
    returns the CompletedProcess and the recorded task results."""
    results = ansible.workdir / "results.json"
    env = {"HWCLOUD_IMS_TEST_RESULTS": str(results)}
    if consumer:
        apps = ansible.emulator.info.project("eu-de_apps")
        env.update(IMS_CONSUMER_PROJECT_ID=apps["id"], IMS_CONSUMER_ACCESS_KEY=apps["ak"], IMS_CONSUMER_SECRET_KEY=apps["sk"])
    completed = ansible.run(
        "ansible-playbook", ["-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable, str(PLAYBOOKS / playbook), *args], env=env
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed, json.loads(results.read_text(encoding="utf-8"))


def test_demo_twice_the_second_run_changes_nothing(ansible, control, secrets):
    demo_args = ["-e", "@" + str(PLAYBOOKS / "vars" / "demo.yml"), "-e", json.dumps({"demo_builder_server_id": WEB_SERVER, "demo_apps_project_id": APPS})]
    first, first_tasks = run_playbook(ansible, "demo.yml", *demo_args)
    second, second_tasks = run_playbook(ansible, "demo.yml", *demo_args)
    changed = [task["name"] for task in first_tasks if task["result"].get("changed")]
    assert {
        "Create the image, or wait for the one of this build",
        "Share the image",
        "Accept the images as each consumer",
        "Copy the new image",
        "Delete the older images",
    } <= set(changed)
    assert [task["name"] for task in second_tasks if task["result"].get("changed")] == []
    summary = [task for task in second_tasks if task["name"] == "Tell what happened"][0]["result"]["msg"]
    assert "found from an earlier run" in summary[0] and summary[-1].endswith("deleted nothing")
    images = {image["attributes"]["name"]: image for image in control.world()["projects"][ansible.emulator.info.project("eu-de")["id"]]["images"]}
    assert images["web-2.0"]["tags"]["channel"] == "stable" and images["web-2.0"]["members"][0]["status"] == "accepted"
    assert "web-golden-1" not in images and "web-2.0-copy" in images
    for secret in secrets:
        assert secret not in first.stdout + second.stdout + first.stderr + second.stderr


def regions(ansible):
    """The demo's two Huawei Cloud regions as demo.sh passes them: {region, project_id, endpoint}."""
    info = ansible.emulator.info
    return {
        key: {"region": name, "project_id": info.region_info(name).projects[0]["id"], "endpoint": info.region_info(name).endpoint}
        for key, name in (("demo_hk", "ap-southeast-1"), ("demo_sg", "ap-southeast-3"))
    }


def test_the_demo_replicates_once(ansible, control):
    demo_args = ["-e", "@" + str(PLAYBOOKS / "vars" / "demo.yml")]
    demo_args += ["-e", json.dumps(dict(regions(ansible), demo_builder_server_id=WEB_SERVER, demo_apps_project_id=APPS))]
    first_tasks = run_playbook(ansible, "demo.yml", *demo_args)[1]
    second_tasks = run_playbook(ansible, "demo.yml", *demo_args)[1]
    [replicated] = [task for task in first_tasks if task["action"] == "hwcloud.ims.ims_image" and task["name"].startswith("Replicate the image to")]
    replica = replicated["result"]["results"][0]["image"]
    assert replicated["result"]["changed"] is True and replica["tags"] == {"family": "web", "channel": "stable"}
    assert [task["name"] for task in second_tasks if task["result"].get("changed")] == []
    summary = [task for task in second_tasks if task["name"] == "Tell what happened"][0]["result"]["msg"]
    assert "replicated web-golden-hk-1 of ap-southeast-1 to %s in ap-southeast-3" % replica["id"] in summary
    sg = regions(ansible)["demo_sg"]["project_id"]
    assert [image["attributes"]["id"] for image in control.world()["projects"][sg]["images"]] == [replica["id"]]


def told(tasks):
    """The messages of the last task of replicate_image.yml, one per region."""
    [last] = [task for task in tasks if task["name"] == "Tell where the image is now"]
    return [item["msg"] for item in last["result"]["results"]]


def test_replicate_image_playbook(ansible, control):
    hk, sg = regions(ansible)["demo_hk"], regions(ansible)["demo_sg"]
    variables = {
        "replicate_image": "web-golden-hk-1",
        "replicate_name": "web-stable",
        "replicate_source_region": hk["region"],
        "replicate_source_project_id": hk["project_id"],
        "replicate_source_endpoint": hk["endpoint"],
        "replicate_regions": [sg],
        "replicate_agency_name": "ims_admin_agency",
        "replicate_tags": {"origin": "hk"},
    }
    check = run_playbook(ansible, "replicate_image.yml", "-e", json.dumps(variables), "--check", consumer=False)[1]
    assert told(check) == ["web-stable in ap-southeast-3: replicated when not in check mode"]
    assert control.world()["projects"][sg["project_id"]]["images"] == []
    done = run_playbook(ansible, "replicate_image.yml", "-e", json.dumps(variables), consumer=False)[1]
    [image] = control.world()["projects"][sg["project_id"]]["images"]
    assert image["attributes"]["name"] == "web-stable" and image["tags"] == {"family": "web", "channel": "stable", "origin": "hk"}
    assert told(done) == ["web-stable in ap-southeast-3: %s" % image["attributes"]["id"]]
    again = run_playbook(ansible, "replicate_image.yml", "-e", json.dumps(variables), consumer=False)[1]
    assert [task["name"] for task in again if task["result"].get("changed")] == []


def test_share_and_export_playbooks(ansible, control):
    shared = run_playbook(ansible, "share_image.yml", "-e", json.dumps({"image_share_images": ["base-debian-10", "data-disk-1"]}))[1]
    assert [task["result"]["changed"] for task in shared if task["name"].startswith(("Share", "Accept"))] == [True, True]
    export_args = ["-e", "export_image=base-debian-10", "-e", "export_bucket_url=ims-exports:base.qcow2"]
    exported = run_playbook(ansible, "export_image.yml", *export_args, consumer=False)[1]
    assert [task["result"]["msg"] for task in exported if task["name"] == "Show the result"] == [
        "exported image %s (base-debian-10) to ims-exports:base.qcow2" % BASE_DEBIAN
    ]
