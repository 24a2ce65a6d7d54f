# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/golden_image_pipeline.yml run by ansible-runner, the engine of AWX job templates, against the emulator:
credentials as the environment variables the AWX credential type injects, survey answers as extra vars."""

import os
import sys
from pathlib import Path

import pytest
from seed import APPS, OWNER

ansible_runner = pytest.importorskip("ansible_runner", reason="ansible-runner is not installed")

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


@pytest.fixture(autouse=True)
def no_caller_credentials(monkeypatch):
    """ansible-runner passes its own process environment on: only the job's credentials may reach the playbook."""
    for variable in list(os.environ):
        if variable.startswith(("HW_", "OS_", "HUAWEICLOUD_SDK_", "IMS_CONSUMER_")):
            monkeypatch.delenv(variable)


def run_pipeline(ansible, emulator, private_data_dir, extravars):
    private_data_dir.mkdir()
    consumer = emulator.info.project("eu-de_apps")
    envvars = {
        **ansible.credentials_env("eu-de", auth="aksk"),
        "IMS_CONSUMER_PROJECT_ID": consumer["id"],
        "IMS_CONSUMER_ACCESS_KEY": consumer["ak"],
        "IMS_CONSUMER_SECRET_KEY": consumer["sk"],
        "ANSIBLE_COLLECTIONS_PATH": ansible.collections_path,
        "ANSIBLE_HOME": str(private_data_dir / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(private_data_dir / "tmp"),
        "XDG_CACHE_HOME": str(private_data_dir / "cache"),
        "ANSIBLE_NOCOLOR": "1",
        # The ansible-playbook of the interpreter running the tests, whose environment has the collection's requirements.
        "PATH": os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""))),
    }
    return ansible_runner.run(
        private_data_dir=str(private_data_dir),
        project_dir=str(PLAYBOOKS),
        playbook="golden_image_pipeline.yml",
        inventory="localhost ansible_connection=local ansible_python_interpreter=%s" % sys.executable,
        envvars=envvars,
        extravars=extravars,
        quiet=True,
        timeout=600,
    )


def own_images(control, name):
    images = control.world()["projects"][OWNER]["images"]
    return [image for image in images if image["attributes"]["name"] == name and not image["deleted"]]


def changed_actions(events):
    """The modules of the tasks that changed something (task names are the roles' to choose)."""
    return {event["event_data"]["task_action"] for event in events if event["event"] == "runner_on_ok" and event["event_data"]["res"].get("changed")}


def test_golden_image_pipeline(ansible, emulator, control, tmp_path):
    world = control.world()
    builder = next(server for server in world["projects"][OWNER]["servers"] if server["name"] == "builder-web-01")
    survey = {
        "golden_image_family": "web",
        "golden_image_version": "2001",
        "golden_image_instance_id": builder["id"],
        "golden_image_share_projects": [APPS],
        "golden_image_promote": True,
    }

    first = run_pipeline(ansible, emulator, tmp_path / "first", survey)
    assert first.status == "successful" and first.rc == 0, first.stdout.read()
    assert first.stats["failures"] == {} and first.stats["ok"]["localhost"] > 0
    events = list(first.events)
    assert [event["event"] for event in events][:2] == ["playbook_on_start", "playbook_on_play_start"]
    assert events[-1]["event"] == "playbook_on_stats"
    assert {"hwcloud.ims.ims_image", "hwcloud.ims.ims_image_member"} <= changed_actions(events), changed_actions(events)

    images = own_images(control, "web-2001")
    assert len(images) == 1
    image = images[0]
    assert image["attributes"]["status"] == "active"
    assert {image["tags"][key] for key in ("family", "version", "channel")} == {"web", "2001", "stable"}
    assert {member["member_id"]: member["status"] for member in image["members"]} == {APPS: "accepted"}
    assert own_images(control, "web-golden-1")[0]["tags"]["channel"] == "previous", "the former stable image of the family"
