"""One reconcile of one app, as the controller runs it: guards first, then named steps.

    fetch -> render/observe/plan (engine) -> decide -> apply and prune (engine) -> record

``reconcile`` returns when to come back. Temporary failures (git or a provider unreachable)
raise ``TemporaryError`` so the loop backs off; the live state is never touched when the
source could not be fetched or rendered. Status is written once, in a ``finally``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kedge.controller.bus import EventBus
from kedge.controller.claims import claim_statuses, settled
from kedge.controller.fetch import Fetched, SourceInvalid, Sources
from kedge.controller.metrics import Metrics
from kedge.controller.notify import Notifier
from kedge.controller.operations import Operation
from kedge.controller.protocol import StreamEvent
from kedge.controller.spec import AppSpec
from kedge.controller.status import (
    APP_CONDITIONS,
    DEGRADED,
    HEALTHY,
    MISSING,
    OUT_OF_SYNC,
    SYNCED,
    UNKNOWN,
    Status,
)
from kedge.engine import AppRun, Engine, Options
from kedge.engine.readiness import run_readiness
from kedge.engine.render import Rendered
from kedge.model import ConfigError, KedgeError, TemporaryError, is_temporary
from kedge.planning import Action, Change
from kedge.store import Store

log = logging.getLogger("kedge.controller")
STATUS_REFRESH = 60.0  # seconds: an unchanged status is still rewritten this often
RENDER_TTL = 600.0  # seconds a rendered revision is reused by drift sweeps
FULL_SWEEP_EVERY = 10  # a quiet, fully watched app is still observed and planned every 10th sweep


@dataclass
class _Clean:
    """An app's last plan found nothing to do; its watches stood at ``generation`` before it."""

    rendered: Rendered
    generation: int
    skipped: int = 0


