"""Leases: mutual exclusion between controller replicas that share one state store.

Several ``kedge serve`` processes may point at one PostgreSQL store; a lease makes sure only one
of them reconciles a given app at a time. A lease expires by itself (a replica killed with
``kill -9`` holds nothing for long) and is renewed by taking it again.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from kedge.store.base import StoreBase
from kedge.store.tables import LeaseRow


class LeaseStore(StoreBase):
    def acquire_lease(self, name: str, holder: str, ttl: float) -> bool:
        """Take or renew ``name`` for ``holder`` for ``ttl`` seconds; False while another holds it."""
        now = self._now()
        expires = now + timedelta(seconds=ttl)
        with self._write() as session:
            taken = session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, or_(LeaseRow.holder == holder, LeaseRow.expires_at < now))
                .values(holder=holder, expires_at=expires)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return True
        try:
            with self._write() as session:
                session.add(LeaseRow(name=name, holder=holder, expires_at=expires))
            return True
        except IntegrityError:  # another replica holds it (or took it a moment ago)
            return False

    def release_lease(self, name: str, holder: str) -> None:
        with self._write() as session:
            session.execute(delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder))

    def lease_holders(self) -> list[tuple[str, str]]:
        """Every lease as (name, holder)."""
        with self._read() as session:
            return [(row.name, row.holder) for row in session.scalars(select(LeaseRow))]
