"""The shipped platform examples, unchanged, applied through the CLI to a real PostgreSQL and an
AWS API server; the demo's claim renders into its buckets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import psycopg
import pytest

from kedge.cli.demo_session import make_repo, platform_documents
from kedge.engine.platform import expander
from kedge.engine.render import render
from tests.conftest import write

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "platform"


@pytest.mark.postgres
def test_postgres_database_and_object_store_examples_apply_and_converge(
    kedge, tmp_path, pg_cluster, aws, monkeypatch
) -> None:
    app = tmp_path / "app"
    shutil.copytree(EXAMPLES / "app", app)
    monkeypatch.setenv("ORDERS_DB_PASSWORD", "orders-secret-1")
    monkeypatch.setenv("KEDGE_EXAMPLE_PG_DSN", pg_cluster.dsn())
    # The shipped providers.yaml names a real region; this test points it at the AWS test server.
    endpoint = f'region: us-east-1\n    endpointURL: "{aws.endpoint}"'
    text = (app / "providers.yaml").read_text().replace("region: us-east-1", endpoint)
    write(app / "providers.yaml", text)
    platform = EXAMPLES / "definitions"

    plan = kedge("plan", app, "--platform", platform, "-o", "json")
    assert plan.exit_code == 0, plan
    changes = json.loads(plan.stdout)["changes"]
    claims = {(c["kind"], c["name"]): c["claim"] for c in changes}
    assert claims[("Role", "orders_owner")] == {"kind": "PostgresDatabase", "name": "orders"}
    assert claims[("S3Bucket", "invoices-logs")] == {"kind": "ObjectStore", "name": "invoices"}
    assert "orders-secret-1" not in plan.stdout

    applied = kedge("apply", app, "--platform", platform, "--auto-approve")
    assert applied.exit_code == 0, applied
    assert "Claim PostgresDatabase/orders: ready" in applied.stdout
    assert "Claim ObjectStore/invoices: ready" in applied.stdout
    again = kedge("plan", app, "--platform", platform, "--detailed-exitcode")
    assert again.exit_code == 0, again
    ready = json.loads(kedge("plan", app, "--platform", platform, "-o", "json").stdout)["claims"]
    assert {(c["name"], c["ready"]) for c in ready} == {("orders", True), ("invoices", True)}

    owner = psycopg.connect(pg_cluster.dsn("orders", user="orders_owner", password="orders-secret-1"))
    with owner:
        row = owner.execute("select current_database(), current_user").fetchone()
        schema = owner.execute(
            "select schema_owner from information_schema.schemata where schema_name = 'app'"
        )
        assert row == ("orders", "orders_owner")
        assert schema.fetchone() == ("orders_owner",)
    with pg_cluster.connect() as admin:
        acl = admin.execute("select datacl::text from pg_database where datname = 'orders'").fetchone()
        assert acl is not None and "=Tc/" not in str(acl[0]), "PUBLIC may no longer connect"
        # An operator reading the objects themselves sees which claim made them.
        marks = admin.execute(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = 'orders' "
            "union all select shobj_description(oid, 'pg_authid') from pg_roles where rolname = 'orders_owner'"
        ).fetchall()
        assert len(marks) == 2
        assert all('"claim":"PostgresDatabase/orders"' in str(m[0]) for m in marks), marks
    s3 = boto3.client("s3", endpoint_url=aws.endpoint, region_name="us-east-1")
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket="invoices-data")["TagSet"]}
    assert tags["kedge.dev/claim"] == "ObjectStore/invoices" and tags["kedge.dev/app"]
    assert s3.get_bucket_versioning(Bucket="invoices-data")["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket="invoices-data")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert "invoices-logs" in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_the_demo_claim_renders_into_its_buckets(tmp_path) -> None:
    make_repo(tmp_path / "repo", "http://127.0.0.1:1")
    rendered = render(tmp_path / "repo" / "app", expand=expander(platform_documents()))
    # The demo's ProviderConfigs come from the server; here only the claim's expansion matters.
    composed = {r.key.name: r.claim for r in rendered.resources if r.claim is not None}
    assert set(composed) == {"kedge-demo-uploads-data", "kedge-demo-uploads-logs"}
    assert not [d for d in rendered.diagnostics if "ObjectStore" in d.message]


@pytest.mark.postgres
def test_the_examples_converge_through_the_controller(
    tmp_path, pg_cluster, pg_name, aws, monkeypatch
) -> None:
    from kedge.controller.controller import Controller
    from kedge.engine import Engine
    from kedge.engine.platform import load_platform
    from kedge.engine.retry import RetryPolicy
    from kedge.manifests import CoreDocument
    from kedge.sources import LocalSources
    from kedge.store import Store
    from tests.controller.conftest import GitRepo, app_spec, wait_for

    monkeypatch.setenv("ORDERS_DB_PASSWORD", "orders-secret-2")
    repo = GitRepo(tmp_path / "repo")
    # The cluster is shared by the session: this claim gets a name of its own.
    claims = (EXAMPLES / "app" / "claims.yaml").read_text().replace("name: orders", f"name: {pg_name}")
    repo.commit({"claims.yaml": claims})
    configs = [
        CoreDocument("ProviderConfig", "pg", {"provider": "postgres", "settings": {"dsn": pg_cluster.dsn()}}),
        CoreDocument("ProviderConfig", "cloud", {"provider": "aws", "settings": aws.settings()}),
    ]
    store = Store.open(str(tmp_path / "state.db"))
    engine = Engine(
        store,
        extra_configs=configs,
        retry=RetryPolicy(attempts=2, base=0.01),
        platform=expander(load_platform([EXAMPLES / "definitions"]), allow_declared=False),
    )
    controller = Controller(
        store, engine, cache_dir=tmp_path / "git-cache",
        backoff_base=0.05,
        backoff_cap=0.5,
        local_sources=LocalSources.under([tmp_path]),
    )
    controller.start()
    try:
        controller.create_app("orders", app_spec(repo.path), actor="tester")
        view = wait_for(
            lambda: (v := controller.get_app("orders"))["status"]["sync"] == "Synced" and v,
            timeout=30,
            message="the claims converge",
        )
        claims = {c["name"]: c for c in view["status"]["claims"]}
        assert claims[pg_name]["resources"] == [
            f"Role/{pg_name}_owner",
            f"Database/{pg_name}",
            f"Schema/{pg_name}-app",
            f"Grant/{pg_name}-private",
        ]
        assert claims["invoices"]["status"] == "Synced"
        assert claims["invoices"]["ready"] is True and claims[pg_name]["ready"] is True
        resources = controller.resources("orders")
        assert {r["claim"]["name"] for r in resources} == {pg_name, "invoices"}
        owner = pg_cluster.dsn(pg_name, user=f"{pg_name}_owner", password="orders-secret-2")
        with psycopg.connect(owner) as conn:
            assert conn.execute("select current_user").fetchone() == (f"{pg_name}_owner",)
    finally:
        controller.stop()
        engine.close()
        store.close()
