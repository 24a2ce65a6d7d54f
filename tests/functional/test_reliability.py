# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reliability suite: every mutating module and the golden_image role under injected faults, check mode against
the real run, and twenty forks on shared images (generated wrong arguments: test_bad_input.py; a seeded chaos soak:
test_chaos_soak.py; two controllers racing: test_controller_race.py; misbehaving servers: test_hostile_server.py).

Fault matrix. One play per fault runs the four mutating modules, each right after a task that arms the fault for its
own write path (through the emulator's control API, with ``ansible.builtin.uri``). Every task must succeed (retries,
and for a write of unknown outcome a look for its effect before it is sent again), except where the job really
fails or outlasts ``wait_timeout``: those fail with a clear message and no traceback. Then the same four tasks run
again without faults, and the world must hold exactly what they asked for: one image of the name, the tags added next
to the old ones, the member added and the others kept, one exported file. The golden_image role meets the same faults
on all its write paths at once, then converges the same way. Two more rows lose the response of a PATCH and of the
DELETEs (image, members): the change is found made and reported ``changed``. Each cell of the matrix (``ok``,
``failed``) is printed at the end of the session (see ``pytest_terminal_summary`` in conftest.py).
"""

import re
import sys
import time

import pytest
import yaml
from conftest import module_task
from seed import APPS, BASE_DEBIAN, DATA_DISK, OWNER, RESCUE_ISO, WEB_GOLDEN

WRITES = ("POST", "PUT", "PATCH", "DELETE")
IMG0060 = {"error": {"code": "IMG.0060", "message": "The number of tasks exceeds the flow control limit."}}

# The write path each mutating module's main call takes (a regular expression over the whole path).
WRITE_PATHS = {
    "ims_image": "/v2/cloudimages/action",
    "ims_image_tag": "/v2/%s/images/[^/]+/tags/action" % OWNER,
    "ims_image_member": "/v1/cloudimages/members",
    "ims_image_export": "/v1/cloudimages/[^/]+/file",
}
MODULES = tuple(WRITE_PATHS)


def writes(entries):
    """Requests that may change something (the tag search is a POST that only reads; IAM and control calls aside)."""
    return [
        (entry["method"], entry["path"])
        for entry in entries
        if entry["method"] in WRITES and not entry["path"].startswith(("/v3", "/_emulator")) and not entry["path"].endswith("/resource_instances/action")
    ]


def control_task(title, control_endpoint, path, body=None, method="POST"):
    """A task calling the emulator's control API, to change the world between two tasks of one play."""
    args = {"url": control_endpoint + path, "method": method, "validate_certs": False, "body_format": "json"}
    if body is not None:
        args["body"] = body
    return {"name": title, "ansible.builtin.uri": args}


def intents(case):
    """The module tasks of one matrix case: what each asks for; all of them are idempotent when run again."""
    return {
        "ims_image": {
            "name": "rel-%s" % slug(case),
            "image_url": "ims-images:centos7.qcow2",
            "os_version": "CentOS 7.6 64bit",
            "min_disk": 40,
            "tags": {"made-by": case},
        },
        "ims_image_tag": {"image": WEB_GOLDEN, "tags": {"rel": case}},
        "ims_image_member": {"image": [DATA_DISK], "projects": [APPS]},
        "ims_image_export": {"image": BASE_DEBIAN, "bucket_url": "ims-exports:rel-%s.qcow2" % slug(case), "file_format": "qcow2"},
    }


def fault(module, action, count=2, **details):
    return {"method": "POST", "path": WRITE_PATHS[module], "action": action, "count": count, **details}


# case -> (how to arm it before each module's task, extra module arguments, auth kind, the modules it applies to)
def arm_fault(action, **details):
    def arm(endpoint, module):
        return [control_task("arm %s" % module, endpoint, "/faults", fault(module, action, **details))]

    return arm


