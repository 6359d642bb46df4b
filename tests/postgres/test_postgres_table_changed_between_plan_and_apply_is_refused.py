"""Right before applying, Kedge re-reads the table and refuses if it changed since the plan."""

import pytest

from kedge.model import ProviderError


def test_table_changed_between_plan_and_apply_is_refused(kit, pg_database):
    table = kit.target(
        "Table", "orders", {"database": pg_database, "columns": [{"name": "id", "type": "integer"}]}
    )
    kit.apply(table)
    want = kit.target(
        "Table",
        "orders",
        {**table.spec, "columns": [{"name": "id", "type": "integer"}, {"name": "total", "type": "numeric"}]},
    )
    planned = kit.observe(want)
    diff = kit.diff(want)
    kit.sql("ALTER TABLE orders ADD COLUMN sneaky text", pg_database)
    with pytest.raises(
        ProviderError, match=r"Table/orders: the table changed since the plan was made; run plan again"
    ):
        kit.client.update(want, planned, diff)
    cols = kit.sql(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 ORDER BY attnum",
        pg_database,
    )
    assert [c[0] for c in cols] == ["id", "sneaky"]


def test_unchanged_table_is_updated(kit, pg_database):
    table = kit.target(
        "Table", "orders2", {"database": pg_database, "columns": [{"name": "id", "type": "integer"}]}
    )
    kit.apply(table)
    want = kit.target(
        "Table",
        "orders2",
        {**table.spec, "columns": [{"name": "id", "type": "integer"}, {"name": "total", "type": "numeric"}]},
    )
    kit.client.update(want, kit.observe(want), kit.diff(want))
    assert kit.diff(want) == []
