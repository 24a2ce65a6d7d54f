# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The README's map of the emulator is the code's: its API list is the app's route table, route by route and module
by module, and its code layout table names every file of the package.

Unlike the rest of this suite, these tests look inside: they build the app in-process (no server, no request) to
read its route table.
"""

import re
from pathlib import Path

from ims_emulator.app import create_app

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before 0.137.2: include_router copies every route into app.routes
    iter_route_contexts = None

README = Path(__file__).resolve().parents[1] / "README.md"
PACKAGE = README.parent / "ims_emulator"
API_LIST_START = "<!-- api-list:start -->"
API_LIST_END = "<!-- api-list:end -->"
LAYOUT_HEADING = "## Code layout and adding an API"

_GROUP = re.compile(r"^# (?P<module>\w+\.py): \S")
_ROUTE = re.compile(r"^(?P<method>[A-Z]+) +(?P<path>/\S*)$")
_LAYOUT_ROW = re.compile(r"^\| `(?P<file>[^`]+)` \|")


def readme_section(start, is_end):
    """The lines of the README after its one ``start`` line, up to the first for which ``is_end`` is true."""
    lines = README.read_text(encoding="utf-8").split("\n")
    assert lines.count(start) == 1, "README.md needs exactly one line %r" % start
    first = lines.index(start) + 1
    ends = [index for index in range(first, len(lines)) if is_end(lines[index])]
    return lines[first : ends[0] if ends else len(lines)]


def listed_routes():
    """{(method, path template): module} from the API list's fenced block, in which ``# module.py: ...`` lines head
    the routes that module serves."""
    block = readme_section(API_LIST_START, lambda line: line == API_LIST_END)
    assert block[:1] == ["```text"] and block[-1:] == ["```"], "the API list is one ```text block between %s and %s" % (API_LIST_START, API_LIST_END)
    routes, module, problems = {}, None, []
    for line in block[1:-1]:
        group, route = _GROUP.match(line), _ROUTE.match(line)
        if group:
            module = group["module"]
        elif route and module:
            key = (route["method"], route["path"])
            if key in routes:
                problems.append("listed twice: %s %s" % key)
            routes[key] = module
        elif line.strip():
            problems.append('neither "# module.py: ..." nor "METHOD /path" under one: %r' % line)
    assert not problems, "\n".join(problems)
    return routes


def framework_paths(app):
    """The documentation routes FastAPI would add by itself (the emulator turns them off)."""
    paths = {app.openapi_url, app.docs_url, app.redoc_url}
    if app.docs_url:
        paths.add(app.swagger_ui_oauth2_redirect_url)
    return paths - {None}


def served_routes():
    """{(method, path template): module} of the app's route table; the module is the endpoint's file name."""
    app = create_app()
    routes = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    internal = framework_paths(app)
    served = {}
    for route in routes:
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        assert path and methods, "a route without path or methods (%r): read the route table another way" % route
        if path in internal:
            continue
        module = route.endpoint.__module__.rpartition(".")[2] + ".py"
        served.update({(method, path): module for method in methods})
    return served


def _entries(keys, notes):
    """One indented line per (method, path) of ``keys``, by path, with its note from ``notes``; ' none' for none."""
    lines = ["\n    %-7s %s (%s)" % (method, path, notes[method, path]) for method, path in sorted(keys, key=lambda key: (key[1], key[0]))]
    return "".join(lines) or " none"


def test_the_api_list_is_the_route_table():
    listed, served = listed_routes(), served_routes()
    missing, extra = served.keys() - listed.keys(), listed.keys() - served.keys()
    assert not missing and not extra, (
        "the API list in tests/emulator/README.md differs from the routes the app serves\n"
        "  served but not listed:%s\n  listed but not served:%s" % (_entries(missing, served), _entries(extra, listed))
    )


def test_every_listed_route_stands_under_the_module_serving_it():
    listed, served = listed_routes(), served_routes()
    misplaced = {key: "listed under %s, served by %s" % (listed[key], served[key]) for key in listed.keys() & served.keys() if listed[key] != served[key]}
    assert not misplaced, "routes under the wrong module in the API list:%s" % _entries(misplaced, misplaced)


def test_the_layout_table_names_every_file_of_the_package():
    section = readme_section(LAYOUT_HEADING, lambda line: line.startswith("## "))
    described = [match["file"] for match in map(_LAYOUT_ROW.match, section) if match]
    files = sorted(path.name for path in PACKAGE.iterdir() if path.is_file() and path.suffix in (".py", ".yaml"))
    assert len(described) == len(set(described)), "a file is described twice: %s" % described
    assert sorted(described) == files, "the code layout table of tests/emulator/README.md\n  lacks: %s\n  names files that are gone: %s" % (
        sorted(set(files) - set(described)) or "none",
        sorted(set(described) - set(files)) or "none",
    )
