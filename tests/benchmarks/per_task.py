# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-task cost: plays of 10 tasks each, run in alternation round after round, and the lookup's cost per run.

Each play is one ansible-playbook run on localhost: 10 ``ansible.builtin.ping`` tasks, 10 failing pings, 10 by-name
``hwcloud.ims.ims_image_info`` tasks, 10 of them with a bad input, 10 by-name ``openstack.cloud.image_info`` tasks,
and three plays of 10 ``ansible.builtin.debug`` tasks with no, one or ten ``hwcloud.ims.ims_image`` lookups. A round
runs each play once; the medians over the rounds and the median of each round's ratio are reported (a round's plays
ran within seconds of each other, so a ratio is fair even when the machine's load changes between rounds).

Then the module side of a task alone: the AnsiballZ payloads ansible-playbook built for these tasks (kept with
``ANSIBLE_KEEP_REMOTE_FILES``) are run directly, as the local connection runs them, so that what a task costs more
than ping splits into the module process and the controller's side (forking a worker, templating, the action plugin,
building and copying the payload, the connection's commands, the callbacks).
"""

import sys

import openstack_cloud
from common import SEED_IMAGE, Table, median, timed_process, verdict

TASKS_PER_PLAY = 10
#: Targets of issue 12: the median of the rounds' ratios of whole ansible-playbook runs (wall time).
TARGETS = {"info/ping": 1.4, "info/openstack": 0.6, "bad/ping": 1.1}
LOOKUP = "{{ lookup('hwcloud.ims.ims_image', name='%s') }}" % SEED_IMAGE


def _tasks(task, count=TASKS_PER_PLAY, **extra):
    return [dict(task, name="task %d" % number, **extra) for number in range(count)]


def _all(status, check=None):
    """A play check: every task ended with ``status`` (and, when given, ``check(result)`` holds for each)."""

    def verify(play):
        assert len(play.tasks) == TASKS_PER_PLAY, "%d tasks ran, not %d\n%s" % (len(play.tasks), TASKS_PER_PLAY, play.stdout[-3000:])
        for task in play.tasks:
            assert task["status"] == status, "%s: %s" % (task["name"], str(task["result"])[:2000])
            assert check is None or check(task["result"]), "%s: %s" % (task["name"], str(task["result"])[:2000])

    return verify


def _found_seed_image(result):
    return [image["name"] for image in result["images"]] == [SEED_IMAGE]


def plays(emulator_info):
    """(key, label, tasks, check) of every play of a round, in the order a round runs them."""
    openstack_task = openstack_cloud.image_info_task(emulator_info, "eu-de", SEED_IMAGE)
    debug = {"ansible.builtin.debug": {"msg": SEED_IMAGE}}
    looked_up = {"ansible.builtin.debug": {"msg": LOOKUP}}
    return [
        ("ping", "10 × ansible.builtin.ping", _tasks({"ansible.builtin.ping": {}}), _all("ok")),
        (
            "failing-ping",
            "10 × ansible.builtin.ping failing (data: crash, ignore_errors)",
            _tasks({"ansible.builtin.ping": {"data": "crash"}}, ignore_errors=True),
            _all("failed"),
        ),
        ("info", "10 × hwcloud.ims.ims_image_info by name", _tasks({"hwcloud.ims.ims_image_info": {"name": SEED_IMAGE}}), _all("ok", _found_seed_image)),
        (
            "bad",
            "10 × hwcloud.ims.ims_image_info, bad input (created_at: {gt: yesterday}, ignore_errors)",
            _tasks({"hwcloud.ims.ims_image_info": {"created_at": {"gt": "yesterday"}}}, ignore_errors=True),
            _all("failed", lambda result: "created_at" in result.get("msg", "")),
        ),
        ("openstack", "10 × openstack.cloud.image_info by name", _tasks(openstack_task), _all("ok", _found_seed_image)),
        ("debug", "10 × ansible.builtin.debug", _tasks(debug), _all("ok")),
        ("lookup-1", "the same, the first with one hwcloud.ims.ims_image lookup", [dict(looked_up, name="task 0")] + _tasks(debug)[1:], _all("ok")),
        ("lookup-10", "the same, each with one lookup", _tasks(looked_up), _all("ok", lambda result: result["msg"] not in ("", SEED_IMAGE))),
    ]


def _task_seconds(play):
    """The mean time of a play's tasks, as the callback saw them (task start to result)."""
    return sum(task["finished"] - task["started"] for task in play.tasks) / len(play.tasks)


