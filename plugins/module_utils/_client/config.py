# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection settings: one resolver for modules, the inventory plugin and the lookup plugin.

Each setting comes from, in this order: the explicit option, the first environment variable of its list that is
set, the clouds.yaml entry named by the ``cloud`` option or ``OS_CLOUD``, and its default. The authentication method
is decided by the most explicit source that holds any credential (options, then environment, then clouds.yaml),
preferring a token, then an access key pair, then a password within one source; the method's other fields may come
from any source. So ``access_key`` given as an option wins over an ``OS_PASSWORD`` in the environment.

Secrets are ``Secret`` values: they never show up in a repr, a message or an exception.

Internal to this collection, may change in any release.
"""

# Postponed annotations: ansible-test lints module_utils as Python 3.8 code, which rejects "str | None" at run time.
from __future__ import annotations

import os
from dataclasses import dataclass, field, make_dataclass, replace
from urllib.parse import urlsplit

from ansible_collections.hwcloud.ims.plugins.module_utils._client import deps
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ConfigError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.token_cache import default_cache_dir


@dataclass(frozen=True)
class CloudProfile:
    """URL templates of a public cloud, filled in with the region."""

    ims: str
    iam: str
    domain: str

    def service_url(self, service, region):
        """The URL of ``service`` (ims, iam, or ecs and obs, which live at ``<service>.<region>.<domain>``)."""
        template = getattr(self, service, None) or "https://%s.{region}.%s" % (service, self.domain)
        return template.format(region=region)


PROFILES = {
    "huaweicloud": CloudProfile(ims="https://ims.{region}.myhuaweicloud.com", iam="https://iam.{region}.myhuaweicloud.com/v3", domain="myhuaweicloud.com"),
    "otc": CloudProfile(ims="https://ims.{region}.otc.t-systems.com", iam="https://iam.{region}.otc.t-systems.com/v3", domain="otc.t-systems.com"),
}
# Regions that exist only on Open Telekom Cloud: a bare "region: eu-de" means OTC.
OTC_REGIONS = frozenset(("eu-de", "eu-nl", "eu-ch2"))

AUTH_TOKEN = "token"
AUTH_AKSK = "aksk"
AUTH_PASSWORD = "password"

CLOUDS_YAML_PATHS = tuple(
    os.path.join(directory, "clouds" + extension)
    for directory in (".", os.path.join("~", ".config", "openstack"), os.path.join(os.sep, "etc", "openstack"))
    for extension in (".yaml", ".yml")
)


@dataclass(frozen=True)
class Setting:
    """One connection setting and where its value may come from."""

    name: str
    description: str
    env: tuple = ()
    clouds_yaml: tuple = ()  # dotted paths inside a clouds.yaml cloud entry
    type: str = "str"
    secret: bool = False
    default: object = None
    choices: tuple = ()
    env_inverted: bool = False  # a true value in the environment means False (OS_INSECURE for validate_certs)


SETTINGS = (
    Setting("cloud", "Name of a cloud in clouds.yaml (searched in the current directory, ~/.config/openstack and /etc/openstack).", env=("OS_CLOUD",)),
    Setting(
        "cloud_profile",
        "Which public cloud the region belongs to, to derive the IMS and IAM URLs and to follow its rules where the clouds differ; "
        "guessed from I(auth_url), I(endpoint) or the region (C(eu-de), C(eu-nl) and C(eu-ch2) are Open Telekom Cloud) when not set.",
        choices=tuple(PROFILES),
    ),
    Setting("region", "Region, for example C(eu-de) or C(ap-southeast-1).", env=("HW_REGION_NAME", "OS_REGION_NAME"), clouds_yaml=("region_name",)),
    Setting(
        "project_id",
        "Project ID; looked up by I(project_name) (or the region name) when not set.",
        env=("HW_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID", "OS_PROJECT_ID"),
        clouds_yaml=("auth.project_id",),
    ),
    Setting("project_name", "Project name; defaults to the region name.", env=("HW_PROJECT_NAME", "OS_PROJECT_NAME"), clouds_yaml=("auth.project_name",)),
    Setting(
        "auth_url",
        "IAM endpoint, for example C(https://iam.eu-de.otc.t-systems.com/v3); derived from the region when not set.",
        env=("HW_AUTH_URL", "OS_AUTH_URL"),
        clouds_yaml=("auth.auth_url",),
    ),
    Setting(
        "access_key",
        "Access key (AK).",
        env=("HW_ACCESS_KEY", "HUAWEICLOUD_SDK_AK", "OS_ACCESS_KEY"),
        clouds_yaml=("auth.ak", "auth.access_key", "ak", "access_key"),
    ),
    Setting(
        "secret_key",
        "Secret key (SK).",
        env=("HW_SECRET_KEY", "HUAWEICLOUD_SDK_SK", "OS_SECRET_KEY"),
        clouds_yaml=("auth.sk", "auth.secret_key", "sk", "secret_key"),
        secret=True,
    ),
    Setting(
        "security_token",
        "Security token of temporary AK/SK credentials.",
        env=("HW_SECURITY_TOKEN", "HUAWEICLOUD_SDK_SECURITY_TOKEN", "OS_SECURITY_TOKEN"),
        clouds_yaml=("auth.security_token", "security_token"),
        secret=True,
    ),
    Setting("username", "IAM user name, for password authentication.", env=("HW_USER_NAME", "OS_USERNAME"), clouds_yaml=("auth.username",)),
    Setting("password", "IAM user password.", env=("HW_USER_PASSWORD", "OS_PASSWORD"), clouds_yaml=("auth.password",), secret=True),
    Setting(
        "domain_name",
        "Name of the account (domain) the IAM user belongs to.",
        env=("HW_DOMAIN_NAME", "OS_USER_DOMAIN_NAME"),
        clouds_yaml=("auth.user_domain_name", "auth.domain_name"),
    ),
    Setting("auth_token", "A pre-issued, project-scoped IAM token.", env=("HW_AUTH_TOKEN", "OS_AUTH_TOKEN"), clouds_yaml=("auth.token",), secret=True),
    Setting(
        "endpoint",
        "IMS endpoint, for example C(https://ims.eu-de.otc.t-systems.com); derived from the region, or taken from the IAM catalog, when not set.",
        env=("HW_IMS_ENDPOINT",),
        clouds_yaml=("image_endpoint_override",),
    ),
    Setting(
        "ecs_endpoint",
        "ECS endpoint, read (never written) to check an ECS before an image is made of it, in check mode too; derived from "
        "the region, or taken from the IAM catalog, when not set. Without one the check is left to IMS, with a warning.",
        env=("HW_ECS_ENDPOINT",),
    ),
    Setting(
        "obs_endpoint",
        "OBS endpoint, read (never written, AK/SK credentials only) to check the file of an import or an export before "
        "the request, in check mode too; derived from the region, or taken from the IAM catalog, when not set. Without "
        "one the check is left to IMS, with a warning.",
        env=("HW_OBS_ENDPOINT",),
    ),
    Setting(
        "validate_certs", "Whether to verify TLS certificates.", env=("OS_INSECURE",), env_inverted=True, clouds_yaml=("verify",), type="bool", default=True
    ),
    Setting("ca_path", "CA bundle to verify TLS certificates with.", env=("OS_CACERT",), clouds_yaml=("cacert",), type="path"),
    Setting("timeout", "The most one HTTP request may take, in seconds, from connecting to the last byte of the answer.", type="float", default=60.0),
    Setting("retries", "How often a throttled or failed request is retried (a lost write only when its effect did not show).", type="int", default=5),
    Setting("token_cache", "Whether IAM tokens obtained with a password are cached on disk between tasks.", type="bool", default=True),
    Setting(
        "token_cache_dir", "Directory of the token cache; defaults to C($XDG_CACHE_HOME/hwcloud.ims/tokens) or C(~/.cache/hwcloud.ims/tokens).", type="path"
    ),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
_CREDENTIALS = ((AUTH_TOKEN, ("auth_token",)), (AUTH_AKSK, ("access_key", "secret_key", "security_token")), (AUTH_PASSWORD, ("username", "password")))
_REQUIRED_CREDENTIALS = {AUTH_TOKEN: ("auth_token",), AUTH_AKSK: ("access_key", "secret_key"), AUTH_PASSWORD: ("username", "password", "domain_name")}
_METHOD_NAMES = {AUTH_TOKEN: "token", AUTH_AKSK: "AK/SK", AUTH_PASSWORD: "password"}
# What a numeric setting must be beyond a number (a NaN or infinite timeout fails the first test too).
_NUMBER_RULES = {
    "timeout": (lambda seconds: 0 < seconds < float("inf"), "a number of seconds greater than 0"),
    "retries": (lambda count: count >= 0, "0 or more"),
}
# What every module and plugin warns when certificates go unverified.
INSECURE_WARNING = (
    "validate_certs is false: TLS certificates are not verified, so the IMS and IAM servers are not authenticated; set ca_path to a CA bundle instead"
)
_TRUE_TEXT = frozenset(("1", "true", "yes", "on", "y", "t"))
_FALSE_TEXT = frozenset(("0", "false", "no", "off", "n", "f", ""))


def argument_spec():
    """The connection options in Ansible argument_spec form (types and no_log only).

    No defaults on purpose: a default in the argument spec would hide the environment variables; the resolver
    applies the defaults.
    """
    spec = {}
    for setting in SETTINGS:
        spec[setting.name] = {"type": setting.type, "no_log": setting.secret}
        if setting.choices:
            spec[setting.name]["choices"] = list(setting.choices)
    return spec


class Secret:
    """A secret setting's value: ``get_secret_value()`` unwraps it; ``repr``/``str`` never show it."""

    __slots__ = ("_value",)

    def __init__(self, value):
        self._value = value

    def get_secret_value(self):
        return self._value

    def __repr__(self):
        return "Secret('**********')"

    __str__ = __repr__


