"""Through the server (git source, controller, REST API): a commit that moves a claim to
another cloud shows one ``migrate`` step in ``GET apps/{name}/diff``; an automated sync stops
and asks for confirmation; ``POST apps/{name}/sync {"confirmPrune": true}`` copies every object
and only then deletes the old bucket. A copy that fails deletes nothing, says why in the app's
condition and history, and the next sync resumes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kedge.api.asgi import create_asgi_app
from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.engine.platform import expander, load_platform
from kedge.engine.retry import RetryPolicy
from kedge.sources import LocalSources
from kedge.store import Store
from tests.controller.conftest import GitRepo, wait_for
from tests.migrate.conftest import OBJECTS, PLATFORM, claim_text

pytestmark = [pytest.mark.aws, pytest.mark.gcp]

TOKEN = "migration-admin-token-0123456789abcdef"


def providers(aws_endpoint: str, gcs: Any) -> str:
    return f"""\
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {{name: aws}}
spec:
  provider: aws
  settings: {{region: us-east-1, endpointURL: "{aws_endpoint}", maxAttempts: 1}}
---
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {{name: gcp}}
spec:
  provider: gcp
  settings: {{project: {gcs.project}, endpointURL: "{gcs.url}"}}
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Controller, TestClient]]:
    store = Store.open(str(tmp_path / "state.db"))
    engine = Engine(
        store, retry=RetryPolicy(attempts=2, base=0.01), platform=expander(load_platform([PLATFORM]))
    )
    controller = Controller(
        store,
        engine,
        cache_dir=tmp_path / "cache",
        backoff_base=0.05,
        backoff_cap=0.5,
        local_sources=LocalSources.under([tmp_path]),
    )
    controller.start()
    api = create_asgi_app(controller, store, admin_token=TOKEN, webhook_secret="unused")
    try:
        with TestClient(api, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            yield controller, client
    finally:
        controller.stop()
        engine.close()
        store.close()


def spec(repo: GitRepo) -> dict[str, Any]:
    return {
        "source": {"repoURL": str(repo.path), "targetRevision": "main", "path": ".", "pollInterval": "1s"},
        "syncPolicy": {"automated": True, "selfHeal": True, "driftInterval": "30s"},
    }


def ready(client: TestClient) -> dict[str, Any]:
    app = client.get("/api/v1/apps/shop").json()
    return next((c for c in app["status"]["conditions"] if c["type"] == "Ready"), {})


def deployed(tmp_path: Path, controller: Controller, endpoint: str, aws: Any, gcs: Any) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"providers.yaml": providers(endpoint, gcs), "claims.yaml": claim_text("invoices", "objectstore-aws")})
    controller.create_app("shop", spec(repo), actor="tester")
    s3 = aws.boto("s3")
    wait_for(lambda: controller.get_app("shop")["status"]["sync"] == "Synced", timeout=30, message="deployed")
    for key, data in OBJECTS.items():
        s3.put_object(Bucket="invoices-data", Key=key, Body=data)
    return repo


def gcs_content(gcs: Any) -> dict[str, bytes]:
    bucket = gcs.sdk().lookup_bucket("invoices-data")
    return {} if bucket is None else {b.name: b.download_as_bytes() for b in bucket.list_blobs()}


def s3_buckets(aws: Any) -> list[str]:
    return [b["Name"] for b in aws.boto("s3").list_buckets().get("Buckets", [])]


