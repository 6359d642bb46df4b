"""Observe in batches: queries grow with kinds x databases, not with resources."""

from kedge.providers.base import ConnectContext
from kedge.providers.postgres import provider
from tests.postgres.pgkit import make_target


def sweep_queries(pg_cluster, targets_by_kind):
    client = provider.connect({"dsn": pg_cluster.dsn()}, ConnectContext("testapp"))
    try:
        before = client.queries
        for kind, targets in targets_by_kind.items():
            client.observe_many(kind, targets)
        return client.queries - before
    finally:
        client.close()


def test_queries_do_not_grow_with_resources(kit, pg_cluster, pg_database):
    roles = [f"{kit.prefix}_r{i}" for i in range(60)]
    kit.sql("; ".join(f'CREATE ROLE "{r}"' for r in roles))
    kit.sql("; ".join(f"CREATE TABLE t{i} (id int primary key, v text)" for i in range(30)), pg_database)

    def targets(n):
        return {
            "Role": [make_target("Role", r, {}) for r in roles[:n]],
            "Table": [
                make_target(
                    "Table", f"t{i}", {"database": pg_database, "columns": [{"name": "id", "type": "int"}]}
                )
                for i in range(n // 2)
            ],
            "Grant": [
                make_target(
                    "Grant",
                    f"g{i}",
                    {"role": r, "on": "allTablesInSchema", "database": pg_database, "privileges": ["SELECT"]},
                )
                for i, r in enumerate(roles[:n])
            ],
            "Schema": [make_target("Schema", "public", {"database": pg_database})],
        }

    small, large = sweep_queries(pg_cluster, targets(2)), sweep_queries(pg_cluster, targets(60))
    assert small == large
    assert large <= 5


def test_every_table_of_a_database_is_observed_in_one_query(kit, pg_cluster, pg_database):
    kit.sql("; ".join(f"CREATE TABLE t{i} (id int)" for i in range(40)), pg_database)
    client = provider.connect({"dsn": pg_cluster.dsn()}, ConnectContext("testapp"))
    targets = [
        make_target(
            "Table", f"t{i}", {"database": pg_database, "columns": [{"name": "id", "type": "integer"}]}
        )
        for i in range(40)
    ]
    before = client.queries
    observed = client.observe_many("Table", targets)
    assert client.queries - before == 1
    assert all(
        o.exists and o.state["columns"] == [{"name": "id", "type": "integer"}] for o in observed.values()
    )
    client.close()
