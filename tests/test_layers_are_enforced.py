"""The layer order of the design (section 3) holds, and every package is covered by it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"][0]


def test_every_kedge_package_has_a_layer() -> None:
    layered = {
        name.strip().removeprefix("kedge.") for layer in _contract()["layers"] for name in layer.split("|")
    }
    packages = {p.name for p in (ROOT / "kedge").iterdir() if (p / "__init__.py").exists()}
    assert packages <= layered, f"packages outside the layer contract: {sorted(packages - layered)}"


def test_layer_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def test_planning_is_pure() -> None:
    """The planner imports nothing that does I/O."""
    forbidden = ("sqlalchemy", "psycopg", "boto3", "pygit2", "subprocess", "socket", "requests", "httpx")
    for module in (ROOT / "kedge" / "planning").glob("*.py"):
        text = module.read_text()
        for name in forbidden:
            assert f"import {name}" not in text, f"{module.name} imports {name}"
