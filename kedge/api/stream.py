"""``GET /api/v1/stream``: status changes, syncs and drift as server-sent events.

Each event is one SSE message whose ``event`` is the type (``app``, ``sync``, ``drift``) and
whose ``data`` is one line of JSON with at least ``app``. A comment line goes out after each
quiet ``heartbeat`` so proxies keep the connection open. The caller's credentials are checked
again before every event and at least once a second while the stream is quiet (the check is
cached in memory, and a revocation through this server empties the cache): a revoked token or
ended session gets no further event and its stream closes.

The control plane's subscription blocks; it is read in worker threads of a limiter of its own,
so open streams never take the threads that ordinary requests run on.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import anyio
from anyio import to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from kedge.api import models
from kedge.api.auth import Principal, Role, require
from kedge.api.errors import ApiError
from kedge.api.views import public
from kedge.controller.protocol import ControlPlane, StreamEvent, Subscription

router = APIRouter(prefix="/api/v1", tags=["stream"], responses=models.ERRORS)
RECHECK = 1.0  # seconds: longest quiet time before the credentials are checked again


def _next(events: Iterator[StreamEvent]) -> StreamEvent | None:
    return next(events, None)


def format_event(seq: int, event: StreamEvent) -> str:
    data = {**public(dict(event.data)), "app": event.app, "type": event.type}
    return f"id: {seq}\nevent: {event.type}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@router.get(
    "/stream",
    summary="Server-sent events of status changes, syncs and drift",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def stream(
    request: Request,
    who: Principal = require(Role.viewer),
    app: Annotated[str | None, Query(min_length=1, max_length=253, description="Only this app.")] = None,
) -> StreamingResponse:
    control: ControlPlane = request.app.state.control
    heartbeat: float = request.app.state.settings.heartbeat
    limiter: anyio.CapacityLimiter = request.app.state.stream_limiter
    subscription = await to_thread.run_sync(control.subscribe, limiter=limiter)

    def wanted(event: StreamEvent) -> bool:
        return who.sees(event.app) and (app is None or event.app == app)

    async def still_allowed() -> bool:
        try:
            await to_thread.run_sync(request.app.state.auth.from_request, request, limiter=limiter)
        except ApiError:
            return False
        return True

    async def messages() -> AsyncIterator[str]:
        counter = itertools.count(1)
        quiet_since = anyio.current_time()
        try:
            yield "retry: 2000\n: connected\n\n"
            while True:
                events = subscription.events(timeout=min(heartbeat, RECHECK))
                while (
                    event := await to_thread.run_sync(_next, events, limiter=limiter, abandon_on_cancel=True)
                ) is not None:
                    if wanted(event):
                        if not await still_allowed():
                            return
                        yield format_event(next(counter), event)
                        quiet_since = anyio.current_time()
                if not await still_allowed():
                    return
                if anyio.current_time() - quiet_since >= heartbeat:
                    yield ": heartbeat\n\n"
                    quiet_since = anyio.current_time()
        finally:
            await _close(subscription)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(messages(), media_type="text/event-stream", headers=headers)


async def _close(subscription: Subscription) -> None:
    with anyio.CancelScope(shield=True):
        await to_thread.run_sync(subscription.close)
