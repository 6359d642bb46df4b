"""Which claims a plan migrates: a table of (claim, what is rendered, what the app owns) ->
migrating or not, each case with its reason. Pure: no cloud, no store."""

from __future__ import annotations

from pathlib import Path

import pytest

from kedge.compositions.platform import build_platform
from kedge.engine.migrate_plan import moving_claims
from kedge.engine.platform import load_platform
from kedge.manifests import ClaimDocument
from kedge.model import Identity, InventoryEntry, Resource, ResourceKey
from tests.migrate.conftest import PLATFORM

CLAIM_MARK = {"kedge.dev/claim": "ObjectStore/inv"}


def platform(migration: bool = True):
    documents = load_platform([PLATFORM])
    if not migration:
        documents = [
            d if d.kind != "Definition" else type(d)(**{**d.__dict__, "spec": {k: v for k, v in d.spec.items() if k != "migration"}})
            for d in documents
        ]
    built, problems = build_platform(documents)
    assert not problems
    return built


def claim(composition: str) -> ClaimDocument:
    return ClaimDocument(
        "platform.example.org/v1", "ObjectStore", "inv", {}, {}, {"kedge.dev/composition": composition},
        "claims.yaml", 1, Path("."),
    )


def resource(kind: str, api: str, config: str, marked: bool = True) -> Resource:
    annotations = {"kedge.dev/provider-config": config, **(CLAIM_MARK if marked else {})}
    return Resource(ResourceKey(api, kind, "inv-data"), {}, {}, {}, annotations)


def owned(kind: str, provider: str, config: str, marked: bool = True) -> InventoryEntry:
    key = ResourceKey(f"{provider}.kedge.dev/v1", kind, "inv-data")
    annotations = {"kedge.dev/provider-config": config, **(CLAIM_MARK if marked else {})}
    return InventoryEntry("shop", key, Identity(provider, config, kind, "inv-data"), annotations=annotations)


GCS = resource("GCSBucket", "gcp.kedge.dev/v1", "gcp")
S3 = resource("S3Bucket", "aws.kedge.dev/v1", "aws")

CASES = [
    ("the composition changed: the S3 bucket is left, the GCS one is new", True, "objectstore-gcp", [GCS], [owned("S3Bucket", "aws", "aws")], True),
    ("nothing left from before: an ordinary apply", True, "objectstore-gcp", [GCS], [], False),
    ("the same bucket rendered and owned: nothing moves", True, "objectstore-aws", [S3], [owned("S3Bucket", "aws", "aws")], False),
    ("a half-done move (both owned, old not rendered) still migrates", True, "objectstore-gcp", [GCS], [owned("S3Bucket", "aws", "aws"), owned("GCSBucket", "gcp", "gcp")], True),
    ("no spec.migration on the Definition: a prune, not a migration", False, "objectstore-gcp", [GCS], [owned("S3Bucket", "aws", "aws")], False),
    ("the claim composed nothing (an error): nothing to move to", True, "objectstore-gcp", [], [owned("S3Bucket", "aws", "aws")], False),
    ("an owned bucket of no claim is not the claim's", True, "objectstore-gcp", [GCS], [owned("S3Bucket", "aws", "aws", marked=False)], False),
]


@pytest.mark.parametrize(("reason", "migration", "composition", "desired", "inventory", "moves"), CASES, ids=[c[0] for c in CASES])
def test_which_claims_migrate(reason, migration, composition, desired, inventory, moves):
    found = moving_claims(platform(migration), [claim(composition)], desired, inventory)
    assert bool(found) is moves, reason
    if moves:
        [m] = found
        assert m.composition.name == composition
        assert [e.key.kind for e in m.old] == ["S3Bucket"]
