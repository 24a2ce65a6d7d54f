# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulated IAM's state: domains, users, projects and access keys from the seed, and the tokens issued since.

It answers two questions for the rest of the emulator: "who is this?" (a password, a token, a signed request) and
"may they use that project?". It knows nothing about HTTP.
"""

import hmac
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from . import signing


class IdentityError(Exception):
    """The credentials are wrong, unknown or not good enough; the message is safe to show (no secrets)."""


class TokenExpired(IdentityError):
    """The token was valid once but has expired."""


@dataclass(frozen=True)
class Domain:
    id: str
    name: str


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    domain: Domain
    region: str


@dataclass(frozen=True)
class Agency:
    """An IAM agency: a cloud service (``trust_domain_name``) may act on the account's behalf through it."""

    id: str
    name: str
    domain: Domain
    trust_domain_name: str
    description: str
    duration: str


@dataclass(frozen=True)
class User:
    id: str
    name: str
    password: str
    domain: Domain
    project_ids: tuple[str, ...]


@dataclass(frozen=True)
class AccessKey:
    ak: str
    sk: str
    security_token: str | None
    user: User

    @property
    def temporary(self):
        return self.security_token is not None


@dataclass(frozen=True)
class Token:
    """An issued token. Exactly one of ``project`` and ``domain_scope`` is set, or neither (unscoped)."""

    user: User
    methods: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    project: Project | None = None
    domain_scope: Domain | None = None


@dataclass(frozen=True)
class AuthContext:
    """Who made an IMS request and for which project: ``request.state.auth`` in the routes."""

    kind: str  # "token" or "aksk"
    user_id: str
    user_name: str
    domain_id: str
    project_id: str
    project_name: str

    @classmethod
    def of(cls, kind, user, project):
        return cls(kind=kind, user_id=user.id, user_name=user.name, domain_id=user.domain.id, project_id=project.id, project_name=project.name)


def utcnow():
    return datetime.now(timezone.utc)


