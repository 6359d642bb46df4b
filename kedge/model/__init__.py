"""Leaf types shared by every layer: keys, resources, kinds, observations, diagnostics, errors.

Nothing here performs I/O or imports another Kedge package.
"""

from kedge.model.diagnostics import Diagnostic, Severity
from kedge.model.errors import (
    ConfigError,
    ConflictError,
    KedgeError,
    ProviderError,
    TemporaryError,
    is_temporary,
)
from kedge.model.kinds import KindSpec
from kedge.model.resource import (
    ClaimRef,
    DeletionPolicy,
    Identity,
    InventoryEntry,
    ManagementPolicy,
    Observation,
    Resource,
    ResourceKey,
)
from kedge.model.values import UNKNOWN, Reference, Secret, Unknown

__all__ = [
    "UNKNOWN",
    "ClaimRef",
    "ConfigError",
    "ConflictError",
    "DeletionPolicy",
    "Diagnostic",
    "Identity",
    "InventoryEntry",
    "KedgeError",
    "KindSpec",
    "ManagementPolicy",
    "Observation",
    "ProviderError",
    "Reference",
    "Resource",
    "ResourceKey",
    "Secret",
    "Severity",
    "TemporaryError",
    "Unknown",
    "is_temporary",
]