@dataclass(frozen=True)
class _Cached:
    revision: str
    spec: AppSpec
    rendered: Rendered
    at: float


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Reconciler:
    store: Store
    engine: Engine
    sources: Sources
    bus: EventBus
    metrics: Metrics
    notifier: Notifier
    on_rendered: Callable[[str, AppRun], None] | None = None  # watches, app-of-apps
    # The watches' generation of an app, and whether its watches covered the given ProviderConfigs
    # and saw nothing since a generation: lets a drift sweep skip a quiet app (``_sweep_skips``).
    watch_generation: Callable[[str], int] | None = None
    watches_quiet: Callable[[str, set[str], int], bool] | None = None
    _clean: dict[str, _Clean] = field(default_factory=dict)
    _rendered: dict[str, _Cached] = field(default_factory=dict)
    _may_have_open_drift: dict[str, bool] = field(default_factory=dict)
    _in_progress: set[str] = field(default_factory=set)
    costs: dict[str, dict[str, Any]] = field(default_factory=dict)  # last plan.cost of each app

    def reconcile(self, name: str, reasons: set[str], op: Operation | None = None) -> float | None:
        record = self.store.get_app(name)
        if record is None:
            return None
        spec = AppSpec.parse(name, record.spec)
        previous = dict(record.status or {})
        status = Status.from_json(previous)
        before = (status.sync, status.health)
        try:
            if record.suspended and op is None:
                status.condition(
                    "Ready", False, "Suspended", "reconciliation is suspended; resume to continue"
                )
                self._suspended(spec, status, record.pinned_revision)
                return None
            return self._reconcile(name, spec, status, reasons, op, pinned=record.pinned_revision)
        finally:
            status.conditions.pop("Reconciling", None)
            if status.last_applied_revision and not status.last_attempted_revision:
                status.last_attempted_revision = status.last_applied_revision
            self._record_failure(name, status, Status.from_json(previous), reasons, op)
            shown_progress = name in self._in_progress
            if shown_progress:
                self._in_progress.discard(name)
                previous = {}  # the stored status says Reconciling: always overwrite it
            self._save_status(name, status, previous)
            self.metrics.app_info(name, status.sync, status.health)
            if (status.sync, status.health) != before or shown_progress:
                self.bus.publish(StreamEvent("app", name, {"status": status.to_json()}))
                if status.health == DEGRADED:
                    self.notifier.send("degraded", name, f"app {name} is Degraded: {_ready_message(status)}")

    def _progress(self, name: str, status: Status, message: str) -> None:
        """Show ``Reconciling`` while a sync runs: written now, removed when the reconcile ends."""
        status.condition("Reconciling", True, "Progressing", message)
        self._in_progress.add(name)
        self.store.set_app_status(name, status.to_json())
        self.bus.publish(StreamEvent("app", name, {"status": status.to_json()}))

    def _suspended(self, spec: AppSpec, status: Status, pinned: str | None) -> None:
        """A suspended app still says whether git moved past what is applied (never applies it)."""
        try:
            wanted = pinned or self.sources.head(spec)
        except KedgeError:
            return  # the source cannot be read: nothing new is known
        if status.last_applied_revision and wanted != status.last_applied_revision:
            status.sync = OUT_OF_SYNC

    def _record_failure(
        self, name: str, status: Status, previous: Status, reasons: set[str], op: Operation | None
    ) -> None:
        """A failed attempt that applied nothing (source, render, verification, plan) goes to
        History (result ``failed``) and Events, once per distinct failure: a failing app retried
        every few seconds does not bury real history. A manual sync always records its outcome."""
        ready = status.conditions.get("Ready", {})
        reason = ready.get("reason", "")
        if ready.get("status") != "False" or reason in NOT_FAILURES:
            return
        revision = status.last_attempted_revision
        old = previous.conditions.get("Ready", {})
        same = (old.get("reason"), old.get("message"), previous.last_attempted_revision) == (
            reason,
            ready.get("message"),
            revision,
        )
        if same and op is None:
            return
        message = f"{reason}: {ready.get('message', '')}"[:4000]
        trigger = _trigger(reasons, op, revision != status.last_applied_revision)
        run_id = self.store.start_run(
            name, revision=revision, trigger=trigger, actor=op.actor if op else "controller"
        )
        self.store.finish_run(run_id, "failed", {}, message)
        self._event(name, "sync-failed", message=message)
        self.metrics.sync(name, "failed")

    def _save_status(self, name: str, status: Status, previous: dict[str, Any]) -> None:
        """Write the status when it changed, or at least once a minute (``observedAt``)."""
        now = _now()
        status.observed_at = now.isoformat()
        current = status.to_json()
        unchanged = {k: v for k, v in current.items() if k != "observedAt"} == {
            k: v for k, v in previous.items() if k != "observedAt"
        }
        last = previous.get("observedAt")
        if unchanged and last and (now - datetime.fromisoformat(last)).total_seconds() < STATUS_REFRESH:
            return
        self.store.set_app_status(name, current)

    # -- steps ----------------------------------------------------------------------------------

    def _reconcile(
        self,
        name: str,
        spec: AppSpec,
        status: Status,
        reasons: set[str],
        op: Operation | None,
        pinned: str | None,
    ) -> float | None:
        revision = op.revision if op and op.revision else pinned
        if op is not None:
            self._progress(name, status, f"{op.type} requested by {op.actor}")
        source = self._source(name, spec, status, revision)
        if op is None and self._sweep_skips(name, reasons, source, status):
            return spec.drift_interval
        clean = self._clean.pop(name, None)
        generation = self.watch_generation(name) if self.watch_generation else None
        again = self._with_source(name, spec, status, reasons, op, source, pinned)
        if generation is not None and op is None and _is_clean(status):
            self._clean[name] = _Clean(source, generation)
        elif clean is not None:
            log.debug("app %s: planned again after a quiet period", name)
        return again

    def _sweep_skips(self, name: str, reasons: set[str], source: Rendered, status: Status) -> bool:
        """A drift sweep of an app that cannot have drifted is skipped.

        True when the sweep is the only reason, the source is the one last planned (same
        rendered object: nothing fetched or rendered), that plan found nothing to do, and every
        ProviderConfig of the app has a complete watch (``watch_complete``) that saw no event
        and did not restart since before that plan. Providers without watches, or with watches
        that miss some changes (PostgreSQL's event triggers do not see roles), are never
        skipped; and every ``FULL_SWEEP_EVERY``-th sweep observes and plans anyway.
        """
        clean = self._clean.get(name)
        if clean is None or reasons != {"drift"} or self.watches_quiet is None:
            return False
        if clean.rendered is not source or not _is_clean(status) or clean.skipped + 1 >= FULL_SWEEP_EVERY:
            return False
        configs = {r.provider_config for r in source.resources}
        if not configs or not self.watches_quiet(name, configs, clean.generation):
            return False
        clean.skipped += 1
        return True

    def _source(self, name: str, spec: AppSpec, status: Status, revision: str | None) -> Rendered:
        """The rendered manifests of the revision to reconcile; cached while the source stands still.

        A drift sweep of an app whose branch has not moved reads nothing from git and renders
        nothing: it only observes and plans. The cache also expires after ``RENDER_TTL`` so
        a rotated ``fromFile`` secret is picked up.
        """
        cached = self._rendered.get(name)
        if cached is not None and revision is None and time.monotonic() - cached.at < RENDER_TTL:
            try:
                head = self.sources.head(spec)
            except KedgeError:
                head = None  # let the fetch below report it
            if head == cached.revision and cached.spec == spec:
                return cached.rendered
        fetched = self._fetch(name, spec, status, revision)
        try:
            rendered = self.engine.render(
                name, fetched.directory, Options(platform_app=spec.platform)
            ).rendered
        finally:
            fetched.cleanup()
        rendered.diagnostics.extend(fetched.diagnostics)
        rendered.revision = fetched.revision
        if revision is None:
            self._rendered[name] = _Cached(fetched.revision, spec, rendered, time.monotonic())
        return rendered

    def forget(self, name: str) -> None:
        self._rendered.pop(name, None)
        self._clean.pop(name, None)
        self.costs.pop(name, None)

    def cached_render(self, name: str, spec: AppSpec, revision: str) -> Rendered | None:
        """The manifests of ``revision`` as the last reconcile rendered them, while still fresh."""
        cached = self._rendered.get(name)
        if cached is None or cached.spec != spec or cached.revision != revision:
            return None
        return cached.rendered if time.monotonic() - cached.at < RENDER_TTL else None

    def _fetch(self, name: str, spec: AppSpec, status: Status, revision: str | None) -> Fetched:
        try:
            fetched = self.sources.fetch(spec, revision)
        except ConfigError as err:
            if isinstance(err, SourceInvalid):
                status.last_attempted_revision = err.revision
            _failed(status)
            status.condition("Ready", False, "SourceInvalid", str(err))
            status.condition("Stalled", True, "SourceInvalid", str(err))
            raise
        except KedgeError as err:
            status.sync = UNKNOWN
            status.condition("Ready", False, "Stale", f"source unreachable, live state untouched: {err}")
            raise TemporaryError(str(err)) from err
        previous = status.last_attempted_revision
        if (
            revision is None  # a rollback or a sync to a named revision is not a force-push
            and previous
            and previous != fetched.revision
            and not self.sources.is_ancestor(spec, previous, fetched.revision)
        ):
            self._event(
                name,
                "force-push",
                message=f"{spec.target_revision} moved from {previous[:12]} to "
                f"{fetched.revision[:12]}, which does not descend from it (force-push)",
            )
        status.last_attempted_revision = fetched.revision
        if spec.verify and spec.verify.get("mode", "head") != "none":
            self._verify(name, spec, status, fetched)
        return fetched

    def _verify(self, name: str, spec: AppSpec, status: Status, fetched: Fetched) -> None:
        """A commit not signed by a trusted key is never applied: condition, event, audit entry."""
        try:
            result = self.sources.verify(spec, fetched.revision)
        except ConfigError as err:
            fetched.cleanup()
            status.condition("Ready", False, "VerificationFailed", str(err))
            status.condition("Stalled", True, "VerificationFailed", str(err))
            raise
        if result.ok:
            return
        fetched.cleanup()
        message = f"commit {fetched.revision[:12]} refused: {result.reason}; the live state is untouched"
        _failed(status)
        status.condition("Ready", False, "UnverifiedCommit", message)
        status.condition("Stalled", True, "UnverifiedCommit", message)
        self._event(name, "verification-failed", message=message)
        self.store.audit(
            "controller",
            "commit-refused",
            app=name,
            revision=fetched.revision,
            result="refused",
            details={"reason": result.reason},
        )
        raise ConfigError(message)

    def _with_source(
        self,
        name: str,
        spec: AppSpec,
        status: Status,
        reasons: set[str],
        op: Operation | None,
        rendered: Rendered,
        pinned: str | None,
    ) -> float | None:
        revision = rendered.revision
        prune = spec.prune if op is None or op.prune is None else op.prune
        trigger = _trigger(reasons, op, revision != status.last_applied_revision)
        options = Options(
            prune=prune,
            allow_empty=spec.allow_empty,
            confirm_prune=bool(op and op.confirm_prune),
            revision=revision,
            trigger=trigger,
            actor=op.actor if op else "controller",
        )
        with self.metrics.reconcile_timer(name):
            run = self.engine.plan(name, rendered.root, options, rendered=rendered)
        if run.plan.cost is not None:  # the app's monthly cost as declared: metrics and the UI
            self.costs[name] = dict(run.plan.cost)
            self.metrics.app_cost(name, float(run.plan.cost["after"]), str(run.plan.cost["currency"]))
        try:
            return self._decide(name, spec, status, op, run, revision, pinned)
        finally:
            self.engine.finish(run)

    def _decide(
        self,
        name: str,
        spec: AppSpec,
        status: Status,
        op: Operation | None,
        run: AppRun,
        revision: str,
        pinned: str | None,
    ) -> float | None:
        plan = run.plan
        status.claims = claim_statuses(run, run_readiness(self.engine, run))
        # Drift is observed whatever the plan's verdict: a revert that is refused is still drift.
        drifted = [c for c in plan.changes if c.drift and (c.is_change or c.diff)]
        event_ids = self._record_drift(name, drifted, revision)
        if not plan.ok:
            message = "; ".join(str(d) for d in plan.diagnostics if d.is_error)[:2000]
            reason = _failure_reason(run)
            status.condition("Ready", False, reason, message)
            if reason == "PolicyDenied":
                for d in plan.diagnostics:
                    if d.is_error and d.code == "PolicyDenied":
                        self.store.audit(
                            "controller",
                            "policy-denied",
                            app=name,
                            revision=revision,
                            result="denied",
                            details={"message": d.message},
                        )
            if reason == "PruneNeedsConfirmation":
                self.store.audit(
                    "controller",
                    "prune-refused",
                    app=name,
                    revision=revision,
                    result="refused",
                    details={"message": message},
                )
            if _is_temporary(run):
                status.sync = UNKNOWN
                raise TemporaryError(message)
            _failed(status)
            status.condition("Stalled", True, reason, message)
            if op is not None:
                raise ConfigError(message)
            return spec.drift_interval
        status.conditions.pop("Stalled", None)
        _resource_conditions(status, run)
        if self.on_rendered is not None:
            self.on_rendered(name, run)
        new_revision = revision != status.last_applied_revision
        # A pinned app keeps to its pinned revision: new commits wait, self-heal goes on.
        automated = spec.automated
        apply_now = op is not None or (automated and (new_revision or spec.self_heal))
        if plan.has_changes and apply_now:
            self._apply(name, status, run, revision, event_ids, pinned)
        else:
            self._settle(status, run, revision, pinned)
        if status.sync == SYNCED:  # applied: every claim's resources match now
            status.claims = settled(status.claims, run_readiness(self.engine, run, applied=True))
        status.summary = plan.summary()
        if any(k not in APP_CONDITIONS for k in status.conditions):
            status.health = DEGRADED  # an object reports trouble (RemediationPaused)
        return spec.drift_interval

    def _apply(
        self,
        name: str,
        status: Status,
        run: AppRun,
        revision: str,
        drift_ids: list[int],
        pinned: str | None = None,
    ) -> None:
        pending = sum(1 for c in run.plan.changes if c.is_change)
        self._progress(name, status, f"applying {pending} change(s) of {revision[:12]}")
        outcome = self.engine.apply(run)
        self.metrics.sync(name, "succeeded" if outcome.ok else "failed")
        # Each change's audit entry is written by the engine (kedge apply writes the same).
        self.store.audit(
            run.options.actor,
            "sync",
            app=name,
            revision=revision,
            result="succeeded" if outcome.ok else "failed",
            details={"trigger": run.options.trigger, "summary": run.plan.summary()},
        )
        self.bus.publish(
            StreamEvent(
                "sync", name, {"revision": revision, "ok": outcome.ok, "trigger": run.options.trigger}
            )
        )
        if outcome.ok:
            status.sync, status.health = SYNCED, HEALTHY
            status.last_applied_revision = status.last_attempted_revision = revision
            pin = " (pinned by a rollback; resume to follow the branch)" if pinned else ""
            status.condition("Ready", True, "Synced", f"applied {revision[:12]}{pin}")
            if drift_ids:
                self.store.mark_reverted(drift_ids)
                for key in {c.key for c in run.plan.changes if c.drift}:
                    self.store.audit(
                        "controller", "drift-reverted", app=name, resource=str(key), revision=revision
                    )
                self.bus.publish(StreamEvent("drift", name, {"reverted": drift_ids}))
        else:
            failures = "; ".join(f"{r.change.key}: {r.error}" for r in outcome.failed)[:2000]
            status.sync, status.health = OUT_OF_SYNC, DEGRADED
            status.condition("Ready", False, "SyncFailed", failures or "some changes failed")
            self.notifier.send("sync-failed", name, f"sync of {name} failed: {failures}")

    def _settle(self, status: Status, run: AppRun, revision: str, pinned: str | None = None) -> None:
        """Nothing applied: report what is pending, and close drift that went away by itself."""
        pending = [c for c in run.plan.changes if c.is_change]
        drift_left = [c for c in run.plan.changes if c.drift]
        if not pending and not drift_left:
            status.sync, status.health = SYNCED, HEALTHY
            if status.last_applied_revision is None:
                status.last_applied_revision = revision
            if status.last_attempted_revision is None:
                status.last_attempted_revision = revision
            pin = f" (pinned to {pinned[:12]} by a rollback; resume to follow the branch)" if pinned else ""
            status.condition("Ready", True, "Synced", f"the real world matches the source{pin}")
            if self._may_have_open_drift.get(run.app, True):  # unknown after a start: look once
                open_ids = [e.id for e in self.store.open_drift(run.app)]
                if open_ids:
                    self.store.mark_reverted(open_ids)
                self._may_have_open_drift[run.app] = False
            return
        status.sync = OUT_OF_SYNC
        missing = any(c.action is Action.CREATE for c in pending)
        status.health = MISSING if missing else (status.health if status.health != UNKNOWN else HEALTHY)
        # Counted as the diff lists them: every change, and every drift left unreverted.
        shown = {c.key for c in pending} | {c.key for c in drift_left if c.diff or c.is_change}
        status.condition("Ready", False, "OutOfSync", f"{len(shown) or len(drift_left)} change(s) pending")

    def _record_drift(self, name: str, drifted: list[Change], revision: str) -> list[int]:
        if not drifted:
            return []
        open_by_resource = {(e.resource_kind, e.resource_name): e.id for e in self.store.open_drift(name)}
        ids: list[int] = []
        for change in drifted:
            key = (change.key.kind, change.key.name)
            if key in open_by_resource:
                ids.append(open_by_resource[key])
                continue
            fields = [
                {"path": d.path, "desired": d.to_json()["after"], "actual": d.to_json()["before"]}
                for d in change.diff
            ]
            what = "missing" if change.before is None else ", ".join(f["path"] for f in fields)
            event_id = self._event(
                name, "drift", change=change, fields=fields, message=f"{change.key}: {what}"
            )
            ids.append(event_id)
            self._may_have_open_drift[name] = True
            self.metrics.drift(name)
            self.store.audit(
                "controller",
                "drift-detected",
                app=name,
                resource=str(change.key),
                revision=revision,
                diff=fields,
            )
            self.notifier.send("drift", name, f"drift in {name}: {change.key}: {what}")
        return ids

    def _event(
        self,
        app: str,
        kind: str,
        *,
        change: Change | None = None,
        fields: list[dict[str, Any]] | None = None,
        message: str | None = None,
    ) -> int:
        event_id = self.store.add_event(
            app,
            kind,
            resource_kind=change.key.kind if change else None,
            resource_name=change.key.name if change else None,
            fields=fields,
            message=message,
        )
        self.bus.publish(
            StreamEvent(
                kind,
                app,
                {
                    "id": event_id,
                    "resource": {"kind": change.key.kind, "name": change.key.name} if change else None,
                    "fields": fields or [],
                    "message": message,
                },
            )
        )
        return event_id


