"""The emulator ignores the body of a bucket insert and replaces labels on a patch, where
Cloud Storage takes the body and merges labels. These tests check the requests Kedge sends:
the insert carries the whole spec, a label that is no longer wanted is sent as null, and
requests to an emulator endpoint carry no credentials."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from kedge.model import ResourceKey
from kedge.providers.base import ConnectContext, FieldChange, Target
from kedge.providers.gcp import provider

pytestmark = pytest.mark.gcp


@pytest.fixture
def sent(monkeypatch) -> list[dict[str, Any]]:
    """Every HTTP request the SDK sends: method, path, headers and JSON body."""
    seen: list[dict[str, Any]] = []
    original = requests.Session.send

    def record(self, request, **kwargs):
        body = request.body
        seen.append(
            {
                "method": request.method,
                "url": request.url,
                "headers": dict(request.headers),
                "json": json.loads(body)
                if body and request.headers.get("Content-Type", "").startswith("application/json")
                else None,
            }
        )
        return original(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", record)
    return seen


def bucket(spec: dict[str, Any], name: str = "shop-eu") -> Target:
    return Target(ResourceKey("gcp.kedge.dev/v1", "GCSBucket", name), name, spec)


def test_insert_sends_the_whole_spec(gcs, sent):
    client = provider.connect(gcs.settings(), ConnectContext("shop"))
    rule = {"action": {"type": "Delete"}, "condition": {"age": 7}}
    spec = {
        "location": "europe-west1",
        "storageClass": "COLDLINE",
        "versioning": True,
        "labels": {"team": "a"},
        "lifecycle": [rule],
    }
    client.create(bucket(spec))
    insert = next(r for r in sent if r["method"] == "POST" and r["url"].split("?")[0].endswith("/b"))
    assert insert["json"]["location"] == "europe-west1"
    assert insert["json"]["storageClass"] == "COLDLINE"
    assert insert["json"]["versioning"] == {"enabled": True}
    assert insert["json"]["labels"] == {"team": "a", "kedge-app": "shop"}
    assert insert["json"]["lifecycle"] == {"rule": [rule]}
    assert "project=kedge-test" in insert["url"]
    assert all("Authorization" not in r["headers"] for r in sent), "requests to an emulator are anonymous"
    client.close()


def test_a_removed_label_is_sent_as_null(gcs, sent):
    client = provider.connect(gcs.settings(), ConnectContext("shop"))
    first = bucket({"labels": {"team": "a", "cost": "b"}}, "shop-labels")
    client.create(first)
    observed = client.observe_many("GCSBucket", [first])[first.key]
    wanted = bucket({"labels": {"team": "a"}}, "shop-labels")
    sent.clear()
    client.update(wanted, observed, [FieldChange("labels.cost", "b", None)])
    patch = next(r for r in sent if r["method"] == "PATCH")
    assert patch["json"]["labels"]["cost"] is None
    assert patch["json"]["labels"]["team"] == "a" and patch["json"]["labels"]["kedge-app"] == "shop"
    assert "ifMetagenerationMatch=" in patch["url"]
    assert client.observe_many("GCSBucket", [wanted])[wanted.key].state["labels"] == {"team": "a"}
    client.close()


def test_plan_previews_the_calls_apply_makes(gcs, sent):
    client = provider.connect(gcs.settings(), ConnectContext("shop"))
    target = bucket({"labels": {}}, "shop-preview")
    missing = client.observe_many("GCSBucket", [target])[target.key]
    assert client.preview(target, missing, []) == ["gcs:InsertBucket"]
    client.create(target)
    observed = client.observe_many("GCSBucket", [target])[target.key]
    assert client.preview(target, observed, []) == []
    changed = bucket({"labels": {}, "versioning": True}, "shop-preview")
    assert client.preview(changed, observed, [FieldChange("versioning", False, True)]) == ["gcs:PatchBucket"]
    client.close()
