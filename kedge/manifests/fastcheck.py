"""A quick "certainly valid" test for the simple schemas most kinds have.

jsonschema spends ~20 us on a small spec; an app of 10,000 resources cannot afford that. This
module turns a schema made only of plain keywords (type, properties, required,
additionalProperties, items, enum/const of strings, pattern, lengths, bounds) into nested
closures. A True answer means jsonschema would accept the instance too; False (or a schema with
any other keyword: $ref, anyOf, ...) sends the spec to jsonschema, which stays the authority
and writes the errors. The closures follow jsonschema's type rules: a bool is not a number,
1.0 is an integer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

# Keywords that never change the outcome (format is an annotation unless a format checker is on).
_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$comment",
        "readOnly",
        "writeOnly",
        "deprecated",
        "format",
        "$schema",
        "$id",
    }
)
_HANDLED = _ANNOTATIONS | {
    "type", "properties", "required", "additionalProperties", "items", "enum", "const", "pattern",
    "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minItems", "maxItems",
}  # fmt: skip


def _is_integer(v: Any) -> bool:
    if isinstance(v, float):
        return v.is_integer()
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


_TYPES: Mapping[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _is_integer,
    "number": _is_number,
}


def compile_check(schema: Any) -> Check | None:
    """A closure that returns True only for instances ``schema`` accepts; None if unsupported."""
    if schema is True:
        return lambda _v: True
    if schema is False or not isinstance(schema, Mapping) or not set(schema) <= _HANDLED:
        return None
    checks: list[Check] = []
    kind = schema.get("type")
    if kind is not None:
        names = [kind] if isinstance(kind, str) else kind
        if not isinstance(names, list) or not all(n in _TYPES for n in names):
            return None
        tests = [_TYPES[n] for n in names]
        checks.append(tests[0] if len(tests) == 1 else lambda v: any(t(v) for t in tests))
    for build in (_strings, _numbers, _objects, _arrays):
        part = build(schema)
        if part is None:
            return None
        checks.extend(part)
    return _all(checks)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda _v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    return lambda v: all(c(v) for c in checks)


def _strings(schema: Mapping[str, Any]) -> list[Check] | None:
    out: list[Check] = []
    if "enum" in schema or "const" in schema:
        options = schema["enum"] if "enum" in schema else [schema["const"]]
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            return None
        allowed = frozenset(options)
        out.append(lambda v: isinstance(v, str) and v in allowed)
    if "pattern" in schema:
        try:
            pattern = re.compile(schema["pattern"])
        except (re.error, TypeError):
            return None
        out.append(lambda v: not isinstance(v, str) or pattern.search(v) is not None)
    low, high = schema.get("minLength"), schema.get("maxLength")
    if low is not None or high is not None:
        lo, hi = low or 0, high if high is not None else float("inf")
        out.append(lambda v: not isinstance(v, str) or lo <= len(v) <= hi)
    return out


_BOUNDS: Mapping[str, Callable[[Any, Any], bool]] = {
    "minimum": lambda v, b: v >= b,
    "maximum": lambda v, b: v <= b,
    "exclusiveMinimum": lambda v, b: v > b,
    "exclusiveMaximum": lambda v, b: v < b,
}


def _bound(ok: Callable[[Any, Any], bool], bound: Any) -> Check:
    return lambda v: not _is_number(v) or ok(v, bound)


def _numbers(schema: Mapping[str, Any]) -> list[Check] | None:
    out: list[Check] = []
    for keyword, ok in _BOUNDS.items():
        if keyword in schema:
            if not _is_number(schema[keyword]):
                return None
            out.append(_bound(ok, schema[keyword]))
    return out


def _objects(schema: Mapping[str, Any]) -> list[Check] | None:
    out: list[Check] = []
    props = schema.get("properties", {})
    if not isinstance(props, Mapping):
        return None
    compiled: dict[str, Check] = {}
    for name, sub in props.items():
        check = compile_check(sub)
        if check is None:
            return None
        compiled[name] = check
    extra = schema.get("additionalProperties", True)
    extra_check = compile_check(extra) if extra is not False else None
    if extra is not False and extra_check is None:
        return None
    required = schema.get("required", [])
    if not isinstance(required, list):
        return None

    def check_object(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for name in required:
            if name not in v:
                return False
        for key, item in v.items():
            check = compiled.get(key, extra_check)
            if check is None or not check(item):
                return False
        return True

    if compiled or required or extra is not True:
        out.append(check_object)
    return out


def _arrays(schema: Mapping[str, Any]) -> list[Check] | None:
    out: list[Check] = []
    if "items" in schema:
        item = compile_check(schema["items"])
        if item is None:
            return None
        out.append(lambda v: not isinstance(v, list) or all(item(i) for i in v))
    low, high = schema.get("minItems"), schema.get("maxItems")
    if low is not None or high is not None:
        lo, hi = low or 0, high if high is not None else float("inf")
        out.append(lambda v: not isinstance(v, list) or lo <= len(v) <= hi)
    return out
