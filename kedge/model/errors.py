"""The error hierarchy.

    KedgeError
     +-- ConfigError       bad input (manifests, settings, flags): never retried
     +-- ConflictError     another app, or nobody, owns the identity: never retried
     +-- ProviderError     the target refused or failed; ``temporary`` says whether a retry helps
          +-- TemporaryError   retry with backoff; ``delay`` is the server's hint, if any

Messages never contain secret values: providers pass their errors through
``kedge.model.values.redact_text`` before raising.
"""

from __future__ import annotations

from collections.abc import Sequence

from kedge.model.diagnostics import Diagnostic


class KedgeError(Exception):
    """Base of every error Kedge raises on purpose."""


class ConfigError(KedgeError):
    """The input is wrong; the message says where and what to do."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)


class ConflictError(KedgeError):
    """The resource's identity is owned by another app or exists unowned without adoption."""


class ProviderError(KedgeError):
    """A provider call failed. ``temporary`` errors are retried with backoff."""

    temporary: bool = False

    def __init__(self, message: str, *, temporary: bool | None = None) -> None:
        super().__init__(message)
        if temporary is not None:
            self.temporary = temporary


class TemporaryError(ProviderError):
    """A failure that a later retry may fix (throttling, timeouts, 5xx, lock contention)."""

    temporary = True

    def __init__(self, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay
