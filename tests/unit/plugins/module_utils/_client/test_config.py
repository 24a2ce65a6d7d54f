# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection settings: sources, precedence, clouds.yaml, derived URLs and error messages without secrets."""

import pytest
import yaml

from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import SETTINGS, argument_spec, resolve_config
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ConfigError

SECRETS = {"secret_key": "SK-SECRET-1", "password": "PW-SECRET-2", "auth_token": "TOKEN-SECRET-3", "security_token": "STS-SECRET-4"}
AKSK = {"access_key": "AK1", "secret_key": SECRETS["secret_key"]}


def resolve(options=None, env=None, clouds=None, tmp_path=None):
    paths = ["/nonexistent/clouds.yaml"]
    if clouds is not None:
        path = tmp_path / "clouds.yaml"
        path.write_text(yaml.safe_dump({"clouds": clouds}))
        paths = [str(path)]
    return resolve_config(options or {}, env or {}, clouds_yaml_paths=paths)


def error_of(**kwargs):
    with pytest.raises(ConfigError) as caught:
        resolve(**kwargs)
    return str(caught.value)


def test_explicit_options_beat_environment():
    config = resolve(dict(AKSK, region="eu-nl", project_id="p-opt"), {"HW_REGION_NAME": "eu-de", "OS_PROJECT_ID": "p-env"})
    assert (config.region, config.project_id) == ("eu-nl", "p-opt")


@pytest.mark.parametrize("setting", [setting for setting in SETTINGS if setting.env and setting.type == "str"], ids=lambda setting: setting.name)
def test_every_environment_variable_in_order(setting):
    env = {variable: "%s-value" % variable for variable in setting.env}
    for variable, value in (("HW_ACCESS_KEY", "ak"), ("HW_SECRET_KEY", "sk"), ("HW_REGION_NAME", "eu-de")):
        env.setdefault(variable, value)
    if setting.name == "cloud":
        return  # OS_CLOUD selects a clouds.yaml entry: see the clouds.yaml tests
    # An auth URL or IMS endpoint of an unknown cloud derives nothing from the region: give what is then missing.
    options = {"auth_url": {"endpoint": "https://ims.example.com", "project_id": "p"}, "endpoint": {"project_id": "p"}}.get(setting.name, {})
    # A project name is one of its region's (eu-de_...).
    prefix = "eu-de_" if setting.name == "project_name" else ""
    env = {variable: prefix + value if variable in setting.env else value for variable, value in env.items()}
    for index, variable in enumerate(setting.env):
        value = getattr(resolve(options, env), setting.name)
        value = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        assert value == "%s%s-value" % (prefix, variable), (setting.name, index)
        del env[variable]


def test_boolean_and_path_environment_variables():
    config = resolve(AKSK | {"region": "eu-de"}, {"OS_INSECURE": "true", "OS_CACERT": "/etc/ssl/ca.pem"})
    assert config.validate_certs is False and config.ca_path == "/etc/ssl/ca.pem" and config.verify is False
    config = resolve(AKSK | {"region": "eu-de"}, {"OS_INSECURE": "0", "OS_CACERT": "/etc/ssl/ca.pem"})
    assert config.verify == "/etc/ssl/ca.pem"
    assert resolve(AKSK | {"region": "eu-de", "validate_certs": True}, {"OS_INSECURE": "yes"}).verify is True
    assert "OS_INSECURE must be a boolean" in error_of(options=AKSK | {"region": "eu-de"}, env={"OS_INSECURE": "maybe"})


def test_defaults_and_cache_directory():
    config = resolve(AKSK | {"region": "eu-de"}, {"XDG_CACHE_HOME": "/xdg"})
    assert (config.timeout, config.retries, config.token_cache, config.validate_certs) == (60.0, 5, True, True)
    assert config.token_cache_dir == "/xdg/hwcloud.ims/tokens"
    assert resolve(AKSK | {"region": "eu-de", "timeout": "12.5", "retries": 0}).timeout == 12.5
    assert "timeout must be a number" in error_of(options=AKSK | {"region": "eu-de", "timeout": "soon"})


@pytest.mark.parametrize(
    "setting, value, rule",
    [
        ("timeout", 0, "timeout must be a number of seconds greater than 0"),
        ("timeout", "-1", "timeout must be a number of seconds greater than 0"),
        ("timeout", "nan", "timeout must be a number of seconds greater than 0"),
        ("timeout", "inf", "timeout must be a number of seconds greater than 0"),
        ("retries", -1, "retries must be 0 or more"),
    ],
)
def test_numbers_out_of_range_name_the_setting(setting, value, rule):
    assert rule in error_of(options=AKSK | {"region": "eu-de", setting: value})


