# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A seeded chaos soak, as a user's CI would meet a flaky cloud: 65 mixed tasks while 15 % of the IMS requests fail.

Five lanes (hosts, run by five forks) each create an image from an OBS file, tag and untag it, share it, accept it on
the consumer's side, copy it and tag the copy, export it, stop sharing it, create a second image (from a stopped ECS
in the lanes that have one, else from OBS), tag that, delete the copy and promote the first image. Meanwhile the
emulator's chaos (seeded) answers 15 % of the IMS requests with HTTP 500, 502, 503, 429 or IMG.0060, drops them
before or after applying them, or applies them late; never more than two requests of one method and path in a row.
Every task must succeed, and the world must then hold exactly the intended images, tags, members and files. A summary
of the tasks and of the faults is printed at the end of the session.
"""

import json
import sys
from collections import Counter

import yaml
from seed import APPS, OWNER

STOPPED_SERVERS = ["847d0961-f108-4c54-b3a1-6305dde81e56", "fc07bf31-5b3b-464f-a9ee-8022acfa3eb9", "285d2d9a-8fbc-4286-9bb7-ae4075ee9438"]
LANES = 5
SEED = 20241204
RATE = 0.15
IMS_PATHS = "/v[12].*"
CHAOS = [
    {"path": IMS_PATHS, "action": "status", "status": 500, "body": {"error": {"code": "IMG.0061", "message": "Internal error."}}},
    {"path": IMS_PATHS, "action": "status", "status": 502, "body": None},
    {"path": IMS_PATHS, "action": "status", "status": 503, "body": None},
    {"path": IMS_PATHS, "action": "status", "status": 429},
    {"path": IMS_PATHS, "action": "status", "status": 400, "body": {"error": {"code": "IMG.0060", "message": "flow control"}}, "headers": {}},
    {"path": IMS_PATHS, "action": "drop_before"},
    {"path": IMS_PATHS, "action": "drop_after"},
    {"path": IMS_PATHS, "action": "apply_late", "delay": 0.5},
]


def lane_tasks(consumer):
    """The 13 tasks every lane runs (``lane`` and, in some lanes, ``server`` are host variables)."""
    a, copy, b = "soak-{{ lane }}-a", "soak-{{ lane }}-copy", "soak-{{ lane }}-b"
    obs = {"image_url": "ims-images:centos7.qcow2", "os_version": "CentOS 7.6 64bit", "min_disk": 40}

    def task(title, module, register=None, **args):
        entry = {"name": title, "hwcloud.ims.%s" % module: args}
        if register:
            entry["register"] = register
        return entry

    return [
        task("create from OBS", "ims_image", "made", name=a, tags={"lane": "{{ lane }}", "stage": "new"}, **obs),
        task("tag", "ims_image_tag", image="{{ made.image.id }}", tags={"channel": "candidate"}),
        task("untag", "ims_image_tag", image="{{ made.image.id }}", tags={"stage": None}, state="absent"),
        task("share", "ims_image_member", image=["{{ made.image.id }}"], projects=[APPS]),
        task("accept", "ims_image_member", image=["{{ made.image.id }}"], status="accepted", **consumer),
        task("copy", "ims_image", "copied", name=copy, source_image="{{ made.image.id }}"),
        task("tag the copy", "ims_image_tag", image="{{ copied.image.id }}", tags={"copy": "yes"}),
        task("export", "ims_image_export", image="{{ made.image.id }}", bucket_url="ims-exports:soak-{{ lane }}.qcow2", file_format="qcow2"),
        task("unshare", "ims_image_member", image=["{{ made.image.id }}"], projects=[APPS], state="absent"),
        task(
            "create from ECS or OBS",
            "ims_image",
            "second",
            name=b,
            tags={"lane": "{{ lane }}", "kind": "{{ 'ecs' if server is defined else 'obs' }}"},
            instance_id="{{ server | default(omit) }}",
            **{key: "{{ omit if server is defined else %r }}" % value for key, value in obs.items()},
        ),
        task("tag the second", "ims_image_tag", image="{{ second.image.id }}", tags={"channel": "stable"}),
        task("delete the copy", "ims_image", name=copy, state="absent"),
        task("promote", "ims_image_tag", image="{{ made.image.id }}", tags={"channel": "stable"}),
    ]


def consumer_options(emulator):
    """The consumer project's credentials as module options (the play's environment holds the owner's)."""
    info = emulator.info
    entry = info.project("eu-de_apps")
    return {"access_key": entry["ak"], "secret_key": entry["sk"], "project_id": entry["id"], "endpoint": info.endpoint, "region": info.region}