class _ConfigBehaviour:
    """What a resolved configuration offers besides its fields (``CloudConfig`` below declares them, from SETTINGS)."""

    __slots__ = ()

    def replace(self, **changes):
        """A copy with ``changes`` applied."""
        return replace(self, **changes)

    @property
    def verify(self):
        """What to verify TLS with: False, a CA bundle path, or True (the default trust store)."""
        if not self.validate_certs:
            return False
        return self.ca_path or True

    def secret_values(self):
        """The secrets these settings hold (password, SK, security token, token), unwrapped, for masking."""
        secrets = (self.secret_key, self.security_token, self.password, self.auth_token)
        return [secret.get_secret_value() for secret in secrets if secret is not None]

    @property
    def project_scope(self):
        """The project to look up or scope a token to by name: the project name, else the region."""
        return self.project_name or self.region


# Resolved connection settings, one field per setting (but ``cloud``, which only says where to look) plus the
# authentication method; ``endpoint`` None means "take the IMS endpoint from the IAM catalog". A plain frozen
# dataclass, not a pydantic model: every task resolves its settings, resolve_config has already typed and checked
# every value, and a dataclass costs no model building.
CloudConfig = make_dataclass(
    "CloudConfig",
    [("auth_method", str)] + [(setting.name, object, field(default=setting.default)) for setting in SETTINGS if setting.name != "cloud"],
    bases=(_ConfigBehaviour,),
    frozen=True,
)


