"""The engine's public face: plan, apply and drift of one app, as named steps.

    run = engine.plan("payments", Path("apps/payments"), Options(prune=True))
    if run.plan.ok and run.plan.has_changes:
        outcome = engine.apply(run)
    engine.close(run)

``AppRun`` carries what the steps share (rendered manifests, connections, observations), so
apply performs exactly the plan the user saw, against the observations it was made from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kedge.cost import Catalog, check_usage
from kedge.engine.apply import Applier, ApplyOutcome, Progress, scrubber
from kedge.engine.cost import load_catalog, plan_cost
from kedge.engine.migrate_plan import plan_with_migrations
from kedge.engine.observe import Connections, Observed, observe
from kedge.engine.platform import expander
from kedge.engine.render import Rendered, render
from kedge.engine.retry import RetryPolicy
from kedge.manifests import CoreDocument
from kedge.model import Diagnostic, Identity, InventoryEntry, KedgeError, Observation, Resource, ResourceKey
from kedge.model.diagnostics import has_errors
from kedge.model.values import contains_unknown, secret_values
from kedge.planning import Action, Change, Plan
from kedge.planning.planner import PlanInput
from kedge.providers import registry
from kedge.providers.base import FieldChange
from kedge.store import Intent, RunResult, Store
from kedge.store.audit import AuditItem

if TYPE_CHECKING:
    from kedge.compositions import ClaimExpander
    from kedge.planning.policy import PolicyLimits


@dataclass(frozen=True)
class Options:
    prune: bool = False
    allow_empty: bool = False
    confirm_prune: bool = False
    revision: str | None = None
    trigger: str = "manual"
    actor: str = "cli"
    check_policies: bool = True  # off for read-only reports (drift): a guardrail guards changes
    # A read-only report (drift): a change a provider would refuse (a destructive revert) is
    # noted on the resource instead of failing the plan; nothing is ever applied from it.
    observe_only: bool = False
    app_labels: Mapping[str, str] = field(default_factory=dict)
    platform_app: bool = True  # may declare Definitions and Compositions (one-shot: always)


@dataclass
class AppRun:
    app: str
    options: Options
    rendered: Rendered
    inventory: list[InventoryEntry] = field(default_factory=list)
    observed: Observed | None = None
    plan: Plan = field(default_factory=Plan)
    conns: Connections | None = None
    intents: list[Intent] = field(default_factory=list)  # creates an earlier run may not have recorded
    refused: dict[ResourceKey, str] = field(default_factory=dict)  # observe-only: why a revert is refused
    error: KedgeError | None = None  # the error that stopped observation (the plan carries it too)

    @property
    def secrets(self) -> list[str]:
        return [s for r in self.rendered.resources for s in secret_values(r.spec)] + [
            s for c in self.rendered.configs.values() for s in secret_values(c.settings)
        ]


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
            run.plan = Plan(diagnostics=[*run.rendered.diagnostics, *usage_problems])
            return run
        run.inventory = self.store.inventory(app)
        run.intents = self.store.intents(app)
        run.conns = Connections(app, run.rendered.configs)
        scrub = scrubber(lambda: run.secrets)
        try:
            run.observed = observe(run.rendered, run.inventory, run.conns, self.pool, self.retry)
        except KedgeError as err:
            run.error = err
            problem = Diagnostic.error(scrub(str(err)), code=err.code)
            run.plan = Plan(diagnostics=[*run.rendered.diagnostics, problem])
            return run
        identities = [r.identity() for r in run.rendered.resources]
        # The planner compares what the provider will be asked for: references resolved.
        targets = run.observed.targets
        resolved = [
            dataclasses.replace(r, spec=targets[r.identity()].spec)
            if r.identity() in targets and targets[r.identity()].spec is not r.spec
            else r
            for r in run.rendered.resources
        ]
        plan_input = PlanInput(
            app=app,
            desired=resolved,
            observed=run.observed.by_identity,
            inventory=run.inventory,
            # Only identities this app does not own yet can belong to someone else.
            owners=self.store.owners(set(identities) - {e.identity for e in run.inventory}),
            intents={i.identity for i in run.intents},
            prune=options.prune,
            allow_empty=options.allow_empty,
            confirm_prune=options.confirm_prune,
        )
        expand = self.platform.for_app(options.platform_app)
        runs = partial(self.store.runs, app, limit=3, with_results=True)
        plan = plan_with_migrations(plan_input, registry.kind_spec, run, expand, runs)
        changes, previews = self._preview(run, plan)
        cost = plan_cost(changes, run.inventory, run.rendered, self.catalog)
        policies = [d for d in (*self.policies, *run.rendered.core) if d.kind == "Policy"]
        verdicts = (
            _check_plan(
                policies,
                changes,
                app=app,
                kinds=registry.kind_spec,
                app_labels=options.app_labels,
                inventory=run.inventory,
                limits=self.policy_limits,
                cost=cost,
            )
            if options.check_policies and policies
            else []
        )
        reported = _conditions(run.rendered.resources, run.observed.by_identity)
        diagnostics = [
            *run.rendered.diagnostics, *plan.diagnostics, *reported, *previews, *usage_problems, *verdicts
        ]
        run.plan = Plan(_with_dependencies(changes, run.rendered), diagnostics, cost)
        return run

    def _preview(self, run: AppRun, plan: Plan) -> tuple[list[Change], list[Diagnostic]]:
        """Ask providers that can tell for the exact statements of each change (shown in the plan).

        A provider refuses a change here (a destructive table change without the annotation),
        before anything runs, as a diagnostic on the resource.
        """
        assert run.observed is not None and run.conns is not None
        scrub = scrubber(lambda: run.secrets)
        out: list[Change] = []
        problems: list[Diagnostic] = []
        for change in plan.changes:
            r = change.resource
            if r is None or change.action not in (Action.CREATE, Action.UPDATE, Action.REPLACE):
                out.append(change)
                continue
            client = run.conns.client(r.provider_config)
            preview = getattr(client, "preview", None)
            if preview is None:
                out.append(change)
                continue
            target = run.observed.targets[r.identity()]
            if contains_unknown(target.spec):  # the statements depend on outputs not created yet
                out.append(change)
                continue
            observed = run.observed.by_identity.get(r.identity(), Observation.missing())
            diff = [FieldChange(d.path, d.before, d.after) for d in change.diff]
            try:
                statements = preview(target, observed, diff)
            except KedgeError as err:
                if run.options.observe_only:
                    run.refused[change.key] = scrub(str(err)).removeprefix(f"{change.key}: ")
                else:
                    problems.append(
                        Diagnostic.error(scrub(str(err)), file=r.file, line=r.line, code=err.code)
                    )
                out.append(change)
                continue
            out.append(dataclasses.replace(change, statements=tuple(statements)))
        return out, problems

    def apply(self, run: AppRun, progress: Progress | None = None) -> ApplyOutcome:
        """Perform ``run.plan`` (which must be free of errors) and record the run."""
        assert run.observed is not None and run.conns is not None and run.plan.ok
        store = self.store
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
            observed=run.observed,
            inventory={e.key: e for e in run.inventory},
            conns=run.conns,
            pool=self.pool,
            retry=self.retry,
            scrub=scrubber(lambda: run.secrets),
            progress=progress,
            workers=self.concurrency,
            stale_intents=_by_identity(run.intents),
        )
        outcome = ApplyOutcome()
        try:
            outcome = applier.apply(run.plan)
        finally:
            results = [
                RunResult(
                    r.change.key,
                    r.change.action.value,
                    r.result,
                    [d.to_json() for d in r.change.diff],
                    r.error,
                )
                for r in applier.outcome.results
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
                for r in applier.outcome.results
                if r.change.is_change or r.result != "succeeded"
            )
            failed = len(applier.outcome.failed)
            status = (
                "succeeded" if applier.outcome.ok else ("failed" if failed == len(results) else "partial")
            )
            message = "; ".join(f"{r.change.key}: {r.error}" for r in applier.outcome.results if r.error)[
                :4000
            ]
            store.finish_run(run_id, status, run.plan.summary(), message or None)
        return outcome

    def finish(self, run: AppRun) -> None:
        if run.conns is not None:
            run.conns.close()

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