def run_rounds(runner, control, rounds):
    """{key: {"label", "wall": [...], "cpu": [...], "task": [...], "requests": [...]}}, one entry per round each."""
    measured = {}
    for number in range(rounds):
        print("  round %d of %d" % (number + 1, rounds), flush=True)
        for key, label, tasks, check in plays(runner.emulator.info):
            control.clear_requests()
            play = runner.play(tasks)
            check(play)
            entry = measured.setdefault(key, {"label": label, "wall": [], "cpu": [], "task": [], "requests": []})
            entry["wall"].append(runner.seconds)
            entry["cpu"].append(runner.cpu_seconds)
            entry["task"].append(_task_seconds(play))
            entry["requests"].append(len([request for request in control.requests() if not request["path"].startswith("/_emulator")]))
    return measured


def _ratios(measured, part, whole, kind):
    return [a / b for a, b in zip(measured[part][kind], measured[whole][kind], strict=True)]


def _spread(values):
    return "%.2f (%.2f–%.2f)" % (median(values), min(values), max(values))


def report_plays(measured, rounds):
    table = Table(
        "Plays of 10 tasks, %d alternating rounds (medians)" % rounds,
        ["play (one ansible-playbook run)", "wall (s)", "CPU (s)", "per task, callback (s)", "API requests"],
    )
    for entry in measured.values():
        table.row(entry["label"], "%.2f" % median(entry["wall"]), "%.2f" % median(entry["cpu"]), "%.3f" % median(entry["task"]), max(entry["requests"]))
    ratios = Table(
        "Per-task cost: ratios of whole runs (median of the %d rounds' ratios, lowest–highest)" % rounds,
        ["comparison", "wall ratio", "CPU ratio", "target", "verdict (wall)"],
    )
    comparisons = [
        ("info/ping", "ims_image_info / ping", "info", "ping"),
        ("info/openstack", "ims_image_info / openstack.cloud.image_info", "info", "openstack"),
        ("bad/ping", "bad-input ims_image_info / ping", "bad", "ping"),
        ("failing/ping", "failing ping / ping (is a failure dearer?)", "failing-ping", "ping"),
        ("bad/failing", "bad-input ims_image_info / failing ping", "bad", "failing-ping"),
    ]
    targets = []
    for key, label, part, whole in comparisons:
        wall, cpu = _ratios(measured, part, whole, "wall"), _ratios(measured, part, whole, "cpu")
        target = TARGETS.get(key)
        ratios.row(label, _spread(wall), _spread(cpu), "<= %.1f" % target if target else "-", verdict(median(wall), target) if target else "-")
        if target:
            targets.append(
                ("%s, 10-task plays (wall; CPU %.2f)" % (label, median(cpu)), "%.2f" % median(wall), "<= %.1f" % target, verdict(median(wall), target))
            )
    extra = Table(
        "What a task costs more than ping (per task, medians of the rounds' differences / 10)",
        ["task", "wall (s)", "CPU (s)"],
    )
    for label, part in (
        ("ims_image_info by name", "info"),
        ("ims_image_info, bad input", "bad"),
        ("openstack.cloud.image_info by name", "openstack"),
        ("failing ping", "failing-ping"),
    ):
        extra.row(label, *("%.3f" % median(_per_task_differences(measured, part, "ping", kind)) for kind in ("wall", "cpu")))
    return [table, ratios, extra], targets


def _per_task_differences(measured, part, base, kind, tasks=TASKS_PER_PLAY):
    return [(a - b) / tasks for a, b in zip(measured[part][kind], measured[base][kind], strict=True)]


