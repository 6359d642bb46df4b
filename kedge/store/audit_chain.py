"""The audit chain's arithmetic: canonical JSON, entry hashes, checkpoint messages, and the
replay that finds the first bad entry. Pure: no database, no clock.

An entry's canonical form is ``json.dumps(entry, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` of the entry as exported (``AuditEntry.to_json()``) without ``hash``;
its hash is ``sha256(prev_hash + canonical)`` in hex, and the first entry's ``prevHash`` is
64 zeros. So each exported JSON line can be checked with nothing but a JSON library and
SHA-256. A checkpoint signs ``kedge-audit-checkpoint:v1:<seq>:<head>`` with Ed25519.

``canonical`` assembles that text from the stored columns without re-parsing ``diff`` and
``details``, which are stored as their canonical JSON already; a test checks it agrees with
``json.dumps`` of the whole entry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from kedge.store.records import AuditVerification

if TYPE_CHECKING:  # cryptography loads when a signature is checked, not with every store
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
# (seq, time, actor, action, app, resource, revision, diff, result, details, prev_hash, hash)
Row = tuple[
    int, datetime, str, str, str | None, str | None, str | None, str | None, str, str | None, str, str
]

_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def json_text(value: Any) -> str | None:
    """``value`` as canonical JSON text (None stays None); NaN and infinities are refused."""
    return None if value is None else _dumps(value)


def time_text(when: datetime) -> str:
    return when.isoformat(timespec="microseconds")


def _s(value: str | None) -> str:
    return "null" if value is None else str(encode_basestring(value))


def canonical(row: Row, seq: int | None = None) -> str:
    """The canonical JSON of a stored entry (``seq`` overrides its number, for diagnosis)."""
    number, when, actor, action, app, resource, revision, diff, result, details, prev_hash, _ = row
    return (
        f'{{"action":{_s(action)},"actor":{_s(actor)},"app":{_s(app)},'
        f'"details":{"null" if details is None else details},"diff":{"null" if diff is None else diff},'
        f'"prevHash":{_s(prev_hash)},"resource":{_s(resource)},"result":{_s(result)},'
        f'"revision":{_s(revision)},"seq":{number if seq is None else seq},"time":{_s(time_text(when))}}}'
    )


def entry_hash(prev_hash: str, canonical_text: str) -> str:
    return hashlib.sha256((prev_hash + canonical_text).encode()).hexdigest()


def row_hash(row: Row, seq: int | None = None) -> str:
    return entry_hash(row[10], canonical(row, seq))


def checkpoint_message(seq: int, head: str) -> bytes:
    return f"kedge-audit-checkpoint:v1:{seq}:{head}".encode()


@dataclass(frozen=True)
class Claim:
    """A checkpoint to check against the chain: stored in the database or published elsewhere."""

    seq: int
    head: str
    signature: str  # base64


def signed_by(claim: Claim, keys: Sequence[Ed25519PublicKey]) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        signature = base64.b64decode(claim.signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    message = checkpoint_message(claim.seq, claim.head)
    for key in keys:
        try:
            key.verify(signature, message)
            return True
        except InvalidSignature:
            continue
    return False


class Broken(Exception):
    """The chain is wrong at entry ``seq``."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


class Replay:
    """Walks rows in seq order from ``prev``: each must hash to itself, link to the one before,
    and match the checkpointed ``heads``. ``last`` is the last sound entry so far."""

    def __init__(self, heads: dict[int, str], *, start: int = 1, prev: str = GENESIS) -> None:
        self.heads = heads
        self.last = start - 1
        self.prev = prev

    def run(self, rows: Iterable[Row]) -> int:
        """Check ``rows``; returns the last seq. Raises ``Broken`` at the first bad entry."""
        expected, prev, heads = self.last + 1, self.prev, self.heads
        it = iter(rows)
        for row in it:
            seq = row[0]
            if seq != expected:
                raise Broken(
                    expected,
                    f"entry {expected} is missing (deleted?): entry {seq} follows entry {expected - 1}",
                )
            if row_hash(row) != row[11]:
                _mismatch(row, it)
            if row[10] != prev:
                _unlinked(seq)
            head = heads.get(seq)
            if head is not None and head != row[11]:
                raise Broken(
                    seq,
                    f"entry {seq}: differs from the signed checkpoint at this entry "
                    "(the log was rewritten after it was signed)",
                )
            prev = self.prev = row[11]
            self.last = expected
            expected += 1
        return self.last


def _unlinked(seq: int) -> None:
    """Entry ``seq`` is sound but does not link to the one before. Whoever writes an entry can
    link it properly, so the likely story is that the entry before was rewritten and re-hashed."""
    if seq == 1:
        raise Broken(seq, "entry 1: does not start the chain (entries before it deleted?)")
    raise Broken(
        seq - 1,
        f"entry {seq - 1}: rewritten, its hash was recomputed but entry {seq} still links to the "
        "old one (modified?)",
    )


def _mismatch(row: Row, rest: Iterator[Row]) -> None:
    """Name what most likely happened to an entry whose hash does not match its content."""
    seq = row[0]
    if seq > 1 and row_hash(row, seq - 1) == row[11]:
        raise Broken(seq - 1, f"entry {seq - 1} was inserted: entry {seq} is the former entry {seq - 1}")
    if row_hash(row, seq + 1) == row[11]:
        after = next(rest, None)
        if after is not None and row_hash(after, seq) == after[11]:
            raise Broken(seq, f"entry {seq}: entries {seq} and {seq + 1} were swapped (reordered?)")
        raise Broken(seq, f"entry {seq} is missing (deleted?): the entries after it were renumbered")
    raise Broken(seq, f"entry {seq}: hash does not match its content (modified?)")


def verify(
    rows: Iterable[Row],
    claims: Sequence[Claim],
    keys: Sequence[Ed25519PublicKey],
) -> AuditVerification:
    """Replay the whole chain against ``claims``; signatures are checked when ``keys`` are given.

    Reports the first bad entry; a bad signature is reported only when every entry is sound
    (and such a checkpoint is not trusted to detect truncation).
    """
    forged = [c for c in claims if keys and not signed_by(c, keys)]
    trusted = [c for c in claims if c not in forged]
    heads: dict[int, str] = {}
    conflict: Broken | None = None
    for claim in sorted(trusted, key=lambda c: c.seq):
        if heads.setdefault(claim.seq, claim.head) != claim.head and conflict is None:
            conflict = Broken(claim.seq, f"entry {claim.seq}: two signed checkpoints disagree about it")
    replay = Replay(heads)
    try:
        count = replay.run(rows)
        if conflict is not None:
            raise conflict
        latest = max(heads, default=0)
        if latest > count:
            raise Broken(
                count + 1,
                f"entries {count + 1} to {latest} are missing: the log ends at entry {count} but a "
                f"checkpoint was signed at entry {latest} (truncated?)",
            )
    except Broken as broken:
        sound = min(replay.last, broken.seq - 1)
        return AuditVerification(False, sound, broken.seq, broken.reason, 0, bool(keys))
    if forged:
        seqs = ", ".join(str(c.seq) for c in forged[:5])
        reason = f"checkpoint at entry {seqs} is not signed by any of the given public keys"
        return AuditVerification(False, count, None, reason, len(trusted), True)
    return AuditVerification(True, count, None, None, len(trusted), bool(keys))
