# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module's process imports, and what its AnsiballZ payload carries.

Import time is measured with ``python -X importtime`` (the median of several runs), in two virtual environments:

* this one (tests/requirements-dev.txt), where ansible-lint brings click, rich and pygments, which ``import httpx``
  also imports through its command-line entry point ``httpx._main`` when they are installed;
* a lean one in ~/.cache/hwcloud-ims-bench with only requirements.txt and the same ansible-core, as on a controller
  without those tools.

For every module: importing its entry point (what a task with a bad input pays), and the entry point plus the
collection's modules that are imported only inside functions of what it imports (``_ims_module.run`` imports the
client's ``connection`` once the arguments passed; found by reading the sources, so that the benchmark follows when
the code changes). And, as the real thing, the AnsiballZ payloads that ansible-playbook built for a few tasks, run
directly (imported from the zip, Python start-up included). Each import is attributed to the library that asked for
it: its own top-level package, else the nearest importing module that has one (``ssl`` imported by httpx counts as
httpx; a pydantic model class built in a collection file counts as hwcloud.ims). The CPU time is that of the
measuring process minus that of the same interpreter importing nothing, which other load on the machine changes less.

The payloads are kept with ANSIBLE_KEEP_REMOTE_FILES, one remote_tmp per task, as ansible-playbook builds them.
"""

import ast
import base64
import binascii
import hashlib
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openstack_cloud
from common import REPO_ROOT, SEED_IMAGE, Table, median, timed_process
from per_task import build_payloads

COLLECTION = "ansible_collections.hwcloud.ims"
MARKER = "-- measured imports --"
#: Libraries an import is attributed to, by top-level package (first match wins); anything else counts for the
#: nearest importing module that has one, or as "Python and other".
LIBRARIES = (
    ("hwcloud.ims", ("ansible_collections.hwcloud",)),
    ("openstack.cloud + openstacksdk", ("ansible_collections.openstack", "openstack", "keystoneauth1")),
    ("ansible-core", ("ansible", "ansible_collections")),
    ("httpx", ("httpx", "httpcore", "h11", "h2", "anyio", "sniffio", "idna", "certifi")),
    ("pydantic", ("pydantic", "pydantic_core", "annotated_types", "typing_inspection")),
    ("click, rich, pygments", ("click", "rich", "pygments", "markdown_it", "mdurl")),
    ("PyYAML", ("yaml", "_yaml")),
)
OTHER = "Python and other"
MINE, LEAN = "this venv", "lean venv"
CLI_EXTRAS = ("click", "rich", "pygments")
#: The payloads run for their imports (keys of payload_tasks).
RUNS = ("ping", "info by name", "info, bad input", "openstack.cloud.image_info by name")
LINE = re.compile(r"^import time:\s*(\d+) \|\s*(\d+) \| ( *)(\S+)\s*$")


# -- -X importtime ---------------------------------------------------------------------------------------------------


class ImportNode:
    def __init__(self, name, self_us, cumulative_us, depth):
        self.name, self.self_us, self.cumulative_us, self.depth = name, self_us, cumulative_us, depth
        self.children = []


def library_of(name):
    for library, packages in LIBRARIES:
        if any(name == package or name.startswith(package + ".") for package in packages):
            return library
    return None


def parse_importtime(stderr, after_marker):
    """The roots of the import tree that ``-X importtime`` printed (only what came after MARKER when asked)."""
    lines = stderr.splitlines()
    if after_marker:
        lines = lines[lines.index(MARKER) + 1 :]
    pending = []
    for line in lines:
        match = LINE.match(line)
        if not match:
            continue
        node = ImportNode(match.group(4), int(match.group(1)), int(match.group(2)), len(match.group(3)) // 2)
        # A module's line comes after the lines of the modules it imported, which are one level deeper.
        while pending and pending[-1].depth > node.depth:
            node.children.insert(0, pending.pop())
        pending.append(node)
    return pending


def by_library(roots):
    """{library: milliseconds} of the self times in the tree, each attributed as the module docstring says."""
    totals = {}

    def walk(node, inherited):
        library = library_of(node.name) or inherited
        totals[library] = totals.get(library, 0) + node.self_us / 1000
        for child in node.children:
            walk(child, library)

    for root in roots:
        walk(root, OTHER)
    return totals


class ImportMeasure:
    """Medians over several runs of one import command: total import ms, CPU ms, ms by library."""

    def __init__(self, label):
        self.label = label
        self.totals, self.cpus, self.libraries = [], [], []

    def add(self, roots, cpu_seconds):
        self.totals.append(sum(root.cumulative_us for root in roots) / 1000)
        self.cpus.append(cpu_seconds * 1000)
        self.libraries.append(by_library(roots))

    @property
    def total(self):
        return median(self.totals)

    @property
    def cpu(self):
        return median(self.cpus)

    def library(self, name):
        return median([libraries.get(name, 0) for libraries in self.libraries])

    def biggest(self, count=3):
        names = {name for libraries in self.libraries for name in libraries}
        ranked = sorted(names, key=self.library, reverse=True)[:count]
        return ", ".join("%s %.0f" % (name, self.library(name)) for name in ranked)


def import_code(statements):
    """Python code running ``statements`` after writing MARKER to stderr (unbuffered, as -X importtime writes)."""
    return "; ".join(["import os", "os.write(2, %r)" % (MARKER + "\n").encode()] + list(statements))


# -- the lean virtual environment ------------------------------------------------------------------------------------


def lean_python():
    """A virtual environment with only requirements.txt and this ansible-core (no ansible-lint, click, rich,
    pygments), made on first use in the benchmark cache and kept for later runs."""
    from ansible.release import __version__ as core  # pylint: disable=import-outside-toplevel

    requirements = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8")
    key = hashlib.sha256(("%s\nansible-core==%s\n" % (requirements, core)).encode()).hexdigest()[:12]
    venv = openstack_cloud.cache_root() / ("lean-venv-py%d.%d-%s" % (*sys.version_info[:2], key))
    python = venv / "bin" / "python"
    if not (venv / ".complete").is_file():
        print("making the lean virtual environment (requirements.txt + ansible-core %s; once, kept in %s)" % (core, venv), flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        install = [str(python), "-m", "pip", "install", "--quiet", "-r", str(REPO_ROOT / "requirements.txt"), "ansible-core==%s" % core]
        subprocess.run(install, check=True)
        (venv / ".complete").write_text(key, encoding="utf-8")
    return str(python)


def installed_extras(python):
    probe = "import importlib.util as u; print(','.join(n for n in %r if u.find_spec(n)))" % (CLI_EXTRAS,)
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True)
    return done.stdout.strip() or "none"


# -- what a module imports, read from the sources --------------------------------------------------------------------


def modules():
    """The collection's module names (the files of plugins/modules)."""
    return sorted(path.stem for path in (REPO_ROOT / "plugins" / "modules").glob("*.py") if not path.stem.startswith("_"))


