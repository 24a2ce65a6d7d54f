# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of hwcloud.ims against the local IMS emulator: printed figures, not timed tests.

    python tests/benchmarks/run.py            # from the repository root, in the collection's virtual environment

Starts its own emulator, runs real ansible-playbook / ansible-inventory commands against it (through the end-to-end
tests' runner, tests/functional/conftest.py) and prints, as a Markdown table:

- requests per operation against the minimum needed, and token requests in a 50-task play;
- the per-task overhead of ims_image_info against ansible.builtin.ping;
- ims_image_info against openstack.cloud.image_info (openstacksdk through the emulator's IAM catalog and Glance API)
  listing the same 1,000 and 10,000 images: the task's own time and the whole ansible-playbook run, best of two runs
  each, and their ratio. openstack.cloud is not a requirement of the project: openstack_cloud.py fetches it once from
  the ``ansible`` package on PyPI into ~/.cache/hwcloud-ims-bench;
- the inventory plugin over 10,000 images, cold (empty cache) and cached, with ansible-inventory --graph and --list,
  on loopback and with an emulated per-request latency (the emulator's ``latency`` setting) standing in for a real
  cloud's round trips, best of two each; the requests of each cold run, and a check that the cached run sent none;
- the peak memory of ims_image_info over 20,000 images.

Takes about ten minutes on two cores; times are wall-clock seconds on whatever else the machine is doing, so the
load average is printed at the start and the end. Not part of the test command.
"""

import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT / "tests" / "emulator"), str(REPO_ROOT / "tests" / "functional")]

import openstack_cloud  # noqa: E402  pylint: disable=wrong-import-position
import yaml  # noqa: E402  pylint: disable=wrong-import-position
from conftest import AnsibleRunner  # noqa: E402  pylint: disable=wrong-import-position

from ims_emulator.testing import ControlClient, EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position

EU_DE = "67477b5b052646869adfd66f5cb8d955"
APPS = "fceeffa8d26b4158b9456c60289e2995"
DATA_DISK = "83d46f5d-a0e7-4755-8766-22b532a823d3"
PAGE = 500
TAG_PAGE = 1000
#: Emulated per-request latencies (seconds) for the inventory's cold and cached runs; 0 is plain loopback.
LATENCIES = (0, 0.2, 0.5)


class TimedRunner(AnsibleRunner):
    """The end-to-end tests' runner, also timing each Ansible command it runs: ``seconds`` is the last one's wall time,
    ``cpu_seconds`` the CPU time (user + system) of its process tree, which other load on the machine barely changes."""

    seconds = None
    cpu_seconds = None

    def run(self, program, args, project="eu-de", auth="aksk", env=None):
        before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        try:
            return super().run(program, args, project, auth, env)
        finally:
            self.seconds = time.monotonic() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            self.cpu_seconds = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


class Table:
    """The rows of the printed table; each row is printed at once too, so progress shows."""

    def __init__(self):
        self.rows = []

    def row(self, what, measured, target, note=""):
        self.rows.append((what, measured, target, note))
        print("%-62s %-16s %-15s %s" % (what, measured, target, note), flush=True)

    def markdown(self):
        lines = ["| measurement | measured | target | note |", "|---|---|---|---|"]
        lines += ["| %s | %s | %s | %s |" % row for row in self.rows]
        return "\n".join(lines)


def api_requests(entries):
    """IMS, Glance and IAM requests: everything but the control API."""
    return [entry for entry in entries if not entry["path"].startswith("/_emulator")]


def ims_requests(entries):
    return [entry for entry in entries if not entry["path"].startswith(("/v3", "/_emulator"))]


def during(play, name, log):
    return ims_requests(play.requests_of(name, log))


def requests_of_one_task(runner, control, task, auth="aksk"):
    control.clear_requests()
    play = runner.play([dict(task, name="measured")], auth=auth)
    assert play.task("measured")["status"] == "ok", play.task("measured")["result"]
    return len(during(play, "measured", control.requests()))


def task_seconds(play, name):
    times = [task["finished"] - task["started"] for task in play.tasks if task["name"] == name]
    return sum(times) / len(times)


def best(runs, index):
    """The smallest value at ``index`` of several runs' tuples (best of n: other load on the machine only adds time)."""
    return min(run[index] for run in runs)


def ratio(part, whole):
    return "%.2f" % (part / whole)


def peak_child_rss_mb(runner, tasks):
    """ru_maxrss of the largest process a fresh subprocess tree had (the module process dominates at scale)."""
    script = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=False, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    runner.workdir.mkdir(parents=True, exist_ok=True)
    playbook = runner.workdir / "memory.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]), encoding="utf-8")
    inventory = runner.workdir / "memory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
    env = runner.base_env()
    env.update(runner.credentials_env())
    command = [sys.executable, "-c", script, str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def request_counts(table, runner, control):
    control.reset()
    table.row(
        "no-op ims_image (existing image, nothing to change)",
        requests_of_one_task(runner, control, {"hwcloud.ims.ims_image": {"name": "base-debian-10"}}),
        "<= 2",
        "minimum 1 (one lookup)",
    )
    table.row(
        "ims_image_tag: add one tag",
        requests_of_one_task(runner, control, {"hwcloud.ims.ims_image_tag": {"image": DATA_DISK, "tags": {"a": "b"}}}),
        "2",
        "minimum 2 (read tags, one batch create; the image given by ID)",
    )
    table.row(
        "ims_image_tag: no change",
        requests_of_one_task(runner, control, {"hwcloud.ims.ims_image_tag": {"image": DATA_DISK, "tags": {"a": "b"}}}),
        "1",
        "minimum 1 (read tags)",
    )
    table.row(
        "ims_image_member: share one image with one project",
        requests_of_one_task(runner, control, {"hwcloud.ims.ims_image_member": {"image": [DATA_DISK], "projects": [APPS]}}),
        "3",
        "minimum 3 (read members, one batch POST, poll the job once)",
    )
    table.row(
        "ims_image_member: no change",
        requests_of_one_task(runner, control, {"hwcloud.ims.ims_image_member": {"image": [DATA_DISK], "projects": [APPS]}}),
        "1",
        "minimum 1 (read members)",
    )
    for count in (1000, 5000):
        control.reset()
        control.bulk_images(EU_DE, count, name_prefix="bench-")
        measured = requests_of_one_task(runner, control, {"hwcloud.ims.ims_image_info": {"name_match": "bench-"}})
        table.row(
            "ims_image_info over %d images (name_match)" % count,
            measured,
            str(math.ceil(count / TAG_PAGE) + math.ceil(count / PAGE)),
            "name_match is a tag-search condition: tag-search pages of %d for the matching ids, then query pages of %d" % (TAG_PAGE, PAGE),
        )

    control.reset()
    control.clear_requests()
    play = runner.play([{"name": "info %d" % number, "hwcloud.ims.ims_image_info": {"name": "base-debian-10"}} for number in range(50)], auth="password")
    assert play.rc == 0, play.stdout
    posts = [entry for entry in control.requests() if entry["method"] == "POST" and entry["path"] == "/v3/auth/tokens"]
    table.row("token requests in a 50-task play (password auth, empty cache)", len(posts), "1")


def per_task_overhead(table, runner):
    tasks = [{"name": "info", "hwcloud.ims.ims_image_info": {"name": "base-debian-10"}}] * 20
    tasks += [{"name": "ping", "ansible.builtin.ping": {}}] * 20
    play = runner.play(tasks)
    info, ping = task_seconds(play, "info"), task_seconds(play, "ping")
    table.row("per-task time: ims_image_info / ansible.builtin.ping (s)", "%.2f / %.2f" % (info, ping), "-", "overhead %.2f s per task" % (info - ping))


def listing_run(runner, control, task, count):
    """One play with one task that must list ``count`` images: (task seconds, ansible-playbook seconds, API requests,
    seconds the emulator spent answering them, CPU seconds of ansible-playbook and the module)."""
    control.clear_requests()
    play = runner.play([dict(task, name="list")])
    result = play.task("list")
    assert result["status"] == "ok", str(result["result"])[:2000]
    listed = len(result["result"]["images"])
    assert listed == count, "listed %d images, not %d" % (listed, count)
    entries = api_requests(control.requests())
    return task_seconds(play, "list"), runner.seconds, len(entries), sum(entry["duration_ms"] for entry in entries) / 1000, runner.cpu_seconds


def against_openstack_cloud(table, runner, control):
    """ims_image_info against openstack.cloud.image_info over the same images, best of two alternating runs each."""
    info = runner.emulator.info
    ours = {"hwcloud.ims.ims_image_info": {"name_match": "cmp-"}}
    theirs = openstack_cloud.image_info_task(info, "eu-de", "cmp-*")
    for count in (1000, 10000):
        control.reset()
        control.bulk_images(EU_DE, count, name_prefix="cmp-")
        runs = {"ims": [], "openstack": []}
        for _attempt in range(2):
            runs["ims"].append(listing_run(runner, control, ours, count))
            runs["openstack"].append(listing_run(runner, control, theirs, count))
        ims_task, ims_wall, ims_cpu = (best(runs["ims"], index) for index in (0, 1, 4))
        os_task, os_wall, os_cpu = (best(runs["openstack"], index) for index in (0, 1, 4))
        ims_count, ims_server = runs["ims"][0][2:4]
        os_count, os_server = runs["openstack"][0][2:4]
        table.row(
            "ims_image_info / openstack.cloud.image_info over %d images, task (s)" % count,
            "%.2f / %.2f" % (ims_task, os_task),
            "<= 0.5x",
            "ratio %s; requests %d / %d (emulator busy %.1f / %.1f s)" % (ratio(ims_task, os_task), ims_count, os_count, ims_server, os_server),
        )
        table.row(
            "same, whole ansible-playbook run (s)",
            "%.2f / %.2f" % (ims_wall, os_wall),
            "<= 0.5x",
            "ratio %s; CPU time of the run %.1f / %.1f s" % (ratio(ims_wall, os_wall), ims_cpu, os_cpu),
        )


def graph_hosts(output):
    """The distinct host names of ansible-inventory --graph output (groups start with @)."""
    names = (line.rsplit("--", 1)[-1].strip() for line in output.splitlines() if "--" in line)
    return {name for name in names if name and not name.startswith("@")}


def inventory_run(runner, control, source, mode, count):
    """One ansible-inventory run: (seconds, CPU seconds, IMS requests, IAM requests)."""
    control.clear_requests()
    done = runner.run("ansible-inventory", ["-i", str(source), mode], env={"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true"})
    assert done.returncode == 0, done.stderr[-2000:]
    hosts = len(json.loads(done.stdout)["_meta"]["hostvars"]) if mode == "--list" else len(graph_hosts(done.stdout))
    assert hosts >= count, "%s listed %d hosts" % (mode, hosts)
    entries = api_requests(control.requests())
    iam = [entry for entry in entries if entry["path"].startswith("/v3")]
    return runner.seconds, runner.cpu_seconds, len(entries) - len(iam), len(iam)


def inventory_source(path, cache_dir):
    path.write_text(
        yaml.safe_dump(
            {
                "plugin": "hwcloud.ims.ims",
                "filters": {"imagetype": "private"},
                "cache": True,
                "cache_plugin": "ansible.builtin.jsonfile",
                "cache_connection": str(cache_dir),
                "cache_timeout": 3600,
            }
        ),
        encoding="utf-8",
    )
    return path


def inventory_cold_and_cached(table, runner, control, workdir, count=10000):
    """Per latency and output mode, best of two (cold run with an empty cache, then a cached run)."""
    control.reset()
    control.bulk_images(EU_DE, count, name_prefix="inv-")
    for latency in LATENCIES:
        assert control.settings(latency=latency)["latency"] == latency
        label = "latency %.1f s (emulated)" % latency if latency else "loopback"
        for mode in ("--graph", "--list"):
            colds, cacheds = [], []
            for attempt in range(2):
                name = "inv-%s-%s-%d" % (mode.strip("-"), latency, attempt)
                source = inventory_source(runner.workdir / (name + ".ims.yml"), workdir / name)
                colds.append(inventory_run(runner, control, source, mode, count))
                cacheds.append(inventory_run(runner, control, source, mode, count))
                assert cacheds[-1][2] == 0, "the cached run sent %d IMS requests" % cacheds[-1][2]
                shutil.rmtree(workdir / name)
            cold, cold_cpu, cached, cached_cpu = best(colds, 0), best(colds, 1), best(cacheds, 0), best(cacheds, 1)
            table.row(
                "inventory %s over %d images, %s: cold / cached (s)" % (mode, count, label),
                "%.1f / %.1f" % (cold, cached),
                "cached <= 0.2x",
                "ratio %s; CPU %.1f / %.1f s; cold run %d IMS + %d IAM requests, cached run %d + %d"
                % (ratio(cached, cold), cold_cpu, cached_cpu, *colds[0][2:], *cacheds[0][2:]),
            )
    control.reset()


def peak_memory(table, runner, control):
    control.reset()
    control.bulk_images(EU_DE, 20000, name_prefix="mem-")
    small = peak_child_rss_mb(runner, [{"hwcloud.ims.ims_image_info": {"name": "base-debian-10"}}])
    large = peak_child_rss_mb(runner, [{"hwcloud.ims.ims_image_info": {"name_match": "mem-"}}])
    table.row(
        "peak RSS, ims_image_info over 1 / 20,000 images (MB)",
        "%.0f / %.0f" % (small, large),
        "-",
        "largest process of the run (ansible-playbook or the module)",
    )


def versions(cloud_version):
    import openstack.version  # pylint: disable=import-outside-toplevel
    from ansible.release import __version__ as core  # pylint: disable=import-outside-toplevel

    return "ansible-core %s, openstacksdk %s, openstack.cloud %s" % (core, openstack.version.__version__, cloud_version)


def main():
    load_at_start = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="hwcloud-ims-bench-"))
    collections = workdir / "collections"
    (collections / "ansible_collections" / "hwcloud").mkdir(parents=True)
    (collections / "ansible_collections" / "hwcloud" / "ims").symlink_to(REPO_ROOT)
    openstack_collections = openstack_cloud.collections_dir()
    table = Table()
    try:
        with EmulatorProcess(job_seconds=0.4) as emulator, ControlClient.for_emulator(emulator) as control:
            runner = TimedRunner(emulator, os.pathsep.join([str(collections), str(openstack_collections)]), workdir / "run")
            request_counts(table, runner, control)
            per_task_overhead(table, runner)
            against_openstack_cloud(table, runner, control)
            inventory_cold_and_cached(table, runner, control, workdir)
            peak_memory(table, runner, control)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # the inventory caches alone take hundreds of MB

    print()
    print(
        "machine: %s, %s, %d CPUs, Python %s; load average at the start %.2f, at the end %.2f"
        % (platform.platform(), platform.processor() or platform.machine(), os.cpu_count(), platform.python_version(), load_at_start, os.getloadavg()[0])
    )
    print(versions(openstack_cloud.collection_version(openstack_collections)))
    print()
    print(table.markdown())


if __name__ == "__main__":
    main()
