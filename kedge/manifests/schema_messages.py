"""Schema errors in Kedge's words, without quoting what must stay secret.

jsonschema's own messages quote the instance, which may hold a secret, and speak of
"additional properties". Each error here becomes (field path, message builder); the builder is
told whether the value may be quoted, which only the caller knows (sensitive paths, secrets).
An unknown field is reported at the field itself with the allowed names and a near-miss hint;
a missing one at the place it should be; for ``anyOf``/``oneOf`` the branch that fits the value's
type explains the mistake.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jsonschema import ValidationError

from kedge.manifests.problems import FieldPath

TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}
_QUOTE_MAX = 60


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


# A message is built late: it needs to know whether the value may be quoted.
Message = Callable[[bool], str]


def explain(error: ValidationError) -> Iterable[tuple[FieldPath, Message]]:
    path: FieldPath = tuple(error.absolute_path)
    keyword, expected, instance = str(error.validator), error.validator_value, error.instance
    schema: Any = error.schema
    if keyword == "additionalProperties" and isinstance(instance, Mapping):
        allowed = sorted(schema.get("properties", {}) or {})
        patterns = list(schema.get("patternProperties", {}) or {})
        for key in instance:
            if key not in allowed and not _matches_any(key, patterns):
                yield (*path, key), _const(_unknown_field(key, allowed))
        return
    if keyword == "required" and isinstance(instance, Mapping) and isinstance(expected, list):
        for name in expected:
            if name not in instance:
                yield (*path, name), _const(f"missing required field {name!r}")
        return
    if keyword in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        # A branch that wants another type is the wrong branch, not the mistake.
        fitting = [
            errs for errs in branches.values()
            if not any(e.validator == "type" and not e.relative_path for e in errs)
        ]  # fmt: skip
        if len(fitting) == 1:
            for sub in fitting[0]:
                yield from explain(sub)
            return
        if fitting and all(e.validator == "required" and not e.relative_path for b in fitting for e in b):
            names = sorted({str(n) for b in fitting for e in b for n in _list(e.validator_value)})
            yield path, _const(f"needs one of the fields: {', '.join(names)}")
            return
    yield path, _message(keyword, expected, instance)


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _const(text: str) -> Message:
    return lambda _quote: text


def _unknown_field(key: str, allowed: list[str]) -> str:
    hint = difflib.get_close_matches(key, allowed, n=1)
    listed = ", ".join(allowed) if allowed else "none"
    guess = f"; did you mean {hint[0]!r}?" if hint else ""
    return f"unknown field {key!r} (allowed: {listed}){guess}"


def _matches_any(key: str, patterns: list[str]) -> bool:
    return any(re.search(p, key) for p in patterns)


def _quoted(value: Any) -> str | None:
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= _QUOTE_MAX else repr(value[: _QUOTE_MAX - 5]) + "..."
    return None


def _message(keyword: str, expected: Any, instance: Any) -> Message:
    def build(quote: bool) -> str:
        got = _quoted(instance) if quote else None
        got_text = f" (got {got})" if got is not None else ""
        if keyword == "type":
            wanted = [expected] if isinstance(expected, str) else list(expected)
            names = " or ".join(TYPE_NAMES.get(t, t) for t in wanted)
            actual = json_type(instance)
            hint = ""
            if "string" in wanted and actual in ("integer", "number", "boolean"):
                hint = "; quote the value to keep it a string"
            return f"must be {names}, not {TYPE_NAMES.get(actual, actual)}{hint}"
        if keyword == "enum":
            options = ", ".join(str(o) for o in expected)
            return f"must be one of: {options}{got_text}"
        if keyword == "const":
            return f"must be {expected!r}{got_text}"
        if keyword == "pattern":
            return f"must match the pattern {expected}{got_text}"
        if keyword in ("minLength", "maxLength"):
            bound = "at least" if keyword == "minLength" else "at most"
            return f"must be {bound} {expected} characters long"
        if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            word = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
            return f"must be {word[keyword]} {expected}{got_text}"
        if keyword in ("minItems", "maxItems"):
            bound = "at least" if keyword == "minItems" else "at most"
            return f"must have {bound} {expected} items"
        if keyword in ("minProperties", "maxProperties"):
            bound = "at least" if keyword == "minProperties" else "at most"
            return f"must have {bound} {expected} fields"
        if keyword == "uniqueItems":
            return "items must be unique"
        if keyword == "multipleOf":
            return f"must be a multiple of {expected}"
        if keyword == "format":
            return f"must be a valid {expected}{got_text}"
        if keyword in ("anyOf", "oneOf"):
            forms = _forms(expected)
            which = "exactly one" if keyword == "oneOf" else "one"
            return f"must match {which} of the allowed forms{forms}{got_text}"
        if keyword == "not":
            return f"is not allowed here{got_text}"
        if keyword == "propertyNames":
            return "has a field name that is not allowed"
        if keyword == "dependentRequired":
            return "misses a field that another field requires"
        return f"does not satisfy {keyword!r} of the schema"

    return build


def _forms(options: Any) -> str:
    if not isinstance(options, list):
        return ""
    types = [o.get("type") for o in options if isinstance(o, Mapping)]
    names = [TYPE_NAMES.get(t, t) for t in types if isinstance(t, str)]
    if names and len(names) == len(options):
        return " (" + ", ".join(names) + ")"
    return ""
