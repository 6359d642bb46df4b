"""The quick version of bench/crash_safety.py: a few `kill -9`s of `kedge apply` at random
points, each followed by the invariants (converged, nothing duplicated or untracked, no intent
or running run left, no stale temp file, the audit chain valid). The long run is a benchmark
(docs/reliability.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "crash_safety.py"


@pytest.mark.parametrize("target", ["local", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_kills_at_random_points_leave_every_invariant(target: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--rounds", "4", "--target", target, "--seed", "3"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 with a violation" in done.stdout
    assert "killed" in done.stdout  # at least one round was really cut short
