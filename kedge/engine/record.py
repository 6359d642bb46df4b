"""Record an apply: each change's result in the run's history, an audit entry for each change,
and the run's status (``succeeded``, ``partial`` or ``failed``). The inventory is written by the
applier as changes succeed, not here.
"""

from __future__ import annotations

from kedge.engine.apply import ApplyOutcome
from kedge.engine.run import AppRun
from kedge.store import RunResult, Store
from kedge.store.audit import AuditItem


def record_run(store: Store, run_id: int, run: AppRun, outcome: ApplyOutcome) -> None:
    """The run's history: each change's result, an audit entry per change, the run's status."""
    results = [
        RunResult(
            r.change.key, r.change.action.value, r.result, [d.to_json() for d in r.change.diff], r.error
        )
        for r in outcome.results
    ]
    store.record_results(run_id, results)
    store.audit_many(
        AuditItem(
            run.options.actor,
            r.change.action.value,
            app=run.app,
            resource=str(r.change.key),
            revision=run.options.revision,
            diff=[d.to_json() for d in r.change.diff],
            result=r.result,
            details={**(r.details or {}), **({"error": r.error} if r.error else {})} or None,
        )
        for r in outcome.results
        if r.change.is_change or r.result != "succeeded"
    )
    failed = len(outcome.failed)
    status = "succeeded" if outcome.ok else ("failed" if failed == len(results) else "partial")
    message = "; ".join(f"{r.change.key}: {r.error}" for r in outcome.results if r.error)[:4000]
    store.finish_run(run_id, status, run.plan.summary(), message or None)
