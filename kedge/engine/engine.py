"""The engine's public face: plan, apply and drift of one app, as named steps.

    engine = Engine(Store.open("kedge.db"))
    run = engine.plan("payments", Path("apps/payments"), Options(prune=True))
    if run.plan.ok and run.plan.has_changes:
        outcome = engine.apply(run)
    engine.finish(run)
    engine.close()

Each step returns a new ``AppRun`` and changes none: render gives the manifests, plan adds the
``Basis`` it observed (inventory, intents, observations, connections) and the ``Plan`` made from
it, and apply performs exactly that plan against that basis.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kedge.cost import Catalog, check_usage
from kedge.engine.apply import Applier, ApplyOutcome, Progress, scrubber
from kedge.engine.cost import load_catalog, plan_cost
from kedge.engine.migrate_plan import plan_with_migrations
from kedge.engine.observe import Connections, observe
from kedge.engine.platform import expander
from kedge.engine.record import record_run
from kedge.engine.render import Rendered, render
from kedge.engine.retry import RetryPolicy
from kedge.engine.run import AppRun, Basis, Options
from kedge.engine.targets import target
from kedge.manifests import CoreDocument
from kedge.model import Diagnostic, Identity, KedgeError, Observation, Resource, ResourceKey
from kedge.model.diagnostics import has_errors
from kedge.model.values import contains_unknown
from kedge.planning import Action, Change, Plan
from kedge.planning.planner import PlanInput
from kedge.providers import registry
from kedge.providers.base import FieldChange
from kedge.store import Intent, Store

if TYPE_CHECKING:
    from kedge.compositions import ClaimExpander
    from kedge.planning.policy import PolicyLimits


class Engine:
    def __init__(
        self,
        store: Store,
        *,
        concurrency: int = 8,
        retry: RetryPolicy | None = None,
        extra_configs: Sequence[CoreDocument] = (),
        env: Mapping[str, str] | None = None,
        policies: Sequence[CoreDocument] = (),
        policy_limits: PolicyLimits | None = None,
        checkouts: bool = False,
        platform: ClaimExpander | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self.store = store
        self.checkouts = checkouts  # apps are temporary git checkouts: relative roots are refused
        # Definitions and Compositions of the server or --platform; the app's own are allowed.
        self.platform = platform or expander()
        self._catalog = catalog  # prices for plan.cost and budgets; None: the shipped catalog
        self.policies = policies  # the server's Policies: they apply to every app
        self.policy_limits = policy_limits  # None: the defaults
        self.retry = retry or RetryPolicy()
        self.extra_configs = extra_configs
        self.env = env
        self.concurrency = concurrency
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="kedge-engine")
        # app -> outputs its last apply produced, for the views that follow it (claim readiness)
        self._applied: dict[str, Mapping[tuple[str, str], Mapping[str, Any]]] = {}

    @property
    def catalog(self) -> Catalog:
        """The price catalog, read on first use (the shipped one is read once per process)."""
        if self._catalog is None:
            self._catalog = load_catalog(None)
        return self._catalog

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    # -- steps -------------------------------------------------------------------------------

    def render(self, app: str, path: Path, options: Options = Options()) -> AppRun:
        expand = self.platform.for_app(options.platform_app)
        rendered = render(path, self.extra_configs, self.env, checkout=self.checkouts, expand=expand)
        return AppRun(app, options, rendered)

    def plan(
        self, app: str, path: Path, options: Options = Options(), rendered: Rendered | None = None
    ) -> AppRun:
        """Render (unless ``rendered`` is given), observe and plan.

        On render errors the plan carries them and nothing is observed.
        """
        run = AppRun(app, options, rendered) if rendered is not None else self.render(app, path, options)
        usage_problems = check_usage(run.rendered.resources) if run.rendered.ok else []
        if not run.rendered.ok or has_errors(usage_problems):
            return dataclasses.replace(
                run, plan=Plan(diagnostics=[*run.rendered.diagnostics, *usage_problems])
            )
        basis = self._observe(run)
        if isinstance(basis, KedgeError):
            problem = Diagnostic.error(scrubber(lambda: run.secrets)(str(basis)), code=basis.code)
            return dataclasses.replace(
                run, plan=Plan(diagnostics=[*run.rendered.diagnostics, problem]), error=basis
            )
        return self._plan(dataclasses.replace(run, basis=basis), basis, usage_problems)

    def _observe(self, run: AppRun) -> Basis | KedgeError:
        """The app's inventory, intents and the world as it is; an error closes what it opened."""
        inventory = self.store.inventory(run.app)
        intents = self.store.intents(run.app)
        conns = Connections(run.app, run.rendered.configs)
        try:
            observed = observe(run.rendered, inventory, conns, self.pool, self.retry)
        except KedgeError as err:
            conns.close()
            return err
        return Basis(inventory, intents, observed, conns)

    def _plan(self, run: AppRun, basis: Basis, usage_problems: Sequence[Diagnostic]) -> AppRun:
        """The plan of ``run`` against ``basis``: changes, previews, cost and policy verdicts."""
        observed, options = basis.observed, run.options
        # The planner compares what the provider will be asked for: references resolved. Each
        # change carries that resolved resource, and apply sends it as is.
        desired = [observed.resolved.get(r.key, r) for r in run.rendered.resources]
        owned = {e.identity for e in basis.inventory}
        plan_input = PlanInput(
            app=run.app,
            desired=desired,
            observed=observed.by_identity,
            inventory=basis.inventory,
            # Only identities this app does not own yet can belong to someone else.
            owners=self.store.owners({r.identity() for r in desired} - owned),
            intents={i.identity for i in basis.intents},
            prune=options.prune,
            allow_empty=options.allow_empty,
            confirm_prune=options.confirm_prune,
        )
        expand = self.platform.for_app(options.platform_app)
        runs = partial(self.store.runs, run.app, limit=3, with_results=True)
        plan = plan_with_migrations(plan_input, registry.kind_spec, run, expand, runs)
        changes, previews, refused = self._preview(run, basis, plan)
        cost = plan_cost(changes, basis.inventory, run.rendered, self.catalog)
        policies = [d for d in (*self.policies, *run.rendered.core) if d.kind == "Policy"]
        verdicts = (
            _check_plan(
                policies,
                changes,
                app=run.app,
                kinds=registry.kind_spec,
                app_labels=options.app_labels,
                inventory=basis.inventory,
                limits=self.policy_limits,
                cost=cost,
            )
            if options.check_policies and policies
            else []
        )
        reported = _conditions(run.rendered.resources, observed.by_identity)
        diagnostics = [
            *run.rendered.diagnostics,
            *plan.diagnostics,
            *reported,
            *previews,
            *usage_problems,
            *verdicts,
        ]
        final = Plan(_with_dependencies(changes, run.rendered), diagnostics, cost)
        return dataclasses.replace(run, plan=final, refused=refused)

    def _preview(
        self, run: AppRun, basis: Basis, plan: Plan
    ) -> tuple[list[Change], list[Diagnostic], dict[ResourceKey, str]]:
        """Ask providers that can tell for the exact statements of each change (shown in the plan).

        A provider refuses a change here (a destructive table change without the annotation),
        before anything runs, as a diagnostic on the resource (observe-only: as a note in
        ``refused``, since nothing will be applied).
        """
        scrub = scrubber(lambda: run.secrets)
        out: list[Change] = []
        problems: list[Diagnostic] = []
        refused: dict[ResourceKey, str] = {}
        for change in plan.changes:
            r = change.resource
            if r is None or change.action not in (Action.CREATE, Action.UPDATE, Action.REPLACE):
                out.append(change)
                continue
            preview = getattr(basis.conns.client(r.provider_config), "preview", None)
            if preview is None or contains_unknown(r.spec):  # unknown: depends on outputs not created yet
                out.append(change)
                continue
            observed = basis.observed.by_identity.get(r.identity(), Observation.missing())
            diff = [FieldChange(d.path, d.before, d.after) for d in change.diff]
            try:
                statements = preview(target(r, basis.by_key), observed, diff)
            except KedgeError as err:
                if run.options.observe_only:
                    refused[change.key] = scrub(str(err)).removeprefix(f"{change.key}: ")
                else:
                    problems.append(
                        Diagnostic.error(scrub(str(err)), file=r.file, line=r.line, code=err.code)
                    )
                out.append(change)
                continue
            out.append(dataclasses.replace(change, statements=tuple(statements)))
        return out, problems, refused

    def apply(self, run: AppRun, progress: Progress | None = None) -> ApplyOutcome:
        """Perform ``run.plan`` against the basis it was made from, and record the run.

        Only a plan free of errors is performed: anything else raises ``ValueError``.
        """
        if run.basis is None or not run.plan.ok:
            raise ValueError(f"{run.app}: only a plan without errors can be applied")
        store, basis = self.store, run.basis
        # Whoever applies an app holds it alone (the controller's lease, or the one user of a
        # one-shot store), so an unfinished run of this app is one whose process died.
        store.mark_interrupted_runs([run.app])
        run_id = store.start_run(
            run.app, revision=run.options.revision, trigger=run.options.trigger, actor=run.options.actor
        )
        applier = Applier(
            app=run.app,
            store=store,
            rendered=run.rendered,
            observed=basis.observed,
            inventory=basis.by_key,
            conns=basis.conns,
            pool=self.pool,
            retry=self.retry,
            scrub=scrubber(lambda: run.secrets),
            progress=progress,
            workers=self.concurrency,
            stale_intents=_by_identity(basis.intents),
        )
        try:
            return applier.apply(run.plan)
        finally:
            self._applied[run.app] = dict(applier.outputs)
            record_run(store, run_id, run, applier.outcome)

    def outputs_after_apply(self, run: AppRun) -> Mapping[tuple[str, str], Mapping[str, Any]]:
        """(kind, name) -> outputs as the run's apply left them: those observed, overridden by
        those the apply produced (until ``finish``)."""
        observed = run.observed.outputs if run.observed is not None else {}
        return {**observed, **self._applied.get(run.app, {})}

    def finish(self, run: AppRun) -> None:
        """Close the connections the run's plan opened."""
        self._applied.pop(run.app, None)
        if run.basis is not None:
            run.basis.conns.close()

    # -- read-only views -----------------------------------------------------------------------

    @staticmethod
    def drift_report(run: AppRun) -> dict[str, Any]:
        """DESIGN §4 drift shape, from a plan made without prune."""
        drifted: list[dict[str, Any]] = []
        missing: list[dict[str, Any]] = []
        in_sync = 0
        for c in run.plan.changes:
            if c.resource is None:
                continue
            item = {
                "apiVersion": c.key.api_version,
                "kind": c.key.kind,
                "name": c.key.name,
                "fields": [
                    {"path": d["path"], "desired": d["after"], "actual": d["before"]}
                    for d in (x.to_json() for x in c.diff)
                ],
            }
            if c.key in run.refused:
                item["revert"] = f"refused: {run.refused[c.key]}"
            if c.action is Action.CREATE or (c.before is None and c.drift):
                missing.append(item)
            elif c.diff:
                drifted.append(item)
            else:
                in_sync += 1
        return {"drifted": drifted, "missing": missing, "inSync": in_sync}


