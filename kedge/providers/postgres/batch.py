"""Creates of one layer run together: one transaction (one round trip) per database.

The engine hands a provider the creates of a dependency layer at once. Each object's statements
are those ``create`` would run, in the same order; grants that differ only in their grantee are
merged into one ``GRANT ... TO r1, ..., rN`` (each GRANT rewrites the object's whole ACL, so N
separate ones cost N rewrites of a growing list). A batch either commits whole or not at all:
when any statement fails, nothing of that database's batch was created, and the caller creates
those objects one by one, which names the failing resource and field as usual.

Objects whose statements cannot run in a transaction (``CREATE DATABASE``), need an undo, or
are refused (a destructive change) are left to the one-by-one path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kedge.model import KedgeError, ResourceKey
from kedge.providers.base import Applied, Target
from kedge.providers.postgres.conn import Step, Steps
from kedge.providers.postgres.grants import GrantHandler

if TYPE_CHECKING:
    from kedge.providers.postgres.client import PostgresClient


def create_together(client: PostgresClient, targets: Sequence[Target]) -> dict[ResourceKey, Applied]:
    """The objects created, with their outputs; the ones left out were not created."""
    batches: dict[str | None, _Batch] = {}
    for target in targets:
        handler = client.handlers.get(target.key.kind)
        if handler is None:
            continue
        try:
            steps = handler.create_steps(target)
            client._check_destructive(target, steps)
        except KedgeError:
            continue  # refused or not ready: the one-by-one path reports it
        if not steps.transaction or steps.undo or not steps.steps:
            continue
        batch = batches.setdefault(steps.database, _Batch())
        shared = handler.shared_key(target, steps) if isinstance(handler, GrantHandler) else None
        batch.add(target, steps, shared)
    created: dict[ResourceKey, Applied] = {}
    grants = client.handlers["Grant"]
    assert isinstance(grants, GrantHandler)
    for database, batch in batches.items():
        if database:
            client.watcher.ensure(database)
        if client.conns.run_together(database, batch.statements(grants), batch.locks):
            for target in batch.targets:
                created[target.key] = Applied(client.handlers[target.key.kind].outputs(target))
    return created


class _Batch:
    """The statements of one database's creates, in the order the objects were given."""

    def __init__(self) -> None:
        self.targets: list[Target] = []
        self.locks: set[str] = set()
        self._items: list[list[Step] | tuple[Any, ...]] = []  # an object's steps, or a shared key
        self._shared: dict[tuple[Any, ...], list[Target]] = {}

    def add(self, target: Target, steps: Steps, shared: tuple[Any, ...] | None) -> None:
        self.targets.append(target)
        if steps.lock:
            self.locks.add(steps.lock)
        if shared is None:
            self._items.append(steps.steps)
        else:
            self._shared.setdefault(shared, []).append(target)
            self._items.append(shared)

    def statements(self, grants: GrantHandler) -> list[Step]:
        """A shared GRANT runs where its last grantee's own would have: after everything the
        earlier objects of the batch (a role it names) needed."""
        last = {item: i for i, item in enumerate(self._items) if isinstance(item, tuple)}
        out: list[Step] = []
        for i, item in enumerate(self._items):
            if isinstance(item, list):
                out.extend(item)
            elif last[item] == i:
                out.append(Step(grants.shared_statement(self._shared[item])))
        return out
