"""App of apps: ``kind: Application`` documents an app renders become apps of their own.

After each successful plan of a parent, every Application it declares is created or updated
(source ``app:PARENT``) unless another source manages that name or it asks for what only an
admin may set (``spec.platform``); a refused child is reported as an event of the parent.
Children the parent no longer declares are deleted when the parent prunes. The writes run
inside the parent's reconcile, so they are fenced by the parent's lease like every other.

Not for: reconciling the children (they are queued like any app, on whichever replica owns them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kedge.controller.reports import Reports
from kedge.controller.spec import AppSpec, validate
from kedge.controller.watches import Watches
from kedge.engine import AppRun
from kedge.model import ConfigError
from kedge.sources import LocalSources
from kedge.store import Store

log = logging.getLogger("kedge.controller")


class Children:
    def __init__(
        self,
        store: Store,
        local: LocalSources,
        watches: Watches,
        reports: Reports,
        *,
        changed: Callable[[str], None],
        delete: Callable[[str, str], None],
    ) -> None:
        """``changed(name)``: an app was created or updated here; ``delete(name, actor)``
        deletes an app as the control plane does."""
        self.store = store
        self.local = local
        self.watches = watches
        self.reports = reports
        self.changed = changed
        self.delete = delete

    def rendered(self, name: str, run: AppRun) -> None:
        """What a successful plan of ``name`` declares: its watches and its child apps."""
        self.watches.ensure(name, run)
        declared = set()
        for doc in run.rendered.core:
            if doc.kind == "Application" and doc.name != name:
                declared.add(doc.name)
                self._child(name, doc.name, dict(doc.spec))
        self._prune(name, declared)

    def _prune(self, parent: str, declared: set[str]) -> None:
        """Children no longer declared by ``parent`` go when its policy prunes; else they stay."""
        record = self.store.get_app(parent)
        try:
            spec = AppSpec.parse(parent, record.spec) if record is not None else None
        except ConfigError:
            spec = None
        if spec is None or not spec.prune:
            return
        for child in self.store.list_apps():
            if child.source == f"app:{parent}" and child.name not in declared:
                log.info("app %s is no longer declared by %s: deleted (it prunes)", child.name, parent)
                self.delete(child.name, f"app:{parent}")

    def _child(self, parent: str, name: str, spec: dict[str, Any]) -> None:
        existing = self.store.get_app(name)
        if existing is not None and existing.source not in (f"app:{parent}",) and existing.source != "git":
            log.warning(
                "app %s declared by %s is already managed elsewhere (%s)", name, parent, existing.source
            )
            return
        if spec.get("platform") is True:
            log.warning(
                "app %s declared by %s asks for spec.platform, which only an admin may set", name, parent
            )
            return
        if existing is None or dict(existing.spec) != spec:
            try:
                validate(name, spec)
                self.local.check(str(spec["source"]["repoURL"]))
            except ConfigError as err:
                log.warning("app %s declared by %s is refused: %s", name, parent, err)
                self.reports.report(
                    parent, "child-refused", f"Application {name!r} refused: {err}", about=name
                )
                return
            self.store.put_app(name, spec, source=f"app:{parent}")
            self.store.audit(f"app:{parent}", "app-created" if existing is None else "app-updated", app=name)
            self.changed(name)
