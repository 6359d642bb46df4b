"""A claim's schema as Kedge applies it: strict everywhere, defaults filled at every level.

A Definition's schema is what its author wrote; claims are checked against ``strict(schema)``,
in which every object that lists its properties and says nothing of others refuses unknown
fields (claims are as strict as every kind). Secret references and ``fromResource`` values in a
claim are kept as written and skipped by validation: the composed resources resolve them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedge.manifests.problems import FieldPath
from kedge.manifests.values import special_key

_NESTED = ("items", "additionalProperties", "not", "if", "then", "else", "contains")
_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")


def strict(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` wherever properties are listed and nothing else."""
    if not isinstance(schema, Mapping):
        return schema
    out = dict(schema)
    if "properties" in out and isinstance(out["properties"], Mapping):
        out["properties"] = {k: strict(v) for k, v in out["properties"].items()}
        if "additionalProperties" not in out and "patternProperties" not in out:
            out["additionalProperties"] = False
    for key in _NESTED:
        if isinstance(out.get(key), Mapping):
            out[key] = strict(out[key])
    for key in _LISTS:
        if isinstance(out.get(key), list):
            out[key] = [strict(s) for s in out[key]]
    return out


def with_defaults(value: Any, schema: Any) -> Any:
    """``value`` with the schema's defaults filled in, at every level of nested objects."""
    if not isinstance(schema, Mapping):
        return value
    if isinstance(value, dict) and special_key(value) is None:
        props = schema.get("properties")
        if not isinstance(props, Mapping):
            return value
        out = dict(value)
        for name, sub in props.items():
            if name not in out and isinstance(sub, Mapping) and "default" in sub:
                out[name] = sub["default"]
            if name in out:
                out[name] = with_defaults(out[name], sub)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [with_defaults(v, schema["items"]) for v in value]
    return value


def references(value: Any, path: FieldPath = ()) -> list[FieldPath]:
    """Paths of secret references and ``fromResource`` values: validation skips them."""
    if isinstance(value, dict):
        if special_key(value) is not None:
            return [path]
        return [p for k, v in value.items() for p in references(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in references(v, (*path, i))]
    return []
