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


def test_planning_purity_and_the_fake_provider_are_contracts() -> None:
    """Planning imports no I/O library and only tests use the fake provider: import-linter
    checks both, including imports through other modules, so no substring test is needed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    pure = contracts["Planning is pure: it imports no I/O library"]
    assert pure["source_modules"] == ["kedge.planning"]
    assert {"sqlalchemy", "psycopg", "boto3", "pygit2", "socket", "subprocess"} <= set(pure["forbidden_modules"])
    fake = contracts["The fake provider serves tests only"]
    assert fake["forbidden_modules"] == ["kedge.providers.fake"]
