# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An on-disk cache of IAM tokens, so that a playbook does not ask IAM for a token in every task.

A token is a bearer credential, so the cache trusts nothing it did not write itself: it uses a directory of mode
0700 and files of mode 0600, both owned by the current user, written atomically (temporary file + rename). A file
or directory that fails any of these checks, or does not parse, is ignored and never overwritten in place.
Entries are keyed by a SHA-256 of auth URL, domain, user and project: the password never goes into the key.

Internal to this collection, may change in any release.
"""

# Postponed annotations: ansible-test lints module_utils as Python 3.8 code, which rejects "str | None" at run time.
from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

# A token is refreshed when it has less than this left, so that it does not expire during a long task.
REFRESH_MARGIN = timedelta(minutes=15)
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class CachedToken:
    """A project-scoped IAM token and what came with it; the token itself is left out of the repr."""

    token: str = field(repr=False)
    expires_at: datetime
    project_id: str
    endpoint: str | None = None
    # The catalog's endpoints of the other services the client reads (ECS, OBS), by service type.
    peer_endpoints: dict = field(default_factory=dict)

    def is_fresh(self, now=None, margin=REFRESH_MARGIN):
        """Whether the token is still usable for at least ``margin``."""
        return self.expires_at - margin > (now or datetime.now(timezone.utc))


def cache_key(auth_url, domain_name, username, project):
    """The cache entry name for one identity and project scope (a SHA-256 hex digest; no secret goes in)."""
    identity = "\0".join(part or "" for part in (auth_url.rstrip("/"), domain_name, username, project))
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def default_cache_dir(environ=None, home=None):
    """``$XDG_CACHE_HOME/hwcloud.ims/tokens``, else ``~/.cache/hwcloud.ims/tokens``."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or os.path.join(home or os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hwcloud.ims", "tokens")


class TokenCache:
    """Loads and stores CachedToken entries in ``directory``; ``on_warning(text)`` hears why a file was ignored."""

    def __init__(self, directory, on_warning=None):
        self.directory = directory
        self._warn = on_warning or (lambda _text: None)

    def load(self, key):
        """The cached token for ``key``, or None when there is none or it cannot be trusted."""
        path = self._path(key)
        if not os.path.exists(path) or not self._directory_is_private():
            return None
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            self._warn("ignoring token cache file %s: %s" % (path, exc.strerror))
            return None
        with os.fdopen(descriptor, "r", encoding="utf-8") as handle:
            problem = _ownership_problem(os.fstat(handle.fileno()), 0o600)
            if problem:
                self._warn("ignoring token cache file %s: %s" % (path, problem))
                return None
            try:
                return _decode(handle.read())
            except (ValueError, KeyError, TypeError):
                self._warn("ignoring token cache file %s: it cannot be read as a cached token" % path)
                return None

    def store(self, key, token):
        """Write the entry atomically; a cache that cannot be written (or trusted) is skipped with a warning."""
        try:
            self._make_directory()
            if not self._directory_is_private():
                return
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")  # created with mode 0600
            try:
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    handle.write(_encode(token))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self._path(key))
            except BaseException:
                _remove(temporary)
                raise
        except OSError as exc:
            self._warn("could not write the token cache in %s: %s" % (self.directory, exc.strerror or exc))

    def drop(self, key):
        """Forget the entry (after the service refused its token)."""
        _remove(self._path(key))

    def _path(self, key):
        return os.path.join(self.directory, key + ".json")

    def _make_directory(self):
        if not os.path.isdir(self.directory):
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            os.chmod(self.directory, 0o700)  # makedirs' mode is subject to the umask

    def _directory_is_private(self):
        try:
            info = os.lstat(self.directory)
        except OSError:
            return False
        problem = "it is not a directory" if not stat.S_ISDIR(info.st_mode) else _ownership_problem(info, 0o700)
        if problem:
            self._warn("not using the token cache directory %s: %s" % (self.directory, problem))
            return False
        return True


def _ownership_problem(info, expected_mode):
    if info.st_uid != os.getuid():
        return "it is owned by another user"
    mode = stat.S_IMODE(info.st_mode)
    if mode != expected_mode:
        return "its mode is %04o, expected %04o" % (mode, expected_mode)
    return None


def _encode(token):
    return json.dumps(
        {
            "version": _FORMAT_VERSION,
            "token": token.token,
            "expires_at": token.expires_at.astimezone(timezone.utc).isoformat(),
            "project_id": token.project_id,
            "endpoint": token.endpoint,
            "peer_endpoints": token.peer_endpoints,
        }
    )


def _decode(text):
    data = json.loads(text)
    if data["version"] != _FORMAT_VERSION or not data["token"] or not data["project_id"]:
        raise ValueError("unsupported cache entry")
    expires_at = datetime.fromisoformat(data["expires_at"])
    if expires_at.tzinfo is None:
        raise ValueError("expiry without a time zone")
    return CachedToken(
        token=str(data["token"]),
        expires_at=expires_at,
        project_id=str(data["project_id"]),
        endpoint=data.get("endpoint"),
        peer_endpoints=dict(data.get("peer_endpoints") or {}),
    )


def _remove(path):
    """Delete a file if possible; a cache entry that cannot be removed is not worth failing a task for."""
    try:
        os.unlink(path)
    except OSError:
        pass
