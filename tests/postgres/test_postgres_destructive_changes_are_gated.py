"""Changes that lose data are refused without kedge.dev/allow-destructive, before anything runs."""

import pytest

from kedge.model import ConfigError

BASE = [
    {"name": "id", "type": "integer", "primaryKey": True},
    {"name": "code", "type": "varchar(20)"},
    {"name": "note", "type": "text"},
]


@pytest.fixture
def table(kit, pg_database):
    t = kit.target(
        "Table",
        "items",
        {
            "database": pg_database,
            "columns": BASE,
            "uniqueConstraints": [{"name": "items_code_key", "columns": ["code"]}],
        },
    )
    kit.apply(t)
    kit.sql("INSERT INTO items VALUES (1, 'abc', 'keep me')", pg_database)
    return t


def changed(kit, table, **spec):
    return kit.target("Table", "items", {**table.spec, **spec})


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"columns": BASE[:2]}, "dropping column note"),
        ({"columns": [BASE[0], dict(BASE[1], type="varchar(5)"), BASE[2]]}, "can lose data"),
        ({"columns": [BASE[0], BASE[1], dict(BASE[2], type="integer")]}, "can lose data"),
        ({"uniqueConstraints": []}, "dropping unique constraint items_code_key"),
        ({"columns": [dict(BASE[0], primaryKey=False), BASE[1], BASE[2]]}, "dropping primary key"),
    ],
)
def test_destructive_change_is_refused_without_the_annotation(kit, table, pg_database, change, reason):
    want = changed(kit, table, **change)
    obs = kit.observe(want)
    diff = kit.diff(want)
    with pytest.raises(
        ConfigError, match=rf"Table/items: refusing a destructive change: .*{reason}.*allow-destructive"
    ):
        kit.client.preview(want, obs, diff)
    with pytest.raises(ConfigError, match="allow-destructive"):
        kit.client.update(want, obs, diff)
    assert kit.sql("SELECT code, note FROM items", pg_database) == [("abc", "keep me")]
    assert kit.diff(table) == []  # nothing half-applied


def test_the_annotation_allows_it(kit, table, pg_database):
    want = kit.target("Table", "items", {**table.spec, "columns": BASE[:2]}, allow_destructive="true")
    kit.apply(want)
    assert kit.diff(want) == []


def test_widening_varchar_is_allowed(kit, table):
    want = changed(kit, table, columns=[BASE[0], dict(BASE[1], type="varchar(50)"), BASE[2]])
    kit.apply(want)
    assert kit.diff(want) == []


def test_an_index_behind_a_constraint_cannot_be_declared_as_a_plain_index(kit, table):
    want = changed(kit, table, indexes=[{"name": "items_code_key", "columns": ["code"]}])
    with pytest.raises(ConfigError, match=r"Table/items: indexes\[0\].name: .*behind a constraint"):
        kit.client.preview(want, kit.observe(want), kit.diff(want))