def live_images(world, prefix):
    return [image for image in world["projects"][OWNER]["images"] if image["attributes"]["name"].startswith(prefix) and not image["deleted"]]


def test_chaos_soak(ansible, control, emulator, session_table):
    workdir = ansible.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    hosts = ["lane%d ansible_connection=local ansible_python_interpreter=%s lane=%d" % (lane, sys.executable, lane) for lane in range(LANES)]
    hosts = [host + (" server=%s" % STOPPED_SERVERS[lane] if lane < len(STOPPED_SERVERS) else "") for lane, host in enumerate(hosts)]
    (workdir / "lanes.ini").write_text("[lanes]\n" + "\n".join(hosts) + "\n", encoding="utf-8")
    tasks = lane_tasks(consumer_options(emulator))
    (workdir / "soak.yml").write_text(yaml.safe_dump([{"hosts": "lanes", "gather_facts": False, "tasks": tasks}], sort_keys=False), encoding="utf-8")
    results = workdir / "results.json"
    control.settings(job_seconds=0.3)
    control.chaos(RATE, CHAOS, seed=SEED, max_in_a_row=2)
    try:
        done = ansible.run(
            "ansible-playbook",
            ["-i", str(workdir / "lanes.ini"), "--forks", str(LANES), str(workdir / "soak.yml")],
            env={"HWCLOUD_IMS_TEST_RESULTS": str(results)},
        )
    finally:
        chaos = control.stop_chaos()
    recorded = json.loads(results.read_text(encoding="utf-8"))

    modules = Counter(task["action"].rsplit(".", 1)[-1] for task in recorded)
    rows = []
    for module in sorted(modules):
        mine = [task for task in recorded if task["action"].endswith("." + module)]
        rows.append(
            [
                module,
                len(mine),
                sum(task["status"] == "ok" for task in mine),
                sum(bool(task["result"].get("changed")) for task in mine),
                sum(task["status"] == "failed" for task in mine),
                sum(len(task["result"].get("warnings") or ()) for task in mine),
            ]
        )
    rows.append(["(all)", len(recorded)] + [sum(row[column] for row in rows) for column in range(2, 6)])
    session_table(
        "chaos soak: tasks (seed %d, %d %% of IMS requests faulted)" % (SEED, RATE * 100), ["module", "tasks", "ok", "changed", "failed", "warnings"], rows
    )
    faulted = sorted(chaos["faulted"].items())
    session_table(
        "chaos soak: faults injected",
        ["IMS requests", "faulted"] + [kind for kind, _count in faulted],
        [[chaos["requests"], sum(count for _kind, count in faulted)] + [count for _kind, count in faulted]],
    )

    assert done.returncode == 0, done.stdout[-5000:]
    assert len(recorded) == 13 * LANES and all(task["status"] == "ok" for task in recorded), [task for task in recorded if task["status"] != "ok"]
    assert sum(chaos["faulted"].values()) >= 0.1 * chaos["requests"] and {"status 500", "drop_after", "apply_late"} <= set(chaos["faulted"]), chaos

    world = control.world()
    exported = {obj["name"] for bucket in world["projects"][OWNER]["buckets"] if bucket["name"] == "ims-exports" for obj in bucket["objects"]}
    for lane in range(LANES):
        [first] = live_images(world, "soak-%d-a" % lane)
        assert first["tags"] == {"lane": str(lane), "channel": "stable"}
        assert first["members"] == []
        [second] = live_images(world, "soak-%d-b" % lane)
        assert second["tags"] == {"lane": str(lane), "kind": "ecs" if lane < len(STOPPED_SERVERS) else "obs", "channel": "stable"}
        assert live_images(world, "soak-%d-copy" % lane) == []
        assert "soak-%d.qcow2" % lane in exported
    assert len(live_images(world, "soak-")) == 2 * LANES
