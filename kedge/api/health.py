"""``/healthz``, ``/readyz`` and ``/metrics``.

``/healthz`` answers 200 while the process serves HTTP at all; ``/readyz`` asks the control
plane (503 until the controller has started and its store answers). Neither needs a token, so
a load balancer can probe them; neither says anything but ``ok``. ``/metrics`` is Prometheus
text of the controller's registry (or the default one) followed by the API's own request
metrics, and needs a viewer token like every other read; a token scoped to some apps sees
only their series (``kedge.api.scoped_metrics``).
"""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from kedge.api import models
from kedge.api.auth import Principal, Role, require
from kedge.api.scoped_metrics import scoped_text
from kedge.controller.protocol import ControlPlane

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=models.Health, summary="Liveness")
def healthz() -> JSONResponse:
    return JSONResponse({"ok": True})


@router.get(
    "/readyz",
    response_model=models.Health,
    summary="Readiness",
    responses={503: {"model": models.Health, "description": "Not ready yet"}},
)
async def readyz(request: Request) -> JSONResponse:
    control: ControlPlane = request.app.state.control
    try:
        ready = bool(await to_thread.run_sync(control.ready))
    except Exception:
        ready = False
    return JSONResponse({"ok": ready}, status_code=200 if ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}, **models.ERRORS},
)
def metrics(request: Request, who: Principal = require(Role.viewer)) -> Response:
    controller: CollectorRegistry = request.app.state.metrics_registry or REGISTRY
    own: CollectorRegistry = request.app.state.http_metrics.registry
    sees = None if who.apps is None else who.sees
    body = scoped_text(controller, sees) + generate_latest(own)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
