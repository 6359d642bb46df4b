"""The postgres Client: dispatches to the kind handlers, runs their steps, gates destructive ones.

client = provider.connect({"dsn": dsn}, ConnectContext(app="payments"))
client.observe_many("Table", targets)        # one catalog query per database
client.preview(target, observed, diff)       # the exact DDL, or ConfigError if refused
client.update(target, observed, diff)        # re-reads the table first, one transaction
client.create_many(targets)                  # a layer of creates: one transaction per database
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kedge.model import ConfigError, KedgeError, Observation, ResourceKey
from kedge.model.values import redact_text, secret_values
from kedge.providers.base import Applied, Existing, FieldChange, Target, WatchEvent
from kedge.providers.postgres import listing
from kedge.providers.postgres.batch import create_together
from kedge.providers.postgres.conn import Connections, Steps
from kedge.providers.postgres.databases import DatabaseHandler
from kedge.providers.postgres.extensions import ExtensionHandler
from kedge.providers.postgres.grants import GrantHandler
from kedge.providers.postgres.handler import Handler, label
from kedge.providers.postgres.roles import RoleHandler
from kedge.providers.postgres.schemas import SchemaHandler
from kedge.providers.postgres.tables import TableHandler
from kedge.providers.postgres.watch import Watcher

ALLOW_DESTRUCTIVE = "kedge.dev/allow-destructive"
_HANDLERS: tuple[type[Handler], ...] = (
    RoleHandler,
    DatabaseHandler,
    SchemaHandler,
    GrantHandler,
    ExtensionHandler,
    TableHandler,
)


class PostgresClient:
    def __init__(self, conns: Connections, app: str, settings: Mapping[str, Any]) -> None:
        self.conns = conns
        self.app = app
        self.watcher = Watcher(
            conns, bool(settings.get("watch", False)), float(settings.get("pollInterval", 2))
        )
        self.handlers: dict[str, Handler] = {h.kind: h(conns, app, self.watcher.ensure) for h in _HANDLERS}

    @property
    def queries(self) -> int:
        """Statements sent so far (benchmarks count them)."""
        return self.conns.queries

    def _handler(self, kind: str) -> Handler:
        handler = self.handlers.get(kind)
        if handler is None:
            raise ConfigError(f"postgres has no kind {kind!r} (kinds: {', '.join(sorted(self.handlers))})")
        return handler

    def _secrets(self, target: Target) -> list[str]:
        return [*secret_values(target.spec), *self.conns.secrets]

    def _guard(self, target: Target, error: KedgeError) -> KedgeError:
        """Scrub secrets from an error raised while handling ``target``."""
        text = redact_text(str(error), self._secrets(target))
        if text != str(error):
            error.args = (text,)
        return error

    # -- Client ---------------------------------------------------------------------------

    def observe_many(self, kind: str, targets: Sequence[Target]) -> Mapping[ResourceKey, Observation]:
        if not targets:
            return {}
        return self._handler(kind).observe_many(targets)

    def listable_kinds(self) -> Sequence[str]:
        return listing.KINDS

    def list_existing(self, kind: str) -> Sequence[Existing]:
        """Roles, databases or schemas with their marks (``kedge orphans``); read-only."""
        return listing.list_objects(self.conns, kind)

    def create(self, target: Target) -> Applied:
        handler = self._handler(target.key.kind)
        try:
            steps = handler.create_steps(target)
            self._check_destructive(target, steps)
            if steps.database:
                self.watcher.ensure(steps.database)
            self.conns.run(label(target), steps, secret_values(target.spec))
            return Applied(handler.outputs(target))
        except KedgeError as exc:
            raise self._guard(target, exc) from None

    def create_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Applied]:
        """Create many objects in one transaction per database (``postgres/batch.py``)."""
        return create_together(self, targets)

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        handler = self._handler(target.key.kind)
        try:
            handler.recheck(target, observed)
            steps = handler.update_steps(target, observed, diff)
            self._check_destructive(target, steps)
            self.conns.run(label(target), steps, secret_values(target.spec))
            return Applied(handler.outputs(target))
        except KedgeError as exc:
            raise self._guard(target, exc) from None

    def delete(self, target: Target, observed: Observation) -> None:
        handler = self._handler(target.key.kind)
        try:
            steps = handler.delete_steps(target, observed)
            self._check_destructive(target, steps)
            if target.key.kind == "Database":
                self.conns.forget(handler.name(target))
                self.watcher.installed.discard(handler.name(target))
            self.conns.run(label(target), steps, secret_values(target.spec))
        except KedgeError as exc:
            raise self._guard(target, exc) from None

    def close(self) -> None:
        self.conns.close()

    # -- Previewable, Watchable -----------------------------------------------------------

    def preview(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Sequence[str]:
        """The statements ``create`` (observed missing) or ``update`` would run, as SQL text."""
        handler = self._handler(target.key.kind)
        try:
            if observed.exists:
                steps = handler.update_steps(target, observed, diff)
            else:
                steps = handler.create_steps(target)
            self._check_destructive(target, steps)
            return self.conns.render(steps)
        except KedgeError as exc:
            raise self._guard(target, exc) from None

    def preview_delete(self, target: Target, observed: Observation) -> Sequence[str]:
        handler = self._handler(target.key.kind)
        steps = handler.delete_steps(target, observed)
        self._check_destructive(target, steps)
        return self.conns.render(steps)

    def watch(self, stop: threading.Event | None = None) -> Iterator[WatchEvent]:
        return self.watcher.watch(stop)

    # -- safety ---------------------------------------------------------------------------

    def _check_destructive(self, target: Target, steps: Steps) -> None:
        reasons = [f"{s.field or 'spec'}: {s.destructive}" for s in steps.steps if s.destructive]
        if not reasons:
            return
        if str(target.annotations.get(ALLOW_DESTRUCTIVE, "")).strip().lower() == "true":
            return
        raise ConfigError(
            f"{label(target)}: refusing a destructive change: {'; '.join(reasons)}. "
            f'Add the annotation {ALLOW_DESTRUCTIVE}: "true" to the resource to allow it.',
            code="DestructiveChange",
        )
