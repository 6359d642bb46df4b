"""``/api/v1/tokens`` and ``/api/v1/audit``: who may call the API, and what was done.

Tokens are managed by an admin whose own token is not scoped to apps (a scoped admin could
otherwise mint itself an unscoped token). The clear token is in the creation response only;
the store keeps its hash. Every token change is appended to the audit log.

The audit log is readable by viewers; a scoped token sees only the entries of its apps.
Verifying the whole chain replays every entry, so it needs ``admin``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from kedge.api import models
from kedge.api.auth import Principal, Role, require
from kedge.api.errors import ApiError
from kedge.api.views import public
from kedge.store import Store

router = APIRouter(prefix="/api/v1", responses=models.ERRORS)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``45m``, ``90s``, ``2w`` as a timedelta; ValueError otherwise."""
    match = re.fullmatch(r"([1-9][0-9]{0,3})([smhdw])", text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 30d, 12h, 45m or 90s")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _unscoped_admin(who: Principal) -> None:
    if who.apps is not None:
        raise ApiError(403, "forbidden", "managing tokens needs an admin token that is not scoped to apps")


def token_view(record: Any) -> dict[str, Any]:
    view: dict[str, Any] = public(
        {
            "name": record.name,
            "role": record.role,
            "apps": list(record.apps) if record.apps else None,
            "createdAt": record.created_at,
            "expiresAt": record.expires_at,
            "revokedAt": record.revoked_at,
            "lastUsedAt": record.last_used_at,
        }
    )
    return view


@router.post(
    "/tokens",
    response_model=models.TokenCreated,
    status_code=201,
    tags=["tokens"],
    summary="Create a token (shown once)",
)
def create_token(body: models.TokenCreate, request: Request, who: Principal = require(Role.admin)) -> Any:
    _unscoped_admin(who)
    store = _store(request)
    try:
        expires_at = datetime.now(UTC) + parse_duration(body.expiresIn) if body.expiresIn else None
    except ValueError as err:
        raise ApiError(
            422, "invalid_request", str(err), [{"field": "body.expiresIn", "message": str(err)}]
        ) from None
    # ConflictError (409) when a token in force has the name
    token = store.create_token(body.name, body.role, expires_at=expires_at, apps=body.apps)
    record = next(t for t in store.list_tokens() if t.name == body.name and t.revoked_at is None)
    view = token_view(record)
    store.audit(
        who.actor, "token.create", details={k: view[k] for k in ("name", "role", "apps", "expiresAt")}
    )
    return {**view, "token": token}


@router.get("/tokens", response_model=list[models.Token], tags=["tokens"], summary="List tokens")
def list_tokens(request: Request, who: Principal = require(Role.admin)) -> Any:
    _unscoped_admin(who)
    return [token_view(t) for t in _store(request).list_tokens()]


@router.delete("/tokens/{name}", status_code=204, tags=["tokens"], summary="Revoke a token")
def revoke_token(
    name: Annotated[str, Path(min_length=1, max_length=63)],
    request: Request,
    who: Principal = require(Role.admin),
) -> Response:
    _unscoped_admin(who)
    store = _store(request)
    if not store.revoke_token(name):
        raise ApiError(404, "not_found", f"no token named {name!r} in force")
    request.app.state.auth.forget_verified()
    store.audit(who.actor, "token.revoke", details={"name": name})
    return Response(status_code=204)


@router.get(
    "/audit", response_model=list[models.AuditEntry], tags=["audit"], summary="Audit log, newest first"
)
def audit(
    request: Request,
    who: Principal = require(Role.viewer),
    app: Annotated[str | None, Query(min_length=1, max_length=253)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[
        int | None, Query(ge=0, le=models.MAX_ID, description="Only entries with a greater sequence number.")
    ] = None,
) -> Any:
    if app is not None and not who.sees(app):
        return []
    entries = _store(request).audit_entries(app=app, limit=limit, after_seq=after)
    return [
        public(e.to_json()) for e in entries if who.apps is None or (e.app is not None and who.sees(e.app))
    ]


@router.get(
    "/audit/verify",
    response_model=models.AuditVerification,
    tags=["audit"],
    summary="Replay the chain and check checkpoint signatures",
)
def verify(request: Request, who: Principal = require(Role.admin)) -> Any:
    result = _store(request).verify_audit(list(request.app.state.audit_keys))
    return public(result.to_json())
