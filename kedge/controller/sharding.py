"""Which replica owns which app: rendezvous (highest random weight) hashing.

Every replica computes the same answer from the same membership list, with no coordination:
an app belongs to the replica whose hash of (replica, app) is highest. When a replica joins or
leaves, only the apps that it gains or loses move; every other app stays where it was (Thaler
and Ravishankar's HRW; the scheme behind Argo CD's consistent-hashing sharding). Pure
functions: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence


def weight(replica: str, app: str) -> int:
    """The stable, uniformly spread score of ``replica`` for ``app``."""
    digest = hashlib.blake2b(f"{replica}\0{app}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(app: str, replicas: Sequence[str]) -> str | None:
    """The replica that owns ``app`` among ``replicas``; None when there is none."""
    if not replicas:
        return None
    return max(replicas, key=lambda replica: (weight(replica, app), replica))


def assign(apps: Iterable[str], replicas: Sequence[str]) -> dict[str, list[str]]:
    """Every replica's apps (sorted); each app appears under exactly one replica."""
    out: dict[str, list[str]] = {replica: [] for replica in replicas}
    for app in sorted(apps):
        chosen = owner(app, replicas)
        if chosen is not None:
            out[chosen].append(app)
    return out
