"""The real API in front of the real controller, with an admin token, for attack tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from kedge.api.asgi import create_asgi_app
from kedge.controller.controller import Controller
from tests.api.server import serve
from tests.controller.conftest import wait_for

ADMIN = "hardening-admin-token-0123456789abcdef"
WEBHOOK_SECRET = "hardening-webhook-secret"


@contextmanager
def api_client(controller: Controller, **options: Any) -> Iterator[httpx.Client]:
    api = create_asgi_app(
        controller,
        controller.store,
        admin_token=ADMIN,
        webhook_secret=WEBHOOK_SECRET,
        metrics_registry=controller.metrics.registry,
        **options,
    )
    headers = {"Authorization": f"Bearer {ADMIN}"}
    with serve(api) as url, httpx.Client(base_url=url, headers=headers, timeout=10) as http:
        yield http


def ready_condition(http: httpx.Client, app: str, reason: str | None = None) -> dict[str, Any]:
    """The app's Ready condition once it is False (with ``reason`` when given)."""

    def settled() -> dict[str, Any] | None:
        status = http.get(f"/api/v1/apps/{app}").json()["status"]
        for c in status.get("conditions") or []:
            if c["type"] == "Ready" and c["status"] in (False, "False") and (reason in (None, c["reason"])):
                return dict(c)
        return None

    return dict(wait_for(settled, message=f"{app} Ready=False"))
