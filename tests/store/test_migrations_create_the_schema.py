"""Opening a new database builds the whole schema with the revisions shipped in the package,
and those revisions describe exactly the tables the store's models declare."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from kedge.store import Store, migrate
from kedge.store.database import parse_url
from kedge.store.tables import Base


def test_opening_an_empty_database_creates_every_table_at_head(db_url: str) -> None:
    Store.open(db_url).close()
    engine = create_engine(parse_url(db_url))
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert {
                "inventory",
                "intents",
                "runs",
                "run_results",
                "apps",
                "events",
                "tokens",
                "audit",
                "audit_checkpoints",
            } <= tables
            assert migrate.VERSION_TABLE in tables
            assert migrate.current_revision(connection) == migrate.head_revision()
    finally:
        engine.dispose()


def test_the_revisions_build_exactly_what_the_models_declare(db_url: str) -> None:
    Store.open(db_url).close()
    engine = create_engine(parse_url(db_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": migrate.VERSION_TABLE, "compare_type": True}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == [], "a model changed without a migration revision (or the reverse)"


def test_revision_files_are_numbered_in_one_line() -> None:
    """``open`` reads the head from file names; this checks the names tell the truth."""
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert scripts.get_heads() == [migrate.head_revision()]
    for script in scripts.walk_revisions():
        number = re.match(r"(\d{4})_", script.path.rsplit("/", 1)[-1])
        assert number is not None and number.group(1) == script.revision, script.path
        expected_down = None if script.revision == "0001" else f"{int(script.revision) - 1:04d}"
        assert script.down_revision == expected_down, script.path
