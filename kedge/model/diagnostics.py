"""Diagnostics: every problem found in the input, with the place it was found.

Validation collects all of them instead of stopping at the first, so a user fixes a manifest
directory in one pass, the way a compiler reports every error.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None  # field path inside the document, e.g. "spec.mode"
    # A stable word for programs (Conflict, PolicyDenied, PruneNeedsConfirmation, ...): what a
    # controller acts on and shows as a condition's reason. None: invalid input in general.
    code: str | None = None

    @classmethod
    def error(
        cls,
        message: str,
        file: str | None = None,
        line: int | None = None,
        path: str | None = None,
        *,
        code: str | None = None,
    ) -> Diagnostic:
        return cls(Severity.ERROR, message, file, line, path, code)

    @classmethod
    def warning(
        cls,
        message: str,
        file: str | None = None,
        line: int | None = None,
        path: str | None = None,
        *,
        code: str | None = None,
    ) -> Diagnostic:
        return cls(Severity.WARNING, message, file, line, path, code)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        if self.path:
            where = f"{where}: {self.path}"
        return where

    def __str__(self) -> str:
        return f"{self.location()}: {self.severity.value}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        message = f"{self.path}: {self.message}" if self.path else self.message
        return {
            "severity": self.severity.value,
            "file": self.file,
            "line": self.line,
            "message": message,
        }


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