def _check_plan(
    policies: Sequence[CoreDocument], changes: Sequence[Change], **kwargs: Any
) -> list[Diagnostic]:
    """The policy verdicts; the CEL sandbox is imported only for an app or server with Policies."""
    from kedge.planning.policy import check_plan

    return check_plan(policies, changes, **kwargs)


def _with_dependencies(changes: Sequence[Change], rendered: Rendered) -> list[Change]:
    """Each change with the resources it waits for (direct edges of the app's graph)."""
    graph = rendered.graph
    if graph is None:
        return list(changes)
    out: list[Change] = []
    for change in changes:
        deps = graph.deps.get(change.key) if change.resource is not None else None
        out.append(
            dataclasses.replace(change, depends_on=tuple(sorted(str(k) for k in deps))) if deps else change
        )
    return out


def _conditions(resources: Sequence[Resource], observed: Mapping[Identity, Observation]) -> list[Diagnostic]:
    """What providers report about objects beyond their state (a paused remediation), as
    warnings on the resource: ``MachineDeployment/workers: RemediationPaused: ...``."""
    out: list[Diagnostic] = []
    for r in resources:
        seen = observed.get(r.identity())
        for kind, message in sorted((seen.conditions if seen else {}).items()):
            out.append(Diagnostic.warning(f"{r.key}: {kind}: {message}", file=r.file, line=r.line))
    return out


def _by_identity(intents: Sequence[Intent]) -> dict[Identity, list[int]]:
    out: dict[Identity, list[int]] = {}
    for intent in intents:
        out.setdefault(intent.identity, []).append(intent.id)
    return out
