"""The pages of the web UI, server-rendered, and the fragments the page script refreshes live.

    /login                  sign in with a token (the form posts to the API's ``/login``)
    /                       apps with sync and health at a glance; filters by name, sync, health
    /apps/{name}            one app: status, resource graph, live diff, history with rollback,
                            drift timeline, events
    /audit                  the audit log
    /ui/...                 the same sections as HTML fragments, for live updates

The UI reads through the control plane and the store directly, with the signed-in user's
rights: an app outside a scoped token's patterns is "not found", and the rollback, sync and
suspend buttons show for operators and up (the API checks again when they are pressed).
How a request's user is known is given by the server (``viewer``): the UI never sees tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from kedge.controller.protocol import ControlPlane, NotFound
from kedge.model import KedgeError
from kedge.store import Store
from kedge.ui import graph
from kedge.ui.claims import claim_tree
from kedge.ui.render import page

SYNC = ("Synced", "OutOfSync", "Unknown")
HEALTH = ("Healthy", "Progressing", "Degraded", "Missing", "Unknown")
SECTIONS = ("header", "graph", "diff", "history", "drift", "events", "cost")
HISTORY_PAGE = 25
TRIGGERS = ("commit", "webhook", "drift", "manual", "rollback")
Trigger = Annotated[str, Query(max_length=20, pattern="^[a-z]*$")]
PageNo = Annotated[int, Query(alias="page", ge=1, le=100_000)]
LOGIN_ERRORS = {
    "invalid": "That token is unknown, expired or revoked.",
    "rate_limited": "Too many failed sign-ins from this address. Wait a few minutes and try again.",
    "cross_site": "The sign-in came from another site and was refused.",
}

Name = Annotated[str, Path(min_length=1, max_length=253)]


class Viewer(Protocol):
    """The signed-in user, as the server tells it."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def apps(self) -> tuple[str, ...] | None:
        """App name patterns the user is limited to; None: every app."""
        ...

    def can(self, role: str) -> bool: ...

    def sees(self, app: str) -> bool: ...


ViewerOf = Callable[[Request], Viewer | None]


def mount(app: FastAPI, control: ControlPlane, store: Store, viewer: ViewerOf) -> None:
    """Add the UI's pages, fragments and static files to ``app``."""
    site = Site(control, store, viewer)
    app.include_router(site.router())
    app.mount("/static", StaticFiles(packages=[("kedge.ui", "static")]), name="static")