def resolve_config(options, environ=None, clouds_yaml_paths=None):
    """Resolve ``options`` (a dict of the SETTINGS names; None means unset) into a CloudConfig.

    Raises ConfigError naming each missing setting with its option name, environment variables and clouds.yaml
    keys. ``environ`` defaults to ``os.environ``, ``clouds_yaml_paths`` to CLOUDS_YAML_PATHS.
    """
    environ = os.environ if environ is None else environ
    unknown = sorted(set(options) - set(SETTINGS_BY_NAME))
    if unknown:
        raise ConfigError("unknown connection option(s): %s" % ", ".join(unknown))
    tiers = _source_tiers(options, environ, clouds_yaml_paths or CLOUDS_YAML_PATHS)
    values = {setting.name: _first_value(setting, tiers) for setting in SETTINGS}

    method = _auth_method(tiers)
    missing = [name for name in _REQUIRED_CREDENTIALS[method] if values[name] is None]
    if missing:
        raise ConfigError("incomplete %s credentials: %s" % (_METHOD_NAMES[method], _describe_missing(missing)))

    profile = values["cloud_profile"] or _guess_profile(values)
    values["auth_url"] = values["auth_url"] or _from_profile(profile, "iam", values["region"])
    values["endpoint"] = values["endpoint"] or _from_profile(profile, "ims", values["region"])
    for service in ("ecs", "obs"):
        values["%s_endpoint" % service] = values["%s_endpoint" % service] or _from_profile(profile, service, values["region"])
    _check_reachable(method, values)
    _check_project_of_region(values)
    for setting in SETTINGS:
        if values[setting.name] is None and setting.default is not None:
            values[setting.name] = setting.default
    values["token_cache_dir"] = values["token_cache_dir"] or default_cache_dir(environ)
    values["cloud_profile"] = profile
    del values["cloud"]
    for setting in SETTINGS:
        if setting.secret and values[setting.name] is not None:
            values[setting.name] = Secret(values[setting.name])
    return CloudConfig(auth_method=method, **values)


