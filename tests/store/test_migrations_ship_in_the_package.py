"""The Alembic environment and revisions are Python packages that setuptools finds, so a
non-editable install (a wheel) carries them and the store can migrate wherever it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

import kedge
from kedge.store import migrate

find_packages = pytest.importorskip("setuptools").find_packages

ROOT = Path(kedge.__file__).resolve().parent.parent


def test_every_migration_directory_is_a_package_setuptools_finds() -> None:
    # find_packages needs an __init__.py: stricter than the namespace search pyproject uses.
    found = set(find_packages(where=str(ROOT), include=["kedge*"]))
    assert {"kedge.store.migrations", "kedge.store.migrations.versions"} <= found
    assert (migrate.MIGRATIONS / "env.py").is_file()
    assert migrate.MIGRATIONS.is_relative_to(ROOT / "kedge")