def arm_job_failure(endpoint, _module):
    return [control_task("arm job failure", endpoint, "/jobs/fail", {"count": 1, "error_code": "IMG.0014", "fail_reason": "injected failure"})]


SLOW_JOB_SECONDS = 4


def arm_slow_jobs(endpoint, _module):
    return [control_task("slow jobs", endpoint, "/settings", {"job_seconds": SLOW_JOB_SECONDS}, method="PUT")]


def arm_consistency_lag(endpoint, _module):
    return [control_task("long consistency lag", endpoint, "/settings", {"consistency_lag": 2.5}, method="PUT")]


def arm_token_expiry(endpoint, _module):
    return [control_task("expire tokens", endpoint, "/tokens/expire")]


# An "applied late" request is applied after the task has looked for its effect (2 s after an unanswered loss, see
# waiting.lost_grace) and sent it again, while ims_image still watches the name: the late image is one to delete.
LATE_SECONDS = 2.5

CASES = {
    "500 x2": (arm_fault("status", status=500, body={"error": {"code": "IMG.0061", "message": "Internal error."}}), {}, "aksk", MODULES),
    "503 x2": (arm_fault("status", status=503, body=None), {}, "aksk", MODULES),
    "429 APIGW.0308 x2": (arm_fault("status", status=429), {}, "aksk", MODULES),
    "400 IMG.0060 x2": (arm_fault("status", status=400, body=IMG0060, headers={}), {}, "aksk", MODULES),
    "drop before": (arm_fault("drop_before", count=1), {}, "aksk", MODULES),
    "drop after": (arm_fault("drop_after", count=1), {}, "aksk", MODULES),
    "job FAIL": (arm_job_failure, {}, "aksk", ("ims_image", "ims_image_member", "ims_image_export")),
    "job past wait_timeout": (arm_slow_jobs, {"wait_timeout": 2}, "aksk", ("ims_image", "ims_image_export")),
    "404 after creation": (arm_consistency_lag, {}, "aksk", MODULES),
    "token expiry": (arm_token_expiry, {}, "password", MODULES),
    "applied late": (arm_fault("apply_late", count=1, delay=LATE_SECONDS), {}, "aksk", MODULES),
}
# Every fault is ridden out (retries; a write of unknown outcome is sent again only when its effect does not show),
# except a job that really fails and one that outlasts wait_timeout.
MUST_SUCCEED = set(CASES) - {"job FAIL", "job past wait_timeout"}
# Words a clear failure message uses (the status or code met, or what happened).
CLEAR = ("500", "503", "IMG.0061", "IMG.0014", "may have been executed", "did not finish", "failed", "timed out", "connection")


def no_traceback(result):
    """A failure the module reported itself: no module crash output and no traceback (Ansible 2.19 records
    ``exception: (traceback unavailable)`` for every failure without one)."""
    return "module_stderr" not in result and "Traceback" not in str(result.get("exception", ""))


def failure_label(message):
    """A short name for why a task failed, for the printed matrix."""
    for word, label in (
        ("may have been executed", "response lost"),
        ("did not finish", "wait_timeout"),
        ("IMG.0014", "job FAIL IMG.0014"),
        ("IMG.0061", "HTTP 500 IMG.0061"),
        ("503", "HTTP 503"),
    ):
        if word in message:
            return label
    return message[:40]


def slug(case):
    return "".join(character if character.isalnum() else "-" for character in case)


def image_named(world, name):
    return [image for image in world["projects"][OWNER]["images"] if image["attributes"]["name"] == name and not image["deleted"]]


def image_by_id(world, image_id):
    return next(image for image in world["projects"][OWNER]["images"] if image["attributes"]["id"] == image_id)


def members(world, image_id):
    return {member["member_id"]: member["status"] for member in image_by_id(world, image_id)["members"]}


