"""Apply a plan that moves claims between Compositions (``migrate`` changes).

The order, for each moving claim:

1. create and update everything else, the claim's new resources included, except what reads
   them from outside the claim (a resource reading the claim's outputs);
2. copy every object of each old store into its new one (``kedge.providers.objects``:
   parallel, streamed, each object verified by size and checksum);
3. then the resources that read the claim's outputs: they switch to the new stores only now;
4. then the deletes, the old resources among them. A migration that failed, even for one
   object, skips its claim's deletes and what waits for it: nothing of the old storage is
   deleted, and applying again resumes (objects already in the target with the same size and
   checksum are not copied again).

While a copy runs, a line under the ``kedge.progress`` logger says how far it is (the CLI
prints them during an apply).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kedge.engine.apply import (
    FAILED,
    SKIPPED,
    SUCCEEDED,
    ApplyOutcome,
    _delete_layers,
    _layers,
    _raw_references,
)
from kedge.engine.targets import entry_target, resolve, target
from kedge.model import ClaimRef, ResourceKey
from kedge.planning import Action, Change
from kedge.planning.plan import Migration, StoreCopy
from kedge.providers.objects import CopyReport, Digest, ObjectInfo, copy_objects

if TYPE_CHECKING:
    from kedge.engine.apply import Applier

log = logging.getLogger("kedge.progress")
SHOWN_FAILURES = 5  # objects named in a failure message (the audit entry lists more)
AUDITED_FAILURES = 50
Clock = Callable[[], float]


def apply_migrating(applier: Applier, work: Sequence[Change], clock: Clock = time.monotonic) -> ApplyOutcome:
    graph = applier.rendered.graph
    deps = graph.deps if graph else {}
    migrations = [c for c in work if c.action is Action.MIGRATE and c.migration is not None]
    deletes = [c for c in work if c.action is Action.DELETE]
    changes = [c for c in work if c.action not in (Action.DELETE, Action.MIGRATE)]
    moving = {c.claim for c in migrations if c.claim is not None}
    waiting = _readers(changes, deps, moving, {k for c in migrations for k in _new(c)})
    for layer in _layers([c for c in changes if c.key not in waiting], graph):
        applier._run_layer(layer)
    failed: set[ClaimRef | None] = set()
    copied: list[Copied] = []
    for change in migrations:
        done = _migrate(applier, change, clock)
        if done is None:
            failed.add(change.claim)
        else:
            copied.extend(done)
    blocked = {c.claim for c in migrations if c.claim in failed}
    later: list[Change] = []
    for change in (c for c in changes if c.key in waiting):
        if waiting[change.key] & blocked:
            applier._failed.add(change.key)
            applier._finish(change, SKIPPED, "skipped: it reads a claim whose migration failed")
        else:
            later.append(change)
    for layer in _layers(later, graph):
        applier._run_layer(layer)
    run_deletes: list[Change] = []
    for change in deletes:
        if change.claim in failed:
            why = f"kept: the migration of {change.claim} failed; apply again to resume the copy"
            applier._finish(change, SKIPPED, f"skipped: {why}")
        else:
            run_deletes.append(change)
    emptied = _empty_sources(applier, copied, {c.key: c for c in run_deletes})
    run_deletes = [c for c in run_deletes if c.key not in emptied]
    for layer in reversed(_delete_layers(run_deletes, applier.inventory)):
        applier._run_layer(layer)
    return applier.outcome


@dataclass(frozen=True)
class Copied:
    """An old store whose objects are verified in the new one: emptied before it is deleted."""

    key: ResourceKey
    store: Any
    report: CopyReport


def _empty_sources(
    applier: Applier, copied: Sequence[Copied], deletes: Mapping[ResourceKey, Change]
) -> set[ResourceKey]:
    """Delete from each old store the objects verified in its new one, so the store can be
    deleted; returns the deletes that cannot run (their failure recorded). A store left in place
    (deletion-policy Orphan) keeps its objects."""
    failed: set[ResourceKey] = set()
    for done in copied:
        change = deletes.get(done.key)
        if change is None or change.forget_only:
            continue
        keys = [info.key for info in done.report.verified]
        with ThreadPoolExecutor(
            max_workers=max(1, applier.workers), thread_name_prefix="kedge-empty"
        ) as pool:
            errors = [e for e in pool.map(_deleted(done.store), keys) if e is not None]
        if errors:
            failed.add(done.key)
            message = (
                f"{len(errors)} verified object(s) could not be removed from {done.store.url}: {errors[0]}"
            )
            applier._failed.add(done.key)
            applier._finish(change, FAILED, applier.scrub(message))
    return failed


def _deleted(store: Any) -> Callable[[str], str | None]:
    def one(key: str) -> str | None:
        try:
            store.delete(key)
        except Exception as err:  # reported with the store's delete
            return f"{key}: {_first_line(err)}"
        return None

    return one


def _new(change: Change) -> tuple[ResourceKey, ...]:
    return change.migration.new if change.migration is not None else ()


def _reads(key: ResourceKey, deps: Mapping[ResourceKey, frozenset[ResourceKey]]) -> set[ResourceKey]:
    """Every resource ``key`` depends on, directly or not."""
    seen: set[ResourceKey] = set()
    todo = list(deps.get(key, ()))
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(deps.get(dep, ()))
    return seen


def _readers(
    changes: Sequence[Change],
    deps: Mapping[ResourceKey, frozenset[ResourceKey]],
    moving: set[ClaimRef],
    new: set[ResourceKey],
) -> dict[ResourceKey, set[ClaimRef]]:
    """The changes outside the moving claims that read them (their outputs, or their new
    resources): they wait for the copy. Each with the claims it waits for."""
    owners = {
        c.key: c.resource.claim for c in changes if c.resource is not None and c.resource.claim in moving
    }
    out: dict[ResourceKey, set[ClaimRef]] = {}
    for c in changes:
        if c.resource is None or c.resource.claim in moving:
            continue
        claims = {owners[k] for k in _reads(c.key, deps) & new if owners.get(k) is not None}
        claims |= {ClaimRef(*ref) for ref in _raw_references(c.resource.raw_spec) if ClaimRef(*ref) in moving}
        if claims:
            out[c.key] = {claim for claim in claims if claim is not None}
    return out


def _migrate(applier: Applier, change: Change, clock: Clock) -> list[Copied] | None:
    """Copy every store of one claim and record the result (with counts for the audit log);
    None when anything failed."""
    migration = change.migration
    assert migration is not None
    broken = sorted(str(k) for k in migration.new if k in applier._failed)
    if broken:
        applier._failed.add(change.key)
        applier._finish(change, SKIPPED, f"skipped: its new resource(s) {', '.join(broken)} failed")
        return None
    started = clock()
    done: list[Copied] = []
    errors: list[str] = []
    for copy in migration.copies:
        try:
            copied = _copy(applier, copy, change, clock)
        except Exception as err:  # a store that cannot be reached: the claim's result says so
            errors.append(applier.scrub(f"{copy.source} -> {copy.target}: {_first_line(err)}"))
            continue
        done.append(copied)
        if not copied.report.ok:
            errors.append(applier.scrub(_failure(copied.report)))
    applier._seconds[change.key] = clock() - started
    details = _details(migration, [d.report for d in done])
    if errors:
        applier._failed.add(change.key)
        message = (
            "; ".join(errors) + "; nothing was deleted: apply again to resume (verified objects are kept)"
        )
        applier._finish(change, FAILED, message, details)
        return None
    applier._finish(change, SUCCEEDED, None, details)
    return done


def _copy(applier: Applier, copy: StoreCopy, change: Change, clock: Clock) -> Copied:
    entry = applier.inventory[copy.source]
    source_client: Any = applier.conns.client(entry.identity.provider_config)
    source = source_client.objects(entry_target(entry))
    resource = applier._as_rendered[copy.target]
    where = target(resolve(resource, applier.observed.outputs, applier.outputs), applier.inventory)
    target_client: Any = applier.conns.client(resource.provider_config)
    store = target_client.objects(where)
    counted = Counted(store, f"{change.claim}: {source.url} -> {store.url}", copy.objects, copy.bytes, clock)
    report = copy_objects(source, counted, workers=applier.workers)
    counted.say(final=True)
    return Copied(copy.source, source, report)


def _failure(report: CopyReport) -> str:
    total = report.objects + len(report.failed)
    named = ", ".join(f"{key} ({why})" for key, why in report.failed[:SHOWN_FAILURES])
    more = f" and {len(report.failed) - SHOWN_FAILURES} more" if len(report.failed) > SHOWN_FAILURES else ""
    return (
        f"{len(report.failed)} of {total} object(s) not copied from {report.source} to {report.target}: "
        f"{named}{more}"
    )


def _details(migration: Migration, reports: Sequence[CopyReport]) -> dict[str, Any]:
    return {
        "composition": migration.composition,
        "objects": sum(r.objects for r in reports),
        "copied": sum(len(r.copied) for r in reports),
        "skipped": sum(len(r.skipped) for r in reports),
        "failed": sum(len(r.failed) for r in reports),
        "bytes": sum(r.bytes for r in reports),
        "verification": sorted({r.method for r in reports}),
        "copies": [
            {
                "source": r.source,
                "target": r.target,
                "method": r.method,
                "copied": len(r.copied),
                "skipped": len(r.skipped),
                "bytes": r.bytes,
                "failed": [[key, why] for key, why in r.failed[:AUDITED_FAILURES]],
            }
            for r in reports
        ],
    }


def _first_line(err: Exception) -> str:
    text = str(err)
    return text.splitlines()[0] if text else type(err).__name__


class Counted:
    """An object store that reports, every few seconds, how much of a copy has been written."""

    EVERY = 5.0  # seconds between progress lines

    def __init__(self, store: Any, label: str, objects: int | None, size: int | None, clock: Clock) -> None:
        self.store = store
        self.url: str = store.url
        self.part_size: int = store.part_size
        self.label = label
        self.total = objects
        self.total_bytes = size
        self.clock = clock
        self.objects = 0
        self.bytes = 0
        self._last = clock()

    def list(self) -> Iterator[ObjectInfo]:
        return iter(self.store.list())

    def head(self, key: str) -> ObjectInfo | None:
        found: ObjectInfo | None = self.store.head(key)
        return found

    def read(self, key: str, chunk_size: int) -> Iterator[bytes]:
        return iter(self.store.read(key, chunk_size))

    def write(self, key: str, chunks: Iterable[bytes], size: int, digest: Digest) -> None:
        self.store.write(key, chunks, size, digest)
        self.objects += 1
        self.bytes += size
        if self.clock() - self._last >= self.EVERY:
            self.say()

    def delete(self, key: str) -> None:
        self.store.delete(key)

    def verify_with(self) -> str:
        method: str = self.store.verify_with()
        return method

    def say(self, final: bool = False) -> None:
        self._last = self.clock()
        of = f" of {self.total}" if self.total is not None else ""
        size = f" of {self.total_bytes}" if self.total_bytes is not None else ""
        verb = "copied" if final else "copying"
        log.info("%s: %s %d%s object(s), %d%s bytes", self.label, verb, self.objects, of, self.bytes, size)
