"""The audit log: an append-only chain of entries, each holding the hash of the one before,
with Ed25519-signed checkpoints of its head.

Who calls what: the engine, the controller, the API and the CLI ``audit(...)`` every create,
update, delete, drift found or reverted, sync, rollback, suspend and resume, prune refusal,
policy denial, token and app change. The controller calls ``checkpoint(key)`` at a fixed
interval; ``kedge audit checkpoint`` does it on demand. ``verify_audit`` replays the chain.

There is no update or delete path here, and the tables' triggers refuse both. Appends of one
process are serialised by a lock and the head (seq, hash) is cached in between: an append is
one INSERT whose sequence number is the primary key, so a concurrent writer (another process
on the same SQLite file) shows up as a duplicate key, and the append re-reads the head and
retries. On PostgreSQL, replicas take an advisory lock and read the head instead.
The arithmetic (canonical JSON, hashes, replay) lives in ``audit_chain``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, Table, insert, select, text
from sqlalchemy.exc import IntegrityError

from kedge.model import KedgeError, ResourceKey
from kedge.store import audit_chain
from kedge.store.audit_chain import GENESIS, Claim, Row
from kedge.store.base import Clock, StoreBase, StoreError
from kedge.store.records import AuditEntry, AuditVerification, Checkpoint, document
from kedge.store.tables import AuditCheckpointRow, AuditRow

if TYPE_CHECKING:  # cryptography loads when a checkpoint is signed or verified
    from kedge.store.audit_keys import Ed25519PrivateKey, Ed25519PublicKey

AUDIT = cast(Table, AuditRow.__table__)
CHECKPOINTS = cast(Table, AuditCheckpointRow.__table__)
_COLUMNS = (
    AUDIT.c.seq,
    AUDIT.c.time,
    AUDIT.c.actor,
    AUDIT.c.action,
    AUDIT.c.app,
    AUDIT.c.resource,
    AUDIT.c.revision,
    AUDIT.c.diff,
    AUDIT.c.result,
    AUDIT.c.details,
    AUDIT.c.prev_hash,
    AUDIT.c.hash,
)
_KEYS = [column.key for column in _COLUMNS]
_INSERT_SQL = f"INSERT INTO audit ({', '.join(_KEYS)}) VALUES ({', '.join('?' * len(_KEYS))})"
# The stored fields between ``time`` and ``prev_hash``: actor, action, app, resource, revision,
# diff (JSON text), result, details (JSON text).
Fields = tuple[Any, ...]
_PG_LOCK_ID = 0x6B65646761  # "kedga": serialises appends of replicas sharing a database
_RETRIES = 20
STREAM_BATCH = 10_000


class AuditIntegrityError(KedgeError):
    """The chain is broken at entry ``seq``: Kedge refuses to sign a checkpoint over it."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"audit log is broken, not signing a checkpoint: {reason}")
        self.seq = seq
        self.reason = reason


@dataclass(frozen=True)
class AuditItem:
    """One entry to append. ``diff`` must already be redacted; a ``Secret`` in it is refused."""

    actor: str  # token name, "webhook", "controller", "cli:<user>"
    action: str  # create, update, delete, drift-detected, sync, rollback, token.create, ...
    app: str | None = None
    resource: str | ResourceKey | None = None
    revision: str | None = None
    diff: Any = None
    result: str = "ok"
    details: Mapping[str, Any] | None = None


