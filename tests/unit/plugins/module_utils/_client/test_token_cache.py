# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The on-disk token cache and password tokens: permissions, keying, refresh, untrusted files, 401 -> re-auth once."""

import json
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.auth import IamClient, PasswordToken, TokenAuth
from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import Secret
from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import AuthenticationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.token_cache import CachedToken, TokenCache, cache_key, default_cache_dir
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import Router, answer, body_of

IAM = "https://iam.eu-de.otc.t-systems.com/v3"
NOW = datetime.now(timezone.utc)


def token(value="tok", hours=24, endpoint="https://ims.eu-de.otc.t-systems.com"):
    return CachedToken(token=value, expires_at=NOW + timedelta(hours=hours), project_id="p1", endpoint=endpoint)


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / "cache" / "tokens")


@pytest.fixture
def warnings():
    return []


@pytest.fixture
def cache(cache_dir, warnings):
    return TokenCache(cache_dir, on_warning=warnings.append)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_store_creates_private_directory_and_file(cache, cache_dir, warnings):
    cache.store("k1", token())
    assert mode(cache_dir) == 0o700 and mode(os.path.join(cache_dir, "k1.json")) == 0o600
    assert os.listdir(cache_dir) == ["k1.json"]  # no temporary file left behind
    loaded = cache.load("k1")
    assert (loaded.token, loaded.project_id, loaded.endpoint) == ("tok", "p1", "https://ims.eu-de.otc.t-systems.com")
    assert abs((loaded.expires_at - token().expires_at).total_seconds()) < 1
    assert warnings == []


def test_token_not_in_repr():
    assert "secret-token" not in repr(CachedToken(token="secret-token", expires_at=NOW, project_id="p"))


def test_key_is_a_hash_of_identity_without_password():
    key = cache_key(IAM, "domain", "alice", "eu-de")
    assert len(key) == 64 and "alice" not in key
    assert key == cache_key(IAM + "/", "domain", "alice", "eu-de")
    assert (
        len(
            {
                key,
                cache_key(IAM, "domain", "bob", "eu-de"),
                cache_key(IAM, "domain", "alice", "eu-nl"),
                cache_key(IAM, "other", "alice", "eu-de"),
                cache_key("https://iam.example/v3", "domain", "alice", "eu-de"),
            }
        )
        == 5
    )


def test_default_directory():
    assert default_cache_dir({"XDG_CACHE_HOME": "/x"}) == "/x/hwcloud.ims/tokens"
    assert default_cache_dir({}, home="/home/u") == "/home/u/.cache/hwcloud.ims/tokens"


def test_freshness_margin():
    assert token(hours=1).is_fresh() and not token(hours=0.2).is_fresh() and not token(hours=-1).is_fresh()


def test_file_with_loose_mode_is_ignored(cache, cache_dir, warnings):
    cache.store("k1", token())
    os.chmod(os.path.join(cache_dir, "k1.json"), 0o644)
    assert cache.load("k1") is None
    assert "mode is 0644, expected 0600" in warnings[0]


def test_directory_with_loose_mode_is_neither_read_nor_written(cache, cache_dir, warnings):
    cache.store("k1", token())
    os.chmod(cache_dir, 0o755)
    assert cache.load("k1") is None
    cache.store("k2", token())
    assert not os.path.exists(os.path.join(cache_dir, "k2.json"))
    assert all("mode is 0755, expected 0700" in warning for warning in warnings) and len(warnings) == 2


def test_foreign_owner_is_ignored(cache, cache_dir, warnings, monkeypatch):
    cache.store("k1", token())
    monkeypatch.setattr(os, "getuid", lambda: os.stat(cache_dir).st_uid + 1)
    assert cache.load("k1") is None
    assert "owned by another user" in warnings[0]


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "{}",
        '{"version": 1, "token": "t", "project_id": "p", "expires_at": "2030-01-01T00:00:00"}',
        '{"version": 2, "token": "t", "project_id": "p", "expires_at": "2030-01-01T00:00:00+00:00"}',
    ],
)
def test_unparsable_entry_is_ignored(cache, cache_dir, warnings, content):
    cache.store("k1", token())
    with open(os.path.join(cache_dir, "k1.json"), "w", encoding="utf-8") as handle:
        handle.write(content)
    assert cache.load("k1") is None
    assert "cannot be read" in warnings[0]


