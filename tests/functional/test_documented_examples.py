# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every EXAMPLES block of every module and plugin, and every YAML snippet of the READMEs and of the migration guide,
run against the emulator as written: read from the files, the placeholders (``{{ build_id }}``, a local file, a
clouds.yaml entry, a region or an account the emulator does not have) filled from the seed, run by ansible-playbook
(inventory sources by ansible-inventory). Every task must succeed and, where it looks for something, find it.

What a snippet presumes to exist is made first (an image it names, a job it waits for, a share it answers); tasks of
modules of other collections (``openstack.cloud.server``) become a debug of their arguments, so their lookups run.
"""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from seed import APPS, BASE_DEBIAN, HK_SERVER, OWNER, SG_APPS, WEB_GOLDEN, WEB_SERVER
from test_inventory import list_inventory, operator_env

ROOT = Path(__file__).resolve().parents[2]
TASK_KEYWORDS = {
    "name",
    "register",
    "when",
    "loop",
    "loop_control",
    "vars",
    "ignore_errors",
    "tags",
    "changed_when",
    "failed_when",
    "no_log",
    "delegate_to",
    "run_once",
}
# A documented search must find something: these modules list what they found under this key.
FINDERS = {"hwcloud.ims.ims_image_info": "images"}
# The values the examples take from the reader, from the seed.
PLACEHOLDERS = {
    "build_id": "1042",
    "git_sha": "0f3c2ab",
    "builder_server_id": WEB_SERVER,
    "release": "2024.05",
    "app_project_ids": [APPS],
    "apps_project_id": APPS,
    "golden": {"image": {"id": WEB_GOLDEN}},
    "golden_image_id": BASE_DEBIAN,
    "create_job_id": "{{ started.job.job_id }}",
    "copy_job_id": "{{ copying.job.job_id }}",
    "singapore_app_project_ids": [SG_APPS],
}
# Where a snippet's task runs in a Huawei Cloud region, what the reader would give there instead.
REGIONAL_PLACEHOLDERS = {"ap-southeast-1": {"builder_server_id": HK_SERVER}}
# The Huawei Cloud regions are reached with a password: its token's catalog names the other region's endpoint (AK/SK
# with an explicit endpoint, as the runner gives it, cannot derive it).
PROJECT_AUTH = {"ap-southeast-1": "password", "ap-southeast-3": "password"}


def image_task(title, register=None, **args):
    task = {"name": title, "hwcloud.ims.ims_image": args}
    if register:
        task["register"] = register
    return task


# Plays to run first, as (project, tasks): what the snippets take for granted.
WEB_1042 = [("eu-de", [image_task("setup web-1042", name="web-1042", instance_id=WEB_SERVER, tags={"family": "web", "channel": "candidate"})])]
SHARED_WITH_EU_DE = [
    (
        "eu-de_apps",
        [image_task("setup offer %d" % number, name="apps-offer-%d" % number, source_image="apps-private-1") for number in (1, 2)]
        + [{"name": "setup share", "hwcloud.ims.ims_image_member": {"image": ["apps-offer-1", "apps-offer-2"], "projects": [OWNER]}}],
    ),
    (
        "eu-de",
        [
            {"name": "setup find", "hwcloud.ims.ims_image_info": {"name": "apps-offer-1", "member_status": "pending"}, "register": "offer"},
            {"name": "setup accept", "hwcloud.ims.ims_image_member": {"image": "{{ offer.images[0].id }}", "status": "accepted"}},
        ],
    ),
]
# Tasks to run in the same play before a snippet: the jobs ims_job's examples wait for, the copy made to fail.
JOBS = [
    image_task("setup job", "started", name="job-example", instance_id=WEB_SERVER, wait=False),
    {
        "name": "setup failing copy",
        "ansible.builtin.uri": {
            "url": "__CONTROL__/jobs/fail",
            "method": "POST",
            "body_format": "json",
            "body": {"count": 1, "job_type": "imsCopyImageInRegionJob", "error_code": "IMG.0014", "fail_reason": "injected"},
        },
    },
    image_task("setup copy", "copying", name="copy-example", source_image="base-debian-10", wait=False),
]


@dataclass
class Case:
    """The YAML blocks of one file (run one after the other on one world) and what they need."""

    origin: str
    blocks: list
    before: list = field(default_factory=list)
    prelude: list = field(default_factory=list)
    # Tasks (by name) run as another project than eu-de; the play is split there.
    projects: dict = field(default_factory=dict)
    # Literal placeholders (a local file, a region or account of a real cloud) and what fills them.
    replace: dict = field(default_factory=dict)
    # Tasks (by name) that begin another scenario of the example: the world is back at the seed before them.
    fresh_world_at: tuple = ()
    # Environment variables of the runs (another user's credentials).
    env: dict = field(default_factory=dict)

    def __str__(self):
        return self.origin


def examples_of(path):
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    return next(node.value.value for node in tree.body if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXAMPLES")


def yaml_blocks(path):
    return re.findall(r"^```yaml\n(.*?)^```$", Path(path).read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)


def action_of(task):
    keys = [key for key in task if key not in TASK_KEYWORDS]
    assert len(keys) == 1, task
    return keys[0]


def runnable(task):
    """The task as written, or, for a module of another collection, a debug of its (templated) arguments."""
    action = action_of(task)
    if action.startswith(("hwcloud.ims.", "ansible.builtin.")):
        return task
    return dict({key: value for key, value in task.items() if key != action}, **{"ansible.builtin.debug": {"msg": task[action]}})


CASES = [
    Case(
        "ims_image EXAMPLES",
        [examples_of(ROOT / "plugins/modules/ims_image.py")],
        projects={
            "Replicate the golden image of ap-southeast-1 into this task's region (Huawei Cloud)": "ap-southeast-3",
            "Replicate a full-ECS image into a CBR vault of the destination": "ap-southeast-3",
            "Start a long copy and come back for it later": "eu-de",
        },
        replace={
            "/srv/images/appliance.qcow2": "__LOCAL_FILE__",
            # The seed's images of ap-southeast-1 have names of their own.
            "source_image: web-golden-1\n    source_region": "source_image: web-golden-hk-1\n    source_region",
            "source_image: app-full-ecs-1\n    source_region": "source_image: app-full-ecs-hk-1\n    source_region",
        },
    ),
    Case("ims_image_export EXAMPLES", [examples_of(ROOT / "plugins/modules/ims_image_export.py")]),
    Case(
        "ims_image_info EXAMPLES",
        [examples_of(ROOT / "plugins/modules/ims_image_info.py")],
        WEB_1042 + SHARED_WITH_EU_DE,
        replace={"region: eu-nl": "region: eu-de"},
    ),
    Case("ims_image_tag EXAMPLES", [examples_of(ROOT / "plugins/modules/ims_image_tag.py")], WEB_1042),
    Case(
        "ims_image_member EXAMPLES",
        [examples_of(ROOT / "plugins/modules/ims_image_member.py")],
        projects=dict.fromkeys(
            ("Accept the shared golden image", "Find it among the accepted shared images", "Reject an image offered by another project"), "eu-de_apps"
        ),
        fresh_world_at=("Accept the shared golden image",),
    ),
    Case(
        "ims_job EXAMPLES",
        [examples_of(ROOT / "plugins/modules/ims_job.py")],
        prelude=JOBS,
        replace={"job_id: ff8080814dbd65d7014dbe0d84db0013": 'job_id: "{{ create_job_id }}"'},
    ),
    Case("ims_quota_info EXAMPLES", [examples_of(ROOT / "plugins/modules/ims_quota_info.py")]),
    Case("ims_image lookup EXAMPLES", [examples_of(ROOT / "plugins/lookup/ims_image.py")], WEB_1042),
    Case(
        "ims inventory EXAMPLES",
        [examples_of(ROOT / "plugins/inventory/ims.py")],
        replace={"regions: [eu-de, eu-nl]": "regions: [eu-de]"},
        env=operator_env("aksk"),
    ),
    Case(
        "README.md",
        yaml_blocks(ROOT / "README.md"),
        SHARED_WITH_EU_DE,
        projects={"Accept the shared golden image": "eu-de_apps"},
        replace={"OTC-EU-DE-00000000001000000001": "acme", "regions: [eu-de, eu-nl]": "regions: [eu-de]"},
    ),
    Case(
        "roles/golden_image/README.md",
        yaml_blocks(ROOT / "roles/golden_image/README.md"),
        projects={"Build the web image in ap-southeast-1 and publish it in ap-southeast-3 too": "ap-southeast-1", "Roll the web family back": "eu-de"},
        # A password user who names no project: each region's default project, as the replicas of the example need.
        env={"HW_PROJECT_NAME": ""},
    ),
    Case("roles/image_share/README.md", yaml_blocks(ROOT / "roles/image_share/README.md"), WEB_1042),
    Case("roles/image_retention/README.md", yaml_blocks(ROOT / "roles/image_retention/README.md")),
    Case("docs/migrating-from-image-info.md", yaml_blocks(ROOT / "docs/migrating-from-image-info.md"), SHARED_WITH_EU_DE),
]


def filled_blocks(case, values):
    """The case's YAML blocks with their literal placeholders filled; each placeholder must still be in one of them."""
    texts = list(case.blocks)
    for old, new in case.replace.items():
        assert any(old in text for text in texts), "%s no longer holds %r; update this test" % (case, old)
        texts = [text.replace(old, values.get(new, new)) for text in texts]
    return [document for text in texts for document in yaml.safe_load_all(text)]


