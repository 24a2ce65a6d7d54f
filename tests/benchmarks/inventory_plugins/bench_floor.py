# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only inventory plugin: the floor of any inventory plugin (see inventory.py).

It reads ``ansible-inventory --list`` output of another source (a ``*.floor.json`` file) and adds the same hosts,
groups and host variables with nothing else: no configuration, no cache, no fetching, no parsing beyond ``json.load``,
no constructed groups or variables. What an inventory plugin costs above this is its own.
"""

import json

from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.utils.unsafe_proxy import wrap_var

DOCUMENTATION = r"""
name: bench_floor
short_description: The hosts, groups and host variables of ansible-inventory --list output, added as they are
description:
  - Benchmark-only. Reads a C(*.floor.json) file holding C(ansible-inventory --list) output.
options: {}
"""

# As hwcloud.ims.ims: ansible-core 2.19 and later treat what an inventory plugin sets as untrusted; before, wrap it.
_UNTRUSTED_BY_DEFAULT = hasattr(BaseInventoryPlugin, "trusted_by_default")


def _plain(value):
    """A value of --list output without its ``{"__ansible_unsafe": ...}`` markers."""
    if isinstance(value, dict):
        if len(value) == 1 and "__ansible_unsafe" in value:
            return value["__ansible_unsafe"]
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class InventoryModule(BaseInventoryPlugin):
    NAME = "bench_floor"

    def verify_file(self, path):
        return path.endswith(".floor.json")

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        with open(path, encoding="utf-8") as handle:
            listing = json.load(handle)
        for host, variables in listing.pop("_meta", {}).get("hostvars", {}).items():
            self.inventory.add_host(host)
            variables = _plain(variables)
            for name, value in (variables if _UNTRUSTED_BY_DEFAULT else wrap_var(variables)).items():
                self.inventory.set_variable(host, name, value)
        for group, entry in listing.items():
            if group in ("all", "ungrouped"):
                continue
            self.inventory.add_group(group)
            for host in entry.get("hosts", []):
                self.inventory.add_child(group, host)
            for child in entry.get("children", []):
                self.inventory.add_child(group, self.inventory.add_group(child))