def exported(world, file_name):
    bucket = next(bucket for bucket in world["projects"][OWNER]["buckets"] if bucket["name"] == "ims-exports")
    return [obj for obj in bucket["objects"] if obj["name"] == file_name]


def settle(control, case):
    """Back to normal before a converging run: no faults, quick jobs, and the abandoned slow jobs finished."""
    control.call("PUT", "/settings", {"job_seconds": 0.4, "consistency_lag": 0.2})
    control.clear_faults()
    if case == "job past wait_timeout":
        # The abandoned jobs keep their duration; they all started before the play ended. Waiting is not asserted on.
        time.sleep(SLOW_JOB_SECONDS + 0.5)


def outcome(recorded):
    """The cell of the printed matrix for a task (or the failed task of a role)."""
    if recorded["status"] == "failed":
        return "failed: %s" % failure_label(recorded["result"].get("msg", ""))
    return "ok (changed)" if recorded["result"].get("changed") else "ok"


@pytest.mark.parametrize("case", list(CASES))
def test_fault_matrix(ansible, control, emulator, fault_matrix, case):
    arm, extra, auth, modules = CASES[case]
    endpoint = emulator.info.control_endpoint
    wanted = intents(case)
    before = control.world()
    tasks = []
    for module in modules:
        tasks += arm(endpoint, module)
        tasks.append(module_task(module, module, ignore_errors=True, **dict(wanted[module], **extra)))
        tasks.append(control_task("disarm", endpoint, "/faults", method="DELETE"))
    play = ansible.play(tasks, auth=auth)
    assert play.rc == 0 or not [task for task in play.tasks if task["status"] == "failed" and task["action"] == "ansible.builtin.uri"], play.stdout

    cells = {}
    for module in modules:
        recorded = play.task(module)
        assert no_traceback(recorded["result"]), (module, recorded["result"])
        if recorded["status"] == "failed":
            assert any(word in recorded["result"].get("msg", "") for word in CLEAR), (module, recorded["result"])
        cells[module] = outcome(recorded)
    fault_matrix(case, cells)
    for module in modules:
        if case in MUST_SUCCEED:
            assert play.task(module)["status"] == "ok", (case, module, play.task(module)["result"])

    # Converge: the same intents without faults (settings back to normal) all end ok.
    settle(control, case)
    again = ansible.play([module_task(module, module, ignore_errors=True, **wanted[module]) for module in modules], auth=auth)
    for module in modules:
        assert again.task(module)["status"] == "ok", (case, module, again.task(module)["result"])

    world = control.world()
    if "ims_image" in modules:
        made = image_named(world, wanted["ims_image"]["name"])
        live = [image for image in made if image["attributes"]["status"] != "killed"]
        assert len(live) == 1, ("duplicate or missing image", [(i["attributes"]["id"], i["attributes"]["status"]) for i in made])
        assert live[0]["tags"] == {"made-by": case}
    tags_before = image_by_id(before, WEB_GOLDEN)["tags"]
    if "ims_image_tag" in modules:
        assert image_by_id(world, WEB_GOLDEN)["tags"] == dict(tags_before, rel=case)
    else:
        assert image_by_id(world, WEB_GOLDEN)["tags"] == tags_before
    # No member lost on any image, and the wanted one is there.
    expected_members = {image["attributes"]["id"]: members(before, image["attributes"]["id"]) for image in before["projects"][OWNER]["images"]}
    if "ims_image_member" in modules:
        expected_members[DATA_DISK] = dict(expected_members[DATA_DISK], **{APPS: "pending"})
    for image_id, expected in expected_members.items():
        assert members(world, image_id) == expected, image_id
    if "ims_image_export" in modules:
        assert len(exported(world, "rel-%s.qcow2" % slug(case))) == 1
    if case == "applied late":
        assert_applied_late(control, modules)


