# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end tests of the inventory plugin hwcloud.ims.ims: real ansible-inventory runs against the emulator.

Each ansible-inventory run costs a second or two, so every test checks as much as one run shows.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from seed import APPS, BASE_DEBIAN, OWNER, PUBLIC_CENTOS

SEED = Path(__file__).resolve().parents[1] / "emulator" / "ims_emulator" / "default_seed.yaml"
PUBLIC_IMAGES = 7
SEED_PRIVATE = {"db-encrypted-1", "app-full-ecs-1", "rescue-iso-1", "data-disk-1"}  # eu-de's images nobody shares
# User story 5's compose expression (host variables carry the ims_ prefix).
AGE_DAYS = "((now(utc=true) - (ims_created_at | to_datetime('%Y-%m-%dT%H:%M:%SZ'))).days)"


@dataclass
class Inventory:
    """One ansible-inventory --list run."""

    rc: int
    output: str  # stdout and stderr
    raw: dict  # as printed: values that are not trusted as templates are {"__ansible_unsafe": value}
    data: dict  # the same, values unwrapped

    @property
    def hostvars(self):
        return self.data["_meta"]["hostvars"]

    def hosts(self, group):
        return sorted(self.data.get(group, {}).get("hosts", []))

    def assert_free_of(self, secrets):
        leaked = [secret for secret in secrets if secret in self.output]
        assert not leaked, "secrets in the output of ansible-inventory"


def write_source(runner, source, name="images"):
    """An inventory source file <name>.ims.yml for the plugin in the runner's workdir."""
    runner.workdir.mkdir(parents=True, exist_ok=True)
    path = runner.workdir / ("%s.ims.yml" % name)
    path.write_text(yaml.safe_dump(dict(plugin="hwcloud.ims.ims", **source), sort_keys=False), encoding="utf-8")
    return path


def list_inventory(runner, *sources, args=(), auth="aksk", env=None, strict=True):
    """ansible-inventory --list over source files; with ``strict`` a source that fails fails the run."""
    env = dict(env or {})
    if strict:
        env["ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED"] = "true"
    command = [arg for path in sources for arg in ("-i", str(path))] + ["--list"] + list(args)
    done = runner.run("ansible-inventory", command, auth=auth, env=env)
    if done.returncode:
        return Inventory(done.returncode, one_line(done.stdout + done.stderr), {}, {})
    unwrapped = json.loads(done.stdout, object_hook=lambda node: node.get("__ansible_unsafe", node))
    return Inventory(done.returncode, one_line(done.stdout + done.stderr), json.loads(done.stdout), unwrapped)


def one_line(output):
    """The output with its line breaks undone: ansible-core 2.17 wraps warnings at 79 columns (after a hyphen or
    between words), later releases do not."""
    return re.sub(r"\s+", " ", re.sub(r"-\n", "-", output))


def ansible_inventory_flushes_cache(runner):
    """Whether ansible-inventory has --flush-cache (ansible-core 2.18 and later; every ansible-playbook has it)."""
    return "--flush-cache" in runner.run("ansible-inventory", ["--help"]).stdout


def inventory(runner, source, **kwargs):
    return list_inventory(runner, write_source(runner, source), **kwargs)


def operator_env(auth):
    """Credentials of the seed's operator, the user of both projects (the emulator's ready line lists one user per project)."""
    users = yaml.safe_load(SEED.read_text(encoding="utf-8"))["domains"][0]["users"]
    user = next(user for user in users if user["name"] == "operator")
    if auth == "aksk":
        return {"HW_ACCESS_KEY": user["access_keys"][0]["ak"], "HW_SECRET_KEY": user["access_keys"][0]["sk"]}
    return {"HW_USER_NAME": user["name"], "HW_USER_PASSWORD": user["password"]}


def ims_requests(control):
    """The logged requests except the control API's."""
    return [entry for entry in control.requests() if not entry["path"].startswith("/_emulator")]


