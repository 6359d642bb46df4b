"""Checkpoints sign (seq, head) with Ed25519; Kedge never signs over a broken chain; published
copies catch a truncation that also deleted the stored checkpoints; a rotated key keeps old
checkpoints verifiable as long as the old public key stays listed."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import text

from kedge.store import AuditIntegrityError, Store
from kedge.store.audit_chain import checkpoint_message
from kedge.store.audit_keys import generate_private_key, public_key_text

from .tampering import raw_sql

KEY = generate_private_key()


def test_no_key_or_no_entries_means_no_checkpoint(store: Store) -> None:
    assert store.checkpoint(KEY) is None
    store.audit("controller", "create")
    assert store.checkpoint(None) is None
    assert store.audit_checkpoints() == []


def test_a_checkpoint_signs_the_head_and_is_not_repeated(store: Store) -> None:
    for n in range(3):
        store.audit("controller", "sync", revision=str(n))
    signed = store.checkpoint(KEY)
    assert signed is not None
    assert (signed.seq, signed.head) == store.audit_head()
    assert signed.public_key == public_key_text(KEY)
    KEY.public_key().verify(base64.b64decode(signed.signature), checkpoint_message(signed.seq, signed.head))
    assert store.checkpoint(KEY) == signed  # nothing new since: the same checkpoint
    store.audit("controller", "sync", revision="3")
    again = store.checkpoint(KEY)
    assert again is not None and again.seq == 4
    assert [c.seq for c in store.audit_checkpoints()] == [4, 3]
    assert again.to_json()["publicKey"] == signed.public_key


def test_kedge_refuses_to_sign_over_a_tampered_chain(store: Store, db_url: str) -> None:
    for n in range(5):
        store.audit("controller", "sync", revision=str(n))
    store.checkpoint(KEY)
    for n in range(5, 8):
        store.audit("controller", "sync", revision=str(n))
    with raw_sql(db_url) as connection:
        connection.execute(text("UPDATE audit SET revision = 'forged' WHERE seq = 7"))
    with pytest.raises(AuditIntegrityError, match="entry 7") as raised:
        store.checkpoint(KEY)
    assert raised.value.seq == 7
    assert [c.seq for c in store.audit_checkpoints()] == [5]


def test_published_checkpoints_catch_a_truncation_that_removed_the_stored_ones(
    store: Store, db_url: str
) -> None:
    for n in range(6):
        store.audit("controller", "sync", revision=str(n))
    published = store.checkpoint(KEY)
    assert published is not None
    with raw_sql(db_url) as connection:
        connection.execute(text("DELETE FROM audit WHERE seq > 3"))
        connection.execute(text("DELETE FROM audit_checkpoints"))
    assert store.verify_audit([KEY.public_key()]).ok  # nothing left in the database to say otherwise
    result = store.verify_audit([KEY.public_key()], published=[published])
    assert not result.ok and result.first_bad == 4 and "truncated" in (result.reason or "")


def test_old_checkpoints_verify_after_rotation_while_the_old_key_is_listed(store: Store) -> None:
    new_key = generate_private_key()
    store.audit("controller", "sync", revision="1")
    store.checkpoint(KEY)
    store.audit("controller", "sync", revision="2")
    store.checkpoint(new_key)
    both = store.verify_audit([new_key.public_key(), KEY.public_key()])
    assert both.ok and both.checkpoints == 2
    only_new = store.verify_audit([new_key.public_key()])
    assert not only_new.ok and "checkpoint at entry 1" in (only_new.reason or "")
