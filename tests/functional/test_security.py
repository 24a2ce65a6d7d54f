# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security suite: secrets never leak (screen output at -vvvv, results, error messages, the emulator's request
log and stderr, inventory host variables), the token cache trusts only what it wrote itself, TLS is verified by
default, and the emulator's gateway refuses AK/SK requests altered after signing.

Failures are forced on purpose (pre-flight refusals, a 404, an injected 500, expired tokens, a wrong password),
because error paths are where secrets usually slip out.
"""

import importlib.util
import json
import os
import stat
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from seed import APPS, DATA_DISK, OWNER, WEB_GOLDEN, WEB_SERVER


def _load_signer():
    """The collection's own signer, loaded from its file (it imports nothing of the collection, and the tests run
    from a checkout that is not necessarily importable as ansible_collections.hwcloud.ims)."""
    path = Path(__file__).resolve().parents[2] / "plugins" / "module_utils" / "_client" / "signer.py"
    spec = importlib.util.spec_from_file_location("hwcloud_ims_signer_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SIGNER = _load_signer()
AkSkSigner = SIGNER.AkSkSigner
canonical_query = SIGNER.canonical_query

TOKEN_PATH = "/v3/auth/tokens"
AUTH_KINDS = ("aksk", "password", "token")


def leaks(texts, secrets):
    """The (shortened) secrets that occur in any of the texts."""
    joined = "\n".join(texts)
    return ["%s…" % secret[:4] for secret in secrets if secret and secret in joined]


def token_posts(log):
    return [entry for entry in log if entry["method"] == "POST" and entry["path"] == TOKEN_PATH]


def cache_files(runner):
    directory = runner.cache_dir / "hwcloud.ims" / "tokens"
    return directory, sorted(path for path in directory.glob("*") if path.is_file()) if directory.is_dir() else []


def cached_tokens(runner):
    """The tokens the collection cached (they are secrets too: none may show up anywhere but in the cache)."""
    _directory, files = cache_files(runner)
    tokens = []
    for path in files:
        try:
            tokens.append(json.loads(path.read_text(encoding="utf-8"))["token"])
        except (ValueError, KeyError):
            pass
    return tokens


def expire_tokens_task(control_endpoint):
    """A task that expires every token issued so far, through the emulator's control API."""
    return control_task("expire every token", control_endpoint, "/tokens/expire")


def credential_options(runner, auth, token=None):
    """The credentials as module options (module_defaults), so -vvvv shows the invocation's masked arguments."""
    info = runner.emulator.info
    entry = info.project("eu-de")
    options = {"region": info.region, "auth_url": info.iam_endpoint}
    if auth == "aksk":
        options.update(access_key=entry["ak"], secret_key=entry["sk"], project_id=entry["id"], endpoint=info.endpoint)
    elif auth == "password":
        options.update(username=entry["username"], password=entry["password"], domain_name=entry["domain"], project_name=entry["name"])
    else:
        options.update(auth_token=token, project_id=entry["id"], endpoint=info.endpoint)
    return options


def control_task(title, control_endpoint, path, body=None):
    """A task calling the emulator's control API (to change the world between two tasks of one play)."""
    args = {"url": control_endpoint + path, "method": "POST", "validate_certs": False, "body_format": "json"}
    if body is not None:
        args["body"] = body
    return {"name": title, "ansible.builtin.uri": args}


def failing_tasks(control_endpoint):
    """Tasks that fail in the ways we can force: pre-flight refusals, a missing image, an injected 500."""

    def may_fail(title, module, **args):
        return {"name": title, module: args, "ignore_errors": True}

    return [
        {"name": "works", "hwcloud.ims.ims_image_info": {"name": "web-golden-1"}},
        may_fail("bad image name", "hwcloud.ims.ims_image", name=" bad*name ", instance_id=WEB_SERVER),
        may_fail("missing image", "hwcloud.ims.ims_image_tag", image="no-such-image", tags={"a": "b"}),
        may_fail("missing option", "hwcloud.ims.ims_image_member", projects=[APPS]),
        control_task(
            "inject a 500",
            control_endpoint,
            "/faults",
            {"method": "GET", "path": "/v2/cloudimages", "action": "status", "status": 500, "body": {"error": {"code": "IMG.0061", "message": "forced"}}},
        ),
        may_fail("forced 500", "hwcloud.ims.ims_image_info", name="forced-500", retries=0),  # a read would ride out one 500
        may_fail("tag after the 500", "hwcloud.ims.ims_image_tag", image=WEB_GOLDEN, tags={"seen": "yes"}),
    ]


