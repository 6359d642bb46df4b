"""Every bad input of the core: a clear message naming file, line or field, exit 1, no traceback,
nothing written to disk and nothing recorded in the state store."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import write

GOOD = """
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: good}
spec: {path: good.txt, content: ok}
"""


def file_doc(name: str, spec: str, extra_meta: str = "") -> str:
    return f"""
---
apiVersion: local.kedge.dev/v1
kind: File
metadata:
  name: {name}
{extra_meta}spec:
{spec}
"""


CASES = [
    # (id, body appended after GOOD, expected fragments in stderr)
    (
        "malformed-yaml",
        "---\napiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: x\n",
        ["resources.yaml:", "error"],
    ),
    ("alias-bomb", "---\na: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", ["resources.yaml:", "alias"]),
    ("nesting-10000-deep", "---\nx: " + "[" * 10000 + "]" * 10000 + "\n", ["resources.yaml:", "nesting"]),
    (
        "unknown-api-version",
        "---\napiVersion: nope.kedge.dev/v9\nkind: File\nmetadata: {name: a}\nspec: {}\n",
        ["resources.yaml:7", "nope.kedge.dev/v9"],
    ),
    (
        "unknown-kind",
        "---\napiVersion: local.kedge.dev/v1\nkind: Fiel\nmetadata: {name: a}\nspec: {}\n",
        ["resources.yaml:7", "Fiel"],
    ),
    ("unknown-field", file_doc("a", "  path: a.txt\n  colour: red\n"), ["resources.yaml:", "colour"]),
    ("wrong-type", file_doc("a", "  path: a.txt\n  content: [1, 2]\n"), ["resources.yaml:", "content"]),
    ("duplicate-name", file_doc("good", "  path: other.txt\n"), ["resources.yaml:", "good"]),
    (
        "missing-reference",
        file_doc("a", "  path: a.txt\n  content: {fromResource: {kind: File, name: ghost, field: sha256}}\n"),
        ["resources.yaml:", "ghost"],
    ),
    (
        "dependency-cycle",
        file_doc("a", "  path: a.txt\n", "  annotations: {kedge.dev/depends-on: File/b}\n")
        + file_doc("b", "  path: b.txt\n", "  annotations: {kedge.dev/depends-on: File/a}\n"),
        ["cycle", "File/a", "File/b"],
    ),
    (
        "unset-from-env",
        file_doc("a", "  path: a.txt\n  content: {fromEnv: KEDGE_TEST_SURELY_UNSET}\n"),
        ["resources.yaml:", "KEDGE_TEST_SURELY_UNSET"],
    ),
    ("path-with-dotdot", file_doc("a", "  path: ../escape.txt\n"), ["spec.path", ".."]),
    ("absolute-path", file_doc("a", "  path: /etc/escape.txt\n"), ["spec.path", "/etc/escape.txt"]),
]


def _inventory_rows(app: Path) -> int:
    db = app / ".kedge" / "state.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        return sum(
            conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables if "inventory" in t
        )


@pytest.mark.parametrize("body,fragments", [(b, f) for _, b, f in CASES], ids=[c[0] for c in CASES])
def test_bad_manifest_is_refused_with_a_placed_message(kedge, local_app, body, fragments) -> None:
    app, root = local_app(GOOD + body)
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 1, result
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert list(root.iterdir()) == [], "nothing may be written"
    assert _inventory_rows(app) == 0


def test_validate_reports_every_problem_not_just_the_first(kedge, local_app) -> None:
    app, _ = local_app(GOOD + file_doc("a", "  path: a.txt\n  colour: red\n") + file_doc("b", "  path: 7\n"))
    result = kedge("validate", app)
    assert result.exit_code == 1
    assert "colour" in result.stderr and "File/b" in result.stderr or "spec.path" in result.stderr
    assert result.stderr.count("error") >= 2


def test_ten_megabyte_file_is_refused(kedge, local_app) -> None:
    app, root = local_app(GOOD)
    big = app / "big.yaml"
    big.write_text("# " + "x" * (10 * 1024 * 1024) + "\n")
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 1
    assert "big.yaml" in result.stderr and "MiB" in result.stderr
    assert list(root.iterdir()) == []


def test_symlink_in_root_pointing_outside_is_refused(kedge, local_app, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    app, root = local_app(file_doc("a", "  path: link/escape.txt\n  content: x\n"))
    os.symlink(outside, root / "link")
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 1, result
    assert "Traceback" not in result.output
    assert "symbolic link" in result.stderr
    assert list(outside.iterdir()) == []
    assert _inventory_rows(app) == 0


def test_empty_source_with_prune_deletes_nothing(kedge, local_app) -> None:
    app, root = local_app(GOOD)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    (app / "resources.yaml").write_text("# everything removed\n")
    result = kedge("apply", app, "--auto-approve", "--prune")
    assert result.exit_code == 1
    assert "allowEmpty" in result.stderr or "allow-empty" in result.stderr
    assert (root / "good.txt").exists()
    assert _inventory_rows(app) == 1


def test_prune_of_more_than_half_needs_confirmation(kedge, local_app) -> None:
    body = "".join(file_doc(f"f{i}", f"  path: f{i}.txt\n") for i in range(4))
    app, root = local_app(body.lstrip("\n-"))
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    write(app / "resources.yaml", file_doc("f0", "  path: f0.txt\n").lstrip("\n-"))
    result = kedge("apply", app, "--auto-approve", "--prune")
    assert result.exit_code == 1
    assert "--confirm-prune" in result.stderr and "3 of" in result.stderr
    assert sorted(p.name for p in root.iterdir()) == ["f0.txt", "f1.txt", "f2.txt", "f3.txt"]
    assert _inventory_rows(app) == 4

    confirmed = kedge("apply", app, "--auto-approve", "--prune", "--confirm-prune")
    assert confirmed.exit_code == 0, confirmed
    assert sorted(p.name for p in root.iterdir()) == ["f0.txt"]
