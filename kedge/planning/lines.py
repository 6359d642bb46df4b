"""Line-by-line comparison of multi-line values (file contents, policies), for people.

``terraform plan`` shows a changed file as the lines removed and added, not as two long
strings; the CLI and the web UI do the same with this. Pure: strings in, lines out.
"""

from __future__ import annotations

import difflib
from typing import Any

CONTEXT = 2  # unchanged lines kept around each change


def is_multiline(before: Any, after: Any) -> bool:
    """Whether a change is worth showing line by line: a text value with a newline on either side."""
    texts = [v for v in (before, after) if isinstance(v, str)]
    return bool(texts) and all(isinstance(v, str | type(None)) for v in (before, after)) and any(
        "\n" in v.rstrip("\n") for v in texts
    )


def line_diff(before: str | None, after: str | None, context: int = CONTEXT) -> list[tuple[str, str]]:
    """``(mark, line)`` pairs: ``-`` removed, ``+`` added, `` `` unchanged context, ``…`` skipped."""
    old = (before or "").splitlines()
    new = (after or "").splitlines()
    out: list[tuple[str, str]] = []
    for group in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_grouped_opcodes(context):
        if out:
            out.append(("…", ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend((" ", line) for line in old[i1:i2])
                continue
            out.extend(("-", line) for line in old[i1:i2])
            out.extend(("+", line) for line in new[j1:j2])
    return out