@pytest.mark.parametrize("auth", AUTH_KINDS)
def test_no_secret_in_output_logs_or_results_with_failures_forced(ansible, control, emulator, secrets, auth):
    token = ansible.issue_token() if auth == "token" else None
    tasks = failing_tasks(emulator.info.control_endpoint) + [
        expire_tokens_task(emulator.info.control_endpoint),
        {"name": "after expiry", "hwcloud.ims.ims_image_info": {"name": "web-golden-1"}, "ignore_errors": True},
    ]
    env = {"HW_AUTH_TOKEN": token} if token else None
    play = ansible.play(
        [{"name": "module defaults", "block": tasks, "module_defaults": {"group/hwcloud.ims.ims": credential_options(ansible, auth, token)}}],
        auth=auth,
        env=env,
        verbosity=4,
    )
    statuses = {task["name"]: task["status"] for task in play.tasks}
    assert statuses["works"] == "ok", play.stdout[-3000:]
    for name in ("bad image name", "missing image", "missing option", "forced 500"):
        assert statuses[name] == "failed", (name, play.stdout[-3000:])
    assert any(entry["status"] == 500 for entry in control.requests()), "the forced 500 was never met"
    assert "500" in play.task("forced 500")["result"]["msg"] or "IMG.0061" in play.task("forced 500")["result"]["msg"]
    if auth == "token":
        assert statuses["after expiry"] == "failed"  # a given token cannot be renewed
    else:
        assert statuses["after expiry"] == "ok", play.task("after expiry")["result"]

    all_secrets = list(secrets) + cached_tokens(ansible) + ([token] if token else [])
    messages = [json.dumps(task["result"]) for task in play.tasks]
    log = json.dumps(control.requests())
    assert not leaks([play.stdout, play.stderr], all_secrets), "a secret is on the screen"
    assert not leaks(messages, all_secrets), "a secret is in a task result"
    assert not leaks([log], all_secrets), "a secret is in the emulator's request log"
    assert not leaks([emulator.stderr_text()], all_secrets), "a secret is in the emulator's stderr"
    # The failures explain themselves.
    assert "name" in play.task("bad image name")["result"]["msg"]
    assert "no-such-image" in play.task("missing image")["result"]["msg"]
    assert "image" in play.task("missing option")["result"]["msg"]


def test_wrong_password_is_not_echoed(ansible, control, emulator, secrets):
    wrong = "Wr0ng-Passw0rd-%s" % os.getpid()
    play = ansible.play(
        [{"name": "the task", "hwcloud.ims.ims_image_info": {"name": "x"}, "ignore_errors": True}],
        auth="password",
        env={"HW_USER_PASSWORD": wrong},
        verbosity=4,
    )
    result = play.task("the task")
    assert result["status"] == "failed"
    assert "401" in result["result"]["msg"] or "authentic" in result["result"]["msg"].lower(), result["result"]["msg"]
    texts = [play.stdout, play.stderr, json.dumps(play.tasks), json.dumps(control.requests()), emulator.stderr_text()]
    assert not leaks(texts, [wrong] + list(secrets))
    assert not cached_tokens(ansible)


def write_inventory_source(runner, auth, token=None):
    runner.workdir.mkdir(parents=True, exist_ok=True)
    path = runner.workdir / "images.ims.yml"
    source = dict(plugin="hwcloud.ims.ims", filters={"imagetype": "private"}, **credential_options(runner, auth, token))
    path.write_text(yaml.safe_dump(source), encoding="utf-8")
    return path


