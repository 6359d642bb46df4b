"""IAM-grammar policy documents: read, check locally, and compare without false drift.

A policy may be written as a YAML mapping or a JSON string; AWS hands it back URL-encoded,
re-ordered, with single values where a list was sent (or the reverse) and ``Version`` filled
in. ``canonical`` folds all of that away so that two documents that mean the same compare
equal; ``shown`` gives the observed document in the user's own form when they are the same.

``problems`` checks a document before anything is sent: the test server accepts documents that
real AWS refuses, and a refusal at apply time is later and vaguer than one at plan time. It
follows the IAM policy grammar for the three places Kedge puts policies: identity policies
(IAMPolicy, a role's inline policies), trust policies (a role's assumeRolePolicy) and resource
policies (bucket, queue, topic, key).
"""

from __future__ import annotations

import enum
import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from kedge.model.values import reveal

DEFAULT_VERSION = "2008-10-17"
VERSIONS = ("2012-10-17", "2008-10-17")
LIST_FIELDS = ("Action", "NotAction", "Resource", "NotResource")
STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
ACTION = re.compile(r"^(\*|[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+)$")
ACCOUNT = re.compile(r"^[0-9]{12}$")

POLICY_SCHEMA: Mapping[str, Any] = {
    "description": "A policy document, as a mapping or a JSON string (IAM policy grammar).",
    "type": ["object", "string"],
}


class Place(enum.StrEnum):
    IDENTITY = "identity"  # attached to a user or role: Resource required, no Principal
    TRUST = "trust"  # a role's assumeRolePolicy: Principal required, no Resource
    RESOURCE = "resource"  # on a bucket, queue, topic or key: Principal required


class PolicyError(ValueError):
    """A document that is not JSON or not an object."""


def parse(document: Any) -> dict[str, Any]:
    """A document as a dict, from a mapping, a JSON string or AWS's URL-encoded JSON."""
    document = reveal(document)
    if isinstance(document, Mapping):
        return json.loads(json.dumps(document))  # type: ignore[no-any-return]
    if not isinstance(document, str):
        raise PolicyError(
            f"a policy document must be a mapping or a JSON string, not {type(document).__name__}"
        )
    text = document.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        text = urllib.parse.unquote(text)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(value, dict):
        raise PolicyError("a policy document must be a JSON object")
    return value


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _principal(value: Any) -> Any:
    if value == "*":
        return "*"
    if not isinstance(value, Mapping):
        return value
    out: dict[str, list[str]] = {}
    for kind, ids in value.items():
        items = []
        for item in _as_list(ids):
            item = str(item)
            if kind == "AWS" and ACCOUNT.match(item):
                item = f"arn:aws:iam::{item}:root"  # AWS stores a bare account id as its root ARN
            items.append(item)
        out[str(kind)] = sorted(set(items))
    return out


def _statement(statement: Any) -> Any:
    if not isinstance(statement, Mapping):
        return statement
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key in LIST_FIELDS:
            items = {str(v) for v in _as_list(value)}
            if key in ("Action", "NotAction"):
                items = {v.lower() for v in items}  # action names are case-insensitive
            out[key] = sorted(items)
        elif key in ("Principal", "NotPrincipal"):
            out[key] = _principal(value)
        elif key == "Condition" and isinstance(value, Mapping):
            out[key] = {
                str(op): {str(k): sorted({_scalar(v) for v in _as_list(vals)}) for k, vals in block.items()}
                if isinstance(block, Mapping)
                else block
                for op, block in value.items()
            }
        elif key == "Sid" and value == "":
            continue
        else:
            out[key] = value
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def canonical(document: Any) -> dict[str, Any]:
    """A form in which two documents that mean the same thing are equal."""
    doc = parse(document)
    statements = [_statement(s) for s in _as_list(doc.get("Statement", []))]
    out: dict[str, Any] = {
        "Version": doc.get("Version", DEFAULT_VERSION),
        "Statement": sorted(statements, key=lambda s: json.dumps(s, sort_keys=True)),
    }
    if "Id" in doc:
        out["Id"] = doc["Id"]
    return out


def same(a: Any, b: Any) -> bool:
    try:
        return canonical(a) == canonical(b)
    except PolicyError:
        return False


def shown(observed: Any, desired: Any) -> Any:
    """The observed document for ``Observation.state``: the desired one itself when they mean
    the same (so the engine sees no change), else the observed document as a mapping."""
    if observed is None:
        return None
    if desired is not None and same(observed, desired):
        return desired
    try:
        return parse(observed)
    except PolicyError:
        return observed


