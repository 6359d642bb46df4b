"""The error hierarchy.

    KedgeError
     +-- ConfigError       bad input (manifests, settings, flags): never retried
     +-- ConflictError     another app, or nobody, owns the identity: never retried
     +-- ProviderError     the target refused or failed; ``temporary`` says whether a retry helps
          +-- TemporaryError   retry with backoff; ``delay`` is the server's hint, if any

Every error has a ``code``: a stable word a program may act on (the controller decides retry or
stall from the class, ``temporary`` and ``code``, never from the message, which is for humans).

Messages never contain secret values: providers pass their errors through
``kedge.model.values.redact_text`` before raising.
"""

from __future__ import annotations

from collections.abc import Sequence

from kedge.model.diagnostics import Diagnostic


class KedgeError(Exception):
    """Base of every error Kedge raises on purpose."""

    code: str = "Failed"


class ConfigError(KedgeError):
    """The input is wrong; the message says where and what to do."""

    code = "InvalidInput"

    def __init__(
        self, message: str, diagnostics: Sequence[Diagnostic] = (), *, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)
        if code is not None:
            self.code = code


class ConflictError(KedgeError):
    """The resource's identity is owned by another app or exists unowned without adoption."""

    code = "Conflict"


class ProviderError(KedgeError):
    """A provider call failed. ``temporary`` errors are retried with backoff."""

    code = "ProviderFailed"
    temporary: bool = False

    def __init__(self, message: str, *, temporary: bool | None = None, code: str | None = None) -> None:
        super().__init__(message)
        if temporary is not None:
            self.temporary = temporary
        if code is not None:
            self.code = code


class TemporaryError(ProviderError):
    """A failure that a later retry may fix (throttling, timeouts, 5xx, lock contention)."""

    code = "ProviderUnavailable"
    temporary = True

    def __init__(self, message: str, delay: float | None = None, *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.delay = delay


def is_temporary(err: BaseException) -> bool:
    """Whether a retry may help: decided by the error's class and flag, never its message."""
    return isinstance(err, ProviderError) and err.temporary