@pytest.mark.compat
def test_story_5_private_images_by_family_and_os_type(ansible, control, secrets):
    [new_id] = control.bulk_images(OWNER, 1, name_prefix="web-", tags={"family": "web", "channel": "candidate"})["ids"]
    inv = inventory(
        ansible,
        {
            "filters": {"imagetype": "private"},
            "keyed_groups": [{"key": "ims_tags.family", "prefix": "family"}, {"key": "ims_os_type", "prefix": "os"}],
            "compose": {"age_days": AGE_DAYS},
            # Before ansible-core 2.19 a composed variable is the template's text ('0'), from 2.19 on its value (0).
            "groups": {"recent": "age_days | int < 30", "candidates": "ims_tags.channel | default('') == 'candidate'"},
        },
    )
    assert inv.rc == 0, inv.output
    assert set(inv.hostvars) == SEED_PRIVATE | {"web-00001"}
    new = inv.hostvars["web-00001"]
    assert new["ims_id"] == new_id and new["ims_tags"] == {"family": "web", "channel": "candidate"}
    assert (new["ims_status"], new["ims_imagetype"], new["ims_image_size"]) == ("active", "private", 1073741824)
    assert (new["ims_region"], new["ims_project_id"]) == ("eu-de", OWNER)
    # Only prefixed variables: no clash with names Ansible reserves (it warns about name and tags). Cloud data is
    # never trusted as a template.
    assert not [key for key in new if not key.startswith("ims_") and key != "age_days"] and "reserved name" not in inv.output
    assert inv.raw["_meta"]["hostvars"]["web-00001"]["ims_name"] == {"__ansible_unsafe": "web-00001"}
    assert int(new["age_days"]) == 0 and int(inv.hostvars["rescue-iso-1"]["age_days"]) > 365
    # The default group by image type; the keyed groups (images without a family tag are left out, strict is off);
    # composed groups, which see the composed variables.
    assert inv.hosts("ims_private") == sorted(inv.hostvars)
    assert inv.hosts("family_web") == ["web-00001"] == inv.hosts("recent") == inv.hosts("candidates")
    for host, hostvars in inv.hostvars.items():
        if hostvars.get("ims_os_type"):
            assert host in inv.hosts("os_%s" % hostvars["ims_os_type"])
    inv.assert_free_of(secrets)


def test_a_listing_that_fails_twice_is_retried_and_one_that_keeps_failing_fails_the_source(ansible, control):
    """A transient HTTP 500 during the listing is ridden out (never an empty inventory); a lasting one fails."""
    internal = {"error": {"code": "IMG.0061", "message": "Internal error."}}
    control.add_fault("/v2/cloudimages", method="GET", count=2, status=500, body=internal)
    inv = inventory(ansible, {"filters": {"imagetype": "private"}})
    assert inv.rc == 0, inv.output
    assert set(inv.hostvars) == SEED_PRIVATE and "HTTP 500 IMG.0061; retry 2 of 5" in inv.output
    control.add_fault("/v2/cloudimages", method="GET", count=5, status=500, body=internal)
    failing = inventory(ansible, {"filters": {"imagetype": "private"}, "retries": 1})
    assert failing.rc != 0 and "list images failed: HTTP 500 IMG.0061" in failing.output, failing.output


def test_strict_fails_on_a_key_an_image_lacks(ansible):
    inv = inventory(ansible, {"filters": {"name": "base-debian-10"}, "strict": True, "keyed_groups": [{"key": "ims_tags.channel"}]})
    assert inv.rc != 0
    assert "Could not generate group for host base-debian-10 from ims_tags.channel entry" in inv.output


def test_hostnames_are_unique(ansible, control):
    twins = [control.bulk_images(OWNER, 1, name_prefix="twin-")["ids"][0] for _copy in range(2)]
    by_name = write_source(ansible, {"filters": {"imagetype": "private"}}, name="by_name")
    by_id = write_source(ansible, {"filters": {"imagetype": "private"}, "hostnames": ["id"]}, name="by_id")
    both = list_inventory(ansible, by_name)
    assert both.rc == 0, both.output
    # A name two images share is never a host name: both are named by ID.
    assert set(both.hostvars) == SEED_PRIVATE | set(twins)
    assert {both.hostvars[twin]["ims_name"] for twin in twins} == {"twin-00001"}
    ids = list_inventory(ansible, by_id)
    assert all(host == hostvars["ims_id"] for host, hostvars in ids.hostvars.items())
    assert set(ids.hostvars) == {hostvars["ims_id"] for hostvars in both.hostvars.values()}


@pytest.mark.parametrize("auth", ["aksk", "password"])
def test_several_projects_in_one_source(ansible, control, secrets, auth):
    inv = inventory(ansible, {"projects": ["eu-de", {"name": "eu-de_apps", "region": "eu-de"}, {"id": OWNER}]}, auth=auth, env=operator_env(auth))
    assert inv.rc == 0, inv.output
    projects = {host: hostvars["ims_project_id"] for host, hostvars in inv.hostvars.items()}
    assert projects["web-golden-1"] == projects["db-encrypted-1"] == OWNER
    assert projects["apps-private-1"] == APPS
    # Images both projects see (public ones, base-debian-10 shared with and accepted by eu-de_apps) are one host per
    # project, named after ID and project.
    for image_id in (PUBLIC_CENTOS, BASE_DEBIAN):
        assert projects["%s_%s" % (image_id, OWNER)] == OWNER and projects["%s_%s" % (image_id, APPS)] == APPS
    assert len(inv.hosts("ims_gold")) == 2 * PUBLIC_IMAGES
    assert {hostvars["ims_region"] for hostvars in inv.hostvars.values()} == {"eu-de"}
    # eu-de, named twice (by name and by ID), is listed once.
    listings = [entry["project_id"] for entry in ims_requests(control) if entry["path"] == "/v2/cloudimages"]
    assert sorted(listings) == sorted([OWNER, APPS])
    inv.assert_free_of(secrets + [value for key, value in operator_env(auth).items() if key in ("HW_SECRET_KEY", "HW_USER_PASSWORD")])


