"""Membership: which controller replicas are alive, by heartbeats judged with the database's clock.

Each ``kedge serve`` on a shared store registers under a random instance name and renews a
short lease on its row every few seconds; a replica whose row expired is gone (killed, frozen
or cut off), whatever the clocks of the machines say. A clean shutdown deletes the row at once
so the others take its apps without waiting. Rows long expired are swept by the live replicas.

What a replica does with the list (which apps it owns) is ``kedge.controller``'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from kedge.store.base import StoreBase
from kedge.store.tables import ReplicaRow

FORGET_AFTER = timedelta(hours=1)  # an expired replica's row is deleted after this


@dataclass(frozen=True)
class Replica:
    name: str
    host: str
    pid: int
    started_at: datetime
    last_seen: datetime
    expires_at: datetime


class MembershipStore(StoreBase):
    def heartbeat(self, name: str, host: str, pid: int, ttl: float) -> Replica:
        """Register ``name`` or renew its lease for ``ttl`` seconds; returns the row as stored."""
        with self._write(fenced=False) as session:
            statement = (
                update(ReplicaRow)
                .where(ReplicaRow.name == name)
                .values(last_seen=self._db_now(), expires_at=self._db_after(ttl))
                .returning(ReplicaRow)
            )
            row = session.scalars(statement).first()
            if row is None:
                session.execute(
                    insert(ReplicaRow).values(
                        name=name,
                        host=host,
                        pid=pid,
                        started_at=self._db_now(),
                        last_seen=self._db_now(),
                        expires_at=self._db_after(ttl),
                    )
                )
                row = session.get(ReplicaRow, name)
            assert row is not None
            return _replica(row)

    def leave(self, name: str) -> None:
        """Deregister ``name`` (a clean shutdown): the others stop counting it at once."""
        with self._write(fenced=False) as session:
            session.execute(delete(ReplicaRow).where(ReplicaRow.name == name))

    def replicas(self) -> list[Replica]:
        """The live replicas (unexpired by the database's clock), by name."""
        with self._read() as session:
            rows = session.scalars(
                select(ReplicaRow).where(ReplicaRow.expires_at > self._db_now()).order_by(ReplicaRow.name)
            )
            return [_replica(row) for row in rows]

    def forget_dead_replicas(self) -> int:
        """Delete the rows of replicas expired for a long time; returns how many."""
        with self._write(fenced=False) as session:
            result = session.execute(
                delete(ReplicaRow).where(
                    ReplicaRow.expires_at < self._db_after(-FORGET_AFTER.total_seconds())
                )
            )
            return int(result.rowcount)  # type: ignore[attr-defined]


def _replica(row: ReplicaRow) -> Replica:
    return Replica(row.name, row.host, row.pid, row.started_at, row.last_seen, row.expires_at)
