"""``/api/v1/apps`` and ``/api/v1/operations``: the apps, their status, and what to do with them.

Reads need ``viewer``; sync, rollback, suspend and resume need ``operator``; creating and
deleting apps needs ``admin``. An app outside a scoped token's patterns answers 404 exactly
as a missing one does. Syncs and rollbacks answer 202 with the operation at once; the work
runs on the controller's queue (follow it at ``GET /api/v1/operations/{id}`` or the stream).
"""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Path, Query, Request, Response

from kedge.api import models
from kedge.api.app_list_cache import AppList
from kedge.api.auth import Principal, Role, require, visible
from kedge.api.errors import ApiError
from kedge.api.views import app_view, dumps, public
from kedge.controller.protocol import ControlPlane, NotFound

router = APIRouter(prefix="/api/v1", tags=["apps"], responses=models.ERRORS)

Name = Annotated[str, Path(min_length=1, max_length=253, description="The app's name.")]


def _control(request: Request) -> ControlPlane:
    control: ControlPlane = request.app.state.control
    return control


def _changing(request: Request) -> ControlPlane:
    """The control plane, for a call that changes an app: the shared app list is dropped."""
    request.app.state.app_list.invalidate()
    return _control(request)


@router.get("/apps", response_model=list[models.App], summary="List apps")
async def list_apps(
    request: Request,
    who: Principal = require(Role.viewer),
    sync: Annotated[models.SyncStatus | None, Query(description="Only apps with this sync status.")] = None,
    health: Annotated[models.HealthStatus | None, Query(description="Only apps with this health.")] = None,
    q: Annotated[str | None, Query(max_length=253, description="Only names containing this.")] = None,
) -> Response:
    # Serialised by hand from a shared list: a thousand apps must not pay a validation pass
    # each on every request (see ``kedge.api.app_list_cache``).
    app_list: AppList = request.app.state.app_list
    shared = app_list.fresh()
    views, body = shared if shared is not None else await to_thread.run_sync(app_list.get)
    if who.apps is not None or q or sync or health:
        body = dumps(
            [
                v
                for v in views
                if who.sees(v["name"])
                and (not q or q in v["name"])
                and (not sync or v["status"]["sync"] == sync)
                and (not health or v["status"]["health"] == health)
            ]
        )
    return Response(body, media_type="application/json")


@router.post(
    "/apps",
    response_model=models.App,
    status_code=201,
    summary="Create or replace an app",
    responses={200: {"model": models.App, "description": "The app existed and was replaced"}},
)
def create_app(
    body: models.AppCreate, request: Request, response: Response, who: Principal = require(Role.admin)
) -> Any:
    if not who.sees(body.name):
        raise ApiError(403, "forbidden", f"the token may not manage an app named {body.name!r}")
    control = _changing(request)
    try:
        control.get_app(body.name)
        response.status_code = 200
    except NotFound:
        pass
    spec = body.spec.model_dump(exclude_unset=True)
    return public(app_view(control.create_app(body.name, spec, who.actor)))


@router.get("/apps/{name}", response_model=models.App, summary="One app")
def get_app(name: Name, request: Request, who: Principal = require(Role.viewer)) -> Any:
    visible(who, name)
    return public(app_view(_control(request).get_app(name)))


@router.delete("/apps/{name}", status_code=204, summary="Delete an app")
def delete_app(name: Name, request: Request, who: Principal = require(Role.admin)) -> Response:
    visible(who, name)
    _changing(request).delete_app(name, who.actor)
    return Response(status_code=204)


@router.post("/apps/{name}/sync", response_model=models.Operation, status_code=202, summary="Sync now")
def sync(
    name: Name,
    request: Request,
    body: models.SyncRequest | None = None,
    who: Principal = require(Role.operator),
) -> Any:
    visible(who, name)
    body = body or models.SyncRequest()
    return public(
        _changing(request).sync(
            name, who.actor, revision=body.revision, prune=body.prune, confirm_prune=body.confirmPrune
        )
    )


@router.post("/apps/{name}/rollback", response_model=models.Operation, status_code=202, summary="Roll back")
def rollback(
    name: Name, body: models.RollbackRequest, request: Request, who: Principal = require(Role.operator)
) -> Any:
    visible(who, name)
    return public(_changing(request).rollback(name, body.id, who.actor))


@router.post("/apps/{name}/suspend", response_model=models.App, summary="Stop syncing the app")
def suspend(name: Name, request: Request, who: Principal = require(Role.operator)) -> Any:
    visible(who, name)
    return public(app_view(_changing(request).suspend(name, who.actor)))


@router.post("/apps/{name}/resume", response_model=models.App, summary="Sync the app again")
def resume(name: Name, request: Request, who: Principal = require(Role.operator)) -> Any:
    visible(who, name)
    return public(app_view(_changing(request).resume(name, who.actor)))


@router.get("/apps/{name}/history", response_model=list[models.HistoryEntry], summary="Syncs, newest first")
def history(
    name: Name,
    request: Request,
    trigger: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Only entries of this trigger: commit, drift, manual, rollback, webhook.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Entries per page.")] = 500,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Skip this many of the newest.")] = 0,
    who: Principal = require(Role.viewer),
) -> Any:
    visible(who, name)
    return public(_control(request).history(name, trigger=trigger, limit=limit, offset=offset))


@router.get("/apps/{name}/events", response_model=list[models.Event], summary="Drift and other events")
def events(name: Name, request: Request, who: Principal = require(Role.viewer)) -> Any:
    visible(who, name)
    return public(_control(request).events(name))


@router.get("/apps/{name}/diff", response_model=models.PlanView, summary="The live plan")
def diff(name: Name, request: Request, who: Principal = require(Role.viewer)) -> Any:
    visible(who, name)
    return public(_control(request).diff(name))


@router.get(
    "/apps/{name}/resources", response_model=list[models.ResourceView], summary="Resources and status"
)
def resources(name: Name, request: Request, who: Principal = require(Role.viewer)) -> Any:
    visible(who, name)
    return public(_control(request).resources(name))


@router.get("/operations/{op_id}", response_model=models.Operation, summary="A sync or rollback")
def operation(
    op_id: Annotated[str, Path(min_length=1, max_length=100)],
    request: Request,
    who: Principal = require(Role.viewer),
) -> Any:
    op = public(_control(request).operation(op_id))
    if not who.sees(str(op.get("app", ""))):
        raise ApiError(404, "not_found", f"no operation {op_id!r}")
    return op