def check(play, tasks):
    assert play.rc == 0, play.stdout[-4000:]
    for task in tasks:
        recorded = play.task(task["name"])
        if task.get("ignore_errors"):
            continue  # an example that handles its own failure (ims_job's: the setup makes that copy fail)
        assert recorded["status"] in ("ok", "changed"), (task["name"], recorded["status"], recorded["result"])
        action = action_of(task)
        for result in recorded["result"].get("results") or [recorded["result"]]:
            if action in FINDERS:
                assert result[FINDERS[action]], "%r found nothing" % task["name"]
            if action == "ansible.builtin.set_fact":
                assert all(result["ansible_facts"].values()), "%r found nothing: %s" % (task["name"], result)


def run_tasks(ansible, control, case, tasks, extra, env, prelude):
    groups = []
    for number, task in enumerate(tasks):
        task.setdefault("name", "unnamed task %d" % number)  # the results are recorded by task name
        project = case.projects.get(task["name"], groups[-1][0] if groups else "eu-de")
        if not groups or groups[-1][0] != project or task["name"] in case.fresh_world_at:
            groups.append((project, []))
        groups[-1][1].append(task)
    for project, group in groups:
        if group[0]["name"] in case.fresh_world_at:
            control.reset()
        play = ansible.play(
            prelude + [runnable(task) for task in group],
            project=project,
            auth=PROJECT_AUTH.get(project, "aksk"),
            extra_vars=dict(extra, **REGIONAL_PLACEHOLDERS.get(project, {})),
            env=env,
        )
        prelude = []
        check(play, group)


