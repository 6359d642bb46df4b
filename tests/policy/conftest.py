"""Helpers for policy tests: Policy documents and plan changes built as plain data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedge.manifests import CoreDocument
from kedge.model import InventoryEntry, KindSpec, Resource, ResourceKey
from kedge.model.resource import Identity
from kedge.planning import Action, Change
from kedge.planning.policy import check_plan

API = {
    "S3Bucket": "aws.kedge.dev/v1",
    "SecurityGroup": "aws.kedge.dev/v1",
    "Table": "postgres.kedge.dev/v1",
    "Role": "postgres.kedge.dev/v1",
    "File": "local.kedge.dev/v1",
}
SENSITIVE = {"Role": frozenset({"password"})}


def kinds(api_version: str, kind: str) -> KindSpec | None:
    if API.get(kind) != api_version:
        return None
    return KindSpec(api_version, kind, {"type": "object"}, sensitive=SENSITIVE.get(kind, frozenset()))


def policy(
    *rules: Mapping[str, Any], name: str = "guard", file: str = "policies.yaml", line: int = 3
) -> CoreDocument:
    return CoreDocument("Policy", name, {"rules": [dict(r) for r in rules]}, file=file, line=line)


def key(kind: str, name: str) -> ResourceKey:
    return ResourceKey(API[kind], kind, name)


def change(
    action: str,
    kind: str,
    name: str = "x",
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    forget_only: bool = False,
) -> Change:
    k = key(kind, name)
    act = Action(action)
    resource = None
    if act is not Action.DELETE:
        resource = Resource(k, after or {}, labels=dict(labels or {}), file="app.yaml", line=1)
    return Change(act, k, before, after, resource=resource, forget_only=forget_only)


def entry(
    kind: str, name: str, spec: Mapping[str, Any], labels: Mapping[str, str] | None = None
) -> InventoryEntry:
    k = key(kind, name)
    return InventoryEntry(
        "app", k, Identity(k.provider, "default", kind, name), spec=spec, labels=dict(labels or {})
    )


def judge(policies: list[CoreDocument], changes: list[Change], **kw: Any) -> list[Any]:
    kw.setdefault("app", "app")
    return check_plan(policies, changes, kinds=kinds, **kw)


def messages(diagnostics: list[Any], severity: str | None = None) -> list[str]:
    return [d.message for d in diagnostics if severity is None or d.severity.value == severity]