def assert_applied_late(control, modules):
    """The faulted requests really reached the service after their clients had given up on them (not a vacuous row).
    A late export is refused (an export of the image runs already, or its file exists): IMS cannot export twice."""
    late = [entry for entry in control.requests() if entry["fault"] == "applied_late"]
    for module in modules:
        statuses = [entry["status"] for entry in late if re.fullmatch(WRITE_PATHS[module], entry["path"])]
        assert statuses and all(statuses), (module, late)


def lost_response_task(endpoint, module, args, method, path):
    """The tasks that lose the response of the next request of ``method`` to ``path`` (applied, then the connection
    drops), then run ``module``."""
    return [
        control_task("arm %s" % module, endpoint, "/faults", {"method": method, "path": path, "action": "drop_after", "count": 1}),
        module_task(module, module, ignore_errors=True, **args),
    ]


def sent(log, method, path):
    return [entry for entry in log if entry["method"] == method and re.fullmatch(path, entry["path"]) and entry["fault"] != "applied_late"]


def test_fault_matrix_patch_lost(ansible, control, emulator, fault_matrix):
    """A PATCH applied but unanswered: the attributes show it, so it is not sent again, and the task reports the change."""
    name = "rel-patch-lost"
    args = dict(intents("PATCH lost")["ims_image"], name=name, support_largememory=True)
    patch_path = "/v2/cloudimages/[^/]+"
    play = ansible.play(lost_response_task(emulator.info.control_endpoint, "ims_image", args, "PATCH", patch_path))
    recorded = play.task("ims_image")
    fault_matrix("PATCH lost", {"ims_image": outcome(recorded)})
    assert recorded["status"] == "ok" and recorded["result"]["changed"], recorded["result"]
    assert recorded["result"]["image"]["support_largememory"] is True
    assert len(sent(control.requests(), "PATCH", patch_path)) == 1  # found applied, never sent again
    [made] = image_named(control.world(), name)
    assert made["attributes"]["__support_largememory"] == "true"


def test_fault_matrix_delete_lost(ansible, control, emulator, fault_matrix):
    """DELETEs applied but unanswered (an image, a member): found done, not sent again, reported ``changed``."""
    image_path, members_path = "/v2/images/[^/]+", "/v1/cloudimages/members"
    endpoint = emulator.info.control_endpoint
    tasks = lost_response_task(endpoint, "ims_image", {"name": "rescue-iso-1", "state": "absent"}, "DELETE", image_path)
    tasks += lost_response_task(endpoint, "ims_image_member", {"image": [WEB_GOLDEN], "projects": [APPS], "state": "absent"}, "DELETE", members_path)
    play = ansible.play(tasks)
    fault_matrix("DELETE lost", {module: outcome(play.task(module)) for module in ("ims_image", "ims_image_member")})
    for module in ("ims_image", "ims_image_member"):
        recorded = play.task(module)
        assert recorded["status"] == "ok" and recorded["result"]["changed"], (module, recorded["result"])
    log = control.requests()
    assert len(sent(log, "DELETE", image_path)) == 1 and len(sent(log, "DELETE", members_path)) == 1
    world = control.world()
    assert image_named(world, "rescue-iso-1") == []
    assert APPS not in members(world, WEB_GOLDEN)


def golden_build(case, extra):
    """The golden_image role's variables for one case: a build from a file, shared, promoted and exported."""
    build = {
        "golden_image_family": "rel-%s" % slug(case),
        "golden_image_version": "1",
        "golden_image_url": "ims-images:centos7.qcow2",
        "golden_image_os_version": "CentOS 7.6 64bit",
        "golden_image_share_projects": [APPS],
        "golden_image_promote": True,
        "golden_image_export_url": "ims-exports:golden-%s.qcow2" % slug(case),
    }
    if "wait_timeout" in extra:
        build["golden_image_wait_timeout"] = extra["wait_timeout"]
    return build


def role_task(build):
    return {"name": "golden_image", "ansible.builtin.include_role": {"name": "hwcloud.ims.golden_image"}, "vars": build}


