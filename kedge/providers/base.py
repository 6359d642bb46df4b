"""The provider contract (after crossplane-runtime's ExternalClient and Terraform's protocol).

A provider declares its kinds (``KindSpec``: JSON Schema, outputs, sensitive and
replace-forcing fields) and connects to a target with the settings of a ProviderConfig:

    client = provider.connect(settings, ConnectContext(app="payments", provider_config="default"))
    observed = client.observe_many("File", targets)     # batched; never changes anything
    applied = client.create(target)                     # every call idempotent
    client.update(target, observed[target.key], diff)
    client.delete(target, observed[target.key])
    client.close()

``observe_many`` returns an ``Observation`` for every target; a failure raises
``ProviderError`` (never an ``Observation(exists=False)``: an error is not "gone").
Providers register under the ``kedge.providers`` entry point group.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from kedge.model import KindSpec, Observation, ResourceKey

__all__ = [
    "Applied",
    "Client",
    "ConnectContext",
    "FieldChange",
    "Observation",
    "Previewable",
    "Provider",
    "Target",
    "WatchEvent",
    "Watchable",
]


@dataclass(frozen=True)
class Target:
    """One resource as the provider needs it.

    ``spec`` is the desired spec (``Secret`` values inside; call ``kedge.model.values.reveal``
    to get clear values) or, for a delete, the last applied spec from the inventory.
    ``outputs`` are the last known outputs (e.g. a VPC id), empty for a resource never created.
    """

    key: ResourceKey
    external_id: str
    spec: Mapping[str, Any]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)  # e.g. kedge.dev/allow-destructive


@dataclass(frozen=True)
class FieldChange:
    path: str  # dotted spec path, e.g. "tags.env"
    before: Any
    after: Any


@dataclass(frozen=True)
class Applied:
    """The outcome of a create or update: outputs other resources may reference."""

    outputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectContext:
    app: str  # the owning app: used for ownership marks (tags, comments, xattrs)
    provider_config: str = "default"


@dataclass(frozen=True)
class WatchEvent:
    """A change seen by a push-based watch. ``key`` None means "something of this kind"."""

    kind: str
    external_id: str | None = None
    detail: str = ""


@runtime_checkable
class Client(Protocol):
    def observe_many(self, kind: str, targets: Sequence[Target]) -> Mapping[ResourceKey, Observation]: ...

    def create(self, target: Target) -> Applied: ...

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied: ...

    def delete(self, target: Target, observed: Observation) -> None: ...

    def close(self) -> None: ...


class Watchable(Protocol):
    """Optional: push-based change notifications (inotify, LISTEN/NOTIFY, ...)."""

    def watch(self, stop: threading.Event | None = None) -> Iterator[WatchEvent]: ...


class Previewable(Protocol):
    """Optional: the exact statements an update or create will run, shown in the plan.

    Raises ``ConfigError`` when the change is refused before anything runs (e.g. a destructive
    table change without ``kedge.dev/allow-destructive: "true"``).
    """

    def preview(
        self, target: Target, observed: Observation, diff: Sequence[FieldChange]
    ) -> Sequence[str]: ...


@dataclass(frozen=True)
class Existing:
    """An object found by listing a kind: its id, the app its ownership mark names (None:
    unmarked), and what pricing needs of it (a region, a size)."""

    kind: str
    external_id: str
    owner: str | None
    spec: Mapping[str, Any] = field(default_factory=dict)


class Listable(Protocol):
    """Optional: what exists of each managed kind, for ``kedge orphans``. Read-only.

    One batched listing per kind (a paginated list call, one catalog query); system objects
    are left out. An error raises (``ProviderError``): an empty answer means nothing is there.
    """

    def listable_kinds(self) -> Sequence[str]: ...

    def list_existing(self, kind: str) -> Sequence[Existing]: ...


class Provider(Protocol):
    """What the ``kedge.providers`` entry point yields (an instance, or a zero-arg factory)."""

    name: str  # "local", "postgres", "aws"
    kinds: Mapping[str, KindSpec]  # by kind name
    settings_schema: Mapping[str, Any]  # JSON Schema of ProviderConfig.spec.settings

    def connect(self, settings: Mapping[str, Any], context: ConnectContext) -> Client: ...
