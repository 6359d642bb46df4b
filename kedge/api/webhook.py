"""``POST /api/v1/webhooks/git``: a git host tells the server a branch moved.

The body is capped at 1 MiB by ``BodyLimit`` before this route runs (read in chunks, stopped
at the cap). Then, and only then, the ``X-Hub-Signature-256`` header (``sha256=<hex>``, GitHub's
format, also sent by Gitea and GitLab's GitHub-compatible hooks) is checked against an HMAC of
the raw body with the server's webhook secret, in constant time. Without a configured secret
every delivery is refused: an unsigned webhook would let anyone trigger syncs. Bad signatures
count as failed sign-ins of the client. A body nested deeper than ``MAX_DEPTH`` arrays and
objects is refused with 400 before it is parsed (a push payload is a few levels deep; a deep
one would only exhaust the parser). A ``ping`` event answers at once; anything else goes to
the control plane, which refreshes the apps whose source matches.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kedge.api import models
from kedge.api.auth import Authenticator, client_address, refuse_query_credentials
from kedge.api.errors import ApiError
from kedge.controller.protocol import ControlPlane

router = APIRouter(prefix="/api/v1", tags=["webhooks"], responses=models.ERRORS)

SIGNATURE = "x-hub-signature-256"
MAX_DEPTH = 64
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")


def nesting_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in the JSON text ``body`` (strings ignored)."""
    brackets = _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", body))
    steps = (1 if c in b"[{" else -1 for c in brackets)
    return max(itertools.accumulate(steps), default=0)


def signature(secret: str, body: bytes) -> str:
    """The header value a sender computes: ``sha256=`` and the HMAC-SHA256 of the body in hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@router.post(
    "/webhooks/git",
    response_model=models.WebhookResult,
    status_code=202,
    summary="Git push notification (GitHub style, HMAC-signed)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
        },
        "parameters": [
            {"name": "X-Hub-Signature-256", "in": "header", "required": True, "schema": {"type": "string"}},
            {"name": "X-GitHub-Event", "in": "header", "required": False, "schema": {"type": "string"}},
        ],
    },
)
async def git_webhook(request: Request) -> JSONResponse:
    refuse_query_credentials(request)
    secret: str | None = request.app.state.webhook_secret
    if not secret:
        raise ApiError(403, "forbidden", "webhooks are disabled: the server has no webhook secret")
    auth: Authenticator = request.app.state.auth
    client = client_address(request)
    wait = auth.failed.retry_after(client)
    if wait is not None:
        raise ApiError(
            429,
            "rate_limited",
            f"too many bad signatures; retry in {int(wait)} s",
            headers={"Retry-After": str(int(wait))},
        )
    body = await request.body()
    given = request.headers.get(SIGNATURE, "")
    if not hmac.compare_digest(given.encode(), signature(secret, body).encode()):
        auth.failed.failed(client)
        raise ApiError(401, "unauthorized", "the X-Hub-Signature-256 header does not match the body")
    if await to_thread.run_sync(nesting_depth, body) > MAX_DEPTH:
        raise ApiError(
            400,
            "invalid_request",
            f"the body nests arrays and objects deeper than {MAX_DEPTH} levels",
            [{"field": "body", "message": f"nested deeper than {MAX_DEPTH} levels"}],
        )
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(
            422, "invalid_request", "the body is not JSON", [{"field": "body", "message": "invalid JSON"}]
        ) from None
    if not isinstance(payload, dict):
        raise ApiError(
            422,
            "invalid_request",
            "the body must be a JSON object",
            [{"field": "body", "message": "expected an object"}],
        )
    if request.headers.get("x-github-event", "push") == "ping":
        return JSONResponse({"apps": []}, status_code=202)
    control: ControlPlane = request.app.state.control
    apps = await to_thread.run_sync(control.webhook, payload)
    return JSONResponse({"apps": list(apps)}, status_code=202)