@pytest.mark.parametrize("case", list(CASES))
def test_fault_matrix_golden_image_role(ansible, control, emulator, fault_matrix, case):
    """The same faults, armed for every write path the role takes at once (image, tags, members, export)."""
    arm, extra, auth, _modules = CASES[case]
    endpoint = emulator.info.control_endpoint
    build = golden_build(case, extra)
    before = control.world()
    arming = list({task["name"]: task for module in MODULES for task in arm(endpoint, module)}.values())
    play = ansible.play(arming + [role_task(build)], auth=auth)
    failed = [task for task in play.tasks if task["status"] == "failed"]
    assert all(task["action"] != "ansible.builtin.uri" for task in failed), play.stdout
    recorded = failed[0] if failed else play.task("golden_image")
    if failed:
        assert no_traceback(failed[0]["result"]), failed[0]["result"]
        assert any(word in failed[0]["result"].get("msg", "") for word in CLEAR), failed[0]["result"]
    fault_matrix(case, {"golden_image role": outcome(recorded) if failed else "ok (changed)"})
    if case in MUST_SUCCEED:
        assert not failed, (case, failed)

    settle(control, case)
    again = ansible.play([role_task(build)], auth=auth)
    assert again.rc == 0, again.stdout[-3000:]

    world = control.world()
    made = [image for image in image_named(world, "%s-1" % build["golden_image_family"]) if image["attributes"]["status"] != "killed"]
    assert len(made) == 1, ("duplicate or missing image", made)
    assert {key: made[0]["tags"].get(key) for key in ("family", "version", "channel")} == {
        "family": build["golden_image_family"],
        "version": "1",
        "channel": "stable",
    }
    assert members(world, made[0]["attributes"]["id"]) == {APPS: "pending"}
    for image in before["projects"][OWNER]["images"]:
        assert members(world, image["attributes"]["id"]) == members(before, image["attributes"]["id"])
        assert image_by_id(world, image["attributes"]["id"])["tags"] == image["tags"]
    assert len(exported(world, "golden-%s.qcow2" % slug(case))) == 1
    if case == "applied late":
        assert_applied_late(control, MODULES)


# -- check mode tells the truth --------------------------------------------------------------------------------------


def test_check_mode_sends_no_write_and_predicts_the_real_run(ansible, control):
    tasks = [
        {
            "name": "image",
            "hwcloud.ims.ims_image": {"name": "check-1", "image_url": "ims-images:centos7.qcow2", "os_version": "CentOS 7.6 64bit", "min_disk": 40},
        },
        {"name": "image update", "hwcloud.ims.ims_image": {"name": "data-disk-1", "description": "checked"}},
        {"name": "image unchanged", "hwcloud.ims.ims_image": {"name": "base-debian-10"}},
        {"name": "tag", "hwcloud.ims.ims_image_tag": {"image": WEB_GOLDEN, "tags": {"family": "web", "x": "1"}, "purge_tags": True}},
        {"name": "tag unchanged", "hwcloud.ims.ims_image_tag": {"image": BASE_DEBIAN, "tags": {"family": "base"}}},
        {"name": "member", "hwcloud.ims.ims_image_member": {"image": [DATA_DISK, WEB_GOLDEN], "projects": [APPS]}},
        {"name": "member unchanged", "hwcloud.ims.ims_image_member": {"image": [BASE_DEBIAN], "projects": [APPS]}},
        {"name": "export", "hwcloud.ims.ims_image_export": {"image": BASE_DEBIAN, "bucket_url": "ims-exports:check.qcow2", "file_format": "qcow2"}},
        {"name": "image absent", "hwcloud.ims.ims_image": {"name": "rescue-iso-1", "state": "absent"}},
    ]
    before = control.world()
    control.clear_requests()
    checked = ansible.play(tasks, check=True)
    assert checked.rc == 0, checked.stdout
    assert writes(control.requests()) == []
    after_check = control.world()
    assert after_check["projects"][OWNER]["images"] == before["projects"][OWNER]["images"]

    real = ansible.play(tasks)
    assert real.rc == 0, real.stdout
    predicted = {task["name"]: task["result"]["changed"] for task in checked.tasks}
    done = {task["name"]: task["result"]["changed"] for task in real.tasks}
    assert predicted == done
    assert done == {
        "image": True,
        "image update": True,
        "image unchanged": False,
        "tag": True,
        "tag unchanged": False,
        "member": True,
        "member unchanged": False,
        "export": True,
        "image absent": True,
    }


