# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of hwcloud.ims against the local IMS emulator: printed figures, not timed tests.

    python tests/benchmarks/run.py                      # everything (see docs/benchmarks.md for how long it takes)
    python tests/benchmarks/run.py per-task imports     # only the named parts
    python tests/benchmarks/run.py --quick              # small sizes and few rounds: a smoke test, not figures

Run it from the repository root in the collection's virtual environment. It starts its own emulator, runs real
ansible-playbook / ansible-inventory commands against it (through the end-to-end tests' runner,
tests/functional/conftest.py) and prints Markdown tables. The parts:

- ``requests``: requests per operation against the minimum needed, and token requests in a 50-task play;
- ``per-task``: plays of 10 tasks (ping, failing ping, by-name ims_image_info, bad-input ims_image_info, by-name
  openstack.cloud.image_info, debug with and without the hwcloud.ims.ims_image lookup) in alternating rounds, their
  ratios against the targets, and the module process alone against the whole task (per_task.py);
- ``imports``: the import time of each module's path with and without httpx's command-line extras installed, and
  the size and contents of each module's AnsiballZ payload (imports.py);
- ``listing``: ims_image_info against openstack.cloud.image_info listing the same 1,000 and 10,000 images;
- ``inventory``: the inventory plugin over 10,000 images, cold and cached, with and without emulated latency, and
  against static inventories of the same hosts and a plugin that only adds them (the floor), with where the
  difference goes (inventory.py);
- ``memory``: the peak memory of ims_image_info over 1 and 20,000 images.

