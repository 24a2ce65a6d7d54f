# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory plugin hwcloud.ims.ims: the images of one or more IMS projects and regions as inventory hosts."""

DOCUMENTATION = r"""
name: ims
short_description: Images of the Image Management Service (IMS) as inventory hosts
version_added: 1.0.0
description:
  - Makes every image that matches O(filters) an inventory host, in one or more regions and projects of Huawei Cloud,
    Open Telekom Cloud or another cloud running IMS. Playbooks that report on images or act on them (tag, share,
    retire) then target groups of images with C(hosts) and run on the controller (C(connection=local)).
  - The inventory source is a YAML file whose name ends in C(ims.yml) or C(ims.yaml).
  - "Host variables: every key of the normalized image (the C(images) that M(hwcloud.ims.ims_image_info) returns)
    prefixed with C(ims_): C(ims_id), C(ims_name), C(ims_status), C(ims_imagetype), C(ims_os_type), C(ims_tags) (a
    dictionary), C(ims_created_at), ...; plus C(ims_region) and C(ims_project_id), the region and project the image
    was found in. The prefix keeps image attributes from clashing with names Ansible reserves (C(name), C(tags)) and
    with the variables of roles and playbooks (C(status), C(size), C(owner))."
  - "Groups: each image is in C(ims_gold) (public images), C(ims_private) or C(ims_shared) according to its
    C(ims_imagetype); an image you own becomes C(shared) once it is shared with another project. Build any other grouping
    with O(keyed_groups) and O(groups)."
  - No credential ever becomes a host or group variable, and none is written to the inventory cache or used in its
    key.
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - hwcloud.ims.connection
options:
  plugin:
    description: Marks the file as an inventory source of this plugin.
    type: str
    required: true
    choices: [hwcloud.ims.ims]
  regions:
    description:
      - Regions to take images from, each in its default project (the project named like the region).
      - The IMS and IAM endpoints are derived for each region; O(endpoint) and O(auth_url) (or their environment
        variables), when set, apply to every region.
      - Without O(regions) and O(projects), the inventory covers the one project the connection options name, exactly
        as a module would use it.
    type: list
    elements: str
  projects:
    description:
      - Projects to take images from, in addition to the default projects of O(regions).
      - Each entry is a project name, or a dictionary with the project's C(id) or C(name) and optionally its
        C(region) (default O(region)).
      - Every project is searched with the same credentials; AK/SK and password credentials can reach every
        project their user may use, a pre-issued token only its own, so O(auth_token) cannot be combined with
        O(regions) or O(projects).
      - With O(regions) or O(projects), O(project_id) and O(project_name) must not be set, and their environment
        variables are ignored.
    type: list
    elements: raw
  filters:
    description:
      - Which images become hosts, searched in each project. The keys are the filter options of
        M(hwcloud.ims.ims_image_info), with the same meaning and checks, for example C(imagetype), C(status),
        C(name), C(tags), C(tags_any), C(not_tags), C(created_at), C(sort_key), C(latest) and C(limit).
      - An invalid filter fails the inventory source before any request is sent.
    type: dict
    default: {}
  hostnames:
    description:
      - The image attributes (without the C(ims_) prefix) to name hosts after, in order of preference; the image ID
        is always the last resort.
      - A host gets the first of these values that no other image of the inventory has (under any attribute), so
        a name shared by several images is never used and a host name always identifies one image.
      - An image for which every value is ambiguous (the same image found in several projects) is named
        C(<id>_<project id>). A name already given is never given again (a C(_2), C(_3), ... suffix is added).
    type: list
    elements: str
    default: [name, id]
notes:
  - Enable caching (O(cache)) to avoid querying IMS on every run; the cache key is derived from the source file's
    path, O(filters) and the non-secret connection settings of every region and project (endpoints, region,
    project, user name, access key ID), so changing any of them reads fresh data.
"""