# -- concurrency ----------------------------------------------------------------------------------------------------


def test_twenty_forks_on_shared_images(ansible, control):
    """20 hosts, 20 forks, all at once: each sets one of seven tags on two shared images (IMS allows ten tags per
    image), shares one of three images with the consumer project, creates or finds one of five images (four hosts
    per name) and adds its own tag to it."""
    hosts = ["fork%02d" % number for number in range(20)]
    workdir = ansible.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "forks.ini").write_text(
        "[forks]\n"
        + "".join("%s ansible_connection=local ansible_python_interpreter=%s number=%d\n" % (host, sys.executable, index) for index, host in enumerate(hosts)),
        encoding="utf-8",
    )
    shared_images = [DATA_DISK, RESCUE_ISO, WEB_GOLDEN]
    play = [
        {
            "hosts": "forks",
            "gather_facts": False,
            "vars": {"shared_images": shared_images},
            "tasks": [
                {
                    "name": "tag",
                    "hwcloud.ims.ims_image_tag": {"image": "{{ item }}", "tags": "{{ {'fork-%d' % (number | int % 7): 'here'} }}"},
                    "loop": [WEB_GOLDEN, BASE_DEBIAN],
                },
                {"name": "member", "hwcloud.ims.ims_image_member": {"image": ["{{ shared_images[number | int % 3] }}"], "projects": [APPS]}},
                {
                    "name": "image",
                    "hwcloud.ims.ims_image": {
                        "name": "{{ 'forked-%d' % (number | int % 5) }}",
                        "image_url": "ims-images:centos7.qcow2",
                        "os_version": "CentOS 7.6 64bit",
                        "min_disk": 40,
                    },
                },
                {
                    "name": "tag the image",
                    "hwcloud.ims.ims_image_tag": {"image": "{{ 'forked-%d' % (number | int % 5) }}", "tags": "{{ {'by-' ~ inventory_hostname: 'yes'} }}"},
                },
            ],
        }
    ]
    (workdir / "forks.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
    before = control.world()
    completed = ansible.run("ansible-playbook", ["-i", str(workdir / "forks.ini"), "--forks", "20", str(workdir / "forks.yml")])
    assert completed.returncode == 0, completed.stdout[-5000:]

    world = control.world()
    for image_id in (WEB_GOLDEN, BASE_DEBIAN):
        expected = dict(image_by_id(before, image_id)["tags"], **{"fork-%d" % number: "here" for number in range(7)})
        assert image_by_id(world, image_id)["tags"] == expected
    for image_id in shared_images:
        assert members(world, image_id) == dict(members(before, image_id), **{APPS: members(before, image_id).get(APPS, "pending")})
    assert members(world, BASE_DEBIAN) == members(before, BASE_DEBIAN)
    for number in range(5):
        made = image_named(world, "forked-%d" % number)
        assert len(made) == 1, ("forked-%d" % number, len(made))
        taggers = [host for index, host in enumerate(hosts) if index % 5 == number]
        assert made[0]["tags"] == {"by-%s" % host: "yes" for host in taggers}
    creates = [entry for entry in control.requests() if entry["method"] == "POST" and entry["path"] == WRITE_PATHS["ims_image"]]
    assert len(creates) == 5 + len([entry for entry in creates if entry["status"] != 200])
