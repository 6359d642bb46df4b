"""Each claim's readiness for a run: what was observed (or just applied) fed to ``readyWhen``.

    ready = run_readiness(engine, run)                 # after plan: as observed
    ready = run_readiness(engine, run, applied=True)   # after a complete apply: as applied

The expressions and their evaluation are ``kedge.compositions.readiness``; this module only
says what each composed resource looks like: as the plan observed it, or, once an apply has
succeeded, as it was applied (it exists, its state is the desired spec, its outputs are those
the apply returned).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kedge.model.resource import CLAIM_ANNOTATION
from kedge.planning import Action

if TYPE_CHECKING:
    from kedge.compositions import Readiness, Seen
    from kedge.engine.engine import Engine
    from kedge.engine.run import AppRun


def run_readiness(engine: Engine, run: AppRun, *, applied: bool = False) -> dict[tuple[str, str], Readiness]:
    """(claim kind, name) -> Readiness, for every claim of ``run`` that composed without error."""
    if not run.rendered.claims or run.observed is None:
        return {}
    from kedge.compositions import Seen, claim_readiness

    observed = run.observed
    outputs_now = engine.outputs_after_apply(run) if applied else observed.outputs
    seen: dict[tuple[str, str], Seen] = {}
    for resource in run.rendered.resources:
        if CLAIM_ANNOTATION not in resource.annotations:
            continue
        ref = (resource.key.kind, resource.key.name)
        found = observed.by_identity.get(resource.identity())
        outputs = observed.outputs.get(ref) or (found.outputs if found is not None else {})
        if found is not None and found.exists:
            seen[ref] = Seen(True, found.state, outputs)
    if applied:
        for change in run.plan.changes:
            ref = (change.key.kind, change.key.name)
            if change.action is Action.DELETE:
                seen.pop(ref, None)
            elif change.is_change and change.resource is not None and change.after is not None:
                seen[ref] = Seen(True, change.after, outputs_now.get(ref, {}))
    expander = engine.platform.for_app(run.options.platform_app)
    return claim_readiness(
        expander, run.rendered.claims, run.rendered.core, lambda kind, name: seen.get((kind, name))
    )