class AuditStore(StoreBase):
    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        super().__init__(engine, clock)
        self._audit_lock = threading.Lock()
        self._audit_head: tuple[int, str] | None = None  # (seq, hash) last written by this process
        self._bind_time = _time_binder(engine)

    def audit(
        self,
        actor: str,
        action: str,
        *,
        app: str | None = None,
        resource: str | ResourceKey | None = None,
        revision: str | None = None,
        diff: Any = None,
        result: str = "ok",
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry; returns it with its sequence number and hash."""
        return self.audit_many([AuditItem(actor, action, app, resource, revision, diff, result, details)])[0]

    def audit_many(self, items: Iterable[AuditItem]) -> list[AuditEntry]:
        """Append entries in one transaction, in order: all are written or none."""
        prepared = [_prepare(item) for item in items]
        if not prepared:
            return []
        fields = [p[0] for p in prepared]
        # The fast SQLite path skips SQLAlchemy, and with it the fence check of a reconcile.
        fast = self.dialect == "sqlite" and not self._fenced()
        append = self._append_sqlite if fast else self._append
        with self._audit_lock:
            for _ in range(_RETRIES):
                try:
                    rows = append(fields)
                except IntegrityError:
                    self._audit_head = None  # another process appended: read the head again
                    continue
                self._audit_head = (rows[-1][0], rows[-1][11])
                return [_entry(row, p[1], p[2]) for row, p in zip(rows, prepared, strict=True)]
        raise StoreError("could not append to the audit log: other writers kept appending", temporary=True)

    def _append(self, fields: list[Fields]) -> list[Row]:
        now = self._now()
        with self._failures(), self._writer.begin() as connection:
            self._check_fence(connection)
            if connection.dialect.name == "postgresql":
                # Replicas append to one chain: take turns, and read the head inside the turn.
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
            rows = _seal(_head(connection), now, fields)
            connection.execute(insert(AUDIT), [dict(zip(_KEYS, row, strict=True)) for row in rows])
        return rows

    def _append_sqlite(self, fields: list[Fields]) -> list[Row]:
        """``_append`` on the driver's connection: SQLAlchemy's per-statement overhead is most of
        an append's cost, and the SQL is fixed. ``BEGIN IMMEDIATE`` takes the file's write lock,
        so the duplicate key of a concurrent writer is the only conflict possible."""
        now, bind_time = self._now(), self._bind_time
        raw = self._engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                head = self._audit_head or _head_sqlite(cursor)
                rows = _seal(head, now, fields)
                cursor.executemany(_INSERT_SQL, [(r[0], bind_time(r[1]), *r[2:]) for r in rows])
                cursor.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # the original error is the one to report
                    cursor.execute("ROLLBACK")
                raise
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(_INSERT_SQL, None, exc) from None
        except sqlite3.Error as exc:
            busy = any(word in str(exc).lower() for word in ("locked", "busy"))
            raise StoreError(f"state database {self.url} failed: {exc}", temporary=busy) from None
        finally:
            raw.close()
        return rows

    def audit_head(self) -> tuple[int, str]:
        """The last entry's (seq, hash); (0, 64 zeros) for an empty log."""
        with self._failures(), self._engine.connect() as connection:
            return _head(connection)

    def audit_entries(
        self, *, app: str | None = None, limit: int = 100, after_seq: int | None = None
    ) -> list[AuditEntry]:
        """The newest ``limit`` entries (of ``app``, or after ``after_seq``), newest first."""
        query = select(*_COLUMNS).order_by(AUDIT.c.seq.desc()).limit(limit)
        if app is not None:
            query = query.where(AUDIT.c.app == app)
        if after_seq is not None:
            query = query.where(AUDIT.c.seq > after_seq)
        with self._read() as session:
            return [_entry(tuple(row)) for row in session.execute(query)]

    def export_audit(self, fp: IO[str], *, after_seq: int = 0) -> int:
        """Write every entry (after ``after_seq``) to ``fp`` as JSON lines, oldest first; returns
        how many. Each line verifies on its own: see ``audit_chain``."""
        count = 0
        for row in self._stream(after_seq):
            fp.write(json.dumps(_entry(row).to_json(), ensure_ascii=False) + "\n")
            count += 1
        return count

    def checkpoint(self, signing_key: Ed25519PrivateKey | None) -> Checkpoint | None:
        """Sign the current head; None without a key or with an empty log. When the head is
        already signed by this key the existing checkpoint is returned. The entries since the
        previous checkpoint are verified first: Kedge never signs over a broken chain."""
        if signing_key is None:
            return None
        from kedge.store.audit_keys import public_key_text  # cryptography: only when signing

        public = public_key_text(signing_key)
        with self._read() as session:
            connection = session.connection()
            seq, head = _head(connection)
            if seq == 0:
                return None
            previous = connection.execute(
                select(CHECKPOINTS).order_by(CHECKPOINTS.c.seq.desc(), CHECKPOINTS.c.id.desc()).limit(1)
            ).first()
            if previous is not None and previous.seq == seq and previous.public_key == public:
                return _checkpoint(previous)
            start, prev = (1, GENESIS) if previous is None else (previous.seq + 1, previous.head)
            replay = audit_chain.Replay({}, start=start, prev=prev)
            try:
                replay.run(_rows(connection, start - 1, until=seq))
            except audit_chain.Broken as broken:
                raise AuditIntegrityError(broken.seq, broken.reason) from None
        signature = base64.b64encode(signing_key.sign(audit_chain.checkpoint_message(seq, head))).decode()
        values = {"seq": seq, "head": head, "signature": signature, "public_key": public}
        with self._write() as session:
            row = AuditCheckpointRow(**values, created_at=self._now())
            session.add(row)
            session.flush()
            return Checkpoint(seq, head, signature, public, row.created_at)

    def audit_checkpoints(self, limit: int | None = None) -> list[Checkpoint]:
        """Stored checkpoints, newest first."""
        query = select(CHECKPOINTS).order_by(CHECKPOINTS.c.seq.desc(), CHECKPOINTS.c.id.desc()).limit(limit)
        with self._read() as session:
            return [_checkpoint(row) for row in session.execute(query)]

    def verify_audit(
        self, public_keys: Sequence[Ed25519PublicKey], *, published: Sequence[Checkpoint] = ()
    ) -> AuditVerification:
        """Replay the whole chain against the stored checkpoints and ``published`` ones (read
        back from where they were published: the database may have lost its own). Signatures
        are checked when ``public_keys`` are given: list retired keys too."""
        claims = [Claim(c.seq, c.head, c.signature) for c in (*self.audit_checkpoints(), *published)]
        return audit_chain.verify(self._stream(0), claims, public_keys)

    def _stream(self, after_seq: int) -> Iterator[Row]:
        with self._failures(), self._engine.connect() as connection:
            yield from _rows(connection, after_seq)


def _seal(head: tuple[int, str], now: datetime, fields: list[Fields]) -> list[Row]:
    """The rows that continue the chain from ``head``, each hashed over the one before."""
    seq, prev = head
    rows: list[Row] = []
    for values in fields:
        seq += 1
        unsealed = cast(Row, (seq, now, *values, prev, ""))
        prev = audit_chain.row_hash(unsealed)
        rows.append((*unsealed[:11], prev))
    return rows


def _time_binder(engine: Engine) -> Callable[[datetime], Any]:
    """How SQLAlchemy stores a ``time`` value on this engine's dialect (so reads agree)."""
    dialect = engine.dialect
    processor = AUDIT.c.time.type.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else (lambda value: value)


def _head_sqlite(cursor: Any) -> tuple[int, str]:
    row = cursor.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def _rows(connection: Connection, after_seq: int, until: int | None = None) -> Iterator[Row]:
    query = select(*_COLUMNS).where(AUDIT.c.seq > after_seq).order_by(AUDIT.c.seq)
    if until is not None:
        query = query.where(AUDIT.c.seq <= until)
    result = connection.execution_options(yield_per=STREAM_BATCH).execute(query)
    for row in result:
        yield cast(Row, tuple(row))


def _head(connection: Connection) -> tuple[int, str]:
    row = connection.execute(select(AUDIT.c.seq, AUDIT.c.hash).order_by(AUDIT.c.seq.desc()).limit(1)).first()
    return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))