def report_lookup(measured):
    table = Table(
        "The lookup's cost in a play of 10 debug tasks (medians of the rounds' differences)",
        ["what", "wall (s)", "CPU (s)", "API requests of the play"],
    )
    one = [_per_task_differences(measured, "lookup-1", "debug", kind, tasks=1) for kind in ("wall", "cpu")]
    each = [_per_task_differences(measured, "lookup-10", "debug", kind) for kind in ("wall", "cpu")]
    table.row("one lookup (the play with it minus the play without)", "%.3f" % median(one[0]), "%.3f" % median(one[1]), max(measured["lookup-1"]["requests"]))
    table.row("each of 10 lookups, one per task (difference / 10)", "%.3f" % median(each[0]), "%.3f" % median(each[1]), max(measured["lookup-10"]["requests"]))
    return [table]


# -- the module side alone -------------------------------------------------------------------------------------------


def build_payloads(runner, tasks, directory):
    """Run ``{key: task}`` as one play keeping every AnsiballZ payload (each task gets a remote_tmp of its own);
    returns ``{key: path of the payload}``. The tasks may fail; only their payloads are wanted."""
    play_tasks = []
    for key, task in tasks.items():
        play_tasks.append(dict(task, name=key, ignore_errors=True, vars={"ansible_remote_tmp": str(directory / key)}))
    play = runner.play(play_tasks, env={"ANSIBLE_KEEP_REMOTE_FILES": "1"})
    payloads = {}
    for key in tasks:
        found = sorted((directory / key).glob("ansible-tmp-*/AnsiballZ_*.py"))
        assert len(found) == 1, "task %s kept %s\n%s" % (key, found, play.stdout[-3000:])
        payloads[key] = found[0]
    return payloads


def module_side(runner, payloads, reps):
    """Each payload run directly ``reps`` times in alternation: {key: (median wall, median CPU)}."""
    env = runner.env()
    times = {key: ([], []) for key in payloads}
    for _rep in range(reps):
        for key, payload in payloads.items():
            wall, cpu, _done = timed_process([sys.executable, str(payload)], env=env)
            times[key][0].append(wall)
            times[key][1].append(cpu)
    return {key: (median(walls), median(cpus)) for key, (walls, cpus) in times.items()}


def report_split(measured, alone):
    """Per task: the whole task against its module process run alone, in wall time (the callback's task time) and in
    CPU time (the play's CPU time less that of the play of 10 debug tasks, which has the same start-up and no module
    process, divided by 10). The controller's side is the difference."""
    table = Table(
        "Where a task's time goes: the module process alone against the whole task (medians)",
        [
            "task",
            "wall: per task (callback) / module alone / controller side (s)",
            "CPU: per task (play less the debug play, / 10) / module alone / controller side (s)",
        ],
    )
    start_up = median(measured["debug"]["cpu"])
    for key, label in (
        ("ping", "ansible.builtin.ping"),
        ("failing-ping", "failing ping"),
        ("info", "ims_image_info by name"),
        ("bad", "ims_image_info, bad input"),
        ("openstack", "openstack.cloud.image_info by name"),
    ):
        task, (wall, cpu) = median(measured[key]["task"]), alone[key]
        task_cpu = (median(measured[key]["cpu"]) - start_up) / TASKS_PER_PLAY
        table.row(label, "%.3f / %.3f / %.3f" % (task, wall, task - wall), "%.3f / %.3f / %.3f" % (task_cpu, cpu, task_cpu - cpu))
    return [table]


def run(runner, control, workdir, rounds, reps):
    """The whole part: (its tables, its targets as rows of the summary table)."""
    control.reset()
    measured = run_rounds(runner, control, rounds)
    tables, targets = report_plays(measured, rounds)
    tables += report_lookup(measured)
    keys = ("ping", "failing-ping", "info", "bad", "openstack")
    tasks = {key: tasks[0] for key, _label, tasks, _check in plays(runner.emulator.info) if key in keys}
    for task in tasks.values():
        task.pop("name")
        task.pop("ignore_errors", None)
    payloads = build_payloads(runner, tasks, workdir / "payloads-per-task")
    tables += report_split(measured, module_side(runner, payloads, reps))
    return tables, targets