def _source_tiers(options, environ, clouds_yaml_paths):
    """The three sources as dicts of setting name -> raw value, most explicit first."""
    explicit = {name: value for name, value in options.items() if value is not None}
    from_env = {}
    for setting in SETTINGS:
        for variable in setting.env:
            if environ.get(variable):
                from_env[setting.name] = _negate(environ[variable], variable) if setting.env_inverted else environ[variable]
                break
    cloud_name = explicit.get("cloud") or from_env.get("cloud")
    from_clouds_yaml = _clouds_yaml_settings(cloud_name, clouds_yaml_paths) if cloud_name else {}
    return explicit, from_env, from_clouds_yaml


def _first_value(setting, tiers):
    for tier in tiers:
        if tier.get(setting.name) is not None:
            return _convert(setting, tier[setting.name])
    return None


def _auth_method(tiers):
    for tier in tiers:
        for method, names in _CREDENTIALS:
            if any(tier.get(name) is not None for name in names):
                return method
    raise ConfigError(
        "no credentials found: set access_key and secret_key (options or %s), or username, password and domain_name (options or %s), "
        "or auth_token (option or %s), or name a clouds.yaml cloud with the cloud option or OS_CLOUD"
        % tuple(" / ".join(_env_names(names)) for names in (("access_key", "secret_key"), ("username", "password", "domain_name"), ("auth_token",)))
    )


def _guess_profile(values):
    """The profile whose domain the explicit auth URL (else IMS endpoint) is in; for a URL of any other cloud, None
    (nothing is derived from the region); without URLs, by region."""
    url = values["auth_url"] or values["endpoint"]
    if url:
        host = urlsplit(url).hostname or ""
        return next((name for name, profile in PROFILES.items() if host == profile.domain or host.endswith("." + profile.domain)), None)
    if values["region"] in OTC_REGIONS:
        return "otc"
    return "huaweicloud"


def _from_profile(profile, service, region):
    if profile is None or not region:
        return None
    return PROFILES[profile].service_url(service, region)


def _check_reachable(method, values):
    """Fail early when the IMS endpoint, the IAM URL or the project cannot be found with what was given."""
    if method == AUTH_AKSK and not values["endpoint"]:
        raise ConfigError("no IMS endpoint: %s" % _alternatives("endpoint", "region"))
    needs_iam = method == AUTH_PASSWORD or not values["project_id"] or not values["endpoint"]
    if needs_iam and not values["auth_url"]:
        raise ConfigError("no IAM endpoint: %s" % _alternatives("auth_url", "region"))
    if method != AUTH_TOKEN and not values["project_id"] and not (values["project_name"] or values["region"]):
        raise ConfigError("no project: %s" % _alternatives("project_id", "project_name", "region"))


