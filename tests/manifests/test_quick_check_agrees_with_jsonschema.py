"""The quick validity check answers exactly as jsonschema does on the schemas it supports."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kedge.manifests.fastcheck import compile_check

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]"},
        "mode": {"type": "string", "enum": ["a", "b"]},
        "count": {"type": "integer", "minimum": 0, "exclusiveMaximum": 10},
        "ratio": {"type": "number", "maximum": 1.5},
        "flag": {"type": "boolean"},
        "maybe": {"type": ["string", "null"]},
        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "list": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2},
        "free": {},
        "fixed": {"const": "x"},
    },
}

INSTANCES: list[Any] = [
    {"name": "ab"},
    {"name": "a"},
    {"name": "abcdef"},
    {"name": "Ab"},
    {"name": 12},
    {},
    {"name": "ab", "extra": 1},
    {"name": "ab", "mode": "a"},
    {"name": "ab", "mode": "c"},
    {"name": "ab", "mode": 1},
    {"name": "ab", "count": 0},
    {"name": "ab", "count": 10},
    {"name": "ab", "count": -1},
    {"name": "ab", "count": 3.0},
    {"name": "ab", "count": 3.5},
    {"name": "ab", "count": True},
    {"name": "ab", "ratio": 1},
    {"name": "ab", "ratio": 1.6},
    {"name": "ab", "ratio": False},
    {"name": "ab", "flag": 0},
    {"name": "ab", "flag": False},
    {"name": "ab", "maybe": None},
    {"name": "ab", "maybe": 1},
    {"name": "ab", "tags": {"a": "b"}},
    {"name": "ab", "tags": {"a": 1}},
    {"name": "ab", "tags": ["a"]},
    {"name": "ab", "list": []},
    {"name": "ab", "list": [1, 2]},
    {"name": "ab", "list": [1, 2, 3]},
    {"name": "ab", "list": [1, "2"]},
    {"name": "ab", "free": {"anything": [1, None]}},
    {"name": "ab", "fixed": "x"},
    {"name": "ab", "fixed": "y"},
    ["name"],
    "name",
]


@pytest.mark.parametrize("instance", INSTANCES, ids=[repr(i) for i in INSTANCES])
def test_quick_check_matches_jsonschema(instance: Any) -> None:
    quick = compile_check(SCHEMA)
    assert quick is not None
    assert quick(instance) == Draft202012Validator(SCHEMA).is_valid(instance)


@pytest.mark.parametrize(
    "schema",
    [
        {"anyOf": [{"type": "string"}]},
        {"$ref": "#/$defs/x", "$defs": {"x": {}}},
        {"type": "object", "patternProperties": {"^x": {}}},
        {"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}},
        {"enum": [1, "a"]},
        {"type": "array", "items": [{"type": "string"}]},
    ],
)
def test_schemas_beyond_the_plain_keywords_are_left_to_jsonschema(schema: dict[str, Any]) -> None:
    assert compile_check(schema) is None