def source_of(name):
    if not name.startswith(COLLECTION + "."):
        return None
    relative = Path(*name[len(COLLECTION) + 1 :].split("."))
    for candidate in (REPO_ROOT / relative.with_suffix(".py"), REPO_ROOT / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(node):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level or not node.module:
        return []
    # ``from package import submodule`` imports the submodule; ``from module import name`` the module.
    return [node.module + "." + alias.name if source_of(node.module + "." + alias.name) else node.module for alias in node.names]


def _collection_imports(name):
    """The collection's modules one file imports: (at its top level, inside its functions)."""
    path = source_of(name)
    if path is None:
        return [], []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_functions = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            in_functions.update(id(inner) for inner in ast.walk(node) if isinstance(inner, (ast.Import, ast.ImportFrom)))
    top_level, later = [], []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            targets = [target for target in _imported_names(node) if source_of(target)]
            (later if id(node) in in_functions else top_level).extend(targets)
    return top_level, later


def deferred_imports(entry):
    """The collection's modules that the entry point's files import only inside a function: (those imports, them and
    everything they import in turn). That is what a task loads once its arguments passed, on top of the entry point."""
    loaded, queue = set(), [entry]
    while queue:
        name = queue.pop()
        if name not in loaded:
            loaded.add(name)
            queue.extend(_collection_imports(name)[0])
    direct = sorted({target for name in loaded for target in _collection_imports(name)[1]} - loaded)
    deferred, queue = set(), list(direct)
    while queue:
        name = queue.pop()
        if name not in loaded and name not in deferred:
            deferred.add(name)
            queue.extend(sum(_collection_imports(name), []))
    return direct, sorted(deferred)


def short(name):
    return name.replace(COLLECTION + ".plugins.module_utils.", "").replace(COLLECTION + ".plugins.", "")


# -- AnsiballZ payloads ----------------------------------------------------------------------------------------------


def payload_zip(path):
    """The zip archive inside an AnsiballZ file: the longest base64 string constant of the wrapper that is one."""
    found = None
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 1000:
            try:
                data = base64.b64decode(node.value, validate=True)
                archive = zipfile.ZipFile(io.BytesIO(data))
            except (binascii.Error, zipfile.BadZipFile):
                continue
            if found is None or len(data) > len(found[0]):
                found = (data, archive)
    if found is None:
        raise RuntimeError("no zip archive found in %s" % path)
    return found


def payload_tasks(emulator_info):
    """A read-only task for every module (check mode: whatever the empty arguments lead to, no write is sent), and the
    tasks whose payloads are run for their imports."""
    tasks = {module: {"hwcloud.ims.%s" % module: {}, "check_mode": True} for module in modules()}
    tasks["ping"] = {"ansible.builtin.ping": {}}
    tasks["info by name"] = {"hwcloud.ims.ims_image_info": {"name": SEED_IMAGE}}
    tasks["info, bad input"] = {"hwcloud.ims.ims_image_info": {"created_at": {"gt": "yesterday"}}}
    tasks["openstack.cloud.image_info by name"] = openstack_cloud.image_info_task(emulator_info, "eu-de", SEED_IMAGE)
    return tasks


def report_payloads(payloads):
    table = Table(
        "AnsiballZ payloads (as ansible-playbook builds them)",
        ["module", "AnsiballZ file (bytes)", "zip (bytes)", "files", "of ansible-core", "the collection's module_utils it carries"],
    )
    for key, path in payloads.items():
        if key not in modules() and key not in ("ping", "openstack.cloud.image_info by name"):
            continue
        data, archive = payload_zip(path)
        names = [name for name in archive.namelist() if not name.endswith("/")]
        core = [name for name in names if name.startswith("ansible/")]
        utils = sorted(name.split("/module_utils/", 1)[1] for name in names if "/module_utils/" in name and name.startswith("ansible_collections/"))
        utils = [name for name in utils if not name.endswith("__init__.py")]
        label = key if key in ("ping", "openstack.cloud.image_info by name") else "hwcloud.ims." + key
        table.row(label, path.stat().st_size, len(data), len(names), len(core), "%d: %s" % (len(utils), compact(utils)) if utils else "-")
    return table


def compact(files):
    """Module_utils paths, a directory of the collection's module_utils whose every file is there named once."""
    root = REPO_ROOT / "plugins" / "module_utils"
    parts, done = [], set()
    for name in files:
        directory = name.rsplit("/", 1)[0] if "/" in name else ""
        everything = sorted(path.name for path in (root / directory).glob("*.py") if path.name != "__init__.py") if directory else []
        present = [name for name in files if name.startswith(directory + "/")] if directory else []
        if directory and len(everything) > 1 and [name.rsplit("/", 1)[1] for name in present] == everything:
            if directory not in done:
                parts.append("all %d of %s/" % (len(everything), directory))
                done.add(directory)
        else:
            parts.append(name)
    return ", ".join(parts)


# -- the measurements ------------------------------------------------------------------------------------------------


class Target:
    """One import command: ``arguments`` after ``python -X importtime``; ``whole_process`` counts every import of the
    process, else only those after MARKER; ``lean`` runs it in the lean venv too."""

    def __init__(self, label, arguments, whole_process=False, note="", lean=True):
        self.label, self.arguments, self.whole_process, self.note, self.lean = label, arguments, whole_process, note, lean


def imports_of(label, statements, note=""):
    return Target(label, ["-c", import_code(statements)], note=note)


def measure_imports(pythons, targets, env, reps):
    """{(venv, label): ImportMeasure} of the targets, each run ``reps`` times per venv, in alternation, after one
    warm-up run (bytecode caches)."""
    results = {}
    baseline = {venv: [] for venv in pythons}
    for rep in range(reps + 1):
        for venv, python in pythons.items():
            _wall, cpu, _done = timed_process([python, "-X", "importtime", "-c", import_code([])], env=env)
            baseline[venv].append(cpu)
            for target in targets:
                if venv == LEAN and not target.lean:
                    continue
                _wall, cpu, done = timed_process([python, "-X", "importtime"] + target.arguments, env=env)
                if done.returncode and not target.whole_process:
                    raise RuntimeError("%s failed in %s:\n%s" % (target.label, venv, done.stderr[-3000:]))
                if rep == 0:
                    continue
                measure = results.setdefault((venv, target.label), ImportMeasure(target.label))
                measure.add(parse_importtime(done.stderr, after_marker=not target.whole_process), cpu)
    for (venv, _label), measure in results.items():
        floor = median(baseline[venv][1:])
        measure.cpus = [cpu - floor * 1000 for cpu in measure.cpus]
    return results


def run(runner, collections_path, workdir, reps):
    pythons = {MINE: sys.executable, LEAN: lean_python()}
    extras = {venv: installed_extras(python) for venv, python in pythons.items()}
    env = {key: value for key, value in runner.env().items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = collections_path
    payloads = build_payloads(runner, payload_tasks(runner.emulator.info), workdir / "payloads-imports")
    targets = [
        imports_of("import ansible.module_utils.basic", ["import ansible.module_utils.basic"]),
        imports_of("import httpx", ["import httpx"], "alone, as a program other than the collection imports it"),
        imports_of("from pydantic import BaseModel", ["from pydantic import BaseModel"]),
    ]
    for module in modules():
        entry = "%s.plugins.modules.%s" % (COLLECTION, module)
        direct, later = deferred_imports(entry)
        targets.append(imports_of("%s: entry point" % module, ["import " + entry], "what a bad input pays"))
        note = "deferred: %s; with what that imports, %d modules" % (", ".join(short(name) for name in direct) or "none", len(later))
        targets.append(imports_of("%s: entry point + deferred imports" % module, ["import " + name for name in [entry] + later], note))
    for key in RUNS:
        note = "the whole process: Python start-up, the payload's zip, the module's run"
        # The lean venv has no openstacksdk: openstack.cloud runs only in this one.
        targets.append(Target("AnsiballZ run: %s" % key, [str(payloads[key])], True, note, lean=not key.startswith("openstack")))
    results = measure_imports(pythons, targets, env, reps)

    table = Table(
        "Import time, median of %d runs: -X importtime total (ms) and CPU time above a bare interpreter (ms); click, rich, pygments "
        "installed in this venv: %s, in the lean venv: %s" % (reps, extras[MINE], extras[LEAN]),
        ["what is imported", "this venv: import / CPU (ms)", "lean venv: import / CPU (ms)", "biggest parts in this venv (ms)", "note"],
    )
    for target in targets:
        mine, lean = results[(MINE, target.label)], results.get((LEAN, target.label))
        lean_cell = "%.0f / %.0f" % (lean.total, lean.cpu) if lean else "- (no openstacksdk there)"
        table.row(target.label, "%.0f / %.0f" % (mine.total, mine.cpu), lean_cell, mine.biggest(), target.note)
    libraries = Table("Imports of the AnsiballZ runs by library (ms of -X importtime, this venv / lean venv)", ["library", *RUNS])
    for library in [name for name, _packages in LIBRARIES] + [OTHER]:
        cells = []
        for key in RUNS:
            mine, lean = results[(MINE, "AnsiballZ run: %s" % key)], results.get((LEAN, "AnsiballZ run: %s" % key))
            cells.append("%.0f / %s" % (mine.library(library), "%.0f" % lean.library(library) if lean else "-"))
        libraries.row(library, *cells)
    return [table, libraries, report_payloads(payloads)], []