openstack.cloud is not a requirement of the project: openstack_cloud.py fetches it once from the ``ansible`` package
on PyPI into ~/.cache/hwcloud-ims-bench, where imports.py also keeps its lean virtual environment. Times are
wall-clock and CPU seconds on whatever else the machine is doing, so the load average is printed at the start, when
each part starts and at the end. Not part of the test command.
"""

import argparse
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

import imports
import inventory
import openstack_cloud
import per_task
import yaml
from common import EU_DE, REPO_ROOT, Table, TimedRunner, load_average, ratio, verdict

from ims_emulator.testing import ControlClient, EmulatorProcess

APPS = "fceeffa8d26b4158b9456c60289e2995"
DATA_DISK = "83d46f5d-a0e7-4755-8766-22b532a823d3"
PAGE = 500
TAG_PAGE = 1000
LISTING_TARGET = 0.5
PARTS = ("requests", "per-task", "imports", "listing", "inventory", "memory")
#: Sizes and repetitions of a full run, and of --quick (a smoke test of the script; its figures mean little).
SIZES = {
    "full": {
        "bulk_counts": (1000, 5000),
        "rounds": 5,
        "reps": 5,
        "listing_counts": (1000, 10000),
        "inventory_count": 10000,
        "latencies": (0, 0.2, 0.5),
        "attempts": 2,
        "floor_rounds": 3,
        "yaml_runs": 1,
        "memory_count": 20000,
    },
    "quick": {
        "bulk_counts": (1000,),
        "rounds": 2,
        "reps": 2,
        "listing_counts": (300,),
        "inventory_count": 1000,
        "latencies": (0,),
        "attempts": 1,
        "floor_rounds": 2,
        "yaml_runs": 1,
        "memory_count": 2000,
    },
}


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


def measurement_table(title):
    return Table(title, ["measurement", "measured", "target", "note"])


def request_counts(runner, control, sizes, _targets):
    table = measurement_table("Requests and tokens")
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
    for count in sizes["bulk_counts"]:
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
    table.row("token requests in a 50-task play (password auth, empty cache)", len(posts), "1", "")
    return [table]


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


def against_openstack_cloud(runner, control, sizes, targets):
    """ims_image_info against openstack.cloud.image_info over the same images, best of two alternating runs each."""
    table = measurement_table("ims_image_info against openstack.cloud.image_info, listing (best of two alternating runs)")
    info = runner.emulator.info
    ours = {"hwcloud.ims.ims_image_info": {"name_match": "cmp-"}}
    theirs = openstack_cloud.image_info_task(info, "eu-de", "cmp-*")
    for count in sizes["listing_counts"]:
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
            "<= %.1fx" % LISTING_TARGET,
            "ratio %s; requests %d / %d (emulator busy %.1f / %.1f s)" % (ratio(ims_task, os_task), ims_count, os_count, ims_server, os_server),
        )
        table.row(
            "same, whole ansible-playbook run (s)",
            "%.2f / %.2f" % (ims_wall, os_wall),
            "<= %.1fx" % LISTING_TARGET,
            "ratio %s; CPU time of the run %.1f / %.1f s" % (ratio(ims_wall, os_wall), ims_cpu, os_cpu),
        )
        for what, part, whole in (("task", ims_task, os_task), ("whole run", ims_wall, os_wall)):
            label = "ims_image_info / openstack.cloud.image_info listing %d images, %s" % (count, what)
            targets.append((label, ratio(part, whole), "<= %.1f" % LISTING_TARGET, verdict(part / whole, LISTING_TARGET)))
    return [table]


def peak_child_rss_mb(runner, tasks):
    """ru_maxrss of the largest process a fresh subprocess tree had (the module process dominates at scale)."""
    script = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=False, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    runner.workdir.mkdir(parents=True, exist_ok=True)
    playbook = runner.workdir / "memory.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]), encoding="utf-8")
    inventory_file = runner.workdir / "memory.ini"
    inventory_file.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
    command = [sys.executable, "-c", script, str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory_file), str(playbook)]
    done = subprocess.run(command, env=runner.env(), capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def peak_memory(runner, control, sizes, _targets):
    table = measurement_table("Memory")
    control.reset()
    control.bulk_images(EU_DE, sizes["memory_count"], name_prefix="mem-")
    small = peak_child_rss_mb(runner, [{"hwcloud.ims.ims_image_info": {"name": "base-debian-10"}}])
    large = peak_child_rss_mb(runner, [{"hwcloud.ims.ims_image_info": {"name_match": "mem-"}}])
    table.row(
        "peak RSS, ims_image_info over 1 / %d images (MB)" % sizes["memory_count"],
        "%.0f / %.0f" % (small, large),
        "-",
        "largest process of the run (ansible-playbook or the module)",
    )
    return [table]


def versions(openstack_collections):
    import httpx  # pylint: disable=import-outside-toplevel
    import openstack.version  # pylint: disable=import-outside-toplevel
    import pydantic  # pylint: disable=import-outside-toplevel
    from ansible.release import __version__ as core  # pylint: disable=import-outside-toplevel

    return "ansible-core %s, httpx %s, pydantic %s, openstacksdk %s, openstack.cloud %s" % (
        core,
        httpx.__version__,
        pydantic.VERSION,
        openstack.version.__version__,
        openstack_cloud.collection_version(openstack_collections),
    )


def machine():
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    try:
        models = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines() if line.startswith("model name")]
        cpu = models[0] if models else cpu
    except OSError:
        pass
    return "%s, %s, %d CPUs, %.0f GB RAM, Python %s" % (platform.platform(), cpu, os.cpu_count(), memory, platform.python_version())


def arguments():
    parser = argparse.ArgumentParser(description="Benchmarks of hwcloud.ims against the local IMS emulator (figures for docs/benchmarks.md).")
    parser.add_argument("parts", nargs="*", metavar="PART", help="parts to run (default: all): %s" % ", ".join(PARTS))
    parser.add_argument("--quick", action="store_true", help="small sizes and 2 rounds: a smoke test of the script, not figures to publish")
    parser.add_argument("--rounds", type=int, help="alternating rounds of the per-task plays (default 5, --quick 2)")
    options = parser.parse_args()
    unknown = sorted(set(options.parts) - set(PARTS))
    if unknown:
        parser.error("unknown part %s (the parts: %s)" % (", ".join(unknown), ", ".join(PARTS)))
    return options


def main():
    options = arguments()
    sizes = dict(SIZES["quick" if options.quick else "full"])
    if options.rounds:
        sizes["rounds"] = options.rounds
    parts = [part for part in PARTS if part in options.parts] or list(PARTS)
    load_at_start = load_average()
    print("load average at the start: %.2f; parts: %s%s" % (load_at_start, ", ".join(parts), " (quick)" if options.quick else ""), flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="hwcloud-ims-bench-"))
    collections = workdir / "collections"
    (collections / "ansible_collections" / "hwcloud").mkdir(parents=True)
    (collections / "ansible_collections" / "hwcloud" / "ims").symlink_to(REPO_ROOT)
    openstack_collections = openstack_cloud.collections_dir()
    tables, targets, loads = [], [], []
    started = time.monotonic()
    try:
        with EmulatorProcess(job_seconds=0.4) as emulator, ControlClient.for_emulator(emulator) as control:
            runner = TimedRunner(emulator, os.pathsep.join([str(collections), str(openstack_collections)]), workdir / "run")
            runner.workdir.mkdir()
            for part in parts:
                print("\n-- %s: load average %.2f" % (part, load_average()), flush=True)
                loads.append((part, load_average()))
                if part == "requests":
                    tables += request_counts(runner, control, sizes, targets)
                elif part == "per-task":
                    found, met = per_task.run(runner, control, workdir, sizes["rounds"], sizes["reps"])
                    tables += found
                    targets += met
                elif part == "imports":
                    control.reset()
                    tables += imports.run(runner, str(collections), workdir, sizes["reps"])[0]
                elif part == "listing":
                    tables += against_openstack_cloud(runner, control, sizes, targets)
                elif part == "inventory":
                    found, met = inventory.run(
                        runner, control, workdir, sizes["inventory_count"], sizes["latencies"], sizes["attempts"], sizes["floor_rounds"], sizes["yaml_runs"]
                    )
                    tables += found
                    targets += met
                elif part == "memory":
                    tables += peak_memory(runner, control, sizes, targets)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # the inventory caches alone take hundreds of MB

    elapsed = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print()
    print("machine: %s" % machine())
    print(versions(openstack_collections))
    print(
        "load average at the start %.2f, at the end %.2f; %.0f s elapsed, %.0f s CPU in child processes%s"
        % (load_at_start, load_average(), elapsed, usage.ru_utime + usage.ru_stime, "; --quick: smoke test, not figures" if options.quick else "")
    )
    print("load average when each part started: %s" % ", ".join("%s %.2f" % load for load in loads))
    for table in tables:
        print()
        print(table.markdown())
    if targets:
        summary = Table("Targets", ["what", "measured", "target", "verdict"])
        for row in targets:
            summary.row(*row)
        print()
        print(summary.markdown())


if __name__ == "__main__":
    main()