# Ready=False reasons that are not a failed attempt (History already has failed applies).
NOT_FAILURES = frozenset({"Suspended", "OutOfSync", "SyncFailed", "Progressing"})


def _is_clean(status: Status) -> bool:
    """Synced and Healthy, no condition beyond Ready (and Reconciling, removed as the run ends)."""
    quiet = set(status.conditions) <= {"Ready", "Reconciling"}
    return quiet and status.sync == SYNCED and status.health == HEALTHY


def _failed(status: Status) -> None:
    """A terminal failure before anything was applied: red, and OutOfSync when git moved past
    what is applied (Unknown when it did not: the world was not compared)."""
    status.health = DEGRADED
    moved = status.last_attempted_revision not in (None, status.last_applied_revision)
    status.sync = OUT_OF_SYNC if moved else UNKNOWN


def _trigger(reasons: set[str], op: Operation | None, new_revision: bool) -> str:
    if op is not None:
        return op.type if op.type == "rollback" else "manual"
    for reason in ("webhook", "commit"):
        if reason in reasons:
            return reason
    return "commit" if new_revision else "drift"


# Diagnostic codes that are a condition's reason as they are, most telling first.
REASONS = (
    "PolicyDenied",
    "PolicyFailed",
    "PruneNeedsConfirmation",
    "EmptySource",
    "Conflict",
    "PreventDestroy",
    "DestructiveChange",
    "ProviderFailed",
    "ProviderUnavailable",
)