def to_json(document: Any) -> str:
    return json.dumps(parse(document), separators=(",", ":"), sort_keys=False)


def problems(
    document: Any, place: Place, resource_arn: str | None = None, current_version: bool = False
) -> list[str]:
    """Every way ``document`` breaks the IAM policy grammar for ``place`` (empty: fine).

    ``resource_arn`` (a bucket's ARN) restricts Resource to that resource and what is under it;
    ``current_version`` requires Version 2012-10-17 (IAM managed policies refuse older ones).
    """
    try:
        doc = parse(document)
    except PolicyError as exc:
        return [str(exc)]
    found: list[str] = []
    extra = sorted(set(doc) - {"Version", "Id", "Statement"})
    if extra:
        found.append(f"unknown top-level key(s) {', '.join(extra)}")
    if "Version" in doc and doc["Version"] not in VERSIONS:
        found.append(f"Version must be one of {', '.join(VERSIONS)}, not {doc['Version']!r}")
    elif current_version and doc.get("Version") != VERSIONS[0]:
        found.append(f"Version must be {VERSIONS[0]} for a managed policy")
    if "Statement" not in doc:
        return [*found, "Statement is missing"]
    statements = _as_list(doc["Statement"])
    if not statements:
        found.append("Statement is empty")
    sids: set[str] = set()
    for i, statement in enumerate(statements):
        found.extend(
            f"Statement[{i}]: {p}" for p in _statement_problems(statement, place, resource_arn, sids)
        )
    return found


def _statement_problems(statement: Any, place: Place, resource_arn: str | None, sids: set[str]) -> list[str]:
    if not isinstance(statement, Mapping):
        return ["must be an object"]
    found: list[str] = []
    extra = sorted(set(statement) - STATEMENT_KEYS)
    if extra:
        found.append(f"unknown key(s) {', '.join(extra)}")
    sid = statement.get("Sid")
    if sid is not None:
        if not isinstance(sid, str) or (
            place is not Place.RESOURCE and not re.fullmatch(r"[A-Za-z0-9]*", sid)
        ):
            found.append("Sid must be letters and digits only")
        elif sid and sid in sids:
            found.append(f"Sid {sid!r} is used twice")
        sids.add(str(sid))
    if statement.get("Effect") not in ("Allow", "Deny"):
        found.append("Effect must be Allow or Deny")
    has_action, has_not_action = "Action" in statement, "NotAction" in statement
    if has_action == has_not_action:
        found.append("needs exactly one of Action or NotAction")
    for key in ("Action", "NotAction"):
        for action in _as_list(statement.get(key, [])):
            if not isinstance(action, str) or not ACTION.match(action):
                found.append(f"{key} {action!r} is not of the form service:Action")
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    has_resource = "Resource" in statement or "NotResource" in statement
    if place is Place.IDENTITY:
        if has_principal:
            found.append("Principal is not allowed in an identity policy")
        if not has_resource:
            found.append("Resource is missing")
    else:
        if not has_principal:
            found.append("Principal is missing")
        if place is Place.TRUST and has_resource:
            found.append("Resource is not allowed in a trust policy")
        if place is Place.TRUST:
            for action in _as_list(statement.get("Action", [])):
                if isinstance(action, str) and not action.lower().startswith("sts:") and action != "*":
                    found.append(f"Action {action!r}: a trust policy only allows sts: actions")
    for key in ("Resource", "NotResource"):
        for resource in _as_list(statement.get(key, [])):
            if not isinstance(resource, str) or not (resource == "*" or resource.startswith("arn:")):
                found.append(f"{key} {resource!r} must be an ARN or *")
            elif resource_arn and not (resource == resource_arn or resource.startswith(resource_arn + "/")):
                found.append(f"{key} {resource!r} is not {resource_arn} or under it")
    for key in ("Principal", "NotPrincipal"):
        principal = statement.get(key)
        if principal is not None and principal != "*" and not isinstance(principal, Mapping):
            found.append(f'{key} must be "*" or a mapping such as {{AWS: ARN}}')
    condition = statement.get("Condition")
    if condition is not None and (
        not isinstance(condition, Mapping) or not all(isinstance(b, Mapping) for b in condition.values())
    ):
        found.append("Condition must map operators to {key: values}")
    return found
