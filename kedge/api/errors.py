"""Errors as JSON with one stable shape: ``{"code", "message", "details"}``.

Every failure the API reports goes through here, whether it starts as an ``ApiError`` raised
by a route, a request that fails validation (422, ``details`` names each field), a Kedge error
from the control plane, or a bug. The bug case answers a fixed message: the exception's text
could hold anything, secrets included, so it goes to the log by type only.

    code                 status  when
    unauthorized         401     no credentials, or unknown, expired, revoked or forged ones
    forbidden            403     the role is too low, or the webhook is not configured
    not_found            404     no such app, operation, token or route
    invalid_request      400/422 malformed or invalid input; 422 lists the fields
    invalid_config       422     the control plane refused an app spec (diagnostics listed)
    conflict             409     the identity or name is taken
    payload_too_large    413     the body passed the size cap
    rate_limited         429     too many failed sign-ins from this client
    unavailable          503     a temporary failure; retry later
    internal             500     a bug; the log has the exception type
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kedge.controller.protocol import NotFound
from kedge.model import ConfigError, ConflictError, KedgeError, TemporaryError
from kedge.model.values import redact

log = logging.getLogger("kedge.api")

_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    """A failure to report to the client as it is."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})


def problem(
    status: int, code: str, message: str, details: Any = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"code": code, "message": message, "details": redact(details)}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def field_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors as ``[{field, message, type}]``; the rejected input is left out."""
    out = []
    for e in errors:
        loc = [str(part) for part in e.get("loc", ())]
        out.append({"field": ".".join(loc), "message": str(e.get("msg", "")), "type": str(e.get("type", ""))})
    return out


def install(app: FastAPI) -> None:
    """Register the handlers that give every error response the same shape."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = field_errors(exc.errors())
        fields = ", ".join(d["field"] for d in details[:5])
        return problem(422, "invalid_request", f"invalid request: check {fields}", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return problem(exc.status_code, code, message, headers=exc.headers)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "not_found", str(exc) or "not found")

    @app.exception_handler(KedgeError)
    async def kedge_error(request: Request, exc: KedgeError) -> JSONResponse:
        return from_kedge_error(exc)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return problem(500, "internal", "internal error: the server log names the failure")


def from_kedge_error(exc: KedgeError) -> JSONResponse:
    """Kedge's own errors carry messages meant for users (secrets already scrubbed)."""
    if isinstance(exc, ConfigError):
        details = [d.to_json() for d in exc.diagnostics] or None
        return problem(422, "invalid_config", str(exc), details)
    if isinstance(exc, ConflictError):
        return problem(409, "conflict", str(exc))
    if isinstance(exc, TemporaryError):
        headers = {"Retry-After": str(max(1, round(exc.delay)))} if exc.delay else None
        return problem(503, "unavailable", str(exc), headers=headers)
    return problem(400, "failed", str(exc))
