"""Validate a spec against its kind's JSON Schema and say what is wrong in Kedge's words.

One compiled validator per schema, checked once (``check_schema``) and cached. Every error
becomes a ``Problem`` at its field path with a message of ``schema_messages``, not jsonschema's:
those quote the instance, and the instance may hold a secret. A value is quoted only when it is
a short scalar outside the kind's sensitive paths and no secret was read into it. Simple schemas
also get a quick check (``fastcheck``) so a valid spec never reaches jsonschema at all.

Values that cannot be validated yet (references, secrets not resolved) are replaced by a
placeholder of the type the schema declares at their place, and errors at or under them are
dropped.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from jsonschema import (
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from kedge.manifests.fastcheck import Check, compile_check
from kedge.manifests.problems import FieldPath, Problem
from kedge.manifests.schema_messages import explain
from kedge.model import Reference, Secret

_PLACEHOLDERS: dict[str, Any] = {
    "string": "",
    "integer": 0,
    "number": 0,
    "boolean": False,
    "object": {},
    "array": [],
    "null": None,
}
_QUICK_DRAFTS = (Draft6Validator, Draft7Validator, Draft201909Validator, Draft202012Validator)

_validators: dict[int, tuple[Mapping[str, Any], Validator, Check | None]] = {}


class InvalidSchema(Exception):
    """A kind's schema is not a valid JSON Schema (a provider bug, not the user's)."""


def compiled(schema: Mapping[str, Any]) -> tuple[Validator, Check | None]:
    """The cached validator for ``schema`` and its quick check, if the schema is simple enough.

    Keyed by identity: a kind holds on to its schema, so each is checked and compiled once.
    """
    hit = _validators.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1], hit[2]
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(dict(schema))
    except SchemaError as exc:
        raise InvalidSchema(exc.message) from None
    validator = cls(schema)
    quick = compile_check(schema) if cls in _QUICK_DRAFTS else None
    _validators[id(schema)] = (schema, validator, quick)
    return validator, quick


def fill_defaults(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` plus the schema's top-level defaults for properties it leaves out."""
    out = dict(spec)
    props = schema.get("properties")
    if isinstance(props, Mapping):
        for name, sub in props.items():
            if name not in out and isinstance(sub, Mapping) and "default" in sub:
                out[name] = sub["default"]
    return out


def validate(
    value: Any,
    schema: Mapping[str, Any],
    *,
    base: FieldPath = ("spec",),
    holes: Collection[FieldPath] = (),
    sensitive: Collection[str] = (),
    plain: bool = False,
) -> list[Problem]:
    """Every schema problem of ``value`` (a resolved spec), paths prefixed with ``base``.

    ``plain``: the caller knows ``value`` holds no Secret, Reference or hole (the fast path).
    """
    validator, quick = compiled(schema)
    plain = plain or (not holes and not _has_special(value))
    instance = value if plain else _instance(value, schema, (), frozenset(holes))
    if quick is not None and quick(instance):
        return []
    hole_set = frozenset(holes)
    problems: list[Problem] = []
    for error in validator.iter_errors(instance):
        for path, message in explain(error):
            if not _under_hole(path, hole_set):
                quiet = _is_sensitive(path, sensitive) or _secret_at(value, path)
                problems.append(Problem(message(not quiet), (*base, *path)))
    return problems


# -- instances ------------------------------------------------------------------------------


def _has_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if value.__class__ is dict:
        return any(_has_secret(v) for v in value.values())
    if value.__class__ is list:
        return any(_has_secret(v) for v in value)
    return False


def _has_special(value: Any) -> bool:
    if isinstance(value, Secret | Reference):
        return True
    if isinstance(value, Mapping):
        return any(_has_special(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_special(v) for v in value)
    return False


def _instance(value: Any, schema: Any, path: FieldPath, holes: frozenset[FieldPath]) -> Any:
    """``value`` with secrets revealed and holes/references replaced by typed placeholders."""
    if path in holes or isinstance(value, Reference):
        return _placeholder(schema)
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, Mapping):
        return {k: _instance(v, _child(schema, k), (*path, k), holes) for k, v in value.items()}
    if isinstance(value, list):
        return [_instance(v, _item(schema, i), (*path, i), holes) for i, v in enumerate(value)]
    return value


def _child(schema: Any, key: str) -> Any:
    if not isinstance(schema, Mapping):
        return {}
    props = schema.get("properties")
    if isinstance(props, Mapping) and key in props:
        return props[key]
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else {}


def _item(schema: Any, index: int) -> Any:
    if not isinstance(schema, Mapping):
        return {}
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and index < len(prefix):
        return prefix[index]
    items = schema.get("items")
    return items if isinstance(items, Mapping) else {}


def _placeholder(schema: Any) -> Any:
    if not isinstance(schema, Mapping):
        return ""
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if isinstance(kind, str) and kind in _PLACEHOLDERS:
        return _PLACEHOLDERS[kind]
    for combinator in ("anyOf", "oneOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            return _placeholder(options[0])
    return ""


def _under_hole(path: FieldPath, holes: frozenset[FieldPath]) -> bool:
    return any(path[:end] in holes for end in range(len(path) + 1))


def _is_sensitive(path: FieldPath, sensitive: Collection[str]) -> bool:
    if not sensitive:
        return False
    dotted = ".".join(str(p) for p in path if isinstance(p, str))
    return any(dotted == s or dotted.startswith(s + ".") for s in sensitive)


def _secret_at(value: Any, path: FieldPath) -> bool:
    for part in path:
        if isinstance(value, Secret):
            return True
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return False
    return _has_secret(value)
