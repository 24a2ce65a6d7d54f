# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ``hwcloud.ims.ims`` inventory plugin does besides talking to Ansible: which projects to search, the search
itself (one shared HTTP session for every project), and the host names.

Internal to this collection, may change in any release.
"""

from collections import Counter
from collections.abc import Mapping

from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import AUTH_TOKEN, resolve_config
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ConfigError, ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_query import find_images, validate_query

_PROJECT_KEYS = frozenset(("id", "name", "region"))


def inventory_query(filters):
    """The validated image query of the ``filters`` option; a bad filter is named as ``filters.<name>``."""
    try:
        return validate_query(filters)
    except ValidationError as error:
        raise ValidationError("filters.%s" % error.field, error.rule) from None


def project_configs(options, regions, projects):
    """The CloudConfig of every project to search, in order, without repeats.

    ``options`` are the connection options; ``regions`` and ``projects`` the plugin's options of those names.
    """
    if not regions and not projects:
        return [resolve_config(options)]
    if options["project_id"] or options["project_name"]:
        raise ConfigError("project_id and project_name cannot be combined with regions or projects; list the projects under projects")
    wanted = [(region, None, None) for region in regions] + [_project_entry(number, entry) for number, entry in enumerate(projects, 1)]
    configs = []
    for region, project_id, project_name in dict.fromkeys(wanted):
        region = region or options["region"]
        # Resolved with the source's own project (a region's default one is named after it), so that a project of the
        # environment or clouds.yaml is never checked against, or used in, another region.
        config = resolve_config(dict(options, region=region, project_id=project_id, project_name=project_name or (None if project_id else region)))
        if config.auth_method == AUTH_TOKEN:
            raise ConfigError(
                "a pre-issued token (auth_token) is scoped to one project, so it cannot search regions or projects; "
                "use AK/SK or password credentials, or leave out regions and projects"
            )
        # Only the source's own project is kept: a project ID without the environment's name; for a region source
        # none, and its default project is looked up by the region name when connecting.
        configs.append(config.replace(project_id=project_id, project_name=project_name))
    return configs


def search_projects(configs, query, warn, on_secret=None):
    """``[{"region", "project_id", "images"}]``, one entry per distinct project, over one shared HTTP session
    (``on_secret`` hears about every secret it masks)."""
    # Imported on first use, so that an inventory served from its cache loads no HTTP client and no models.
    from ansible_collections.hwcloud.ims.plugins.module_utils._client.connection import connect, new_session  # pylint: disable=import-outside-toplevel

    results = []
    with new_session(configs[0], on_retry=warn, on_secret=on_secret) as session:
        for config in configs:
            with connect(config, on_warning=warn, session=session) as ims:
                # Two entries can name one project (by name and by ID); search it once.
                if all(result["project_id"] != ims.project_id for result in results):
                    results.append({"region": config.region, "project_id": ims.project_id, "images": find_images(ims, query)})
    return results


def _project_entry(number, entry):
    """(region, project ID, project name) of the entry with this (1-based) number of the projects option."""
    if isinstance(entry, str):
        return None, None, entry
    keys = sorted(map(str, entry)) if isinstance(entry, Mapping) else None
    if keys is None or set(keys) - _PROJECT_KEYS or not (entry.get("id") or entry.get("name")):
        # Keys only, never values: a credential put there by mistake must not show up in the message.
        found = "keys %s" % ", ".join(keys) if keys is not None else "a %s" % type(entry).__name__
        raise ConfigError("projects entry %d must be a project name or a dictionary with id or name and optionally region, got %s" % (number, found))
    return entry.get("region"), entry.get("id"), entry.get("name")


def unique_hostnames(images, preferences):
    """One host name per image (as host variables), never repeated; the rules are in DOCUMENTATION (option hostnames)."""
    candidates = [_candidates(image, preferences) for image in images]
    # How many images have each value, counted once per image whatever attribute it came from.
    counts = Counter(value for values in candidates for value in set(values))
    names, given = [], set()
    for image, values in zip(images, candidates, strict=True):
        unique = [value for value in values if counts[value] == 1]
        base = unique[0] if unique else "%s_%s" % (image["ims_id"], image["ims_project_id"])
        name, number = base, 1
        while name in given:
            number += 1
            name = "%s_%d" % (base, number)
        given.add(name)
        names.append(name)
    return names


def _candidates(image, preferences):
    values = [str(image["ims_" + key]) for key in preferences if image.get("ims_" + key) not in (None, "")]
    return list(dict.fromkeys(values + [str(image["ims_id"])]))