@pytest.mark.parametrize("auth", AUTH_KINDS)
def test_inventory_hostvars_hold_no_secret(ansible, control, emulator, secrets, auth):
    token = ansible.issue_token() if auth == "token" else None
    source = write_inventory_source(ansible, auth, token)
    env = {"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true"}
    if token:
        env["HW_AUTH_TOKEN"] = token
    done = ansible.run("ansible-inventory", ["-i", str(source), "--list", "-vvvv"], auth=auth, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    # -vvvv prints its own lines before the JSON document, which starts on a line of its own.
    document = done.stdout[done.stdout.index("\n{") + 1 :] if not done.stdout.startswith("{") else done.stdout
    hostvars = json.loads(document)["_meta"]["hostvars"]
    assert "data-disk-1" in hostvars, sorted(hostvars)
    all_secrets = list(secrets) + cached_tokens(ansible) + ([token] if token else [])
    assert not leaks([json.dumps(hostvars)], all_secrets), "a secret is in the host variables"
    assert not leaks([done.stdout, done.stderr], all_secrets)
    assert not leaks([json.dumps(control.requests()), emulator.stderr_text()], all_secrets)


# -- the token cache ------------------------------------------------------------------------------------------------

INFO_TASK = {"name": "the task", "hwcloud.ims.ims_image_info": {"name": "web-golden-1"}}


def run_with_password(ansible, control):
    """One info task with password auth; returns (task status, number of token requests it made)."""
    control.clear_requests()
    play = ansible.play([INFO_TASK], auth="password")
    return play.task("the task"), len(token_posts(control.requests()))


def test_token_cache_is_private_and_keyed_without_secrets(ansible, control, secrets):
    task, posts = run_with_password(ansible, control)
    assert task["status"] == "ok" and posts == 1
    directory, files = cache_files(ansible)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert files, "nothing was cached"
    entry = ansible.emulator.info.project("eu-de")
    identity = [entry["username"], entry["domain"], entry["name"], entry["id"]]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert not leaks([path.name], list(secrets) + identity), path.name
        data = json.loads(path.read_text(encoding="utf-8"))
        assert not leaks([json.dumps(data)], secrets)
        assert not [key for key in data if leaks([key], secrets)]
    # The second run trusts the cache: no token request.
    task, posts = run_with_password(ansible, control)
    assert task["status"] == "ok" and posts == 0


@pytest.mark.parametrize("damage", ["tampered", "garbage", "file 0644", "directory 0755", "foreign owner"])
def test_untrusted_cache_is_ignored(ansible, control, damage):
    task, posts = run_with_password(ansible, control)
    assert task["status"] == "ok" and posts == 1
    directory, [path] = cache_files(ansible)
    if damage == "tampered":
        data = json.loads(path.read_text(encoding="utf-8"))
        data["token"] = data["token"][:-4] + ("AAAA" if not data["token"].endswith("AAAA") else "BBBB")
        path.write_text(json.dumps(data), encoding="utf-8")
    elif damage == "garbage":
        path.write_text('{"version": 1, "token": ', encoding="utf-8")
    elif damage == "file 0644":
        path.chmod(0o644)
    elif damage == "directory 0755":
        directory.chmod(0o755)
    else:
        if os.getuid() != 0:
            pytest.skip("changing a file owner needs root")
        os.chown(path, 65534, 65534)
    task, posts = run_with_password(ansible, control)
    assert task["status"] == "ok", task["result"]
    assert posts >= 1, "the untrusted cache entry was used"


# -- TLS ------------------------------------------------------------------------------------------------------------


def test_tls_default_fails_clearly_without_the_ca(tls_ansible, control):
    play = tls_ansible.play([dict(INFO_TASK, ignore_errors=True)], env={"OS_CACERT": ""})
    task = play.task("the task")
    assert task["status"] == "failed"
    message = task["result"]["msg"]
    assert "certificate" in message.lower() and "ca_path" in message, message
    assert "Traceback" not in task["result"].get("module_stderr", "")


def test_tls_works_with_ca_path(tls_ansible, tls_emulator):
    task = dict(INFO_TASK, **{"hwcloud.ims.ims_image_info": {"name": "web-golden-1", "ca_path": tls_emulator.info.ca_file}})
    play = tls_ansible.play([task], env={"OS_CACERT": ""})
    assert play.task("the task")["status"] == "ok", play.task("the task")["result"]
    assert play.task("the task")["result"]["images"][0]["id"] == WEB_GOLDEN


def test_tls_validate_certs_false_works(tls_ansible):
    task = dict(INFO_TASK, **{"hwcloud.ims.ims_image_info": {"name": "web-golden-1", "validate_certs": False}})
    play = tls_ansible.play([task], env={"OS_CACERT": ""})
    result = play.task("the task")["result"]
    assert play.task("the task")["status"] == "ok", result
    assert result["images"][0]["id"] == WEB_GOLDEN


def test_tls_validate_certs_false_warns(tls_ansible):
    task = dict(INFO_TASK, **{"hwcloud.ims.ims_image_info": {"name": "web-golden-1", "validate_certs": False}})
    play = tls_ansible.play([task], env={"OS_CACERT": ""})
    warnings = play.task("the task")["result"].get("warnings", [])
    assert any("certificate" in warning.lower() or "validate_certs" in warning for warning in warnings), warnings


def test_tls_validate_certs_false_warns_in_the_lookup_and_the_inventory(tls_ansible):
    lookup = {"name": "the task", "ansible.builtin.debug": {"msg": "{{ lookup('hwcloud.ims.ims_image', name='web-golden-1', validate_certs=false) }}"}}
    play = tls_ansible.play([lookup], env={"OS_CACERT": ""})
    assert play.task("the task")["status"] == "ok", play.task("the task")["result"]
    assert "validate_certs is false: TLS certificates are not verified" in play.stdout + play.stderr
    source = write_inventory_source(tls_ansible, "aksk")
    source.write_text(yaml.safe_dump(dict(yaml.safe_load(source.read_text(encoding="utf-8")), validate_certs=False)), encoding="utf-8")
    done = tls_ansible.run("ansible-inventory", ["-i", str(source), "--list"], env={"OS_CACERT": "", "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "validate_certs is false: TLS certificates are not verified" in done.stderr


# -- AK/SK signatures -----------------------------------------------------------------------------------------------


class Signed:
    """Builds AK/SK-signed requests with the collection's signer, to be sent (possibly altered) with httpx."""

    def __init__(self, emulator):
        entry = emulator.info.project("eu-de")
        self.base = emulator.info.endpoint
        self.signer = AkSkSigner(entry["ak"], entry["sk"])

    def build(self, method, path, params=None, body=None):
        query = canonical_query(params)
        headers = {"X-Project-Id": OWNER}
        content = None
        if body is not None:
            content = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        signed = self.signer.sign(method, urlsplit(self.base).netloc, path, query, headers, content)
        return {"method": method, "path": path, "query": query, "headers": signed, "content": content}

    def send(self, request):
        url = self.base + request["path"] + ("?" + request["query"] if request["query"] else "")
        return httpx.request(request["method"], url, headers=request["headers"], content=request["content"])


def alter(request, what):
    altered = dict(request, headers=dict(request["headers"]))
    if what == "body":
        altered["content"] = request["content"].replace(b'"signed"', b'"forged"')
    elif what == "path":
        altered["path"] = request["path"].replace(WEB_GOLDEN, DATA_DISK)
    elif what == "query":
        altered["query"] = request["query"] + "&x=1" if request["query"] else "x=1"
    elif what == "date":
        date = datetime.strptime(request["headers"]["X-Sdk-Date"], "%Y%m%dT%H%M%SZ") - timedelta(seconds=60)
        altered["headers"]["X-Sdk-Date"] = date.strftime("%Y%m%dT%H%M%SZ")
    elif what == "security token":
        altered["headers"]["X-Security-Token"] = request["headers"]["X-Security-Token"][:-2] + "zz"
    return altered


def tag_batch(signed):
    return signed.build("POST", "/v2/%s/images/%s/tags/action" % (OWNER, WEB_GOLDEN), body={"action": "create", "tags": [{"key": "probe", "value": "signed"}]})


def image_tags(control, image_id):
    for image in control.world()["projects"][OWNER]["images"]:
        if image["attributes"]["id"] == image_id:
            return image["tags"]
    raise AssertionError(image_id)


def test_signed_requests_are_accepted_unaltered(emulator, control):
    signed = Signed(emulator)
    assert signed.send(signed.build("GET", "/v2/cloudimages", {"name": "web-golden-1", "limit": 1})).status_code == 200
    assert signed.send(tag_batch(signed)).status_code == 204
    assert image_tags(control, WEB_GOLDEN).get("probe") == "signed"


@pytest.mark.parametrize("what", ["body", "path", "query", "date"])
def test_altered_signed_requests_are_refused(emulator, control, what):
    signed = Signed(emulator)
    if what in ("body", "path"):
        request = tag_batch(signed)
    else:
        request = signed.build("GET", "/v2/cloudimages", {"name": "web-golden-1", "limit": 1})
    before = control.world()["projects"][OWNER]["images"]
    response = signed.send(alter(request, what))
    assert response.status_code == 401, response.text
    assert response.json()["error_code"] == "APIGW.0301"
    assert control.world()["projects"][OWNER]["images"] == before  # nothing was applied


def test_altered_security_token_is_refused(emulator):
    credential = emulator.info.temporary_credential("eu-de")
    signer = AkSkSigner(credential["ak"], credential["sk"])
    netloc = urlsplit(emulator.info.endpoint).netloc
    query = canonical_query({"limit": 1})
    headers = signer.sign("GET", netloc, "/v2/cloudimages", query, {"X-Project-Id": OWNER, "X-Security-Token": credential["security_token"]})
    url = emulator.info.endpoint + "/v2/cloudimages?" + query
    assert httpx.get(url, headers=headers).status_code == 200
    request = {"headers": headers}
    assert httpx.get(url, headers=alter(request, "security token")["headers"]).status_code == 401
