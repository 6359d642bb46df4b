"""Multi-line values are compared line by line with a little context; one-line values are not
multi-line; the UI's relative times are computed against an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kedge.planning.lines import is_multiline, line_diff
from kedge.ui.render import timetag

CASES = [
    ("one changed line", "a\nb\nc\n", "a\nB\nc\n", [(" ", "a"), ("-", "b"), ("+", "B"), (" ", "c")]),
    ("a line added at the end", "a\nb\n", "a\nb\nc\n", [(" ", "a"), (" ", "b"), ("+", "c")]),
    ("created from nothing", None, "x\ny\n", [("+", "x"), ("+", "y")]),
]


@pytest.mark.parametrize(("reason", "before", "after", "want"), CASES, ids=[c[0] for c in CASES])
def test_line_diff(reason: str, before: str | None, after: str, want: list[tuple[str, str]]) -> None:
    assert line_diff(before, after) == want, reason


def test_distant_changes_are_separated_by_a_skip() -> None:
    before = "".join(f"{i}\n" for i in range(1, 11))
    after = before.replace("1\n", "X\n", 1).replace("10\n", "Y\n")
    marks = line_diff(before, after)
    assert ("…", "") in marks
    assert (" ", "5") not in marks and (" ", "6") not in marks


@pytest.mark.parametrize(
    ("before", "after", "want"),
    [("a\nb", "a\nc", True), ("one line\n", "other\n", False), (None, "x\ny", True), (1, "x\ny", False)],
)
def test_is_multiline(before: object, after: object, want: bool) -> None:
    assert is_multiline(before, after) is want


def test_times_are_relative_with_the_absolute_time_on_hover() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    tag = str(timetag((now - timedelta(minutes=5)).isoformat(), now))
    assert ">5 min ago</time>" in tag and 'title="2026-05-01 11:55:00 UTC"' in tag
    assert ">2 h ago<" in str(timetag((now - timedelta(hours=2, minutes=3)).isoformat(), now))
    assert str(timetag(None)) == ""
