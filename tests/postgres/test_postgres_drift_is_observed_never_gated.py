"""``kedge drift`` only observes: a column added to a managed Table behind git's back is drift
(exit 2, listed under ``drifted``) even though reverting it is a destructive change that needs
``kedge.dev/allow-destructive``; the report says so instead of failing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres


def test_added_column_is_drift_not_a_refusal(kedge, pg_cluster, pg_name, tmp_path: Path) -> None:
    db = pg_cluster.create_database(pg_name)
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.yaml").write_text(
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f'spec: {{provider: postgres, settings: {{dsn: "{pg_cluster.dsn()}"}}}}\n---\n'
        "apiVersion: postgres.kedge.dev/v1\nkind: Table\nmetadata: {name: users}\n"
        f"spec: {{database: {db}, columns: [{{name: id, type: bigint, primaryKey: true}}]}}\n"
    )
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    with pg_cluster.connect(db) as conn:
        conn.execute("ALTER TABLE users ADD COLUMN nickname text")

    drift = kedge("drift", app, "-o", "json")
    assert drift.exit_code == 2, drift
    report = json.loads(drift.stdout)
    [item] = report["drifted"]
    assert (item["kind"], item["name"]) == ("Table", "users")
    assert [f["path"] for f in item["fields"]] == ["columns"]
    assert "nickname" in json.dumps(item["fields"][0]["actual"])
    assert "allow-destructive" in item["revert"]

    text = kedge("drift", app)
    assert text.exit_code == 2, text
    assert "drifted" in text.stdout and "allow-destructive" in text.stdout

    # Applying is still gated: the plan refuses the destructive revert.
    assert kedge("plan", app).exit_code == 1
