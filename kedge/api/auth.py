"""Who is calling, and what they may do: bearer tokens, UI sessions, roles, app scopes.

A request proves who it is with ``Authorization: Bearer <token>`` or, from the web UI, the
session cookie set at sign-in (HttpOnly, SameSite=Strict). A token is either the bootstrap
admin token of the server's configuration (compared in constant time) or one from the state
store's ``TokenStore`` (stored hashed; unknown, revoked and expired ones are refused alike).
A token in the query string is refused outright: URLs end up in logs and browser history.

Roles are ordered ``viewer < operator < admin``; a token may be scoped to app name patterns
(``pay-*``), and then sees only those apps. Failed sign-ins are counted per client address and
answered with 429 past the limit, before the presented token is even looked at.

Not here: which endpoint needs which role (the routes say it with ``require``).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from kedge.api.errors import ApiError
from kedge.store import Store

SESSION_COOKIE = "kedge_session"
QUERY_CREDENTIALS = frozenset({"token", "access_token", "api_key", "apikey", "key", "auth", "bearer"})
MAX_TOKEN = 512
TOKEN_CACHE_TTL = 1.0  # seconds a verified token is trusted without asking the store again
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Clock = Callable[[], float]


class Role(enum.StrEnum):
    viewer = "viewer"
    operator = "operator"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Role.viewer: 0, Role.operator: 1, Role.admin: 2}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``apps`` None: every app; else name patterns it may see."""

    name: str
    role: Role
    apps: tuple[str, ...] | None = None
    bootstrap: bool = False

    @property
    def actor(self) -> str:
        """How the audit log and the controller name this caller."""
        return "admin-token" if self.bootstrap else f"token:{self.name}"

    def can(self, role: str) -> bool:
        return self.role.rank >= Role(role).rank

    def sees(self, app: str) -> bool:
        return self.apps is None or any(fnmatchcase(app, pattern) for pattern in self.apps)


class FailedLogins:
    """Failed sign-ins per client address in a sliding window."""

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float | None:
        """Seconds until ``client`` may try again, or None when it may now."""
        now = self._clock()
        with self._lock:
            times = self._failures.get(client)
            if not times:
                return None
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) < self.limit:
                return None
            return max(times[0] + self.window - now, 1.0)

    def failed(self, client: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) > 10_000:  # forget clients whose failures have all aged out
                self._failures = {c: t for c, t in self._failures.items() if t and t[-1] > now - self.window}
            self._failures.setdefault(client, deque()).append(now)


class Sessions:
    """UI sessions in memory: a random id in the cookie, the token kept server-side only.

    The token is verified again on every request, so revoking it ends its sessions at once.
    Sessions do not survive a restart: signing in again is the remedy.
    """

    def __init__(self, ttl: float, clock: Clock) -> None:
        self.ttl = ttl
        self._clock = clock
        self._sessions: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def create(self, token: str) -> str:
        sid = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._sessions = {k: v for k, v in self._sessions.items() if v[1] > now}
            self._sessions[sid] = (token, now + self.ttl)
        return sid

    def token(self, sid: str) -> str | None:
        with self._lock:
            entry = self._sessions.get(sid)
            if entry is None or entry[1] <= self._clock():
                self._sessions.pop(sid, None)
                return None
            return entry[0]

    def drop(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)


