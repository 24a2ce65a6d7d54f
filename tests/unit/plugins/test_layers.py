# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The three layers and who may import whom (CONTRIBUTING.md, "The three layers").

* ``module_utils/_client``: the IMS client. Imports nothing from Ansible and nothing of the collection but itself.
* ``module_utils/_tasks``: the logic of each module and plugin. Uses the client and ``ansible.module_utils.common``
  (and ``ansible.module_utils.errors``), never ``ansible.module_utils.basic`` nor the glue.
* The glue: ``module_utils/_ims_module.py`` for modules, ``plugin_utils/_ims_plugin.py`` for the inventory and
  the lookup. Modules import only their glue and their task; plugins likewise.

Every import statement counts, also one inside a function. Nothing under ``module_utils`` or ``plugin_utils`` is
public: every file has a leading underscore on its path and says that it is internal.
"""

import ast
from pathlib import Path

import pytest

COLLECTION = "ansible_collections.hwcloud.ims"
PLUGINS = Path(__file__).resolve().parents[3] / "plugins"
INTERNAL_NOTE = "Internal to this collection, may change in any release."

CLIENT = COLLECTION + ".plugins.module_utils._client"
TASKS = COLLECTION + ".plugins.module_utils._tasks"
MODULE_GLUE = COLLECTION + ".plugins.module_utils._ims_module"
PLUGIN_GLUE = COLLECTION + ".plugins.plugin_utils._ims_plugin"
ANSIBLE_COMMON = ("ansible.module_utils.common", "ansible.module_utils.errors")

# Per layer: the prefixes an import may start with, among Ansible's and the collection's own names. Other names
# (the standard library, httpx, pydantic, PyYAML) are not restricted here.
ALLOWED = {
    "client": (CLIENT,),
    "tasks": (CLIENT, TASKS) + ANSIBLE_COMMON,
    "module glue": (CLIENT, "ansible.module_utils"),
    "plugin glue": (CLIENT, "ansible"),
    "module": (MODULE_GLUE, TASKS),
    "plugin": (PLUGIN_GLUE, TASKS, "ansible"),
    "doc fragment": (),
}


def layer_of(relative):
    """The layer of a file, from its path relative to ``plugins/``."""
    parts = relative.parts
    if parts[:2] == ("module_utils", "_client"):
        return "client"
    if parts[:2] == ("module_utils", "_tasks"):
        return "tasks"
    if relative.as_posix() == "module_utils/_ims_module.py":
        return "module glue"
    if relative.as_posix() == "plugin_utils/_ims_plugin.py":
        return "plugin glue"
    if parts[0] == "modules":
        return "module"
    if parts[0] in ("inventory", "lookup"):
        return "plugin"
    if parts[0] == "doc_fragments":
        return "doc fragment"
    raise AssertionError("%s belongs to no layer: put it in one (and in this test)" % relative)


def imported_names(source):
    """Every module name an import statement of ``source`` names (``from a import b`` gives ``a.b`` and ``a``)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module != "__future__":
            names.append(node.module)
    return names


def within(name, package):
    return name == package or name.startswith(package + ".")


def violations(layer, source):
    """The imports of ``source`` that its layer may not make."""
    restricted = [name for name in imported_names(source) if within(name, "ansible") or within(name, "ansible_collections")]
    return [name for name in restricted if not any(within(name, package) for package in ALLOWED[layer])]


def plugin_files():
    return sorted(path.relative_to(PLUGINS) for path in PLUGINS.rglob("*.py"))


@pytest.mark.parametrize("relative", plugin_files(), ids=str)
def test_each_file_imports_only_from_the_layers_below(relative):
    source = (PLUGINS / relative).read_text(encoding="utf-8")
    layer = layer_of(relative)
    assert violations(layer, source) == [], "%s (%s layer) may import only %s" % (relative, layer, ", ".join(ALLOWED[layer]) or "nothing of Ansible")


@pytest.mark.parametrize("relative", [path for path in plugin_files() if path.parts[0] in ("module_utils", "plugin_utils")], ids=str)
def test_nothing_under_module_utils_or_plugin_utils_is_public(relative):
    assert any(part.startswith("_") for part in relative.parts[1:]), "%s must have a leading underscore" % relative
    assert INTERNAL_NOTE in ast.get_docstring(ast.parse((PLUGINS / relative).read_text(encoding="utf-8"))), relative


@pytest.mark.parametrize(
    "layer, source, wrong",
    [
        ("client", "import ansible.module_utils.basic", ["ansible.module_utils.basic"]),
        (
            "client",
            "from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image import ImageLifecycle",
            ["ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image"],
        ),
        ("client", "def later():\n    from ansible.module_utils.common.text.converters import to_text", ["ansible.module_utils.common.text.converters"]),
        ("tasks", "from ansible.module_utils.basic import AnsibleModule", ["ansible.module_utils.basic"]),
        (
            "tasks",
            "from ansible_collections.hwcloud.ims.plugins.module_utils._ims_module import ImsModule",
            ["ansible_collections.hwcloud.ims.plugins.module_utils._ims_module"],
        ),
        (
            "module glue",
            "from ansible_collections.hwcloud.ims.plugins.module_utils._tasks import image",
            ["ansible_collections.hwcloud.ims.plugins.module_utils._tasks"],
        ),
        (
            "module",
            "from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ValidationError",
            ["ansible_collections.hwcloud.ims.plugins.module_utils._client.errors"],
        ),
        ("module", "from ansible.module_utils.basic import AnsibleModule", ["ansible.module_utils.basic"]),
        (
            "plugin",
            "from ansible_collections.hwcloud.ims.plugins.module_utils._client.connection import connect",
            ["ansible_collections.hwcloud.ims.plugins.module_utils._client.connection"],
        ),
        (
            "plugin",
            "from ansible_collections.hwcloud.ims.plugins.module_utils._ims_module import ImsModule",
            ["ansible_collections.hwcloud.ims.plugins.module_utils._ims_module"],
        ),
    ],
)
def test_the_checker_sees_a_layer_reaching_up_or_sideways(layer, source, wrong):
    assert violations(layer, source) == wrong


@pytest.mark.parametrize(
    "layer, source",
    [
        ("client", "import httpx\nfrom ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ImsError"),
        ("tasks", "from ansible.module_utils.common.arg_spec import ArgumentSpecValidator\nfrom ansible.module_utils.errors import UnsupportedError"),
        ("module", "from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.job import show_job"),
        ("plugin", "from ansible.plugins.lookup import LookupBase\nfrom ansible_collections.hwcloud.ims.plugins.plugin_utils._ims_plugin import warn"),
    ],
)
def test_the_checker_lets_allowed_imports_pass(layer, source):
    assert violations(layer, source) == []
