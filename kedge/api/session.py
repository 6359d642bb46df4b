"""``POST /login`` and ``POST /logout``: the web UI's sign-in with a token.

The sign-in form posts the token (``application/x-www-form-urlencoded``, no JavaScript needed).
A good token starts a server-side session whose random id goes into a cookie that scripts
cannot read (HttpOnly), that other sites' pages never send (SameSite=Strict) and that travels
only over HTTPS when the server is reached over HTTPS. The answer is a redirect: to the page the
user came from (local paths only, so the form cannot be used to bounce users elsewhere), or
back to ``/login`` with the reason. Failed attempts count towards the per-client limit.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from kedge.api.auth import (
    SESSION_COOKIE,
    Authenticator,
    client_address,
    refuse_query_credentials,
    same_origin,
)
from kedge.api.errors import ApiError

router = APIRouter(include_in_schema=False)


def local_path(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(ch) < 0x20 for ch in target):
        return "/"
    return target


@router.post("/login")
async def login(request: Request) -> RedirectResponse:
    refuse_query_credentials(request)
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
    token = (form.get("token") or [""])[0].strip()
    target = local_path((form.get("next") or ["/"])[0])
    if not same_origin(request):
        return _back("cross_site", target)
    auth: Authenticator = request.app.state.auth
    try:
        await run_in_threadpool(auth.verify, token, client_address(request))
    except ApiError as err:
        return _back("rate_limited" if err.status == 429 else "invalid", target)
    sid = auth.sessions.create(token)
    response = RedirectResponse(target, status_code=303)
    secure = request.app.state.settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE,
        sid,
        max_age=int(auth.sessions.ttl),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" if secure is None else secure,
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    sid = request.cookies.get(SESSION_COOKIE)
    auth: Authenticator = request.app.state.auth
    if sid:
        auth.sessions.drop(sid)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _back(error: str, target: str) -> RedirectResponse:
    return RedirectResponse(f"/login?error={error}&next={quote(target, safe='')}", status_code=303)
