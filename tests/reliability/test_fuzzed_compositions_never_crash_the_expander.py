"""Hostile Compositions and claims end in placed diagnostics, within the CPU budget, never a crash.

Hypothesis writes a platform directory (a Definition and a Composition) and an app (a claim),
then loads them through the same entry points ``kedge render --platform`` uses. It varies:

- the ``${...}`` expressions: CEL token soup, random text, unbalanced braces, unknown names,
  outputs read inside strings, runaway comprehensions over a claim's list;
- where they sit: metadata, spec, nested lists and maps, ``includeWhen``, ``readyWhen``;
- the claim: unicode, huge integers and strings, deep nesting, values of the wrong type.

Every outcome must be a load result or the platform's ``ConfigError`` (never another
exception); every error a diagnostic with a file; every error about an expression names the
Composition's file and line; and no load spends more CPU than its expressions' budget allows.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kedge.engine.platform import expander, load_platform
from kedge.manifests import load_path
from kedge.model import ConfigError
from kedge.model.diagnostics import Severity
from kedge.providers import registry

# KEDGE_FUZZ_EXAMPLES raises the number of examples for a long run (see docs/reliability.md).
EXAMPLES = int(os.environ.get("KEDGE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
# A handful of expressions per load, each stopped at 50 ms of CPU (and tried twice): a load that
# takes longer than this let an expression run past its budget.
CPU_BUDGET = 3.0

DEFINITION = {
    "apiVersion": "kedge.dev/v1",
    "kind": "Definition",
    "metadata": {"name": "Fuzz"},
    "spec": {
        "group": "platform.example.org",
        "schema": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "count": {"type": "integer"},
                "flag": {"type": "boolean", "default": False},
                "items": {"type": "array", "items": {"type": "integer"}},
                "free": {"type": "object", "additionalProperties": True},
            },
        },
    },
}

CEL_TOKENS = [
    "claim", "claim.spec", "claim.spec.name", "claim.spec.count", "claim.spec.items", "claim.metadata.name",
    "dir", "dir.spec.path", "dir.outputs.sha256", "nope", "self", ".", "+", "-", "*", "/", "%", "==", "!=",
    "&&", "||", "!", "?", ":", "(", ")", "[", "]", "{", "}", ",", "'x'", '"é\u202e"', "1", "0", "-1",
    "9223372036854775807", "1.5e308", "true", "null", "size(", "has(", ".map(x, ", ".filter(x, ",
    ".all(x, ", "x", "int(", "string(", "matches(", "'(a+)+$'", "${", "}", "\\", "\x00", "\n",
]

tokens = st.lists(st.sampled_from(CEL_TOKENS), min_size=1, max_size=14).map(" ".join)
RUNAWAY = [
    "claim.spec.items.map(a, claim.spec.items.map(b, claim.spec.items.map(c, a + b + c)))",
    "claim.spec.items.all(a, claim.spec.items.all(b, claim.spec.items.all(c, a + b + c >= 0)))",
    "size(claim.spec.items.map(a, claim.spec.items.map(b, claim.spec.items.map(c, string(a) + 'x'))))",
    "claim.spec.items.filter(a, claim.spec.items.exists(b, claim.spec.items.exists(c, a * b * c == -7)))",
]
VALID = ["claim.metadata.name", "claim.spec.name", "dir.spec.path", "string(size(claim.spec.items))",
         "claim.spec.flag ? 'on' : 'off'", "dir.metadata.name + '-x'"]
expressions = st.one_of(tokens, st.text(max_size=40), st.sampled_from(RUNAWAY), st.sampled_from(VALID))
placed = expressions.flatmap(
    lambda e: st.sampled_from([f"${{{e}}}", f"pre-${{{e}}}-post", f"${{{e}", f"${{{e}}}${{{e}}}"])
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.just("\U0001f600\u202e\u0000"),
    st.just("x" * 200_000),
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)
templated: st.SearchStrategy[Any] = st.recursive(
    st.one_of(placed, scalars),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "path"]), inner, max_size=2)),
    max_leaves=8,
)
file_specs = st.one_of(
    templated, st.fixed_dictionaries({"path": placed}, optional={"content": st.one_of(placed, scalars)})
)
good_claims = st.fixed_dictionaries(
    {"name": st.text(alphabet="abcdefgh", min_size=1, max_size=8)},
    optional={"count": st.integers(0, 99), "items": st.lists(st.integers(0, 9), max_size=3), "flag": st.booleans()},
)


def _composition(name_field: Any, spec: Any, include_when: Any, ready_when: Any) -> dict[str, Any]:
    second: dict[str, Any] = {
        "id": "file",
        "template": {
            "apiVersion": "local.kedge.dev/v1",
            "kind": "File",
            "metadata": {"name": name_field},
            "spec": spec,
        },
    }
    if include_when is not None:
        second["includeWhen"] = include_when
    if ready_when is not None:
        second["readyWhen"] = ready_when
    return {
        "apiVersion": "kedge.dev/v1",
        "kind": "Composition",
        "metadata": {"name": "fuzz-local"},
        "spec": {
            "definition": "Fuzz",
            "resources": [
                {
                    "id": "dir",
                    "template": {
                        "apiVersion": "local.kedge.dev/v1",
                        "kind": "Directory",
                        "metadata": {"name": "${claim.metadata.name}-dir"},
                        "spec": {"path": "${claim.metadata.name}"},
                    },
                },
                second,
            ],
        },
    }


def _claim(name: Any, spec: Any) -> dict[str, Any]:
    return {"apiVersion": "platform.example.org/v1", "kind": "Fuzz", "metadata": {"name": name}, "spec": spec}


def _yaml(document: Any) -> str:
    """Block-style YAML (one field per line) so that every field has a line of its own."""
    import yaml

    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=10_000)


def _load(composition: dict[str, Any], claim: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "platform").mkdir()
        (root / "app").mkdir()
        (root / "platform" / "definition.yaml").write_text(_yaml(DEFINITION))
        (root / "platform" / "composition.yaml").write_text(_yaml(composition))
        provider = {"apiVersion": "kedge.dev/v1", "kind": "ProviderConfig", "metadata": {"name": "default"},
                    "spec": {"provider": "local", "settings": {"root": str(root / "out")}}}
        (root / "app" / "claims.yaml").write_text(_yaml(provider) + "---\n" + _yaml(claim))
        started = time.thread_time()
        try:
            documents = load_platform([root / "platform"])
        except ConfigError as err:
            _check_placed(err.diagnostics)
            return
        result = load_path(root / "app", registry.kind_spec, expand=expander(documents), resolve_secrets=False)
        spent = time.thread_time() - started
        assert spent < CPU_BUDGET, f"{spent:.2f} s of CPU for one load"
        _check_placed(result.diagnostics)
        if not result.ok:
            assert any(d.severity is Severity.ERROR for d in result.diagnostics)
        assert not (root / "out").exists(), "loading wrote to the target"


def _check_placed(diagnostics: Any) -> None:
    for d in diagnostics:
        assert d.message, d
        if d.severity is not Severity.ERROR:
            continue
        assert d.file, d
        assert "Traceback" not in d.message, d
        if "${" in d.message or "expression" in d.message:
            where = f"{d.file}:{d.line} {d.message}"
            assert "composition.yaml:" in where, d


@FUZZ
@given(name=placed, spec=file_specs)
def test_hostile_templates_are_diagnosed_at_the_composition(name: str, spec: Any) -> None:
    _load(_composition(name, spec, None, None), _claim("shop", {"name": "a", "items": [1, 2]}))


@FUZZ
@given(include_when=st.one_of(expressions, scalars), ready_when=st.one_of(expressions, st.none()))
def test_hostile_conditions_are_diagnosed_at_the_composition(include_when: Any, ready_when: Any) -> None:
    composition = _composition("${claim.metadata.name}-f", {"path": "${dir.spec.path}/f"}, include_when, ready_when)
    _load(composition, _claim("shop", {"name": "a"}))


@FUZZ
@given(name=st.one_of(st.text(max_size=20), scalars, st.just("shop")), spec=st.one_of(values, good_claims, st.fixed_dictionaries(
    {"name": values, "count": values, "items": values, "free": values}, optional={"flag": values})))
def test_hostile_claims_are_diagnosed_at_the_claim(name: Any, spec: Any) -> None:
    composition = _composition(
        "${claim.metadata.name}-${claim.spec.name}",
        {"path": "${dir.spec.path}/f", "content": "${string(has(claim.spec.count) ? claim.spec.count : 0) + claim.spec.name}"},
        "${!has(claim.spec.items) || size(claim.spec.items) < 3}",
        None,
    )
    _load(composition, _claim(name, spec))


@settings(max_examples=8, deadline=None, database=None)
@given(runaway=st.sampled_from(RUNAWAY), items=st.integers(min_value=200, max_value=2000))
def test_runaway_expressions_are_stopped_within_their_budget(runaway: str, items: int) -> None:
    composition = _composition("${claim.metadata.name}-f", {"content": f"${{string({runaway})}}"}, None, None)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "platform").mkdir()
        (root / "app").mkdir()
        (root / "platform" / "definition.yaml").write_text(_yaml(DEFINITION))
        (root / "platform" / "composition.yaml").write_text(_yaml(composition))
        (root / "app" / "claim.yaml").write_text(json.dumps(_claim("shop", {"items": list(range(items))})))
        started = time.thread_time()
        result = load_path(root / "app", registry.kind_spec, expand=expander(load_platform([root / "platform"])),
                           resolve_secrets=False)
        assert time.thread_time() - started < CPU_BUDGET
    messages = [d.message for d in result.diagnostics]
    assert not result.ok
    assert any("was stopped" in m and "composition.yaml:" in m for m in messages), messages


@settings(max_examples=10, deadline=None, database=None)
@given(depth=st.integers(min_value=20, max_value=400), where=st.sampled_from(["claim", "template"]))
def test_deep_nesting_in_claims_and_templates_is_diagnosed(depth: int, where: str) -> None:
    nested: Any = "${claim.metadata.name}" if where == "template" else "leaf"
    for _ in range(depth):
        nested = {"a": nested}
    if where == "template":
        _load(_composition("${claim.metadata.name}-f", {"path": "f", "content": nested}, None, None),
              _claim("shop", {"name": "a"}))
    else:
        _load(_composition("${claim.metadata.name}-f", {"path": "f"}, None, None),
              _claim("shop", {"name": "a", "free": nested}))