EXAMPLES = r"""
# images.ims.yml: the own images (shared or not) of two Open Telekom Cloud regions, grouped by family tag and OS type.
# Credentials come from the environment (HW_ACCESS_KEY / HW_SECRET_KEY, OS_CLOUD, ...) or the connection options.
plugin: hwcloud.ims.ims
regions: [eu-de, eu-nl]
filters:
  own: true
keyed_groups:
  - key: ims_tags.family
    prefix: family
  - key: ims_os_type
    prefix: os
compose:
  age_days: ((now(utc=true) - (ims_created_at | to_datetime('%Y-%m-%dT%H:%M:%SZ'))).days)
  ansible_connection: "'local'"

# Use it: ansible-playbook -i images.ims.yml report.yml, where report.yml has
#   - hosts: family_web
#     gather_facts: false
#     tasks:
#       - ansible.builtin.debug:
#           msg: "{{ inventory_hostname }} ({{ ims_id }}) is {{ age_days }} days old"

---
# The default project and a subproject, images by ID, tagged candidate or stable, cached for an hour.
plugin: hwcloud.ims.ims
cloud: otc-prod # a clouds.yaml entry
projects:
  - eu-de
  - name: eu-de_apps
    region: eu-de
hostnames: [id]
filters:
  tags_any:
    channel: [candidate, stable]
groups:
  mine: ims_owner == ims_project_id
  broken: ims_status != 'active'
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-inventory
cache_timeout: 3600
"""

import hashlib
import json

from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_inventory import inventory_query, project_configs, search_projects, unique_hostnames
from ansible_collections.hwcloud.ims.plugins.plugin_utils._ims_plugin import (
    client_errors,
    connection_options,
    register_secret,
    require_libraries,
    warn,
    warn_if_insecure,
)

# The settings that say which project is searched and who searches it: part of the cache key (secrets never are).
_IDENTITY_SETTINGS = ("auth_url", "endpoint", "region", "project_id", "project_name", "domain_name", "username", "access_key")

_UNTRUSTED_BY_DEFAULT = hasattr(BaseInventoryPlugin, "trusted_by_default")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Images as hosts; see DOCUMENTATION."""

    NAME = "hwcloud.ims.ims"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("ims.yml", "ims.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        with client_errors():
            query = inventory_query(self.get_option("filters"))
            sources = project_configs(connection_options(self), self.get_option("regions") or [], self.get_option("projects") or [])
            warn_if_insecure(sources)
            cache_key = self._cache_key(path, query, sources)
            # The usual Cacheable protocol: read the cache unless --flush-cache, write it when it missed or was flushed.
            results = None
            write_cache = self.get_option("cache") and not cache
            if self.get_option("cache") and cache:
                try:
                    results = self._cache[cache_key]
                except KeyError:
                    write_cache = True
            if results is None:
                require_libraries()
                results = search_projects(sources, query, warn, register_secret)
            if write_cache:
                self._cache[cache_key] = results
        self._populate(results)

    def _cache_key(self, path, query, sources):
        identity = [{name: getattr(config, name) for name in _IDENTITY_SETTINGS} for config in sources]
        digest = hashlib.sha256(json.dumps([path, query, identity], sort_keys=True, default=str).encode("utf-8")).hexdigest()
        return "%s_%s" % (self.get_cache_key(path), digest[:16])

    def _populate(self, results):
        images = [_hostvars(image, result) for result in results for image in result["images"]]
        strict = self.get_option("strict")
        for host, hostvars in zip(unique_hostnames(images, self.get_option("hostnames")), images, strict=True):
            self.inventory.add_host(host)
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            if hostvars.get("ims_imagetype"):
                self.inventory.add_child(self.inventory.add_group(self._sanitize_group_name("ims_%s" % hostvars["ims_imagetype"])), host)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict)


def _hostvars(image, result):
    hostvars = {"ims_" + key: value for key, value in image.items()}
    hostvars.update(ims_region=result["region"], ims_project_id=result["project_id"])
    # Image attributes are data from the cloud, never templates. ansible-core 2.19+ already treats every value an
    # inventory plugin sets as untrusted (unless the plugin declares trusted_by_default); wrapping them again there
    # would cost a third of the time spent building a large inventory.
    return hostvars if _UNTRUSTED_BY_DEFAULT else wrap_var(hostvars)