def _failure_reason(run: AppRun) -> str:
    """The condition reason of a failed plan, from the codes of its diagnostics (never the text)."""
    codes = {d.code for d in run.plan.diagnostics if d.is_error and d.code}
    if run.error is not None and run.error.code not in REASONS:
        return "ProviderFailed"
    return next((r for r in REASONS if r in codes), "PlanFailed")


def _is_temporary(run: AppRun) -> bool:
    """Observation stopped by an error a retry may fix; a terminal provider error stalls."""
    return run.error is not None and is_temporary(run.error)


def _ready_message(status: Status) -> str:
    return status.conditions.get("Ready", {}).get("message", "")


def _resource_conditions(status: Status, run: AppRun) -> None:
    """What providers report about the app's objects (a paused remediation) becomes a condition
    of the app naming each object; a condition no object reports any more is cleared."""
    found: dict[str, list[str]] = {}
    if run.observed is not None:
        for r in run.rendered.resources:
            seen = run.observed.by_identity.get(r.identity())
            for kind, message in sorted((seen.conditions if seen else {}).items()):
                found.setdefault(kind, []).append(f"{r.key}: {message}")
    for kind in [k for k in status.conditions if k not in APP_CONDITIONS and k not in found]:
        del status.conditions[kind]
    for kind, messages in found.items():
        status.condition(kind, True, kind, "; ".join(messages)[:2000])
