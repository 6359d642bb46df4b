"""``verify_audit`` replays the chain and names the first bad entry for every kind of tampering
by someone with write access to the database: modify, delete, insert, reorder, truncate the
tail, rewrite everything after an entry, or forge a checkpoint."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, text

from kedge.store import Store
from kedge.store.audit import AUDIT
from kedge.store.audit_chain import checkpoint_message
from kedge.store.audit_keys import generate_private_key, public_key_text

from . import tampering
from .tampering import raw_sql, renumber, rows, sealed

N = 10
CHECKPOINT_AT = 8
KEY = generate_private_key()
OTHER_KEY = generate_private_key()


def build(store: Store) -> None:
    for n in range(1, N + 1):
        store.audit(
            "controller",
            "update",
            app="web",
            resource=f"File/f{n}",
            diff=[{"path": "content", "before": str(n - 1), "after": str(n)}],
        )
        if n == CHECKPOINT_AT:
            assert store.checkpoint(KEY) is not None


def modify(c: Connection) -> None:
    c.execute(text("UPDATE audit SET actor = 'mallory' WHERE seq = 4"))


def modify_and_rehash(c: Connection) -> None:
    row = next(r for r in rows(c) if r["seq"] == 4)
    forged = sealed({**row, "result": "failed"})
    c.execute(text("UPDATE audit SET result = 'failed', hash = :h WHERE seq = 4"), {"h": forged["hash"]})


def delete(c: Connection) -> None:
    c.execute(text("DELETE FROM audit WHERE seq = 5"))


def delete_and_renumber(c: Connection) -> None:
    c.execute(text("DELETE FROM audit WHERE seq = 5"))
    renumber(c, 6, -1)


def insert(c: Connection) -> None:
    before = next(r for r in rows(c) if r["seq"] == 5)
    renumber(c, 6, 1)
    forged = sealed({**before, "seq": 6, "actor": "mallory", "action": "delete", "prev_hash": before["hash"]})
    tampering.insert(c, forged)


def swap(c: Connection) -> None:
    a, b = (r for r in rows(c) if r["seq"] in (3, 4))
    for target, source in ((a, b), (b, a)):
        values = {k: v for k, v in source.items() if k != "seq"}
        c.execute(AUDIT.update().where(AUDIT.c.seq == target["seq"]).values(values))


def truncate(c: Connection) -> None:
    c.execute(text("DELETE FROM audit WHERE seq > 6"))


def rewrite_after(c: Connection) -> None:
    """Change entry 3 and re-hash everything after it: internally consistent, but entry 8 no
    longer matches the signed checkpoint."""
    chain = rows(c)
    c.execute(text("DELETE FROM audit WHERE seq >= 3"))
    prev = chain[1]["hash"]
    for row in chain[2:]:
        changed = {**row, "prev_hash": prev, **({"actor": "mallory"} if row["seq"] == 3 else {})}
        forged = sealed(changed)
        tampering.insert(c, forged)
        prev = forged["hash"]


CASES: list[tuple[str, Callable[[Connection], None], int, str]] = [
    ("modify a field", modify, 4, "entry 4: hash does not match its content (modified?)"),
    ("modify a field and recompute its hash", modify_and_rehash, 4, "entry 4: rewritten"),
    ("delete an entry", delete, 5, "entry 5 is missing (deleted?)"),
    ("delete an entry and renumber the rest", delete_and_renumber, 5, "entry 5 is missing (deleted?)"),
    ("insert an entry and renumber the rest", insert, 6, "entry 6 was inserted"),
    ("swap two entries", swap, 3, "entries 3 and 4 were swapped"),
    ("truncate before the last checkpoint", truncate, 7, "entries 7 to 8 are missing"),
    ("rewrite every entry after one", rewrite_after, CHECKPOINT_AT, "differs from the signed checkpoint"),
]


def test_an_untouched_chain_verifies(store: Store) -> None:
    build(store)
    result = store.verify_audit([KEY.public_key()])
    assert (result.ok, result.entries, result.first_bad, result.checkpoints) == (True, N, None, 1)
    assert result.signatures_checked


@pytest.mark.parametrize(("reason", "tamper", "first_bad", "message"), CASES, ids=[c[0] for c in CASES])
def test_tampering_is_found_at_the_first_bad_entry(
    store: Store, db_url: str, reason: str, tamper: Callable[[Connection], None], first_bad: int, message: str
) -> None:
    build(store)
    with raw_sql(db_url) as connection:
        tamper(connection)
    result = store.verify_audit([KEY.public_key()])
    assert not result.ok, reason
    assert result.first_bad == first_bad, (reason, result)
    assert result.reason is not None and message in result.reason, (reason, result.reason)
    assert result.entries == first_bad - 1, reason


def test_a_checkpoint_signed_with_another_key_is_refused(store: Store, db_url: str) -> None:
    build(store)
    seq, head = store.audit_head()
    forged = base64.b64encode(OTHER_KEY.sign(checkpoint_message(seq, head))).decode()
    with raw_sql(db_url) as connection:
        connection.execute(
            text(
                "INSERT INTO audit_checkpoints (seq, head, signature, public_key, created_at) "
                "VALUES (:seq, :head, :sig, :key, CURRENT_TIMESTAMP)"
            ),
            {"seq": seq, "head": head, "sig": forged, "key": public_key_text(KEY)},
        )
    result = store.verify_audit([KEY.public_key()])
    assert not result.ok and result.first_bad is None
    assert result.reason is not None and f"checkpoint at entry {seq}" in result.reason
    assert store.verify_audit([KEY.public_key(), OTHER_KEY.public_key()]).ok


def test_a_checkpoint_whose_head_was_edited_is_refused(store: Store, db_url: str) -> None:
    build(store)
    with raw_sql(db_url) as connection:
        connection.execute(text("UPDATE audit_checkpoints SET seq = 3"))
    result = store.verify_audit([KEY.public_key()])
    assert not result.ok and "not signed by any of the given public keys" in (result.reason or "")


def test_without_keys_the_chain_and_checkpoint_heads_are_still_checked(store: Store, db_url: str) -> None:
    build(store)
    assert store.verify_audit([]).ok and not store.verify_audit([]).signatures_checked
    with raw_sql(db_url) as connection:
        truncate(connection)
    result = store.verify_audit([])
    assert not result.ok and result.first_bad == 7
