"""``GET /api/v1/apps/{name}/cost``: an app's monthly cost, resource by resource.

The same figures as ``kedge cost`` (docs/cost.md): list prices from the server's price
catalog (``spec.priceCatalog``), usage from ``kedge.dev/usage``. Needs ``viewer``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from kedge.api import models
from kedge.api.auth import Principal, Role, require, visible
from kedge.controller.protocol import ControlPlane

router = APIRouter(prefix="/api/v1", tags=["cost"], responses=models.ERRORS)

Name = Annotated[str, Path(min_length=1, max_length=253, description="The app's name.")]


@router.get("/apps/{name}/cost", response_model=models.CostView, summary="Monthly cost")
def cost(name: Name, request: Request, who: Principal = require(Role.viewer)) -> Any:
    visible(who, name)
    control: ControlPlane = request.app.state.control
    return control.cost(name)
