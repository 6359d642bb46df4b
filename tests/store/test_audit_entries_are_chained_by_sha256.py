"""Each audit entry holds the hash of the one before: sha256(prevHash + canonical JSON of the
entry without its hash). Checked here from the outside, with json and hashlib only, so the
documented format is what the store writes."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest

from kedge.model import ResourceKey, Secret
from kedge.store import AuditItem, Store
from kedge.store.audit_chain import GENESIS, canonical

DIFF = [{"path": "spec.mode", "before": "0644", "after": "0600"}]


def recompute(line: dict[str, Any]) -> str:
    body = {k: v for k, v in line.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((line["prevHash"] + text).encode()).hexdigest()


def fill(store: Store) -> None:
    store.audit(
        "controller",
        "create",
        app="web",
        resource=ResourceKey("local.kedge.dev/v1", "File", "a"),
        revision="abc123",
        diff=DIFF,
    )
    store.audit("token:ci", "sync", app="web", revision="def456", details={"trigger": "webhook", "n": 2.5})
    store.audit(
        "controller",
        "drift.detected",
        app="api",
        resource="Role/reader",
        diff=[{"path": "connectionLimit", "before": 10, "after": 1e20}],
        result="ok",
    )
    store.audit("admin", "token.create", details={"name": "ci", "note": "für Zoë — ✓"})
    store.audit(
        "controller", "prune.refused", app="web", result="refused", details={"nested": {"b": [1, None, True]}}
    )


def test_every_exported_line_verifies_with_json_and_hashlib_alone(store: Store) -> None:
    fill(store)
    buffer = io.StringIO()
    assert store.export_audit(buffer) == 5
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4, 5]
    assert lines[0]["prevHash"] == GENESIS
    for before, line in zip([None, *lines], lines):
        assert line["hash"] == recompute(line)
        if before is not None:
            assert line["prevHash"] == before["hash"]
    assert lines[0]["resource"] == "File/a" and lines[0]["diff"] == DIFF
    assert lines[3]["details"]["note"] == "für Zoë — ✓"


def test_the_stored_canonical_text_is_json_dumps_of_the_entry(store: Store) -> None:
    fill(store)
    for entry in store.audit_entries(limit=10):
        document = entry.to_json()
        del document["hash"]
        expected = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        row = (
            entry.seq,
            entry.time,
            entry.actor,
            entry.action,
            entry.app,
            entry.resource,
            entry.revision,
            None
            if entry.diff is None
            else json.dumps(entry.diff, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            entry.result,
            None
            if entry.details is None
            else json.dumps(entry.details, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            entry.prev_hash,
            entry.hash,
        )
        assert canonical(row) == expected


def test_appends_return_what_was_stored(store: Store) -> None:
    entry = store.audit("controller", "update", app="web", resource="File/a", diff=DIFF)
    batch = store.audit_many(
        [AuditItem("controller", "delete", app="web", resource=f"File/{n}") for n in range(3)]
    )
    assert [e.seq for e in [entry, *batch]] == [1, 2, 3, 4]
    assert batch[0].prev_hash == entry.hash and batch[2].prev_hash == batch[1].hash
    stored = {e.seq: e for e in store.audit_entries()}
    assert stored[1] == entry and stored[4] == batch[2]
    assert store.audit_head() == (4, batch[2].hash)
    assert store.audit_many([]) == []


def test_listing_is_newest_first_and_filters_by_app_and_position(store: Store) -> None:
    for n in range(6):
        store.audit("controller", "sync", app="web" if n % 2 else "api", revision=str(n))
    assert [e.seq for e in store.audit_entries()] == [6, 5, 4, 3, 2, 1]
    assert [e.seq for e in store.audit_entries(limit=2)] == [6, 5]
    assert [e.seq for e in store.audit_entries(app="web")] == [6, 4, 2]
    assert [e.seq for e in store.audit_entries(after_seq=4)] == [6, 5]
    assert [e.seq for e in store.audit_entries(app="api", after_seq=1)] == [5, 3]


@pytest.mark.parametrize(
    ("kwargs", "error", "reason"),
    [
        (
            {"diff": [{"path": "password", "after": Secret("hunter2-in-clear", "fromEnv PW")}]},
            TypeError,
            "secret in diff",
        ),
        ({"details": {"token": Secret("hunter2-in-clear")}}, TypeError, "secret in details"),
        ({"revision": Secret("hunter2-in-clear")}, TypeError, "secret as revision"),
        ({"diff": [{"after": float("nan")}]}, TypeError, "NaN is not JSON"),
        ({"diff": {"x": object()}}, TypeError, "not JSON"),
        ({"details": ["not", "a", "mapping"]}, TypeError, "details not a mapping"),
        ({"result": ""}, ValueError, "empty result"),
    ],
)
def test_bad_entries_are_refused_and_the_chain_is_untouched(
    store: Store, kwargs: dict[str, Any], error: type[Exception], reason: str
) -> None:
    first = store.audit("controller", "create", app="web")
    with pytest.raises(error) as raised:
        store.audit_many(
            [AuditItem("controller", "update", app="web"), AuditItem("controller", "update", **kwargs)]
        )
    assert "hunter2-in-clear" not in str(raised.value), reason
    assert store.audit_head() == (1, first.hash), reason
    assert store.audit("controller", "delete").prev_hash == first.hash
    assert store.verify_audit([]).ok