def run_block(ansible, control, case, document, extra, env, prelude):
    if isinstance(document, dict):  # an inventory source
        source = ansible.workdir / "images.ims.yml"
        source.write_text(yaml.safe_dump(document), encoding="utf-8")
        inventory = list_inventory(ansible, source, env=env)
        assert inventory.rc == 0, inventory.output
        assert inventory.hostvars, inventory.output
        assert "keyed_groups" not in document or inventory.hosts("family_web"), inventory.data
    elif document and "hosts" in document[0]:  # plays: their tasks, with their module_defaults
        for play_document in document:
            wrapped = {"name": play_document["name"], "block": [runnable(task) for task in play_document["tasks"]]}
            if "module_defaults" in play_document:
                wrapped["module_defaults"] = play_document["module_defaults"]
            play = ansible.play(prelude + [wrapped], extra_vars=extra, env=env)
            check(play, play_document["tasks"])
    else:
        run_tasks(ansible, control, case, document, extra, env, prelude)


def clouds_yaml(ansible, home):
    """A clouds.yaml with the entry the lookup's example names (otc-eu-nl), for the emulator's eu-de project."""
    info, entry = ansible.emulator.info, ansible.emulator.info.project("eu-de")
    cloud = {
        "region_name": info.region,
        "image_endpoint_override": info.endpoint,
        "auth": {"auth_url": info.iam_endpoint, "ak": entry["ak"], "sk": entry["sk"], "project_id": entry["id"]},
    }
    path = home / ".config" / "openstack" / "clouds.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump({"clouds": {"otc-eu-nl": cloud, "otc-prod": cloud}}), encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_documented_example_runs(ansible, control, case, tmp_path):
    assert case.blocks, "%s has no YAML example" % case
    consumer, builder = ansible.emulator.info.project("eu-de_apps"), ansible.emulator.info.project("eu-de")
    home = tmp_path / "home"
    clouds_yaml(ansible, home)
    env = {
        "HOME": str(home),
        "OS_USERNAME": builder["username"],
        "OS_PASSWORD": builder["password"],
        "APPS_ACCESS_KEY": consumer["ak"],
        "APPS_SECRET_KEY": consumer["sk"],
        **case.env,
    }
    local_file = tmp_path / "appliance.qcow2"
    local_file.write_bytes(b"QFI\xfb" + b"\0" * 4096)
    values = {"__LOCAL_FILE__": str(local_file), "__CONTROL__": ansible.emulator.info.control_endpoint}
    for project, tasks in case.before:
        setup = ansible.play(tasks, project=project, env=env)
        assert setup.rc == 0, setup.stdout[-3000:]
    prelude = yaml.safe_load(yaml.safe_dump(case.prelude).replace("__CONTROL__", values["__CONTROL__"]))
    for number, document in enumerate(filled_blocks(case, values)):
        run_block(ansible, control, case, document, dict(PLACEHOLDERS), env, prelude if number == 0 else [])