@pytest.mark.parametrize(
    "region, profile, ims, iam",
    [
        ("eu-de", "otc", "https://ims.eu-de.otc.t-systems.com", "https://iam.eu-de.otc.t-systems.com/v3"),
        ("eu-nl", "otc", "https://ims.eu-nl.otc.t-systems.com", "https://iam.eu-nl.otc.t-systems.com/v3"),
        ("ap-southeast-1", "huaweicloud", "https://ims.ap-southeast-1.myhuaweicloud.com", "https://iam.ap-southeast-1.myhuaweicloud.com/v3"),
    ],
)
def test_urls_from_region(region, profile, ims, iam):
    config = resolve(AKSK | {"region": region})
    assert (config.cloud_profile, config.endpoint, config.auth_url) == (profile, ims, iam)


def test_profile_from_auth_url_or_explicit():
    config = resolve(AKSK | {"region": "eu-west-101", "auth_url": "https://iam.eu-west-101.myhuaweicloud.com/v3"})
    assert config.endpoint == "https://ims.eu-west-101.myhuaweicloud.com"
    config = resolve(AKSK | {"region": "eu-de", "cloud_profile": "huaweicloud"})
    assert config.endpoint == "https://ims.eu-de.myhuaweicloud.com"


def test_another_cloud_gets_no_derived_endpoint():
    options = {"username": "u", "password": "p", "domain_name": "d", "region": "r1", "auth_url": "https://iam.private.example/v3"}
    config = resolve(options)
    assert config.endpoint is None and config.cloud_profile is None  # taken from the IAM catalog
    message = error_of(options=AKSK | {"region": "r1", "auth_url": "https://iam.private.example/v3"})
    assert message.startswith("no IMS endpoint: set endpoint (the endpoint option")


def test_auth_method_follows_the_most_explicit_source():
    env = {"OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_USER_DOMAIN_NAME": "d", "OS_AUTH_TOKEN": "t", "OS_REGION_NAME": "eu-de"}
    assert resolve(AKSK, env).auth_method == "aksk"
    assert resolve({}, env).auth_method == "token"  # a token wins within one source
    assert resolve({"username": "u2"}, env).auth_method == "password"
    assert resolve({"username": "u2"}, env).password.get_secret_value() == "p"


def test_missing_credentials_message_lists_every_way():
    message = error_of(options={"region": "eu-de"})
    for name in ("access_key", "HW_ACCESS_KEY", "HUAWEICLOUD_SDK_AK", "OS_ACCESS_KEY", "HW_USER_PASSWORD", "OS_AUTH_TOKEN", "OS_CLOUD"):
        assert name in message


@pytest.mark.parametrize(
    "options, missing",
    [
        ({"access_key": "AK1", "region": "eu-de"}, ["secret_key", "HW_SECRET_KEY", "HUAWEICLOUD_SDK_SK", "OS_SECRET_KEY", "auth.sk"]),
        ({"secret_key": SECRETS["secret_key"], "region": "eu-de"}, ["access_key", "HW_ACCESS_KEY", "auth.ak"]),
        ({"username": "u", "password": SECRETS["password"], "region": "eu-de"}, ["domain_name", "HW_DOMAIN_NAME", "OS_USER_DOMAIN_NAME"]),
        ({"password": SECRETS["password"], "domain_name": "d", "region": "eu-de"}, ["username", "HW_USER_NAME", "OS_USERNAME"]),
        ({"security_token": SECRETS["security_token"], "region": "eu-de"}, ["access_key", "secret_key"]),
    ],
)
def test_incomplete_credentials_name_what_is_missing_and_no_secret(options, missing):
    message = error_of(options=options)
    assert message.startswith("incomplete ")
    for text in missing:
        assert text in message
    assert not any(secret in message for secret in SECRETS.values())


def test_reachability_errors():
    assert error_of(options=AKSK).startswith("no IMS endpoint")
    message = error_of(options=AKSK | {"endpoint": "https://ims.example.com"})
    assert message.startswith("no IAM endpoint: set auth_url")  # the project ID must be looked up in IAM
    assert resolve(AKSK | {"endpoint": "https://ims.example.com", "project_id": "p"}).auth_url is None
    assert error_of(options={"username": "u", "password": "p", "domain_name": "d", "auth_url": "https://iam.x/v3"}).startswith("no project")
    assert resolve({"auth_token": "t", "auth_url": "https://iam.x/v3"}).auth_method == "token"  # project and endpoint from the token


