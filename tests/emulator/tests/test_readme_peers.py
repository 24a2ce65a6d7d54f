# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The README's list of the ECS and OBS endpoints' routes is their apps' route table (as test_readme.py does for the
IMS endpoint)."""

import re

from test_readme import iter_route_contexts, readme_section

from ims_emulator.app import create_app, create_ecs_app, create_obs_app

_GROUP = re.compile(r"^# (?P<module>\w+\.py): \S")
_ROUTE = re.compile(r"^(?P<method>[A-Z]+) +(?P<path>/\S*)$")


def listed():
    block = readme_section("<!-- peer-api-list:start -->", lambda line: line == "<!-- peer-api-list:end -->")
    routes, module = {}, None
    for line in block[1:-1]:
        group, route = _GROUP.match(line), _ROUTE.match(line)
        module = group["module"] if group else module
        if route:
            routes[(route["method"], route["path"])] = module
    return routes


def served():
    main = create_app()
    routes = {}
    for app in (create_ecs_app(main), create_obs_app(main)):
        for route in iter_route_contexts(app.routes) if iter_route_contexts else app.routes:
            module = route.endpoint.__module__.rpartition(".")[2] + ".py"
            routes.update({(method, route.path): module for method in route.methods})
    return routes


def test_the_peer_api_list_is_the_route_table_of_the_ecs_and_obs_apps():
    assert listed() == served()
