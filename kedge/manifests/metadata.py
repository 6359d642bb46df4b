"""Check the envelope of a document: apiVersion, kind, metadata, and Kedge's annotations.

The spec is the kind's business (its JSON Schema); everything around it is checked here, so
every kind gets the same rules: a name usable in ``depends-on``, string labels and
annotations, and ``kedge.dev/`` annotations with values the engine understands.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from kedge.manifests.problems import FieldPath, Problem
from kedge.model import DeletionPolicy, ManagementPolicy
from kedge.model.resource import ANNOTATION_PREFIX

TOP_FIELDS = ("apiVersion", "kind", "metadata", "spec")
METADATA_FIELDS = ("annotations", "labels", "name")

NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$")
KIND = re.compile(r"^[A-Z][A-Za-z0-9]{0,62}$")
API_VERSION = re.compile(r"^([a-z0-9-]+\.)?kedge\.dev/v[0-9]+[a-z0-9]*$")
# A claim's apiVersion: a Definition's group (a DNS name outside kedge.dev) and version.
_LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
CLAIM_API_VERSION = re.compile(rf"^(?![a-z0-9.-]*kedge\.dev/){_LABEL}(\.{_LABEL})+/v[0-9]+[a-z0-9]*$")
_FIELD_PATH = re.compile(r"^[^\s.,]+(\.[^\s.,]+)*$")
_USAGE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,62}$")


def _one_of(options: tuple[str, ...]) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if value in options:
            return None
        return f"must be one of: {', '.join(options)} (got {value!r})"

    return check


def _flag(value: str) -> str | None:
    return None if value in ("true", "false") else f'must be "true" or "false" (got {value!r})'


def _not_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def _name(value: str) -> str | None:
    return None if NAME.match(value) else f"{value!r} is not a valid name (letters, digits, '-', '_', '.')"


def _depends_on(value: str) -> str | None:
    bad = [item.strip() for item in value.split(",") if item.strip() and not _is_kind_name(item.strip())]
    if bad:
        return f"expects 'Kind/name' items separated by commas; cannot read {', '.join(map(repr, bad))}"
    return None


def _is_kind_name(item: str) -> bool:
    kind, slash, name = item.partition("/")
    return bool(slash) and bool(KIND.match(kind.strip())) and bool(NAME.match(name.strip()))


def _selector(value: str) -> str | None:
    for item in value.split(","):
        key, equals, wanted = item.partition("=")
        if not equals or not key.strip() or not wanted.strip():
            return f"expects 'label=value' items separated by commas; cannot read {item.strip()!r}"
    return None


def _kind_name(value: str) -> str | None:
    return None if _is_kind_name(value) else f"expects 'Kind/name' (got {value!r})"


def _field_paths(value: str) -> str | None:
    bad = [p.strip() for p in value.split(",") if p.strip() and not _FIELD_PATH.match(p.strip())]
    return f"expects dotted field paths separated by commas; cannot read {bad[0]!r}" if bad else None


def parse_usage(value: str) -> tuple[dict[str, float], str | None]:
    """``kedge.dev/usage``: ``"storageGB=100,requests=1e6"`` as numbers, or why it cannot be read.

    Only the form is checked here; which keys a kind takes is the cost estimators' business.
    """
    usage: dict[str, float] = {}
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        key, eq, number = item.partition("=")
        key, number = key.strip(), number.strip()
        if not eq or not _USAGE_KEY.match(key):
            return {}, f"expects key=number items separated by commas; cannot read {item!r}"
        try:
            amount = float(number.replace("_", ""))
        except ValueError:
            return {}, f"{key}: {number!r} is not a number"
        if not math.isfinite(amount) or amount < 0:
            return {}, f"{key}: must be a number of zero or more (got {number!r})"
        if key in usage:
            return {}, f"{key} is given twice"
        usage[key] = amount
    return usage, None


def _usage(value: str) -> str | None:
    return parse_usage(value)[1]


ANNOTATIONS: Mapping[str, Callable[[str], str | None]] = {
    "adopt": _flag,
    "allow-destructive": _flag,
    "claim": _kind_name,
    "composition": _name,
    "composition-selector": _selector,
    "deletion-policy": _one_of(tuple(p.value for p in DeletionPolicy)),
    "depends-on": _depends_on,
    "external-name": _not_empty,
    "ignore-fields": _field_paths,
    "management-policy": _one_of(tuple(p.value for p in ManagementPolicy)),
    "prevent-destroy": _flag,
    "provider-config": _name,
    "usage": _usage,
}


def unknown_fields(value: Mapping[str, Any], allowed: tuple[str, ...], path: FieldPath) -> list[Problem]:
    if value.keys() <= set(allowed):
        return []
    listed = ", ".join(allowed)
    return [
        Problem(f"unknown field {key!r} (allowed: {listed})", (*path, key))
        for key in value
        if key not in allowed
    ]


def string_map(value: Any, path: FieldPath) -> tuple[dict[str, str], list[Problem]]:
    """Labels or annotations: a mapping of strings (a bare ``true`` must be quoted)."""
    if value is None:
        return {}, []
    if not isinstance(value, dict):
        return {}, [Problem("must be a mapping of strings", path)]
    if all(v.__class__ is str for v in value.values()):
        return value, []
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for key, item in value.items():
        if isinstance(item, str):
            out[key] = item
        else:
            shown = "null" if item is None else str(item).lower() if isinstance(item, bool) else str(item)
            problems.append(Problem(f'values must be strings; quote it: "{shown}"', (*path, key)))
    return out, problems


def check_annotations(annotations: Mapping[str, str], path: FieldPath) -> list[Problem]:
    problems: list[Problem] = []
    for key, value in annotations.items():
        if not key.startswith(ANNOTATION_PREFIX):
            continue
        name = key[len(ANNOTATION_PREFIX) :]
        check = ANNOTATIONS.get(name)
        if check is None:
            known = ", ".join(ANNOTATION_PREFIX + n for n in sorted(ANNOTATIONS))
            problems.append(
                Problem.warning(f"unknown annotation {key!r} is ignored (known: {known})", (*path, key))
            )
            continue
        message = check(value)
        if message is not None:
            problems.append(Problem(message, (*path, key)))
    return problems


def check_name(value: Any, path: FieldPath) -> tuple[str | None, list[Problem]]:
    if value is None:
        return None, [Problem("missing required field 'name'", path)]
    if not isinstance(value, str):
        hint = f'; quote it: "{value}"' if isinstance(value, int | float) else ""
        return None, [Problem(f"must be a string{hint}", path)]
    message = _name(value)
    if message is not None:
        return None, [Problem(message + "; it must also start and end with a letter or digit", path)]
    return value, []