class Authenticator:
    def __init__(
        self,
        store: Store,
        admin_token: str | None,
        failed: FailedLogins,
        sessions: Sessions,
        token_cache_ttl: float = TOKEN_CACHE_TTL,
    ) -> None:
        self.store = store
        self._admin = admin_token.encode() if admin_token else None
        self.failed = failed
        self.sessions = sessions
        # Verified tokens are remembered for a moment so a client polling fifty times a second
        # does not cost fifty store reads. A revocation through this server forgets them at
        # once; one made directly in the state store takes effect within ``TOKEN_CACHE_TTL``.
        self._verified: dict[bytes, tuple[float, datetime | None, Principal]] = {}
        self._ttl = token_cache_ttl
        self._verified_lock = threading.Lock()

    def forget_verified(self) -> None:
        with self._verified_lock:
            self._verified.clear()

    def verify(self, token: str, client: str) -> Principal:
        """The principal of ``token``; 429 while ``client`` is locked out, 401 when it is bad."""
        wait = self.failed.retry_after(client)
        if wait is not None:
            raise ApiError(
                429,
                "rate_limited",
                f"too many failed sign-ins; retry in {int(wait)} s",
                headers={"Retry-After": str(int(wait))},
            )
        principal = self._lookup(token)
        if principal is None:
            self.failed.failed(client)
            raise _unauthorized("the token is unknown, expired or revoked")
        return principal

    def _lookup(self, token: str) -> Principal | None:
        if not token or len(token) > MAX_TOKEN or not token.isascii():
            return None
        if self._admin is not None and hmac.compare_digest(token.encode(), self._admin):
            return Principal("admin", Role.admin, None, bootstrap=True)
        digest = hashlib.sha256(token.encode()).digest()
        now = time.monotonic()
        with self._verified_lock:
            cached = self._verified.get(digest)
        if cached is not None and cached[0] > now and (cached[1] is None or cached[1] > self.store.now()):
            return cached[2]
        record = self.store.verify_token(token)
        if record is None:
            return None
        principal = Principal(record.name, Role(record.role), tuple(record.apps) if record.apps else None)
        if self._ttl > 0:
            with self._verified_lock:
                if len(self._verified) > 10_000:
                    self._verified.clear()
                self._verified[digest] = (now + self._ttl, record.expires_at, principal)
        return principal

    def from_request(self, request: Request) -> Principal:
        """The caller of ``request``: its bearer token, else its session cookie; 401 if neither."""
        refuse_query_credentials(request)
        client = client_address(request)
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise _unauthorized("use 'Authorization: Bearer <token>'")
            return self.verify(token.strip(), client)
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            kept = self.sessions.token(sid)
            if kept is None:
                raise _unauthorized("the session has ended; sign in again")
            if request.method in UNSAFE and not same_origin(request):
                raise ApiError(403, "forbidden", "cross-site request refused")
            return self.verify(kept, client)
        raise _unauthorized("a bearer token is required")

    def viewer(self, request: Request) -> Principal | None:
        """The signed-in UI user, or None (the UI then shows the sign-in page)."""
        sid = request.cookies.get(SESSION_COOKIE)
        token = self.sessions.token(sid) if sid else None
        if token is None:
            return None
        try:
            return self.verify(token, client_address(request))
        except ApiError:
            return None


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def refuse_query_credentials(request: Request) -> None:
    if any(key.lower() in QUERY_CREDENTIALS for key in request.query_params):
        raise ApiError(
            400,
            "invalid_request",
            "credentials in the query string are refused: send 'Authorization: Bearer <token>'",
        )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin == f"{request.url.scheme}://{request.url.netloc}"


_bearer_scheme = HTTPBearer(auto_error=False, description="A token from `kedge token create`.")
_cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="The web UI's session.")


def require(role: Role) -> Any:
    """A route dependency: the caller's principal, or 401/403."""

    def dependency(
        request: Request,
        _bearer: HTTPAuthorizationCredentials | None = Depends(_bearer_scheme),
        _session: str | None = Depends(_cookie_scheme),
    ) -> Principal:
        # The two schemes above only document the credentials in the OpenAPI document.
        auth: Authenticator = request.app.state.auth
        principal = auth.from_request(request)
        if not principal.can(role):
            raise ApiError(
                403, "forbidden", f"this needs the {role.value} role; the token has {principal.role.value}"
            )
        return principal

    return Depends(dependency)


def visible(principal: Principal, app: str) -> None:
    """404 for an app outside the token's scope: its existence is not disclosed."""
    if not principal.sees(app):
        raise ApiError(404, "not_found", f"no app named {app!r}")
