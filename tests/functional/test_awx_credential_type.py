# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX credential type of docs/awx: its injectors set only variables the collection reads, from defined inputs,
secrets are marked secret, and a credential rendered the way AWX renders it authenticates a module run."""

import ast
from pathlib import Path

import jinja2
import jinja2.meta
import jinja2.sandbox
import pytest
import yaml

COLLECTION_ROOT = Path(__file__).resolve().parents[2]
AWX_DIR = COLLECTION_ROOT / "docs" / "awx"
INPUTS = yaml.safe_load((AWX_DIR / "credential_type_inputs.yml").read_text(encoding="utf-8"))
INJECTORS = yaml.safe_load((AWX_DIR / "credential_type_injectors.yml").read_text(encoding="utf-8"))
FIELDS = {field["id"]: field for field in INPUTS["fields"]}
QUOTA_TASK = [{"name": "quota", "hwcloud.ims.ims_quota_info": {}}]


def collection_env_variables():
    """{variable: is it a secret} for every environment variable of SETTINGS in module_utils/_client/config.py.

    Read from the source: this test runs outside the collection loader, which importing module_utils needs."""
    tree = ast.parse((COLLECTION_ROOT / "plugins" / "module_utils" / "_client" / "config.py").read_text(encoding="utf-8"))
    variables = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Setting":
            keywords = {keyword.arg: ast.literal_eval(keyword.value) for keyword in node.keywords if keyword.arg in ("env", "secret")}
            variables.update(dict.fromkeys(keywords.get("env", ()), keywords.get("secret", False)))
    return variables


ENV_SECRET = collection_env_variables()


def referenced_inputs(template):
    """The names a Jinja2 template reads (AWX offers the inputs and its own ``tower`` namespace)."""
    return jinja2.meta.find_undeclared_variables(jinja2.Environment().parse(template))


def inject(inputs, workdir):
    """The environment AWX gives a job using a credential with these inputs: booleans left out are false, strings left
    out render empty, the file template is written to a private file whose path is ``tower.filename``."""
    namespace = {field_id: False for field_id, field in FIELDS.items() if field["type"] == "boolean"}
    namespace.update(inputs)
    sandbox = jinja2.sandbox.ImmutableSandboxedEnvironment()
    ca_file = workdir / "awx-credential-file"
    ca_file.write_text(sandbox.from_string(INJECTORS["file"]["template"]).render(**namespace), encoding="utf-8")
    ca_file.chmod(0o600)
    namespace["tower"] = {"filename": str(ca_file)}
    return {variable: sandbox.from_string(template).render(**namespace) for variable, template in INJECTORS["env"].items()}


def test_inputs_are_well_formed():
    assert len(FIELDS) == len(INPUTS["fields"]), "duplicate input ids"
    for field in INPUTS["fields"]:
        assert set(field) <= {"id", "type", "label", "help_text", "secret", "multiline"}, field
        assert field["type"] in ("string", "boolean") and field["label"], field
    assert set(INPUTS["required"]) <= set(FIELDS)


def test_injectors_set_only_variables_the_collection_reads():
    assert ENV_SECRET["HW_SECRET_KEY"] is True and ENV_SECRET["HW_REGION_NAME"] is False, "SETTINGS not found in config.py"
    unknown = set(INJECTORS["env"]) - set(ENV_SECRET)
    assert not unknown, "hwcloud.ims reads none of %s" % sorted(unknown)
    assert set(INJECTORS) == {"env", "file"}


def test_injectors_reference_only_defined_inputs():
    templates = list(INJECTORS["env"].values()) + list(INJECTORS["file"].values())
    for template in templates:
        assert referenced_inputs(template) <= set(FIELDS) | {"tower"}, template
    used = set().union(*(referenced_inputs(template) for template in templates))
    assert used - {"tower"} == set(FIELDS), "inputs never injected: %s" % sorted(set(FIELDS) - used)


def test_secrets_are_secret():
    secret_inputs = set()
    for variable, template in INJECTORS["env"].items():
        if ENV_SECRET[variable]:
            secret_inputs |= referenced_inputs(template)
    assert secret_inputs == {"secret_key", "security_token", "password"}
    assert {field_id for field_id, field in FIELDS.items() if field.get("secret")} == secret_inputs


def test_an_access_key_credential_runs_a_module(ansible, emulator, tmp_path):
    info = emulator.info
    project = info.project("eu-de")
    env = inject(
        {
            "region": info.region,
            "project_id": project["id"],
            "access_key": project["ak"],
            "secret_key": project["sk"],
            "auth_url": info.iam_endpoint,
            "ims_endpoint": info.endpoint,
        },
        tmp_path,
    )
    assert env["OS_CACERT"] == "" and env["HW_USER_PASSWORD"] == ""
    # Every variable the test harness would set is set by the credential, so the run sees the credential alone.
    assert set(ansible.credentials_env(auth="aksk")) <= set(env)

    result = ansible.play(QUOTA_TASK, auth="aksk", env=env)
    assert result.rc == 0, result.stdout
    assert result.task("quota")["result"]["quota"]["used"] == 6


@pytest.mark.parametrize("project_name", ["eu-de", "eu-de_apps"])
def test_a_password_credential_with_a_ca_bundle_runs_a_module(tls_ansible, tls_emulator, tmp_path, project_name):
    info = tls_emulator.info
    project = info.project(project_name)
    ca_bundle = Path(info.ca_file).read_text(encoding="utf-8")
    env = inject(
        {
            "region": info.region,
            "project_name": project["name"],
            "username": project["username"],
            "password": project["password"],
            "domain_name": project["domain"],
            "auth_url": info.iam_endpoint,
            "ca_bundle": ca_bundle,
        },
        tmp_path,
    )
    assert env["OS_CACERT"] != info.ca_file and Path(env["OS_CACERT"]).read_text(encoding="utf-8") == ca_bundle
    assert set(tls_ansible.credentials_env(project_name, auth="password")) <= set(env)

    result = tls_ansible.play(QUOTA_TASK, project=project_name, auth="password", env=env)
    assert result.rc == 0, result.stdout
    assert "quota" in result.task("quota")["result"]
