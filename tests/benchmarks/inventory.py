# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin over many images: cold and cached, and against its floor.

* Cold (empty cache) and cached runs of ``ansible-inventory --graph`` and ``--list``, on loopback and with an emulated
  per-request latency (the emulator's ``latency`` setting) standing in for a real cloud's round trips, best of two
  each; the requests of each cold run, and a check that the cached run sent none.
* Against what any inventory of the same hosts, groups and host variables costs, generated from the plugin's
  ``--list`` output (the script checks that every ``--graph`` is the plugin's): a static YAML inventory, the same in
  JSON (both read by Ansible's yaml inventory plugin), and a benchmark-only plugin that only adds them
  (inventory_plugins/bench_floor.py: ``json.load`` and Ansible's inventory API, the floor of any inventory plugin).
  On ansible-core 2.19 the static YAML file is far slower than the plugin (its loader tags every value with its
  origin, the ``auto`` and ``yaml`` plugins both load it, and the loader's cache deep-copies it), so it runs only in
  the first round(s). The plugin's cold runs and the floors alternate; then one run of the plugin and of the floor
  plugin under cProfile, their self time grouped by the code it was spent in, and one under ``-X importtime``, to
  show where the rest of the plugin's time goes.
"""

import json
import pstats
import shutil
import sys
from pathlib import Path

import imports
import yaml
from common import EU_DE, REPO_ROOT, Table, median, ratio, timed_process, verdict

#: Emulated per-request latencies (seconds) for the inventory's cold and cached runs; 0 is plain loopback.
LATENCIES = (0, 0.2, 0.5)
CACHED_TARGET = 0.2
OTHER_CODE = "other (Python's standard library, ...)"
FLOOR_PLUGIN_DIR = Path(__file__).resolve().parent / "inventory_plugins"
#: Phases of a profiled run: (label, files (path endings), functions), the sum of those functions' cumulative time,
#: each counted once in the file where it is largest (ansible-core 2.19 hands an inventory plugin a wrapper of the
#: inventory data, in manager.py, whose set_variable tags each value and then calls data.py's).
PHASES = (
    ("the inventory plugin's `parse` (the next four)", ("/inventory/ims.py", "/inventory_plugins/bench_floor.py"), ("parse",)),
    ("…its HTTP requests (httpx `Client.send`)", ("/httpx/_client.py",), ("send",)),
    (
        "…Ansible's inventory API (`add_host`, `set_variable`, `add_group`, `add_child`)",
        ("/ansible/inventory/manager.py", "/ansible/inventory/data.py"),
        ("add_host", "set_variable", "add_group", "add_child"),
    ),
    (
        "…`constructed` (`compose`, `groups`, `keyed_groups`: none configured)",
        ("/ansible/plugins/inventory/__init__.py",),
        ("_set_composite_vars", "_add_host_to_composed_groups", "_add_host_to_keyed_groups"),
    ),
    ("writing the inventory cache (after `parse`)", ("/ansible/plugins/inventory/__init__.py",), ("update_cache_if_changed",)),
)
#: Where a profiled run's self time was spent, by the file (or built-in) it was spent in; the first match wins.
PROFILE_BUCKETS = (
    ("hwcloud.ims code (plugin, tasks, client)", ("/hwcloud/ims/", str(REPO_ROOT / "plugins")), ()),
    ("HTTP: httpx, sockets, TLS", ("/httpx/", "/httpcore/", "/h11/", "/anyio/", "/ssl.py", "/socket.py", "/selectors.py"), ("socket", "_ssl", "select")),
    ("pydantic validation", ("/pydantic/", "/pydantic_core/"), ("pydantic",)),
    ("JSON decoding and encoding", ("/json/",), ("_json", "json")),
    ("YAML parsing", ("/yaml/", "/_yaml/", "/parsing/yaml/"), ("_yaml", "yaml")),
    (
        "Ansible: inventory data (hosts, groups, variables)",
        ("/ansible/inventory/", "/ansible/vars/", "/ansible/utils/vars.py", "/ansible/plugins/inventory/"),
        (),
    ),
    ("Ansible: data tagging, templating", ("/_datatag/", "/_templating/", "/ansible/template/"), ()),
    ("Ansible: the CLI and its --graph output", ("/ansible/cli/",), ()),
    ("imports (finding, reading, compiling modules)", ("<frozen importlib", "<frozen zipimport"), ("marshal.loads", "builtins.compile", "_imp.")),
    ("Ansible: other (start-up, plugin loader, configuration)", ("/ansible/",), ()),
)


def graph_hosts(output):
    """The distinct host names of ansible-inventory --graph output (groups start with @)."""
    names = (line.rsplit("--", 1)[-1].strip() for line in output.splitlines() if "--" in line)
    return {name for name in names if name and not name.startswith("@")}


def api_requests(entries):
    return [entry for entry in entries if not entry["path"].startswith("/_emulator")]


def inventory_run(runner, control, source, mode, count, env=None):
    """One ansible-inventory run: (seconds, CPU seconds, IMS requests, IAM requests, stdout)."""
    control.clear_requests()
    done = runner.run("ansible-inventory", ["-i", str(source), mode], env=dict({"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true"}, **(env or {})))
    assert done.returncode == 0, done.stderr[-2000:]
    hosts = len(json.loads(done.stdout)["_meta"]["hostvars"]) if mode == "--list" else len(graph_hosts(done.stdout))
    assert hosts >= count, "%s listed %d hosts" % (mode, hosts)
    entries = api_requests(control.requests())
    iam = [entry for entry in entries if entry["path"].startswith("/v3")]
    return runner.seconds, runner.cpu_seconds, len(entries) - len(iam), len(iam), done.stdout


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


def best(runs, index):
    """The smallest value at ``index`` of several runs' tuples (best of n: other load on the machine only adds time)."""
    return min(run[index] for run in runs)


def cold_and_cached(runner, control, workdir, count, latencies, attempts, targets):
    """Per latency and output mode, best of ``attempts`` (cold run with an empty cache, then a cached run)."""
    table = Table(
        "Inventory over %d images: cold and cached (best of %d)" % (count, attempts),
        ["output", "per-request latency", "cold / cached (s)", "ratio", "CPU time cold / cached (s)", "requests cold / cached", "target"],
    )
    for latency in latencies:
        assert control.settings(latency=latency)["latency"] == latency
        label = "%.1f s, emulated" % latency if latency else "none (loopback)"
        for mode in ("--graph", "--list"):
            colds, cacheds = [], []
            for attempt in range(attempts):
                name = "inv-%s-%s-%d" % (mode.strip("-"), latency, attempt)
                source = inventory_source(runner.workdir / (name + ".ims.yml"), workdir / name)
                colds.append(inventory_run(runner, control, source, mode, count))
                cacheds.append(inventory_run(runner, control, source, mode, count))
                assert cacheds[-1][2] == 0, "the cached run sent %d IMS requests" % cacheds[-1][2]
                shutil.rmtree(workdir / name)
            cold, cold_cpu, cached, cached_cpu = best(colds, 0), best(colds, 1), best(cacheds, 0), best(cacheds, 1)
            table.row(
                "`%s`" % mode,
                label,
                "%.1f / %.1f" % (cold, cached),
                ratio(cached, cold),
                "%.1f / %.1f" % (cold_cpu, cached_cpu),
                "%d IMS + %d IAM / %d + %d" % (*colds[0][2:4], *cacheds[0][2:4]),
                "<= %.1f: %s" % (CACHED_TARGET, verdict(cached / cold, CACHED_TARGET)),
            )
            what = "inventory %s over %d images, latency %s: cached / cold" % (mode, count, label)
            targets.append((what, ratio(cached, cold), "<= %.1f" % CACHED_TARGET, verdict(cached / cold, CACHED_TARGET)))
    assert control.settings(latency=0)["latency"] == 0
    return table


# -- the floor: static inventories and a plugin that only adds the hosts ----------------------------------------------


def plain(value):
    """A value of --list output without its ``{"__ansible_unsafe": ...}`` markers, as a static inventory holds it."""
    if isinstance(value, dict):
        if len(value) == 1 and "__ansible_unsafe" in value:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def static_inventory(listing):
    """The content of a static inventory with the hosts, groups and host variables of ``ansible-inventory --list``
    output (for the yaml inventory plugin, which reads YAML and JSON files)."""
    data = json.loads(listing)
    hostvars = data.pop("_meta", {}).get("hostvars", {})
    groups = {}
    for group, entry in data.items():
        if group in ("all", "ungrouped"):
            continue
        body = {}
        if entry.get("hosts"):
            body["hosts"] = dict.fromkeys(entry["hosts"])
        if entry.get("children"):
            body["children"] = dict.fromkeys(entry["children"])
        if entry.get("vars"):
            body["vars"] = plain(entry["vars"])
        groups[group] = body
    inventory = {"hosts": {host: plain(variables) or None for host, variables in hostvars.items()}, "children": groups}
    if data.get("all", {}).get("vars"):
        inventory["vars"] = plain(data["all"]["vars"])
    return {"all": inventory}


def floor_sources(listing, directory):
    """{kind: (path, environment)} of the three floors of the same hosts."""
    content = static_inventory(listing)
    static_yaml, static_json, floor = directory / "static.yml", directory / "static.json", directory / "hosts.floor.json"
    static_yaml.write_text(yaml.dump(content, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False), encoding="utf-8")
    static_json.write_text(json.dumps(content), encoding="utf-8")
    floor.write_text(listing, encoding="utf-8")
    plugin_env = {"ANSIBLE_INVENTORY_PLUGINS": str(FLOOR_PLUGIN_DIR), "ANSIBLE_INVENTORY_ENABLED": "bench_floor"}
    return {"yaml": (static_yaml, {}), "json": (static_json, {}), "floor": (floor, plugin_env)}


def bucket_of(filename, function):
    for label, paths, builtins in PROFILE_BUCKETS:
        if filename != "~" and any(part in filename for part in paths):
            return label
        if filename == "~" and any(part in function for part in builtins):
            return label
    return OTHER_CODE


def profile(runner, source, directory, name, env=None):
    """One ``ansible-inventory --graph`` under cProfile: ({bucket: self seconds}, total seconds, {phase: cumulative
    seconds})."""
    output = directory / (name + ".prof")
    command = [sys.executable, "-m", "cProfile", "-o", str(output), str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(source), "--graph"]
    _wall, _cpu, done = timed_process(command, env=dict(runner.env(), **(env or {})))
    assert done.returncode == 0, done.stderr[-2000:]
    stats = pstats.Stats(str(output)).stats  # pylint: disable=no-member
    buckets, phases = {}, {}
    for (filename, _line, function), (_calls, _primitive, own, cumulative, _callers) in stats.items():
        label = bucket_of(filename, function)
        buckets[label] = buckets.get(label, 0.0) + own
        for phase, files, functions in PHASES:
            if function in functions and filename.endswith(files):
                by_function = phases.setdefault(phase, {})
                # Of the same function in several files, the one that wraps the others: see PHASES.
                by_function[function] = max(by_function.get(function, 0.0), cumulative)
    return buckets, sum(buckets.values()), {phase: sum(by_function.values()) for phase, by_function in phases.items()}


def importtime_by_library(runner, source, env=None):
    command = [sys.executable, "-X", "importtime", str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(source), "--graph"]
    _wall, _cpu, done = timed_process(command, env=dict(runner.env(), **(env or {})))
    assert done.returncode == 0, done.stderr[-2000:]
    roots = imports.parse_importtime(done.stderr, after_marker=False)
    return imports.by_library(roots), sum(root.cumulative_us for root in roots) / 1000


def against_static(runner, control, workdir, count, rounds, yaml_runs):
    """The plugin's cold --graph against the floors', alternating; then where the difference goes."""
    directory = workdir / "floor"
    directory.mkdir(parents=True, exist_ok=True)
    listing = inventory_run(runner, control, inventory_source(runner.workdir / "floor-list.ims.yml", directory / "cache-list"), "--list", count)[4]
    floors = floor_sources(listing, directory)
    runs = {"plugin": [], "yaml": [], "json": [], "floor": []}
    graphs = {}
    for number in range(rounds):
        cache = directory / ("cache-%d" % number)
        order = [
            ("plugin", inventory_source(runner.workdir / ("floor-%d.ims.yml" % number), cache), {}),
            ("floor", *floors["floor"]),
            ("json", *floors["json"]),
        ]
        if number < yaml_runs:
            order.append(("yaml", *floors["yaml"]))
        for kind, source, env in order:
            measured = inventory_run(runner, control, source, "--graph", count, env)
            assert kind == "plugin" or measured[2] == measured[3] == 0
            graphs.setdefault(kind, sorted(measured[4].splitlines()))
            runs[kind].append(measured[:4])
        shutil.rmtree(cache, ignore_errors=True)
    for kind, graph in graphs.items():
        assert graph == graphs["plugin"], "the --graph of the %s inventory differs from the plugin's" % kind
    labels = {
        "yaml": "static YAML inventory (%.0f MB), the yaml inventory plugin" % (floors["yaml"][0].stat().st_size / 1e6),
        "json": "the same in JSON (%.0f MB), the yaml inventory plugin" % (floors["json"][0].stat().st_size / 1e6),
        "floor": "a plugin that only adds the hosts, groups and variables (json.load)",
    }
    table = Table(
        "Inventory over %d images, `--graph`: the plugin (cold) against static inventories of the same hosts (%d alternating rounds, medians)"
        % (count, rounds),
        ["source", "runs", "wall (s)", "CPU (s)", "plugin / this: wall / CPU (median of the rounds' ratios)"],
    )
    table.row(
        "`hwcloud.ims.ims`, empty cache (writes it); %d IMS + %d IAM requests" % runs["plugin"][0][2:4], len(runs["plugin"]), *_medians(runs["plugin"]), "1"
    )
    for kind in ("yaml", "json", "floor"):
        pairs = list(zip(runs["plugin"], runs[kind], strict=False))  # the static YAML runs only in the first rounds
        wall = median([plugin[0] / other[0] for plugin, other in pairs])
        cpu = median([plugin[1] / other[1] for plugin, other in pairs])
        table.row(labels[kind], len(runs[kind]), *_medians(runs[kind]), "%.2f / %.2f" % (wall, cpu))

    plugin_profile = profile(runner, inventory_source(runner.workdir / "floor-profile.ims.yml", directory / "cache-profile"), directory, "plugin")
    floor_profile = profile(runner, floors["floor"][0], directory, "floor", floors["floor"][1])
    where = Table(
        "Where the time of one `--graph` run goes (cProfile, self time by the code it was spent in; profiling slows calls)",
        ["code", "plugin, cold (s)", "floor plugin (s)", "difference (s)"],
    )
    labels = [label for label, _paths, _builtins in PROFILE_BUCKETS] + [OTHER_CODE]
    for label in labels:
        mine, floor = plugin_profile[0].get(label, 0.0), floor_profile[0].get(label, 0.0)
        where.row(label, "%.2f" % mine, "%.2f" % floor, "%+.2f" % (mine - floor))
    where.row("total under cProfile", "%.2f" % plugin_profile[1], "%.2f" % floor_profile[1], "%+.2f" % (plugin_profile[1] - floor_profile[1]))
    phases = Table(
        "The phases of the same runs (cProfile, cumulative time of the functions named)",
        ["phase", "plugin, cold (s)", "floor plugin (s)", "difference (s)"],
    )
    for phase, _files, _functions in PHASES:
        mine, floor = plugin_profile[2].get(phase, 0.0), floor_profile[2].get(phase, 0.0)
        phases.row(phase, "%.2f" % mine, "%.2f" % floor, "%+.2f" % (mine - floor))
    rest = [
        found[2].get(PHASES[0][0], 0.0) - sum(found[2].get(phase, 0.0) for phase, _files, _functions in PHASES[1:4])
        for found in (plugin_profile, floor_profile)
    ]
    phases.row(
        "…the rest of `parse`: importing httpx and pydantic, decoding and normalizing the answers, host names",
        *("%.2f" % value for value in rest),
        "%+.2f" % (rest[0] - rest[1]),
    )

    plugin_imports, plugin_total = importtime_by_library(runner, inventory_source(runner.workdir / "floor-imports.ims.yml", directory / "cache-imports"))
    floor_imports, floor_total = importtime_by_library(runner, *floors["floor"])
    imported = Table("Imports of one `--graph` run by library (ms of -X importtime, one run each)", ["library", "plugin, cold", "floor plugin"])
    for library in [name for name, _packages in imports.LIBRARIES] + [imports.OTHER]:
        imported.row(library, "%.0f" % plugin_imports.get(library, 0), "%.0f" % floor_imports.get(library, 0))
    imported.row("total", "%.0f" % plugin_total, "%.0f" % floor_total)
    shutil.rmtree(directory, ignore_errors=True)
    return [table, where, phases, imported]


def _medians(runs):
    return "%.2f" % median([run[0] for run in runs]), "%.2f" % median([run[1] for run in runs])


def run(runner, control, workdir, count, latencies, attempts, rounds, yaml_runs):
    control.reset()
    control.bulk_images(EU_DE, count, name_prefix="inv-")
    targets = []
    tables = [cold_and_cached(runner, control, workdir, count, latencies, attempts, targets)]
    tables += against_static(runner, control, workdir, count, rounds, yaml_runs)
    control.reset()
    return tables, targets
