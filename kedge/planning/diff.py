"""Field-level comparison of a desired spec with an observed state.

Structured objects (a schema with ``properties``) are compared over the fields the user
declared, the way ``kubectl apply`` does: defaults come from the kind's schema (filled in by
the loader) and values a provider adds on its own never show up as drift. Free-form maps
(``tags``, ``attributes``: a schema without ``properties``) are values: a key added behind
Kedge's back is drift too. Lists are compared as whole values; providers normalise unordered
lists (security group rules) before they return them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kedge.model.values import Secret, Unknown
from kedge.planning.plan import FieldDiff

_ABSENT: Any = None


def is_ignored(path: str, ignore: Sequence[str]) -> bool:
    return any(path == p or path.startswith(p + ".") for p in ignore)


def diff_spec(
    desired: Mapping[str, Any],
    observed: Mapping[str, Any],
    schema: Mapping[str, Any] | None = None,
    ignore: Sequence[str] = (),
    prefix: str = "",
) -> list[FieldDiff]:
    """The differences between ``desired`` and ``observed`` (``before`` observed, ``after`` desired)."""
    schema = schema or {}
    properties: Mapping[str, Any] = schema.get("properties") or {}
    free_form = bool(prefix) and not properties
    keys = list(desired)
    if free_form:
        keys += sorted(k for k in observed if k not in desired)
    out: list[FieldDiff] = []
    for key in keys:
        path = f"{prefix}{key}"
        if is_ignored(path, ignore):
            continue
        want = desired.get(key, _ABSENT)
        have = observed.get(key, _ABSENT)
        sub = properties.get(key) or _items_schema(schema)
        if isinstance(want, Mapping) and isinstance(have, Mapping):
            out.extend(diff_spec(want, have, sub, ignore, path + "."))
        elif isinstance(want, Unknown) or not values_equal(want, have):
            out.append(FieldDiff(path, have, want))
    return out


def _items_schema(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else {}


def values_equal(want: Any, have: Any) -> bool:
    """Equality that lets ``Secret`` and normalising wrappers decide (they define ``__eq__``)."""
    if isinstance(want, Mapping):
        if not isinstance(have, Mapping) or set(want) != set(have):
            return False
        return all(values_equal(v, have[k]) for k, v in want.items())
    if isinstance(want, list | tuple):
        if not isinstance(have, list | tuple) or len(want) != len(have):
            return False
        return all(values_equal(a, b) for a, b in zip(want, have, strict=True))
    return bool(want == have)


def mask_observed(
    desired: Mapping[str, Any],
    observed: Mapping[str, Any],
    sensitive: frozenset[str] = frozenset(),
    prefix: str = "",
) -> dict[str, Any]:
    """``observed`` with every value that is secret on the desired side wrapped in ``Secret``.

    A plan shows the old value of a changed field; when that field holds a secret, the old
    value is one too (a rotated password, a previous token) and must not be printed.
    """
    out: dict[str, Any] = {}
    for key, have in observed.items():
        path = f"{prefix}{key}"
        want = desired.get(key) if isinstance(desired, Mapping) else None
        if isinstance(want, Secret) or is_ignored(path, tuple(sensitive)):
            out[key] = have if isinstance(have, Secret) else Secret(have, "observed")
        elif isinstance(have, Mapping):
            out[key] = mask_observed(want if isinstance(want, Mapping) else {}, have, sensitive, path + ".")
        else:
            out[key] = have
    return out
