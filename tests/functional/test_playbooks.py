# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks under playbooks/ through ansible-playbook against the emulator, with the credentials in environment
variables as a user sets them: the demo (which imports golden_image_pipeline.yml and cleanup_images.yml) twice, the
second run changing nothing; share_image.yml and export_image.yml."""

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


def test_share_and_export_playbooks(ansible, control):
    shared = run_playbook(ansible, "share_image.yml", "-e", json.dumps({"image_share_images": ["base-debian-10", "data-disk-1"]}))[1]
    assert [task["result"]["changed"] for task in shared if task["name"].startswith(("Share", "Accept"))] == [True, True]
    export_args = ["-e", "export_image=base-debian-10", "-e", "export_bucket_url=ims-exports:base.qcow2"]
    exported = run_playbook(ansible, "export_image.yml", *export_args, consumer=False)[1]
    assert [task["result"]["msg"] for task in exported if task["name"] == "Show the result"] == [
        "exported image %s (base-debian-10) to ims-exports:base.qcow2" % BASE_DEBIAN
    ]