class IdentityStore:
    """Users and keys are fixed by the seed; tokens and the token lifetime change at run time."""

    def __init__(self, seed, token_lifetime):
        self.region = seed.region
        self.regions = [region.name for region in seed.all_regions()]
        self.domains = []
        self.projects = {}
        self.agencies = []
        self.users = []
        self.access_keys = {}
        for seed_domain in seed.domains:
            domain = Domain(id=seed_domain.id, name=seed_domain.name)
            self.domains.append(domain)
            self.agencies += [
                Agency(agency.id, agency.name, domain, agency.trust_domain_name, agency.description, agency.duration) for agency in seed_domain.agencies
            ]
            by_name = {}
            for seed_project in seed_domain.projects:
                project = Project(id=seed_project.id, name=seed_project.name, domain=domain, region=seed.region_of(seed_project))
                self.projects[project.id] = by_name[project.name] = project
            for seed_user in seed_domain.users:
                unknown = [name for name in seed_user.projects if name not in by_name]
                if unknown:
                    raise ValueError("seed: user %s of domain %s refers to unknown projects %s" % (seed_user.name, domain.name, unknown))
                user = User(
                    id=seed_user.id,
                    name=seed_user.name,
                    password=seed_user.password,
                    domain=domain,
                    project_ids=tuple(by_name[name].id for name in seed_user.projects),
                )
                self.users.append(user)
                for key in seed_user.access_keys:
                    if key.ak in self.access_keys:
                        raise ValueError("seed: access key %s is given twice" % key.ak)
                    self.access_keys[key.ak] = AccessKey(ak=key.ak, sk=key.sk, security_token=key.security_token, user=user)
        # Per region, the base URLs of its ECS and OBS endpoints by catalog service type ("ecs", "obs"), once the
        # server listens for them.
        self.peer_endpoints = {}
        self.initial_token_lifetime = token_lifetime
        self.token_lifetime = token_lifetime
        self._tokens = {}
        self._lock = threading.Lock()

    def reset(self):
        """Forget every issued token and restore the initial token lifetime."""
        with self._lock:
            self._tokens.clear()
            self.token_lifetime = self.initial_token_lifetime

    # --- lookups -------------------------------------------------------------------------------------------------

    def find_domain(self, domain_id=None, name=None):
        for domain in self.domains:
            if (domain_id is not None and domain.id == domain_id) or (domain_id is None and domain.name == name):
                return domain
        return None

    def find_user(self, domain, user_id=None, name=None):
        """A user by id (globally unique), or by name within ``domain``."""
        for user in self.users:
            if user_id is not None and user.id == user_id:
                return user
            if user_id is None and user.domain == domain and user.name == name:
                return user
        return None

    def find_project(self, domain, project_id=None, name=None):
        """A project by id, or by name within ``domain``."""
        if project_id is not None:
            return self.projects.get(project_id)
        return next((p for p in self.projects.values() if p.domain == domain and p.name == name), None)

    def projects_of(self, user):
        return [self.projects[project_id] for project_id in user.project_ids]

    def domain_projects(self, domain):
        return [project for project in self.projects.values() if project.domain == domain]

    def find_agency(self, domain, name):
        """The agency of ``domain`` called ``name``, or None."""
        return next((agency for agency in self.agencies if agency.domain == domain and agency.name == name), None)

    @staticmethod
    def may_access(user, project):
        return project is not None and project.id in user.project_ids

    # --- passwords and tokens ------------------------------------------------------------------------------------

    @staticmethod
    def check_password(user, password):
        return user is not None and hmac.compare_digest(user.password.encode("utf-8"), password.encode("utf-8"))

    def issue_token(self, user, methods, *, project=None, domain_scope=None, not_after=None):
        """Issue a token; ``not_after`` caps its expiry (a re-scoped token never outlives the original)."""
        now = utcnow()
        expires_at = now + timedelta(seconds=self.token_lifetime)
        if not_after is not None:
            expires_at = min(expires_at, not_after)
        # Real IAM tokens are long base64 blobs starting with "MII"; a long value also exercises header size limits.
        value = "MII" + secrets.token_urlsafe(1200)
        token = Token(user=user, methods=tuple(methods), issued_at=now, expires_at=expires_at, project=project, domain_scope=domain_scope)
        with self._lock:
            self._tokens[value] = token
        return value, token

    def token(self, value):
        """The valid token with this value; raise IdentityError (TokenExpired when it has expired)."""
        with self._lock:
            token = self._tokens.get(value)
        if token is None:
            raise IdentityError("decrypt token fail")
        if token.expires_at <= utcnow():
            raise TokenExpired("token expires, expires_at: %s" % token.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return token

    def expire_tokens(self):
        """Make every token issued so far expired; return how many there were."""
        now = utcnow()
        with self._lock:
            for value, token in self._tokens.items():
                if token.expires_at > now:
                    self._tokens[value] = replace(token, expires_at=now)
            return len(self._tokens)

    # --- signed requests -----------------------------------------------------------------------------------------

    def authenticate_signed(self, request):
        """The access key that validly signed ``request`` (a signing.ReceivedRequest); raise IdentityError if none."""
        try:
            authorization = signing.parse_authorization(request.headers.get("authorization", ""))
            key = self.access_keys.get(authorization.access_key)
            if key is None:
                raise IdentityError("Get secretKey failed, err:ak not exist")
            self._check_security_token(key, request.headers.get("x-security-token"))
            signing.verify(request, authorization, key.sk, utcnow())
        except signing.SignatureError as exc:
            raise IdentityError(str(exc)) from None
        return key

    @staticmethod
    def _check_security_token(key, sent):
        """A temporary key is only valid with its own security token; a permanent key takes none."""
        if not key.temporary:
            if sent is not None:
                raise IdentityError("a security token was sent with a permanent access key")
            return
        if sent is None:
            raise IdentityError("the temporary access key needs its X-Security-Token")
        if not hmac.compare_digest(sent.encode("utf-8"), key.security_token.encode("utf-8")):
            raise IdentityError("the security token does not match the temporary access key")

    # --- what the ready line advertises --------------------------------------------------------------------------

    def advertised_credentials(self, region):
        """Per project of ``region``: a user that may use it with one of its permanent keys, and a temporary key if
        there is one."""
        projects, temporary = [], []
        for project in (project for project in self.projects.values() if project.region == region):
            users = [user for user in self.users if self.may_access(user, project)]
            if not users:
                continue
            keys = [key for key in self.access_keys.values() if key.user in users]
            permanent = next((key for key in keys if not key.temporary), None)
            user = permanent.user if permanent else users[0]
            projects.append(
                {
                    "name": project.name,
                    "id": project.id,
                    "domain": project.domain.name,
                    "username": user.name,
                    "password": user.password,
                    "ak": permanent.ak if permanent else None,
                    "sk": permanent.sk if permanent else None,
                }
            )
            temp = next((key for key in keys if key.temporary), None)
            if temp:
                temporary.append({"project": project.name, "project_id": project.id, "ak": temp.ak, "sk": temp.sk, "security_token": temp.security_token})
        return projects, temporary
