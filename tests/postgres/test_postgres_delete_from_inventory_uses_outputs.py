"""A prune works from the inventory's spec, references unresolved: the outputs name the place."""

from kedge.providers.base import Target

REF = {"fromResource": {"kind": "Database", "name": "app", "field": "name"}}


def as_inventory(target, outputs):
    """The target the engine builds from an inventory entry: raw spec, last outputs."""
    spec = {**target.spec, "database": REF}
    return Target(target.key, target.external_id, spec, outputs, target.annotations)


def test_table_is_observed_and_dropped_from_the_inventory(kit, pg_database):
    table = kit.target(
        "Table",
        "old",
        {"database": pg_database, "columns": [{"name": "id", "type": "int"}]},
        allow_destructive="true",
    )
    applied = kit.client.create(table)
    assert applied.outputs["database"] == pg_database
    leftover = as_inventory(table, applied.outputs)
    obs = kit.observe(leftover)
    assert obs.exists
    kit.client.delete(leftover, obs)
    assert not kit.observe(table).exists


def test_grant_is_revoked_from_the_inventory(kit, pg_database):
    role = kit.target("Role", kit.n("r"), {})
    kit.apply(role)
    grant = kit.target(
        "Grant",
        kit.n("g"),
        {"role": role.external_id, "on": "database", "database": pg_database, "privileges": ["CREATE"]},
    )
    applied = kit.client.create(grant)
    leftover = as_inventory(grant, applied.outputs)
    kit.client.delete(leftover, kit.observe(leftover))
    assert not kit.observe(grant).exists