def test_regions_are_honoured(ansible, control):
    # The regions option wins over the region of the environment, and each region is searched in its own default
    # project (the project ID of the environment is ignored): the emulator has only eu-de.
    env = {"HW_REGION_NAME": "eu-nl", "HW_PROJECT_ID": APPS}
    one = inventory(ansible, {"regions": ["eu-de"], "filters": {"name": "web-golden-1"}}, env=env)
    assert one.rc == 0, one.output
    assert one.hostvars["web-golden-1"]["ims_region"] == "eu-de" and one.hostvars["web-golden-1"]["ims_project_id"] == OWNER
    control.clear_requests()
    two = inventory(ansible, {"regions": ["eu-de", "eu-nl"], "filters": {"name": "web-golden-1"}}, env=env)
    assert two.rc != 0
    assert "look up the ID of project eu-nl failed: HTTP 200: IAM knows 0 projects named 'eu-nl'" in two.output
    lookups = [entry["query"] for entry in ims_requests(control) if entry["path"] == "/v3/projects"]
    assert lookups == ["name=eu-de", "name=eu-nl"]


def test_token_authentication(ansible):
    token = ansible.issue_token()
    inv = inventory(ansible, {"filters": {"tags": {"family": "web"}}}, auth="token", env={"HW_AUTH_TOKEN": token})
    assert inv.rc == 0, inv.output
    assert list(inv.hostvars) == ["web-golden-1"] and inv.hosts("ims_shared") == ["web-golden-1"]
    inv.assert_free_of([token])


def test_invalid_sources_fail_before_any_request(ansible, control, secrets):
    fake_token = "not-a-real-token-0123456789"
    cases = {
        "bad_choice": ({"filters": {"imagetype": "bogus"}}, "filters.imagetype: value of imagetype must be one of: gold, private, shared, got: bogus"),
        "unknown_filter": ({"filters": {"colour": "red"}}, "filters.colour: unknown image filter"),
        "clash": ({"filters": {"latest": True, "limit": 3}}, "filters.latest: returns the single newest image; it cannot be combined with limit"),
        "project_and_regions": ({"regions": ["eu-de"], "project_id": OWNER}, "project_id and project_name cannot be combined with regions or projects"),
        "bad_project": (
            {"projects": ["eu-de", {"name": "eu-de_apps", "password": secrets[0]}]},
            "projects entry 2 must be a project name or a dictionary with id or name and optionally region, got keys name, password",
        ),
        "token_and_projects": ({"projects": ["eu-de"], "auth_token": fake_token}, "a pre-issued token (auth_token) is scoped to one project"),
    }
    paths = [write_source(ansible, source, name=name) for name, (source, _message) in cases.items()]
    inv = list_inventory(ansible, *paths, strict=False)
    for name, (_source, message) in cases.items():
        assert message in inv.output, name
    assert ims_requests(control) == []
    inv.assert_free_of(secrets + [fake_token])


def test_cache_hit_sends_no_request(ansible, control, secrets):
    cache_dir = ansible.workdir / "inventory-cache"
    source = {"filters": {"imagetype": "private"}, "cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(cache_dir)}

    def run(changes, *args):
        control.clear_requests()
        inv = inventory(ansible, dict(source, **changes), args=args)
        assert inv.rc == 0, inv.output
        inv.assert_free_of(secrets)
        return inv, len(ims_requests(control))

    first, sent = run({})
    assert sent > 0 and set(first.hostvars) == SEED_PRIVATE
    # Compose, groups and host names are applied to the cached data: changing them still hits the cache.
    cached, sent = run({"compose": {"cached": "true"}, "hostnames": ["id"]})
    assert sent == 0
    assert {hostvars["ims_name"] for hostvars in cached.hostvars.values()} == SEED_PRIVATE and all(v["cached"] for v in cached.hostvars.values())
    # Other filters are another cache entry; --flush-cache reads fresh data.
    other, sent = run({"filters": {"name": "web-golden-1"}})
    assert sent > 0 and list(other.hostvars) == ["web-golden-1"]
    if ansible_inventory_flushes_cache(ansible):
        _flushed, sent = run({}, "--flush-cache")
    else:
        # ansible-core 2.17: the same flush, through ansible-playbook (an empty play over the same source).
        control.clear_requests()
        playbook = ansible.workdir / "noop.yml"
        playbook.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": []}]), encoding="utf-8")
        done = ansible.run("ansible-playbook", ["-i", str(write_source(ansible, source)), "--flush-cache", str(playbook)])
        assert done.returncode == 0, done.stdout + done.stderr
        sent = len(ims_requests(control))
    assert sent > 0
    files = list(cache_dir.iterdir())
    assert len(files) == 2
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not [secret for secret in secrets if secret in text]


def test_https_with_the_emulator_ca(tls_ansible):
    inv = inventory(tls_ansible, {"filters": {"name": "web-golden-1"}})
    assert inv.rc == 0, inv.output
    assert list(inv.hostvars) == ["web-golden-1"]