def test_the_diff_shows_one_migrate_step_and_a_confirmed_sync_applies_it(server, tmp_path, aws, gcs):
    controller, client = server
    repo = deployed(tmp_path, controller, aws.endpoint, aws, gcs)

    repo.commit({"claims.yaml": claim_text("invoices", "objectstore-gcp")}, "move invoices to GCS")
    condition = wait_for(
        lambda: (r := ready(client)).get("status") == "False" and "confirmPrune" in r.get("message", "") and r,
        timeout=30,
        message="the automated sync asks for confirmation",
    )
    assert "S3Bucket/invoices-data" in condition["message"] and condition["reason"] == "PruneNeedsConfirmation"
    [claim] = client.get("/api/v1/apps/shop").json()["status"]["claims"]
    assert claim["status"] == "Error" and "--confirm-prune" in claim["message"]
    diff = client.get("/api/v1/apps/shop/diff").json()
    [step] = [c for c in diff["changes"] if c["action"] == "migrate"]
    assert (step["kind"], step["name"]) == ("ObjectStore", "invoices")
    assert step["objects"] == len(OBJECTS) and step["bytes"] == sum(map(len, OBJECTS.values()))
    assert "S3Bucket/invoices-data" in step["migration"]["delete"]
    assert "invoices-data" in s3_buckets(aws) and gcs_content(gcs) == {}  # nothing happened yet

    answer = client.post("/api/v1/apps/shop/sync", json={"confirmPrune": True})
    assert answer.status_code == 202, answer.text
    wait_for(lambda: "invoices-data" not in s3_buckets(aws), timeout=60, message="old bucket deleted")
    assert gcs_content(gcs) == OBJECTS
    wait_for(lambda: client.get("/api/v1/apps/shop").json()["status"]["sync"] == "Synced", timeout=30)
    audit = client.get("/api/v1/audit").json()
    [entry] = [e for e in audit if e["action"] == "migrate"]
    assert entry["resource"].endswith("ObjectStore/invoices") and entry["result"] == "succeeded"
    assert entry["details"]["objects"] == len(OBJECTS) and entry["details"]["verification"] == ["size+crc32c"]


def test_a_failed_copy_deletes_nothing_says_why_and_the_next_sync_resumes(server, tmp_path, aws, gcs, fault_proxy):
    controller, client = server
    repo = deployed(tmp_path, controller, fault_proxy.url, aws, gcs)
    refuse = fault_proxy.add(r"^s3:.* GET /invoices-data/reports/", code="AccessDenied", status=403)

    repo.commit({"claims.yaml": claim_text("invoices", "objectstore-gcp")}, "move invoices to GCS")
    wait_for(lambda: "confirmPrune" in ready(client).get("message", ""), timeout=30, message="asks")
    assert client.post("/api/v1/apps/shop/sync", json={"confirmPrune": True}).status_code == 202
    # Ready says why: the failed sync (SyncFailed), then each later plan (its last attempt failed)
    condition = wait_for(
        lambda: (r := ready(client)).get("status") == "False" and "reports/2026/q1.csv" in r["message"] and r,
        timeout=60,
        message="the sync failed",
    )
    assert "nothing was deleted" in condition["message"] or "last attempt failed" in condition["message"]
    assert refuse.hits > 0
    assert "invoices-data" in s3_buckets(aws)
    s3 = aws.boto("s3")
    assert {o["Key"] for o in s3.list_objects_v2(Bucket="invoices-data")["Contents"]} == set(OBJECTS)
    history = wait_for(lambda: client.get("/api/v1/apps/shop/history").json(), message="a run in history")
    assert history[0]["result"] in ("failed", "partial")
    # the plans that follow keep saying why the move is not finished, on the app and its claim
    claim = wait_for(
        lambda: [c for c in client.get("/api/v1/apps/shop").json()["status"].get("claims", []) if "last attempt failed" in c["message"]],
        timeout=40,
        message="the claim's status names the failed attempt",
    )[0]
    assert claim["status"] == "Error" and "reports/2026/q1.csv" in claim["message"]

    fault_proxy.clear()
    assert client.post("/api/v1/apps/shop/sync", json={"confirmPrune": True}).status_code == 202
    wait_for(lambda: "invoices-data" not in s3_buckets(aws), timeout=60, message="resumed and finished")
    assert gcs_content(gcs) == OBJECTS
    audit = [e for e in client.get("/api/v1/audit").json() if e["action"] == "migrate"]
    assert [e["result"] for e in audit] == ["succeeded", "failed"]  # newest first
    assert audit[0]["details"]["skipped"] == len(OBJECTS) - 1 and audit[0]["details"]["copied"] == 1
