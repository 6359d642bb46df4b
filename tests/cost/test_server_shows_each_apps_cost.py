"""The server prices every app: ``GET apps/{name}/cost``, ``kedge_app_monthly_cost`` in
``/metrics`` and the UI (the app list and the app page), from ``spec.priceCatalog``.

A real server (``kedge serve``'s ``Server``) reconciles an app from a git repository against the
AWS test server; the catalog is a replacement file in euros, so the figures cannot come from
the shipped one.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from kedge.cli.server import Server, read_config
from kedge.model import ConfigError
from tests.conftest import write
from tests.controller.conftest import GitRepo, wait_for

TOKEN = "cost-admin-token-0123456789abcdef"

CATALOG = {
    "formatVersion": "kedge.dev/price-catalog/v1",
    "currency": "EUR",
    "offers": {
        "AmazonS3": {
            "publicationDate": "2026-01-01",
            "source": "negotiated rates",
            "products": {"A": {"sku": "A", "attributes": {"kedge:price": "s3.storage", "regionCode": "us-east-1"}}},
            "terms": {
                "OnDemand": {
                    "A": {
                        "A.T": {
                            "priceDimensions": {
                                "A.T.1": {"unit": "GB-Mo", "beginRange": "0", "endRange": "Inf", "pricePerUnit": {"EUR": "0.03"}}
                            }
                        }
                    }
                }
            },
        }
    },
}

BUCKET = """
apiVersion: aws.kedge.dev/v1
kind: S3Bucket
metadata:
  name: server-cost-bucket
  annotations: {kedge.dev/usage: "storageGB=1000"}
spec: {}
---
apiVersion: aws.kedge.dev/v1
kind: IAMRole
metadata: {name: server-cost-reader}
spec:
  assumeRolePolicy:
    Version: "2012-10-17"
    Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_config(tmp_path: Path, aws, repo: Path, catalog: str) -> Path:
    return write(
        tmp_path / "kedge.yaml",
        f"""
        apiVersion: kedge.dev/v1
        kind: ServerConfig
        metadata: {{name: server}}
        spec:
          db: {tmp_path / "state.db"}
          adminToken: {TOKEN}
          priceCatalog: {catalog}
          localSources: ["{repo}"]
        ---
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec:
          provider: aws
          settings: {{region: us-east-1, endpointURL: "{aws.endpoint}"}}
        ---
        apiVersion: kedge.dev/v1
        kind: Application
        metadata: {{name: shop}}
        spec:
          source: {{repoURL: "{repo}", targetRevision: main, path: ., pollInterval: 1s}}
          syncPolicy: {{automated: true}}
        """,
    )


def test_api_metrics_and_ui_show_the_cost(tmp_path, aws) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"app.yaml": BUCKET})
    write(tmp_path / "rates.json", json.dumps(CATALOG))
    settings = read_config(server_config(tmp_path, aws, repo.path, "rates.json"))  # relative to the file
    settings.port = free_port()
    server = Server.build(settings, cache_dir=tmp_path / "git")
    server.start()
    try:
        url = f"http://127.0.0.1:{settings.port}"
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as http:
            wait_for(lambda: http.get("/api/v1/apps/shop").json()["status"]["sync"] == "Synced", timeout=30, message=str(http.get("/api/v1/apps/shop").json()))
            cost = http.get("/api/v1/apps/shop/cost")
            assert cost.status_code == 200, cost.text
            body = cost.json()
            assert body["currency"] == "EUR"
            assert body["total"] == pytest.approx(1000 * 0.03)
            (bucket, reader) = sorted(body["resources"], key=lambda r: r["kind"] != "S3Bucket")
            assert bucket["components"] == [
                {"name": "Storage", "unit": "GB-Mo", "quantity": 1000, "price": 0.03, "monthly": 30.0}
            ]
            assert reader["kind"] == "IAMRole" and reader["monthly"] == 0

            assert http.get("/api/v1/apps/nope/cost").status_code == 404

            metrics = wait_for(lambda: (m := http.get("/metrics").text) and "kedge_app_monthly_cost{" in m and m)
            assert 'kedge_app_monthly_cost{app="shop",currency="EUR"} 30.0' in metrics

        with httpx.Client(base_url=url, timeout=10) as browser:
            browser.post("/login", data={"token": TOKEN}, follow_redirects=False)
            listing = browser.get("/").text
            assert "Monthly cost" in listing and "30.00 EUR" in listing
            page = browser.get("/apps/shop").text
            assert 'data-fragment="/ui/apps/shop/cost"' in page
            fragment = browser.get("/ui/apps/shop/cost").text
            assert "30.00 EUR" in fragment and "S3Bucket/server-cost-bucket" in fragment
            assert "Storage" in fragment and "1,000 GB-Mo" in fragment
    finally:
        server.stop()


def test_a_bad_price_catalog_stops_the_server_with_a_clear_message(tmp_path, aws) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"app.yaml": BUCKET})
    write(tmp_path / "rates.json", '{"formatVersion": "kedge.dev/price-catalog/v1", "currency": "EUR"}')
    settings = read_config(server_config(tmp_path, aws, repo.path, "rates.json"))
    with pytest.raises(ConfigError) as caught:
        Server.build(settings, cache_dir=tmp_path / "git")
    assert "spec.priceCatalog" in str(caught.value) and "rates.json" in str(caught.value)
    assert "offers" in str(caught.value)
    assert not (tmp_path / "state.db").exists(), "nothing is started or written"

    settings = read_config(server_config(tmp_path, aws, repo.path, "missing.json"))
    with pytest.raises(ConfigError, match="missing.json: no such price catalog file"):
        Server.build(settings, cache_dir=tmp_path / "git")