def test_symlinked_entry_is_ignored(cache, cache_dir, warnings, tmp_path):
    cache.store("real", token())
    os.symlink(os.path.join(cache_dir, "real.json"), os.path.join(cache_dir, "k1.json"))
    assert cache.load("k1") is None and warnings


def test_drop_and_missing(cache):
    assert cache.load("absent") is None
    cache.store("k1", token())
    cache.drop("k1")
    cache.drop("k1")
    assert cache.load("k1") is None


def test_unwritable_cache_only_warns(tmp_path, warnings):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    TokenCache(str(blocker / "tokens"), warnings.append).store("k", token())
    assert "could not write the token cache" in warnings[0]


class FakeIam:
    """IAM answering password-token requests with numbered tokens."""

    def __init__(self, router, lifetime_hours=24):
        self.issued = 0
        self.lifetime_hours = lifetime_hours
        router.add("POST", "/v3/auth/tokens", self.issue)

    def issue(self, request, _match):
        body = body_of(request)
        assert body["auth"]["identity"]["password"]["user"] == {"name": "alice", "password": "pw", "domain": {"name": "dom"}}
        self.issued += 1
        expires = (datetime.now(timezone.utc) + timedelta(hours=self.lifetime_hours)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return answer(
            201,
            {
                "token": {
                    "expires_at": expires,
                    "project": {"id": "p1", "name": "eu-de"},
                    "catalog": [{"type": "image", "endpoints": [{"interface": "public", "region_id": "eu-de", "url": "https://ims.x/v2"}]}],
                }
            },
            headers={"X-Subject-Token": "token-%d" % self.issued},
        )


def password_token(session, cache):
    return PasswordToken(IamClient(session, IAM, "eu-de"), "alice", Secret("pw"), "dom", {"name": "eu-de"}, cache)


def test_password_token_is_cached_across_runs(make_session, cache):
    router = Router()
    iam = FakeIam(router)
    first = password_token(make_session(router), cache).issued()
    second = password_token(make_session(router), cache).issued()
    assert iam.issued == 1 and first.token == second.token == "token-1"
    assert second.project_id == "p1" and second.endpoint == "https://ims.x"


def test_token_near_expiry_is_refreshed(make_session, cache):
    router = Router()
    iam = FakeIam(router, lifetime_hours=0.1)  # inside the refresh margin
    source = password_token(make_session(router), cache)
    assert source.token() == "token-1" and source.token() == "token-2" and iam.issued == 2


def test_cache_opt_out(make_session):
    router = Router()
    iam = FakeIam(router)
    password_token(make_session(router), None).token()
    password_token(make_session(router), None).token()
    assert iam.issued == 2


def test_password_not_in_repr_or_cache(make_session, cache, cache_dir):
    router = Router()
    FakeIam(router)
    source = password_token(make_session(router), cache)
    source.token()
    assert "pw" not in repr(source).replace("password", "")
    with open(os.path.join(cache_dir, os.listdir(cache_dir)[0]), encoding="utf-8") as handle:
        stored = json.load(handle)
    assert "pw" not in json.dumps(stored).replace("project_id", "") and "alice" not in json.dumps(stored)


def test_401_drops_the_cached_token_and_reauthenticates_once(make_session, cache):
    router = Router()
    iam = FakeIam(router)
    seen = []

    def images(request, _match):
        seen.append(request.headers["X-Auth-Token"])
        return answer(200, {"images": []}) if request.headers["X-Auth-Token"] == "token-2" else answer(401, {"error": {"code": 401, "message": "expired"}})

    router.add("GET", "/v2/cloudimages", images)
    session = make_session(router)
    password_token(session, cache).token()  # a previous run cached token-1, which the service now refuses
    auth = TokenAuth(password_token(session, cache))
    session.request("GET", "https://ims.x", "/v2/cloudimages", "list images", auth=auth)
    assert seen == ["token-1", "token-2"] and iam.issued == 2
    assert password_token(session, cache).issued().token == "token-2"  # the new token replaced the refused one on disk


def test_401_after_reauthentication_fails(make_session, cache):
    router = Router()
    iam = FakeIam(router)
    router.add("GET", "/v2/cloudimages", lambda request, match: answer(401, {"error": {"code": 401, "message": "no access"}}))
    session = make_session(router)
    with pytest.raises(AuthenticationError):
        session.request("GET", "https://ims.x", "/v2/cloudimages", "list images", auth=TokenAuth(password_token(session, cache)))
    assert iam.issued == 2 and len(router.calls("GET", "/v2/cloudimages")) == 2
