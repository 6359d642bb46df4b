"""Policy guardrails: CEL rules that deny or flag the changes of a plan.

    diagnostics = check_plan(policy_documents, plan.changes, app="payments",
                             inventory=inventory, kinds=registry.kind_spec)

A ``kedge.dev/v1`` Policy holds rules ``{name, kinds, deny, warn, message}``. Each expression
sees ``change``: ``action``, ``apiVersion``, ``kind``, ``name``, ``app``, ``labels`` (the
resource's), ``appLabels``, ``before`` (observed state, null when the object does not exist)
and ``after`` (desired spec, null for a delete); it is true when the change must be blocked
(``deny``) or flagged (``warn``). It also sees ``plan`` (``plan.cost.before|after|currency``,
the monthly cost) and ``app`` (``name``, ``labels``, ``cost``: the monthly cost after the plan);
a rule that reads only those (a budget: ``plan.cost.after > 500.0``) judges the plan once,
as "denies this plan", when the plan changes a kind it names. Only changes that touch the
real world are checked: creates, updates, replaces and deletes; no-ops and deletes that
only forget an object are not.

Every outcome is a diagnostic at the Policy's file and line:
- ``deny`` true: an ERROR "policy P/R denies ACTION of Kind/name: message";
- ``warn`` true: a WARNING "policy P/R warns on ACTION of Kind/name: message";
- an expression that does not compile: an ERROR naming ``spec.rules[i].deny`` (or ``warn``);
- an expression that fails or runs out of time: an ERROR "policy P/R failed to evaluate ..."
  (fail closed: a rule that cannot answer blocks the change).

Secrets reach an expression as the redaction marker, never in clear: ``Secret`` values, the
kind's sensitive fields, and the old values of fields whose desired value is a secret.

Time: cel-python is an interpreter written in Python, so the evaluator stops itself. Every few
nodes it visits it reads the CPU clock of its own thread and raises past the deadline; nothing
is left running, no signal is needed (the controller evaluates on worker threads), and a busy
machine does not count against a rule. Limits are per evaluation (50 ms) and per plan (10 s),
both configurable (``PolicyLimits``); the clock is an argument so tests choose it.

Speed: an expression is parsed once (cached by its text); a rule runs only on the kinds it
names; and a rule's result is cached per plan by the values it reads: the fields under
``change`` that the expression reads are found statically, so 10,000 similar changes cost a
handful of evaluations (see ``kedge.cel``).

Not here: loading Policy documents (the manifests loader) and acting on denials (the engine
refuses a plan with errors; the controller records the condition and the audit entry).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kedge.cel import Bindings, Clock, Expression, Outcome, Stopped, compile_expression, evaluate
from kedge.manifests import CoreDocument
from kedge.model import Diagnostic, InventoryEntry, KindSpec, ResourceKey, Secret
from kedge.model.values import redact
from kedge.planning.diff import mask_observed
from kedge.planning.plan import Action, Change

CHANGE = "change"  # the change being judged
PLAN_WIDE = frozenset({"plan", "app"})  # the same for every change of a plan (cost, the app)
VARIABLES = frozenset({CHANGE}) | PLAN_WIDE

KindLookup = Callable[[str, str], KindSpec | None]

CHECKED = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE)
MAX_LISTED = 20  # warnings and failures listed per rule; the rest are counted
_SECRET_KEYS = frozenset({"fromEnv", "fromFile", "encrypted"})


@dataclass(frozen=True)
class PolicyLimits:
    """CPU seconds a rule may use on one change, and all rules together on one plan.

    One evaluation takes about 0.2 ms; 50 ms is 250 times that. The plan budget covers some
    50,000 evaluations that could not be reused: a rule reading a field unique to each
    resource, over a very large plan, stays well inside it.
    """

    per_evaluation: float = 0.05
    per_plan: float = 10.0


@dataclass(frozen=True, eq=False)
class Rule:
    policy: str
    name: str
    kinds: frozenset[str]
    deny: Expression | None
    warn: Expression | None
    message: str = ""
    file: str | None = None
    line: int | None = None

    def applies_to(self, key: ResourceKey) -> bool:
        return not self.kinds or key.kind in self.kinds or f"{key.api_version}/{key.kind}" in self.kinds

    def title(self) -> str:
        return f"policy {self.policy}/{self.name}"

    @property
    def plan_wide(self) -> bool:
        """The rule reads only ``plan`` and ``app``: it judges the plan once, not each change."""
        expressions = [e for e in (self.deny, self.warn) if e is not None]
        return all(CHANGE not in e.variables for e in expressions) and any(
            e.variables & PLAN_WIDE for e in expressions
        )


def compile_policies(documents: Iterable[CoreDocument]) -> tuple[list[Rule], list[Diagnostic]]:
    """The rules of every ``Policy`` document; a rule that does not compile is a diagnostic."""
    rules: list[Rule] = []
    problems: list[Diagnostic] = []
    for doc in documents:
        if doc.kind != "Policy":
            continue
        raw_rules = doc.spec.get("rules")
        if not isinstance(raw_rules, list) or not raw_rules:
            problems.append(_doc_error(doc, "a Policy needs a non-empty list of rules", "spec.rules"))
            continue
        for index, raw in enumerate(raw_rules):
            rule = _compile_rule(doc, index, raw, problems)
            if rule is not None:
                rules.append(rule)
    return rules, problems


def _compile_rule(doc: CoreDocument, index: int, raw: Any, problems: list[Diagnostic]) -> Rule | None:
    where = f"spec.rules[{index}]"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"]:
        problems.append(_doc_error(doc, "a rule needs a name", where))
        return None
    name = raw["name"]
    kinds = raw.get("kinds") or []
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        problems.append(_doc_error(doc, f"policy {doc.name}/{name}: kinds must be a list of kinds", where))
        return None
    compiled: dict[str, Expression | None] = {"deny": None, "warn": None}
    ok = True
    for mode in compiled:
        text = raw.get(mode)
        if text is None:
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append(_doc_error(doc, f"policy {doc.name}/{name}: {mode} must be a CEL expression"))
            ok = False
            continue
        result = compile_expression(text, VARIABLES)
        if isinstance(result, str):
            problem = f"policy {doc.name}/{name}: {mode} does not compile: {result}"
            problems.append(_doc_error(doc, problem, f"{where}.{mode}"))
            ok = False
        else:
            compiled[mode] = result
    if compiled["deny"] is None and compiled["warn"] is None:
        if ok:
            problems.append(_doc_error(doc, f"policy {doc.name}/{name}: a rule needs deny or warn", where))
        return None
    if not ok:
        return None
    message = raw.get("message")
    return Rule(
        doc.name,
        name,
        frozenset(kinds),
        compiled["deny"],
        compiled["warn"],
        message if isinstance(message, str) else "",
        doc.file,
        doc.line,
    )


def _doc_error(doc: CoreDocument, message: str, path: str | None = None) -> Diagnostic:
    return Diagnostic.error(message, file=doc.file, line=doc.line, path=path)


def check_plan(
    policies: Iterable[CoreDocument],
    changes: Sequence[Change],
    *,
    app: str,
    kinds: KindLookup,
    app_labels: Mapping[str, str] | None = None,
    inventory: Sequence[InventoryEntry] = (),
    limits: PolicyLimits | None = None,
    clock: Clock = time.thread_time,
    cost: Mapping[str, Any] | None = None,
) -> list[Diagnostic]:
    """Compile ``policies`` and judge ``changes``: every problem, denial and warning.

    ``cost`` (``{"before", "after", "currency"}``, monthly) is what ``plan.cost`` and
    ``app.cost`` read; without it a rule that reads them fails, and so blocks (fail closed).
    """
    rules, problems = compile_policies(policies)
    if not rules:
        return problems
    labels = dict(app_labels or {})
    app_view: dict[str, Any] = {"name": app, "labels": labels}
    plan_view: dict[str, Any] = {}
    if cost is not None:
        plan_view["cost"] = dict(cost)
        app_view["cost"] = cost.get("after")
    wide = {"plan": plan_view, "app": app_view}
    judge = _Judge(rules, app, labels, inventory, kinds, limits or PolicyLimits(), clock, wide)
    return problems + judge.run(changes)


class _Judge:
    """Evaluates compiled rules over one plan, with the plan's cache and CPU budget."""

    def __init__(
        self,
        rules: Sequence[Rule],
        app: str,
        app_labels: dict[str, str],
        inventory: Sequence[InventoryEntry],
        kinds: KindLookup,
        limits: PolicyLimits,
        clock: Clock,
        plan_wide: dict[str, Any],
    ) -> None:
        self.rules = [r for r in rules if not r.plan_wide]
        self.plan_rules = [r for r in rules if r.plan_wide]
        self.plan_wide = plan_wide
        self.app = app
        self.app_labels = app_labels
        self.entries = {e.key: e for e in inventory}
        self.kinds = kinds
        self.limits = limits
        self.clock = clock
        self.cache: dict[tuple[int, Any], Outcome] = {}
        self.used = 0.0
        self.listed: dict[tuple[int, str], int] = {}
        self.out: list[Diagnostic] = []

    def run(self, changes: Sequence[Change]) -> list[Diagnostic]:
        checked = [c for c in changes if c.action in CHECKED and not c.forget_only]
        try:
            self._judge_plan(checked)
        except Stopped:
            self._stopped(0, len(checked))
            checked = []
        for done, change in enumerate(checked):
            rules = [r for r in self.rules if r.applies_to(change.key)]
            if not rules:
                continue
            view = Bindings({"change": self._document(change), **self.plan_wide})
            try:
                for rule in rules:
                    self._judge(rule, f"{change.action.value} of {change.key}", view)
            except Stopped:
                self._stopped(done, len(checked))
                break
        self._summarise()
        return self.out

    def _judge_plan(self, checked: Sequence[Change]) -> None:
        """Rules on ``plan``/``app`` only (a budget): once per plan that changes a kind they name."""
        for rule in self.plan_rules:
            matching = sum(1 for c in checked if rule.applies_to(c.key))
            if matching:
                view = Bindings(dict(self.plan_wide))
                self._judge(rule, f"this plan ({matching} change(s))", view)

    def _stopped(self, done: int, total: int) -> None:
        self.out.append(
            Diagnostic.error(
                f"policy evaluation stopped: the rules used more than {self.limits.per_plan:g} s "
                f"of CPU on this plan ({done} of {total} changes checked); the changes not "
                "checked are blocked. Simplify the rules or raise the limit",
                code="PolicyFailed",
            )
        )

    def _judge(self, rule: Rule, what: str, view: Bindings) -> None:
        for mode, expression in (("deny", rule.deny), ("warn", rule.warn)):
            if expression is None:
                continue
            outcome = self._outcome(expression, view)
            if outcome.error is not None:
                self._listed(
                    rule,
                    "failed",
                    Diagnostic.error(
                        f"{rule.title()} failed to evaluate {mode} on {what}: {outcome.error}; "
                        "the change is blocked until the rule is fixed",
                        file=rule.file,
                        line=rule.line,
                        code="PolicyFailed",
                    ),
                )
            elif outcome.value and mode == "deny":
                text = f"{rule.title()} denies {what}: {rule.message or 'deny: ' + expression.text}"
                self.out.append(Diagnostic.error(text, file=rule.file, line=rule.line, code="PolicyDenied"))
            elif outcome.value:
                text = f"{rule.title()} warns on {what}: {rule.message or 'warn: ' + expression.text}"
                self._listed(rule, "warned", Diagnostic.warning(text, file=rule.file, line=rule.line))

    def _outcome(self, expression: Expression, view: Bindings) -> Outcome:
        key = (id(expression), expression.key(view.documents))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        remaining = self.limits.per_plan - self.used
        if remaining <= 0:
            raise Stopped
        start = self.clock()
        budget = min(self.limits.per_evaluation, remaining)
        try:
            outcome = evaluate(expression, view, start + budget, self.clock)
        finally:
            self.used += max(0.0, self.clock() - start)
        if outcome.stopped and budget < self.limits.per_evaluation:
            raise Stopped
        if outcome.stopped:
            outcome = Outcome(
                error=f"ran longer than {self.limits.per_evaluation * 1000:g} ms of CPU and was stopped"
            )
        self.cache[key] = outcome
        return outcome

    def _listed(self, rule: Rule, what: str, diagnostic: Diagnostic) -> None:
        count = self.listed.get((id(rule), what), 0) + 1
        self.listed[(id(rule), what)] = count
        if count <= MAX_LISTED:
            self.out.append(diagnostic)

    def _summarise(self) -> None:
        for rule in self.rules + self.plan_rules:
            for what in ("failed", "warned"):
                extra = self.listed.get((id(rule), what), 0) - MAX_LISTED
                if extra > 0:
                    make = Diagnostic.error if what == "failed" else Diagnostic.warning
                    text = f"{rule.title()} {what} on {extra} more change(s), not listed"
                    self.out.append(make(text, file=rule.file, line=rule.line))

    def _document(self, change: Change) -> dict[str, Any]:
        """What an expression sees as ``change``: plain data, secrets redacted."""
        key = change.key
        spec = self.kinds(key.api_version, key.kind)
        sensitive = spec.sensitive if spec is not None else frozenset()
        entry = self.entries.get(key)
        after = mask_observed(change.after, change.after, sensitive) if change.after is not None else None
        before = None
        if change.before is not None:
            # A delete has no desired spec: what was a secret reference in git is a secret now.
            shape = after if after is not None else _secret_shape(entry.spec if entry else {})
            before = mask_observed(shape, change.before, sensitive)
        if change.resource is not None:
            labels = change.resource.labels
        else:
            labels = entry.labels if entry is not None else {}
        return {
            "action": change.action.value,
            "apiVersion": key.api_version,
            "kind": key.kind,
            "name": key.name,
            "app": self.app,
            "labels": dict(labels),
            "appLabels": self.app_labels,
            "before": _plain(redact(before)),
            "after": _plain(redact(after)),
        }


def _secret_shape(raw: Any) -> Any:
    """A raw spec with each secret reference (``{fromEnv: X}``...) replaced by a ``Secret``."""
    if isinstance(raw, Mapping):
        if len(raw) == 1 and next(iter(raw)) in _SECRET_KEYS:
            return Secret(None, "reference")
        return {k: _secret_shape(v) for k, v in raw.items()}
    return raw


def _plain(value: Any) -> Any:
    """JSON-shaped data: what ``json_to_cel`` accepts and what the cache keys are made of."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)