def _prepare(item: AuditItem) -> tuple[Fields, Any, Mapping[str, Any] | None]:
    """The entry's stored fields between ``time`` and ``prev_hash``, checked for secrets, and
    its diff and details as plain data."""
    for name in ("actor", "action", "result"):
        value = getattr(item, name)
        if not isinstance(value, str) or not value:
            raise ValueError(f"audit entry {name} must be a non-empty string, not {value!r}")
    if item.details is not None and not isinstance(item.details, Mapping):
        raise TypeError(f"audit entry details must be a mapping, not {type(item.details).__name__}")
    resource = str(item.resource) if isinstance(item.resource, ResourceKey) else item.resource
    diff = document(item.diff, "audit diff")
    details = document(item.details, "audit details")
    try:
        diff_text, details_text = audit_chain.json_text(diff), audit_chain.json_text(details)
    except ValueError as exc:
        raise TypeError(f"cannot store a value in the audit log: {exc}") from None
    fields = (
        item.actor,
        item.action,
        document(item.app, "audit app"),
        document(resource, "audit resource"),
        document(item.revision, "audit revision"),
        diff_text,
        item.result,
        details_text,
    )
    return fields, diff, details


def _entry(row: Row, *parsed: Any) -> AuditEntry:
    """The record of ``row``; ``parsed`` are its diff and details when the caller has them."""
    seq, when, actor, action, app, resource, revision, diff_text, result, details_text, prev, digest = row
    diff: Any
    details: Mapping[str, Any] | None
    if parsed:
        diff, details = parsed
    else:
        diff = None if diff_text is None else json.loads(diff_text)
        details = None if details_text is None else json.loads(details_text)
    return AuditEntry(
        seq=seq,
        time=when,
        actor=actor,
        action=action,
        app=app,
        resource=resource,
        revision=revision,
        diff=diff,
        result=result,
        details=details,
        hash=digest,
        prev_hash=prev,
    )


def _checkpoint(row: Any) -> Checkpoint:
    return Checkpoint(row.seq, row.head, row.signature, row.public_key, row.created_at)
