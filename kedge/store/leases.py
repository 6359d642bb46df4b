"""Leases with fencing tokens: one controller replica at a time works on an app.

Several ``kedge serve`` processes may share one PostgreSQL store. Before it reconciles an app a
replica takes the app's lease; the lease runs out by itself (a replica killed with ``kill -9``
holds nothing for long) and is renewed while the reconcile runs. Expiry is judged by the
database's clock, so clock skew between machines does not matter.

Every takeover raises the lease's ``generation`` (the row is kept when released, so the number
only grows). Inside ``with store.fenced(lease):`` every write of the store first checks, in
the same transaction, that this generation is still held and unexpired, and is refused with
``FencedError`` otherwise: a replica that stalled past its lease (a long GC pause, SIGSTOP, a
network partition) cannot overwrite what its successor did (Kleppmann's fencing tokens).

This module does not decide who should hold what; ``kedge.controller`` does (membership and
rendezvous hashing).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kedge.store.base import CURRENT_FENCE, Lease, StoreBase
from kedge.store.tables import LeaseRow


class LeaseStore(StoreBase):
    def acquire_lease(self, name: str, holder: str, ttl: float) -> Lease | None:
        """Take ``name`` for ``holder`` for ``ttl`` seconds; None while another holds it.

        Taking a free or expired lease raises its generation; taking one ``holder`` still
        holds renews it and keeps the generation."""
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        now, expires = self._db_now(), self._db_after(ttl)
        values = insert(LeaseRow).values(name=name, holder=holder, expires_at=expires, generation=1)
        held_by_us = (LeaseRow.holder == values.excluded.holder) & (LeaseRow.expires_at > now)
        statement = values.on_conflict_do_update(
            index_elements=[LeaseRow.name],
            set_={
                "holder": values.excluded.holder,
                "expires_at": values.excluded.expires_at,
                "generation": case((held_by_us, LeaseRow.generation), else_=LeaseRow.generation + 1),
            },
            where=held_by_us | (LeaseRow.expires_at <= now),
        ).returning(LeaseRow.generation, LeaseRow.expires_at)
        with self._write(fenced=False) as session:
            row = session.execute(statement).first()
        if row is None:
            return None
        return Lease(name, holder, int(row.generation), row.expires_at)

    def renew_lease(self, lease: Lease, ttl: float) -> Lease | None:
        """Extend ``lease`` by ``ttl`` seconds from now; None when it was lost (expired, or taken
        over: then its generation moved on)."""
        statement = (
            update(LeaseRow)
            .where(
                LeaseRow.name == lease.name,
                LeaseRow.holder == lease.holder,
                LeaseRow.generation == lease.generation,
                LeaseRow.expires_at > self._db_now(),
            )
            .values(expires_at=self._db_after(ttl))
            .returning(LeaseRow.expires_at)
        )
        with self._write(fenced=False) as session:
            row = session.execute(statement).first()
        return None if row is None else Lease(lease.name, lease.holder, lease.generation, row.expires_at)

    def release_lease(self, name: str, holder: str) -> None:
        """Hand ``name`` back at once if ``holder`` holds it; its generation is kept."""
        with self._write(fenced=False) as session:
            session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.holder == holder, LeaseRow.expires_at > self._db_now())
                .values(expires_at=self._db_now())
            )

    def release_leases(self, holder: str) -> int:
        """Hand back every lease ``holder`` holds (a clean shutdown); returns how many."""
        with self._write(fenced=False) as session:
            result = session.execute(
                update(LeaseRow)
                .where(LeaseRow.holder == holder, LeaseRow.expires_at > self._db_now())
                .values(expires_at=self._db_now())
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def lease_holders(self) -> list[tuple[str, str]]:
        """Every unexpired lease as (name, holder)."""
        with self._read() as session:
            rows = session.execute(
                select(LeaseRow.name, LeaseRow.holder).where(LeaseRow.expires_at > self._db_now())
            )
            return [(row.name, row.holder) for row in rows]

    @contextmanager
    def fenced(self, lease: Lease) -> Iterator[None]:
        """Every write of this thread inside the block is checked against ``lease``."""
        token = CURRENT_FENCE.set(lease)
        try:
            yield
        finally:
            CURRENT_FENCE.reset(token)

    def check_fence(self) -> None:
        """Raise ``FencedError`` now if this thread's lease is lost (before a side effect the
        store cannot refuse, such as a provider call)."""
        if not self._fenced():
            return
        with self._read() as session:
            self._check_fence(session)
