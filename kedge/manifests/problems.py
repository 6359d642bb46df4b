"""Problems found inside one document, before they know their line.

Checks work on plain values and report a ``Problem`` with the field path (a tuple of keys and
list indices). The loader turns problems into ``Diagnostic``s once per document, looking the
line up in the file's line index only when there is something to report: the fast path never
pays for line bookkeeping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kedge.model import Diagnostic, Severity

FieldPath = tuple[str | int, ...]

_PLAIN_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


@dataclass(frozen=True)
class Problem:
    message: str
    path: FieldPath = ()
    severity: Severity = Severity.ERROR

    @classmethod
    def warning(cls, message: str, path: FieldPath = ()) -> Problem:
        return cls(message, path, Severity.WARNING)


def format_path(path: Sequence[str | int]) -> str:
    """``("spec", "rules", 0, "name")`` -> ``spec.rules[0].name``; odd keys are quoted."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part and set(part) <= _PLAIN_KEY_CHARS:
            out.append(f".{part}" if out else part)
        else:
            out.append(f'["{part}"]')
    return "".join(out)


def line_of(lines: Mapping[FieldPath, int], path: FieldPath, default: int | None) -> int | None:
    """The line of ``path`` or of its nearest ancestor that the document spells out."""
    for end in range(len(path), 0, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return default


def to_diagnostic(
    problem: Problem, file: str | None, lines: Mapping[FieldPath, int], default_line: int | None
) -> Diagnostic:
    return Diagnostic(
        problem.severity,
        problem.message,
        file,
        line_of(lines, problem.path, default_line),
        format_path(problem.path) or None,
    )