class Site:
    def __init__(self, control: ControlPlane, store: Store, viewer: ViewerOf) -> None:
        self.control = control
        self.store = store
        self.viewer = viewer

    def router(self) -> APIRouter:
        r = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
        r.add_api_route("/login", self.login, methods=["GET"])
        r.add_api_route("/", self.apps, methods=["GET"])
        r.add_api_route("/ui/apps", self.apps_fragment, methods=["GET"])
        r.add_api_route("/apps/{name}", self.app, methods=["GET"])
        r.add_api_route("/ui/apps/{name}/{section}", self.app_fragment, methods=["GET"])
        r.add_api_route("/audit", self.audit, methods=["GET"])
        return r

    # -- pages ----------------------------------------------------------------------------------
    def login(self, request: Request, error: str | None = None, next: str = "/") -> Response:
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        if self.viewer(request) is not None:
            return RedirectResponse(target, status_code=303)
        message = LOGIN_ERRORS.get(error or "", "Sign-in failed." if error else "")
        return HTMLResponse(
            page("login.html", title="Sign in", error=message, next=target), status_code=401 if error else 200
        )

    def apps(
        self,
        request: Request,
        q: Annotated[str, Query(max_length=253)] = "",
        sync: Annotated[str, Query(max_length=20)] = "",
        health: Annotated[str, Query(max_length=20)] = "",
    ) -> Response:
        who = self.viewer(request)
        if who is None:
            return _to_login(request)
        context = self._apps(who, q, sync, health)
        return HTMLResponse(page("apps.html", title="Apps", who=who, nav="apps", **context))

    def apps_fragment(self, request: Request, q: str = "", sync: str = "", health: str = "") -> Response:
        who = self.viewer(request)
        if who is None:
            return HTMLResponse("", status_code=401)
        return HTMLResponse(page("_apps_table.html", who=who, **self._apps(who, q, sync, health)))

    def app(self, request: Request, name: Name, trigger: Trigger = "", page_no: PageNo = 1) -> Response:
        who = self.viewer(request)
        if who is None:
            return _to_login(request)
        try:
            context = self._app(who, name, SECTIONS, HistoryPage(trigger, page_no))
        except NotFound:
            return HTMLResponse(page("missing.html", title="Not found", who=who, name=name), status_code=404)
        return HTMLResponse(page("app.html", title=name, who=who, nav="apps", **context))

    def app_fragment(
        self, request: Request, name: Name, section: Name, trigger: Trigger = "", page_no: PageNo = 1
    ) -> Response:
        who = self.viewer(request)
        if who is None:
            return HTMLResponse("", status_code=401)
        if section not in SECTIONS:
            return HTMLResponse("", status_code=404)
        try:
            context = self._app(who, name, (section,), HistoryPage(trigger, page_no))
        except NotFound:
            return HTMLResponse("", status_code=404)
        return HTMLResponse(page(f"_{section}.html", who=who, **context))

    def audit(
        self,
        request: Request,
        app: Annotated[str, Query(max_length=253)] = "",
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> Response:
        who = self.viewer(request)
        if who is None:
            return _to_login(request)
        entries = []
        if not app or who.sees(app):
            for e in self.store.audit_entries(app=app or None, limit=limit):
                if who.apps is None or (e.app is not None and who.sees(e.app)):
                    entries.append(e.to_json())
        return HTMLResponse(
            page("audit.html", title="Audit log", who=who, nav="audit", entries=entries, app=app, limit=limit)
        )

    # -- data -----------------------------------------------------------------------------------
    def _apps(self, who: Viewer, q: str, sync: str, health: str) -> dict[str, Any]:
        apps = [a for a in self.control.list_apps() if who.sees(str(a.get("name", "")))]
        total = len(apps)
        shown = [
            a
            for a in apps
            if (not q or q.lower() in str(a.get("name", "")).lower())
            and (not sync or _status(a).get("sync") == sync)
            and (not health or _status(a).get("health") == health)
        ]
        counts = {s: sum(1 for a in apps if _status(a).get("sync") == s) for s in SYNC}
        counts.update({h: sum(1 for a in apps if _status(a).get("health") == h) for h in HEALTH})
        return {
            "apps": shown,
            "costs": self.control.costs(),
            "total": total,
            "counts": counts,
            "q": q,
            "sync": sync,
            "health": health,
            "syncs": SYNC,
            "healths": HEALTH,
        }

    def _app(
        self, who: Viewer, name: str, sections: tuple[str, ...], wanted: HistoryPage | None = None
    ) -> dict[str, Any]:
        if not who.sees(name):
            raise NotFound(name)
        view = self.control.get_app(name)
        context: dict[str, Any] = {"app": view, "status": _status(view), "name": name}
        if "graph" in sections:
            try:
                resources = self.control.resources(name)
            except KedgeError:
                resources = []  # the source cannot be read now: the diff says why
            context["resources"] = resources
            context["graph"] = graph.layout(resources)
            context["claims"] = claim_tree(resources, view.get("status", {}).get("claims") or [])
        if "diff" in sections and len(sections) == 1:  # the full page loads the diff lazily
            try:
                context["plan"] = self.control.diff(name)
            except KedgeError as err:  # never "In sync" when nothing could be compared
                context["plan"] = {"changes": [], "diagnostics": [{"severity": "error", "message": str(err)}]}
        if "cost" in sections and len(sections) == 1:  # priced from the source: loaded lazily
            context["cost"] = self.control.cost(name)
        if "history" in sections:
            wanted = wanted or HistoryPage()
            entries = self.control.history(
                name,
                trigger=wanted.trigger or None,
                limit=HISTORY_PAGE + 1,
                offset=(wanted.page - 1) * HISTORY_PAGE,
            )
            context["history"] = entries[:HISTORY_PAGE]
            context["history_page"] = {
                "trigger": wanted.trigger,
                "page": wanted.page,
                "older": len(entries) > HISTORY_PAGE,
                "triggers": TRIGGERS,
            }
        if "drift" in sections or "events" in sections:
            events = self.control.events(name)
            context["events"] = events
            context["drift"] = [e for e in events if e.get("type") == "drift"]
        return context


@dataclass(frozen=True)
class HistoryPage:
    """Which page of History to show: a trigger to filter by ("" for all), newest page first."""

    trigger: str = ""
    page: int = 1


def _status(view: Any) -> dict[str, Any]:
    status = view.get("status") if isinstance(view, dict) else None
    return status if isinstance(status, dict) else {}


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
