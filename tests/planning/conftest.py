"""Shared vocabulary of the planner's table tests: two kinds, value builders and the case runner.

A case is plain data: what git says (``desired``), what the world shows (``observed``), what the
app owns (``inventory``, ``owners``, ``intents``) and the sync flags; its expectation is the list
of changes (projected onto the fields a case cares about) and the error and warning messages.
Nothing here touches a file, a database or a provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kedge.model import Identity, InventoryEntry, KindSpec, Observation, Resource, ResourceKey
from kedge.model.diagnostics import Severity
from kedge.planning.plan import Change, Plan
from kedge.planning.planner import PlanInput, plan

APP = "shop"
OTHER_APP = "billing"
FILE_API = "local.kedge.dev/v1"
THING_API = "fake.kedge.dev/v1"

FILE = KindSpec(
    api_version=FILE_API,
    kind="File",
    schema={
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "content": {"type": "string"},
            "mode": {"type": "string"},
        },
    },
    identity_field="path",
)
THING = KindSpec(
    api_version=THING_API,
    kind="Thing",
    schema={
        "type": "object",
        "properties": {
            "zone": {"type": "string"},
            "size": {"type": "integer"},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "nested": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
        },
    },
    replace_on=frozenset({"zone"}),
)
KINDS = {(k.api_version, k.kind): k for k in (FILE, THING)}


def kinds(api_version: str, kind: str) -> KindSpec | None:
    return KINDS.get((api_version, kind))


def ann(**flags: str) -> dict[str, str]:
    """Annotations from keyword arguments: ``ann(prevent_destroy="true")``."""
    return {"kedge.dev/" + k.replace("_", "-"): v for k, v in flags.items()}


def thing(name: str, annotations: Mapping[str, str] | None = None, **spec: Any) -> Resource:
    return Resource(
        key=ResourceKey(THING_API, "Thing", name),
        spec=spec,
        raw_spec=dict(spec),
        annotations=dict(annotations or {}),
        file=f"things/{name}.yaml",
        line=3,
    )


def file(name: str, path: str, annotations: Mapping[str, str] | None = None, **spec: Any) -> Resource:
    full = {"path": path, **spec}
    return Resource(
        key=ResourceKey(FILE_API, "File", name),
        spec=full,
        raw_spec=dict(full),
        annotations=dict(annotations or {}),
        file=f"files/{name}.yaml",
        line=5,
        external_id=path,
    )


def entry(
    r: Resource,
    spec: Mapping[str, Any] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> InventoryEntry:
    """What the inventory holds after ``r`` was last applied (``spec``: an older raw spec)."""
    return InventoryEntry(
        app=APP,
        key=r.key,
        identity=r.identity(),
        spec=dict(r.raw_spec if spec is None else spec),
        annotations=dict(r.annotations if annotations is None else annotations),
    )


def seen(owner: str | None = APP, **state: Any) -> Observation:
    """An existing object; by default it carries this app's ownership mark."""
    return Observation(exists=True, state=state, owner=owner)


GONE = Observation.missing()


def world(*pairs: tuple[Resource | InventoryEntry, Observation]) -> dict[Identity, Observation]:
    return {(x.identity() if isinstance(x, Resource) else x.identity): o for x, o in pairs}


@dataclass(frozen=True)
class W:
    """The expected change, projected onto what the planner decides."""

    action: str
    name: str  # "Kind/name"
    paths: tuple[str, ...] = ()  # field paths of the diff
    adopt: bool = False
    forget: bool = False  # forget_only
    drift: bool = False


def project(c: Change) -> W:
    return W(
        c.action.value,
        str(c.key),
        tuple(d.path for d in c.diff),
        c.adopt,
        c.forget_only,
        c.drift,
    )


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    desired: Sequence[Resource] = ()
    observed: Mapping[Identity, Observation] = field(default_factory=dict)
    inventory: Sequence[InventoryEntry] = ()
    owners: Mapping[Identity, str] = field(default_factory=dict)
    intents: Sequence[Identity] = ()
    flags: Mapping[str, bool] = field(default_factory=dict)  # prune, allow_empty, confirm_prune
    want: Sequence[W] = ()
    errors: Sequence[str] = ()  # one substring per expected error diagnostic, in order
    warnings: Sequence[str] = ()  # one substring per expected warning diagnostic, in order


def run(case: Case) -> Plan:
    inp = PlanInput(
        app=APP,
        desired=case.desired,
        observed=case.observed,
        inventory=case.inventory,
        owners=case.owners,
        intents=case.intents,
        **case.flags,
    )
    return plan(inp, kinds)


def plan_of(**inputs: Any) -> Plan:
    """Plan an unnamed case: ``plan_of(desired=[...], observed=world(...))``."""
    return run(Case("", "", **inputs))


def messages(p: Plan, severity: Severity) -> list[str]:
    return [d.message for d in p.diagnostics if d.severity is severity]


def check(case: Case) -> Plan:
    """Run ``case`` and compare changes and diagnostics with its expectation."""
    p = run(case)
    assert [project(c) for c in p.changes] == list(case.want), case.reason
    for severity, want in ((Severity.ERROR, case.errors), (Severity.WARNING, case.warnings)):
        got = messages(p, severity)
        assert len(got) == len(want), f"{case.reason}: {severity.value}s {got}"
        for text, msg in zip(want, got, strict=True):
            assert text in msg, f"{case.reason}: {text!r} not in {msg!r}"
    assert p.ok == (not case.errors), case.reason
    return p


def ids(cases: Sequence[Case]) -> list[str]:
    return [c.id for c in cases]


# Two resources that stay, so that pruning one object is not "more than half of the app".
K1, K2 = thing("k1", zone="z1"), thing("k2", zone="z1")
KEEP = [K1, K2]
KEEP_SEEN = [(K1, seen(zone="z1")), (K2, seen(zone="z1"))]
KEEP_INV = [entry(K1), entry(K2)]
KEEP_W = [W("noop", "Thing/k1"), W("noop", "Thing/k2")]
