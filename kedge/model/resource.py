"""Resources as Kedge sees them: keys, identities, desired resources and observations."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

ANNOTATION_PREFIX = "kedge.dev/"


CLAIM_ANNOTATION = ANNOTATION_PREFIX + "claim"


@dataclass(frozen=True, order=True)
class ClaimRef:
    """The claim a composed resource belongs to (``kedge.dev/claim: Kind/name``)."""

    kind: str
    name: str

    @classmethod
    def of(cls, annotations: Mapping[str, str]) -> ClaimRef | None:
        kind, slash, name = annotations.get(CLAIM_ANNOTATION, "").partition("/")
        return cls(kind, name) if slash and kind and name else None

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name}

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


class DeletionPolicy(enum.StrEnum):
    DELETE = "Delete"
    ORPHAN = "Orphan"


class ManagementPolicy(enum.StrEnum):
    FULL = "Full"
    OBSERVE_ONLY = "ObserveOnly"
    CREATE_ONLY = "CreateOnly"


@dataclass(frozen=True, order=True)
class ResourceKey:
    """A resource inside one app: unique per (apiVersion group, kind, name)."""

    api_version: str
    kind: str
    name: str

    @property
    def group(self) -> str:
        return self.api_version.split("/", 1)[0]

    @property
    def provider(self) -> str:
        return self.group.split(".", 1)[0]

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, order=True)
class Identity:
    """A real-world object: (provider, ProviderConfig, kind, external id). Owned by one app."""

    provider: str
    provider_config: str
    kind: str
    external_id: str

    def __str__(self) -> str:
        return f"{self.provider}/{self.provider_config}/{self.kind}/{self.external_id}"


@dataclass(frozen=True)
class Resource:
    """A desired resource as rendered from a manifest.

    ``spec`` may hold ``Secret`` values (resolved references) and ``UNKNOWN`` (outputs of
    resources not created yet). ``raw_spec`` is the spec as written, references unresolved:
    it is what the state store keeps.
    """

    key: ResourceKey
    spec: Mapping[str, Any]
    raw_spec: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    file: str | None = None
    line: int | None = None
    external_id: str = ""  # filled by the loader from external-name or the kind's identity field

    def annotation(self, name: str, default: str = "") -> str:
        return self.annotations.get(ANNOTATION_PREFIX + name, default)

    def flag(self, name: str) -> bool:
        return self.annotation(name).strip().lower() == "true"

    @property
    def external_name(self) -> str:
        return self.annotation("external-name") or self.key.name

    @property
    def claim(self) -> ClaimRef | None:
        """The claim that composed this resource, None for a plain one."""
        return ClaimRef.of(self.annotations)

    @property
    def provider_config(self) -> str:
        return self.annotation("provider-config") or "default"

    @property
    def deletion_policy(self) -> DeletionPolicy:
        return DeletionPolicy(self.annotation("deletion-policy") or "Delete")

    @property
    def management_policy(self) -> ManagementPolicy:
        return ManagementPolicy(self.annotation("management-policy") or "Full")

    @property
    def prevent_destroy(self) -> bool:
        return self.flag("prevent-destroy")

    @property
    def adopt(self) -> bool:
        return self.flag("adopt")

    @property
    def ignore_fields(self) -> tuple[str, ...]:
        raw = self.annotation("ignore-fields")
        return tuple(p.strip() for p in raw.split(",") if p.strip())

    @property
    def depends_on(self) -> tuple[tuple[str, str], ...]:
        """``depends-on`` as (kind, name) pairs."""
        raw = self.annotation("depends-on")
        out: list[tuple[str, str]] = []
        for item in raw.split(","):
            item = item.strip()
            if item:
                kind, _, name = item.partition("/")
                out.append((kind.strip(), name.strip()))
        return tuple(out)

    def identity(self) -> Identity:
        return self._identity

    @cached_property
    def _identity(self) -> Identity:
        return Identity(
            self.key.provider,
            self.provider_config,
            self.key.kind,
            self.external_id or self.external_name,
        )


@dataclass(frozen=True)
class Observation:
    """What a provider saw. ``state`` is normalised so it compares with the desired spec.

    ``owner`` is the app named by the ownership mark Kedge left on the object (AWS tag,
    PostgreSQL comment, file xattr), or None when the object carries none.
    ``conditions`` are what the provider has to say about the object beyond its state
    (condition type -> message, e.g. ``RemediationPaused``); plans show them as warnings.
    """

    exists: bool
    state: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    owner: str | None = None
    conditions: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def missing(cls) -> Observation:
        return cls(exists=False)


@dataclass(frozen=True)
class InventoryEntry:
    """One object an app owns, as the state store records it (an input of the planner)."""

    app: str
    key: ResourceKey
    identity: Identity
    spec: Mapping[str, Any] = field(default_factory=dict)  # last applied spec, references unresolved
    outputs: Mapping[str, Any] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    adopted: bool = False

    def annotation(self, name: str, default: str = "") -> str:
        return self.annotations.get(ANNOTATION_PREFIX + name, default)

    @property
    def claim(self) -> ClaimRef | None:
        return ClaimRef.of(self.annotations)
