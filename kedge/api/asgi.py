"""``create_asgi_app``: the HTTP server of ``kedge serve`` as one ASGI application.

    app = create_asgi_app(control, store, admin_token=..., webhook_secret=..., ui=kedge.ui.mount)
    uvicorn.run(app, host="127.0.0.1", port=8080)

It serves the REST API under ``/api/v1`` (OpenAPI document at ``/openapi.json``), the web UI's
sign-in and sign-out, the health checks and ``/metrics``. The pages of the web UI come from
``kedge.ui``; the API and the UI are sibling entry points that do not import each other, so
whoever runs the server passes ``ui`` (``kedge.ui.mount``) and the UI receives what it needs
(the control plane, the store, and how to tell who is signed in).

Requests pass, outermost first: request metrics, security headers, the body cap (before
routing or authentication), then the routes, whose errors share one JSON shape.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import FastAPI, Request

import kedge
from kedge.api import admin, apps, cost, errors, health, replicas, session, stream, webhook
from kedge.api.app_list_cache import AppList
from kedge.api.auth import Authenticator, FailedLogins, Principal, Sessions
from kedge.api.limits import MIB, BodyLimit
from kedge.api.middleware import HttpMetrics, Measured, SecurityHeaders
from kedge.api.proxies import TrustedProxies, parse_networks
from kedge.controller.protocol import ControlPlane
from kedge.store import Store

Viewer = Callable[[Request], Principal | None]
UiMount = Callable[[FastAPI, ControlPlane, Store, Viewer], None]


@dataclass(frozen=True)
class ApiSettings:
    max_body: int = MIB  # every request body, the webhook's included
    failed_logins: int = 10  # failed sign-ins per client address ...
    failed_login_window: float = 300.0  # ... in this many seconds, then 429 until they age out
    session_ttl: float = 8 * 3600.0
    heartbeat: float = 15.0  # seconds between keep-alive comments on a quiet event stream
    stream_threads: int = 256  # event streams open at once (each waits in a worker thread)
    secure_cookies: bool | None = None  # None: Secure when the request came over HTTPS
    list_ttl: float = 1.0  # longest time GET /api/v1/apps may serve a list no event has dropped
    # Seconds a verified token is trusted without reading the store; a revocation through this
    # server is immediate, one made directly in the store (kedge token revoke --db) takes this long.
    token_cache_ttl: float = 1.0
    clock: Callable[[], float] = field(default=time.monotonic)


def create_asgi_app(
    control: ControlPlane,
    store: Store,
    *,
    admin_token: str | None,
    webhook_secret: str | None,
    metrics_registry: Any = None,
    audit_keys: Sequence[Any] = (),
    settings: ApiSettings | None = None,
    ui: UiMount | None = None,
    trusted_proxies: Sequence[str] = (),
) -> FastAPI:
    """The server. ``admin_token`` bootstraps access (an admin bearer token); without
    ``webhook_secret`` the git webhook refuses every delivery; ``metrics_registry`` is the
    controller's Prometheus registry (default: the global one); ``audit_keys`` are the Ed25519
    public keys that ``GET /api/v1/audit/verify`` checks checkpoint signatures with;
    ``X-Forwarded-For`` is believed only from ``trusted_proxies`` (addresses or networks)."""
    settings = settings or ApiSettings()
    http_metrics = HttpMetrics()
    app_list = AppList(control, settings.list_ttl)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        app_list.close()

    app = FastAPI(
        title="Kedge",
        version=kedge.__version__,
        description="Infrastructure as apps: the apps, their syncs, drift and audit log.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.control = control
    app.state.store = store
    app.state.settings = settings
    app.state.webhook_secret = webhook_secret or None
    app.state.metrics_registry = metrics_registry
    app.state.audit_keys = tuple(audit_keys)
    app.state.http_metrics = http_metrics
    app.state.app_list = app_list
    app.state.stream_limiter = anyio.CapacityLimiter(settings.stream_threads)
    app.state.auth = Authenticator(
        store,
        admin_token or None,
        FailedLogins(settings.failed_logins, settings.failed_login_window, settings.clock),
        Sessions(settings.session_ttl, settings.clock),
        token_cache_ttl=settings.token_cache_ttl,
    )

    errors.install(app)
    for module in (apps, admin, stream, webhook, health, session, cost, replicas):
        app.include_router(module.router)
    if ui is not None:
        ui(app, control, store, app.state.auth.viewer)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Measured, metrics=http_metrics)
    app.add_middleware(TrustedProxies, networks=parse_networks(trusted_proxies))
    return app
