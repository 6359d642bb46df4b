"""The values one app's run carries from step to step: ``Options`` in, then an ``AppRun`` that
each step returns anew (``Engine.render``, ``Engine.plan``) and none changes.

Not for doing anything: the steps are ``kedge.engine.engine.Engine``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from kedge.engine.observe import Connections, Observed
from kedge.engine.render import Rendered
from kedge.model import InventoryEntry, KedgeError, ResourceKey
from kedge.model.values import secret_values
from kedge.planning import Plan

if TYPE_CHECKING:
    from kedge.store import Intent


@dataclass(frozen=True)
class Options:
    prune: bool = False
    allow_empty: bool = False
    confirm_prune: bool = False
    revision: str | None = None
    trigger: str = "manual"
    actor: str = "cli"
    check_policies: bool = True  # off for read-only reports (drift): a guardrail guards changes
    # A read-only report (drift): a change a provider would refuse (a destructive revert) is
    # noted on the resource instead of failing the plan; nothing is ever applied from it.
    observe_only: bool = False
    app_labels: Mapping[str, str] = field(default_factory=dict)
    platform_app: bool = True  # may declare Definitions and Compositions (one-shot: always)


@dataclass(frozen=True)
class Basis:
    """What a plan was made from, and what its apply acts against."""

    inventory: Sequence[InventoryEntry]
    intents: Sequence[Intent]  # creates an earlier run may not have recorded
    observed: Observed
    conns: Connections  # open until ``Engine.finish``

    @cached_property
    def by_key(self) -> Mapping[ResourceKey, InventoryEntry]:
        return {e.key: e for e in self.inventory}


@dataclass(frozen=True)
class AppRun:
    """One app on its way through the steps. ``basis`` is None when the run stopped before a
    plan could be made (render errors, or an ``error`` while observing): the plan then carries
    only diagnostics, and there is nothing to apply."""

    app: str
    options: Options
    rendered: Rendered
    plan: Plan = field(default_factory=Plan)
    basis: Basis | None = None
    refused: Mapping[ResourceKey, str] = field(default_factory=dict)  # observe-only: why a revert is refused
    error: KedgeError | None = None  # the error that stopped observation (the plan carries it too)

    @property
    def observed(self) -> Observed | None:
        return self.basis.observed if self.basis is not None else None

    @property
    def inventory(self) -> Sequence[InventoryEntry]:
        return self.basis.inventory if self.basis is not None else ()

    @property
    def secrets(self) -> list[str]:
        return [s for r in self.rendered.resources for s in secret_values(r.spec)] + [
            s for c in self.rendered.configs.values() for s in secret_values(c.settings)
        ]
