"""``GET /api/v1/replicas``: the controller replicas sharing this server's state store.

Each live replica with when the store last heard from it (the database's clock) and the apps it
owns now; on SQLite there is one. Needs ``viewer``; a token scoped to some apps sees only those
apps in the lists.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kedge.api import models
from kedge.api.auth import Principal, Role, require
from kedge.controller.protocol import ControlPlane

router = APIRouter(prefix="/api/v1", tags=["replicas"], responses=models.ERRORS)


@router.get("/replicas", response_model=list[models.ReplicaView], summary="Controller replicas")
def replicas(request: Request, who: Principal = require(Role.viewer)) -> Any:
    control: ControlPlane = request.app.state.control
    return [
        {**replica, "apps": [app for app in replica["apps"] if who.sees(app)]}
        for replica in control.replicas()
    ]
