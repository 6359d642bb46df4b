"""Opening a store that is already at head changes nothing, keeps the data, and is quick: it
checks the revision and does not even import Alembic. A database newer than this Kedge is
refused rather than misread."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kedge.model import ConfigError
from kedge.store import Store, migrate
from kedge.store.database import parse_url

from .conftest import file_entry


def test_reopening_keeps_the_data_and_the_revision(db_url: str) -> None:
    with Store.open(db_url) as store:
        store.put_inventory(file_entry("web", "index"))
    for _ in range(2):
        with Store.open(db_url) as store:
            assert [e.key.name for e in store.inventory("web")] == ["index"]
    engine = create_engine(parse_url(db_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(f"SELECT version_num FROM {migrate.VERSION_TABLE}")).all()
    finally:
        engine.dispose()
    assert [r[0] for r in rows] == [migrate.head_revision()]


def test_reopening_does_not_load_alembic(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store.open(str(path)).close()
    probe = (
        "import sys; from kedge.store import Store; "
        f"Store.open({str(path)!r}).close(); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_database_from_a_newer_kedge_is_refused(db_url: str) -> None:
    Store.open(db_url).close()
    engine = create_engine(parse_url(db_url))
    try:
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(ConfigError, match="newer than this Kedge"):
        Store.open(db_url)


def test_two_first_opens_at_once_both_succeed(db_url: str) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        stores = list(pool.map(lambda _: Store.open(db_url), range(2)))
    for store in stores:
        store.put_inventory(file_entry("web", "page"))
        store.close()
    with Store.open(db_url) as store:
        assert len(store.inventory("web")) == 1