def test_a_project_name_of_another_region_is_refused():
    password = {"username": "u", "password": "p", "domain_name": "d"}
    message = error_of(options=password | {"region": "ap-southeast-3"}, env={"HW_PROJECT_NAME": "ap-southeast-1"})
    assert message.startswith("project_name 'ap-southeast-1' is not a project of region ap-southeast-3: its projects are named ap-southeast-3 or")
    assert resolve(password | {"region": "eu-de", "project_name": "eu-de_apps"}).project_name == "eu-de_apps"
    assert resolve(password | {"region": "eu-de", "project_name": "eu-de"}).project_name == "eu-de"
    # Every cloud of this IAM names them so, also one of no known profile.
    other = password | {"region": "r1", "project_name": "team", "auth_url": "https://iam.example.com/v3", "endpoint": "https://ims.example.com"}
    assert error_of(options=other).startswith("project_name 'team' is not a project of region r1")
    assert resolve(dict(other, project_name="r1_team")).project_name == "r1_team"


def test_secrets_never_in_repr_or_str():
    config = resolve(dict(SECRETS, access_key="AK1", username="u", domain_name="d", region="eu-de"))
    for text in (repr(config), str(config), str(vars(config)), str(config.replace(region="eu-nl"))):
        assert not any(secret in text for secret in SECRETS.values())
    assert config.secret_key.get_secret_value() == SECRETS["secret_key"]


def test_unknown_option_and_profile():
    assert error_of(options={"regoin": "eu-de"}) == "unknown connection option(s): regoin"
    assert error_of(options=AKSK | {"region": "eu-de", "cloud_profile": "aws"}) == "cloud_profile must be one of huaweicloud, otc, got 'aws'"


CLOUDS = {
    "otc": {
        "region_name": "eu-de",
        "auth": {
            "auth_url": "https://iam.eu-de.otc.t-systems.com/v3",
            "username": "alice",
            "password": "pw",
            "user_domain_name": "OTC-EU-DE-000",
            "project_name": "eu-de_ci",
        },
        "cacert": "~/ca.pem",
        "verify": False,
    },
    "aksk": {"region_name": "eu-nl", "auth": {"ak": "AK-YAML", "sk": "SK-YAML", "project_id": "p-yaml"}},
    "toplevel": {
        "region_name": "eu-de",
        "access_key": "AK-TOP",
        "secret_key": "SK-TOP",
        "image_endpoint_override": "https://ims.custom",
        "auth": {"project_id": "p-top"},
    },
}


def test_clouds_yaml_password_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = resolve({"cloud": "otc"}, clouds=CLOUDS, tmp_path=tmp_path)
    assert (config.auth_method, config.username, config.domain_name, config.project_name) == ("password", "alice", "OTC-EU-DE-000", "eu-de_ci")
    assert config.validate_certs is False and config.ca_path == str(tmp_path / "ca.pem")
    assert config.endpoint == "https://ims.eu-de.otc.t-systems.com"


def test_clouds_yaml_aksk_entries_selected_by_os_cloud(tmp_path):
    config = resolve({}, {"OS_CLOUD": "aksk"}, clouds=CLOUDS, tmp_path=tmp_path)
    assert (config.access_key, config.secret_key.get_secret_value(), config.project_id, config.region) == ("AK-YAML", "SK-YAML", "p-yaml", "eu-nl")
    config = resolve({"cloud": "toplevel"}, {"OS_CLOUD": "aksk"}, clouds=CLOUDS, tmp_path=tmp_path)
    assert (config.access_key, config.endpoint) == ("AK-TOP", "https://ims.custom")


def test_environment_beats_clouds_yaml(tmp_path):
    config = resolve({}, {"OS_CLOUD": "aksk", "OS_REGION_NAME": "eu-de"}, clouds=CLOUDS, tmp_path=tmp_path)
    assert config.region == "eu-de" and config.access_key == "AK-YAML"


def test_clouds_yaml_search_order(tmp_path):
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    first.write_text(yaml.safe_dump({"clouds": {"other": CLOUDS["aksk"]}}))
    second.write_text(yaml.safe_dump({"clouds": {"aksk": CLOUDS["toplevel"]}}))
    config = resolve_config({"cloud": "aksk"}, {}, clouds_yaml_paths=[str(tmp_path / "missing.yaml"), str(first), str(second)])
    assert config.access_key == "AK-TOP"


def test_unknown_cloud_and_broken_yaml(tmp_path):
    assert "cloud 'nope' is not defined in any clouds.yaml" in error_of(options={"cloud": "nope"}, clouds=CLOUDS, tmp_path=tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text("clouds: [unclosed")
    with pytest.raises(ConfigError) as caught:
        resolve_config({"cloud": "x"}, {}, clouds_yaml_paths=[str(broken)])
    assert "cannot read" in str(caught.value)


def test_argument_spec_has_no_defaults_and_hides_secrets():
    spec = argument_spec()
    assert all("default" not in option for option in spec.values())
    assert {name for name, option in spec.items() if option["no_log"]} == {"secret_key", "security_token", "password", "auth_token"}
    assert spec["cloud_profile"]["choices"] == ["huaweicloud", "otc"]
    assert spec["validate_certs"]["type"] == "bool" and spec["timeout"]["type"] == "float"