def _check_project_of_region(values):
    """The IAM of these clouds names a region's projects after the region (``eu-de``, ``eu-de_apps``): a project name
    of another region (say, from the environment while a task names another region) would reach the wrong region."""
    name, region = values["project_name"], values["region"]
    if name and region and not values["project_id"] and name != region and not name.startswith(region + "_"):
        raise ConfigError(
            "project_name %r is not a project of region %s: its projects are named %s or %s_<name>; give a project of "
            "region %s (or no project_name, for its default project %s)" % (name, region, region, region, region, region)
        )


def _where(name):
    """Where a setting can be given: "the X option, ENV_A, ENV_B or a.b / c in the clouds.yaml cloud"."""
    setting = SETTINGS_BY_NAME[name]
    places = ["the %s option" % name] + list(setting.env)
    if setting.clouds_yaml:
        places.append("%s in the clouds.yaml cloud" % " / ".join(setting.clouds_yaml))
    return ", ".join(places[:-1]) + " or " + places[-1] if len(places) > 1 else places[0]


def _describe_missing(names):
    return "; ".join("%s is missing (set %s)" % (name, _where(name)) for name in names)


def describe_sources(*names):
    """Each setting with where it can be given: "endpoint (the endpoint option, HW_IMS_ENDPOINT or ...)", joined by "or"."""
    return ", or ".join("%s (%s)" % (name, _where(name)) for name in names)


def _alternatives(*names):
    return "set " + describe_sources(*names)


def _env_names(names):
    return [variable for name in names for variable in SETTINGS_BY_NAME[name].env]


def _convert(setting, value):
    if setting.type == "bool":
        return value if isinstance(value, bool) else _parse_bool(value, setting.name)
    if setting.type in ("float", "int"):
        try:
            number = float(value) if setting.type == "float" else int(value)
        except (TypeError, ValueError):
            raise ConfigError("%s must be a number, got %r" % (setting.name, value)) from None
        accepts, rule = _NUMBER_RULES.get(setting.name, (None, None))
        if accepts is not None and not accepts(number):
            raise ConfigError("%s must be %s, got %r" % (setting.name, rule, value))
        return number
    if setting.type == "path":
        return os.path.expanduser(str(value))
    if setting.choices and value not in setting.choices:
        raise ConfigError("%s must be one of %s, got %r" % (setting.name, ", ".join(setting.choices), value))
    return str(value)


def _parse_bool(text, name):
    lowered = str(text).strip().lower()
    if lowered in _TRUE_TEXT:
        return True
    if lowered in _FALSE_TEXT:
        return False
    raise ConfigError("%s must be a boolean, got %r" % (name, text))


def _negate(text, variable):
    return not _parse_bool(text, variable)


def _clouds_yaml_settings(cloud_name, paths):
    """The settings of cloud ``cloud_name`` from the first clouds.yaml that defines it."""
    searched = []
    for path in paths:
        path = os.path.expanduser(path)
        if not os.path.isfile(path):
            continue
        searched.append(path)
        entry = (_load_yaml(path).get("clouds") or {}).get(cloud_name)
        if isinstance(entry, dict):
            return {setting.name: value for setting in SETTINGS if (value := _lookup_first(entry, setting.clouds_yaml)) is not None}
    where = ", ".join(searched) if searched else "none found in " + ", ".join(paths)
    raise ConfigError("cloud %r is not defined in any clouds.yaml (%s)" % (cloud_name, where))


def _load_yaml(path):
    if not deps.HAS_YAML:
        raise ConfigError("reading %s needs the PyYAML library, which is not installed" % path)
    try:
        with open(path, encoding="utf-8") as handle:
            document = deps.yaml.safe_load(handle)
    except (OSError, deps.yaml.YAMLError) as exc:
        raise ConfigError("cannot read %s: %s" % (path, exc)) from None
    return document if isinstance(document, dict) else {}


def _lookup_first(entry, dotted_paths):
    for dotted in dotted_paths:
        node = entry
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None and node != "":
            return node
    return None
