"""String attribute maps (SQS queues, SNS topics) as typed YAML values.

AWS keeps these attributes as strings ("30", "true", JSON text) and fills in defaults for every
attribute nobody set. A spec writes them typed (``VisibilityTimeout: 60``, ``FifoQueue: true``,
``Policy: {...}``); the observed map keeps only the attributes the spec names, converted back to
the spec's type, so AWS's defaults and its string forms never show up as drift.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kedge.providers.aws import policy as policies


@dataclass(frozen=True)
class AttributeTypes:
    """Attribute name -> one of "int", "bool", "str", "json", "policy"."""

    types: Mapping[str, str]
    description: str = ""

    def schema(self) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for name, kind in self.types.items():
            if kind == "int":
                props[name] = {"type": "integer", "minimum": 0, "description": f"{name} (a number)."}
            elif kind == "bool":
                props[name] = {"type": "boolean", "description": f"{name} (true or false)."}
            elif kind == "str":
                props[name] = {"type": "string", "description": f"{name} (text)."}
            else:
                props[name] = {"type": ["object", "string"], "description": f"{name}: a JSON document."}
        return {
            "type": "object",
            "additionalProperties": False,
            "default": {},
            "properties": props,
            "description": self.description,
        }

    def to_wire(self, attributes: Mapping[str, Any]) -> dict[str, str]:
        wire: dict[str, str] = {}
        for name, value in attributes.items():
            kind = self.types.get(name, "str")
            if kind == "bool":
                wire[name] = "true" if value else "false"
            elif kind in ("json", "policy"):
                wire[name] = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            else:
                wire[name] = str(value)
        return wire

    def same(self, name: str, observed: str | None, desired: Any) -> bool:
        if observed is None:
            return False
        kind = self.types.get(name, "str")
        if kind == "policy":
            return policies.same(observed, desired)
        if kind == "json":
            return bool(_loose(observed) == _loose(desired))
        return bool(observed == self.to_wire({name: desired})[name])

    def state(self, observed: Mapping[str, str], desired: Mapping[str, Any]) -> dict[str, Any]:
        """The observed values of the attributes the spec names, in the spec's own form."""
        out: dict[str, Any] = {}
        for name, wanted in desired.items():
            actual = observed.get(name)
            if self.same(name, actual, wanted):
                out[name] = wanted
            elif actual is not None:
                out[name] = self._typed(name, actual)
            else:
                out[name] = None
        return out

    def _typed(self, name: str, value: str) -> Any:
        kind = self.types.get(name, "str")
        if kind == "int" and value.lstrip("-").isdigit():
            return int(value)
        if kind == "bool":
            return value.lower() == "true"
        if kind in ("json", "policy"):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def changed(self, observed: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, str]:
        """Wire values of the desired attributes the observed state does not match."""
        return self.to_wire({k: v for k, v in desired.items() if observed.get(k) != v})


def _loose(value: Any) -> Any:
    """A JSON value with every scalar as text: {"maxReceiveCount": "5"} equals {... 5}."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, Mapping):
        return {str(k): _loose_inner(v) for k, v in value.items()}
    return _loose_inner(value)


def _loose_inner(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _loose_inner(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_loose_inner(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
