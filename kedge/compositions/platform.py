"""A platform: Definitions and Compositions, checked and compiled once, ready to expand claims.

    platform, diagnostics = build_platform(core_documents)
    definition = platform.definition_for("platform.example.org/v1", "ObjectStore")

Every expression of a Composition is compiled here, once, not per claim; the order of its
resources is inferred from what their expressions read (a cycle is an error). Problems name
the Definition's or the Composition's file and the line of the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator, SchemaError

from kedge.compositions.schemas import strict
from kedge.compositions.templates import Template, compile_condition, compile_template
from kedge.manifests import CoreDocument
from kedge.manifests.problems import FieldPath, Problem, to_diagnostic
from kedge.model import Diagnostic

if TYPE_CHECKING:
    from kedge.cel import Expression

PLATFORM_KINDS = frozenset({"Definition", "Composition"})
CLAIM = "claim"


@dataclass(frozen=True, eq=False)
class Definition:
    kind: str
    api_version: str
    schema: Mapping[str, Any]  # as written, for ``kedge explain``
    strict_schema: Mapping[str, Any]  # unknown fields refused everywhere
    outputs: Mapping[str, str]
    default_composition: str | None
    document: CoreDocument
    migration: str | None = None  # how a claim moves between Compositions ("copyObjects")


@dataclass(frozen=True, eq=False)
class ComposedTemplate:
    id: str
    index: int
    template: Template
    include_when: Expression | None
    ready_when: Expression | None
    after: frozenset[str]  # ids whose values its expressions read


@dataclass(frozen=True, eq=False)
class Composition:
    name: str
    definition: str
    labels: Mapping[str, str]
    resources: tuple[ComposedTemplate, ...]  # in an order where each comes after what it reads
    outputs: Mapping[str, Template]
    function: str | None
    document: CoreDocument

    def where(self, path: FieldPath = ()) -> str:
        doc = self.document
        lines = doc.lines()
        line = next((lines[path[:n]] for n in range(len(path), 0, -1) if path[:n] in lines), doc.line)
        return f"{doc.file}:{line}" if line else str(doc.file)


@dataclass
class Platform:
    definitions: dict[str, Definition] = field(default_factory=dict)  # by claim kind
    compositions: dict[str, Composition] = field(default_factory=dict)  # by name
    broken: set[str] = field(default_factory=set)  # claim kinds whose platform has errors

    def definition_for(self, api_version: str, kind: str) -> Definition | None:
        found = self.definitions.get(kind)
        return found if found is not None and found.api_version == api_version else None

    def compositions_for(self, kind: str) -> list[Composition]:
        return [c for c in self.compositions.values() if c.definition == kind]


def build_platform(documents: Iterable[CoreDocument]) -> tuple[Platform, list[Diagnostic]]:
    platform = Platform()
    diagnostics: list[Diagnostic] = []
    docs = [d for d in documents if d.kind in PLATFORM_KINDS]
    for doc in (d for d in docs if d.kind == "Definition"):
        if doc.name in platform.definitions:
            first = platform.definitions[doc.name].document
            diagnostics.append(_error(doc, f"Definition {doc.name} is declared twice (also at {_at(first)})"))
            continue
        definition = _definition(doc, diagnostics)
        if definition is None:
            platform.broken.add(doc.name)
        else:
            platform.definitions[doc.name] = definition
    for doc in (d for d in docs if d.kind == "Composition"):
        if doc.name in platform.compositions:
            first = platform.compositions[doc.name].document
            diagnostics.append(
                _error(doc, f"Composition {doc.name} is declared twice (also at {_at(first)})")
            )
            continue
        composition = _composition(doc, platform, diagnostics)
        if composition is None:
            platform.broken.add(str(doc.spec.get("definition", "")))
        else:
            platform.compositions[doc.name] = composition
    for definition in platform.definitions.values():
        wanted = definition.default_composition
        if wanted and wanted not in platform.compositions and definition.kind not in platform.broken:
            diagnostics.append(
                _error(
                    definition.document,
                    f"Definition {definition.kind}: defaultComposition {wanted!r} is not declared",
                    ("spec", "defaultComposition"),
                )
            )
            platform.broken.add(definition.kind)
    return platform, diagnostics


def _definition(doc: CoreDocument, diagnostics: list[Diagnostic]) -> Definition | None:
    spec = doc.spec
    schema = spec.get("schema")
    if not isinstance(schema, Mapping):
        return None
    try:
        Draft202012Validator.check_schema(dict(schema))
    except SchemaError as err:
        path: FieldPath = ("spec", "schema", *(str(p) for p in err.path))
        diagnostics.append(
            _error(doc, f"Definition {doc.name}: spec.schema is not a valid JSON Schema: {err.message}", path)
        )
        return None
    if schema.get("type", "object") != "object":
        diagnostics.append(
            _error(
                doc, f"Definition {doc.name}: a claim's spec is an object (type: object)", ("spec", "schema")
            )
        )
        return None
    group = str(spec["group"])
    if group == "kedge.dev" or group.endswith(".kedge.dev"):
        message = (
            f"Definition {doc.name}: group {group!r} is Kedge's own; use a DNS name of your organisation"
        )
        diagnostics.append(_error(doc, message, ("spec", "group")))
        return None
    api_version = f"{group}/{spec.get('version', 'v1')}"
    outputs = {str(k): str(v) for k, v in (spec.get("outputs") or {}).items()}
    default = spec.get("defaultComposition")
    migration = spec.get("migration")
    return Definition(doc.name, api_version, schema, strict(schema), outputs, default, doc, migration)


def _composition(doc: CoreDocument, platform: Platform, diagnostics: list[Diagnostic]) -> Composition | None:
    spec = doc.spec
    kind = str(spec.get("definition", ""))
    definition = platform.definitions.get(kind)
    if definition is None:
        if kind not in platform.broken:
            known = ", ".join(sorted(platform.definitions)) or "none"
            diagnostics.append(
                _error(
                    doc,
                    f"Composition {doc.name}: no Definition {kind!r} (declared: {known})",
                    ("spec", "definition"),
                )
            )
        return None
    raw = list(spec.get("resources") or [])
    if not raw and not spec.get("function"):
        diagnostics.append(_error(doc, f"Composition {doc.name}: needs resources or a function", ("spec",)))
        return None
    ids = [str(r["id"]) for r in raw]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, name in enumerate(ids):
        if name in seen or name == CLAIM:
            problems.append(
                Problem(f"resource id {name!r} is used twice or reserved", ("spec", "resources", index, "id"))
            )
        seen.add(name)
    variables = frozenset({CLAIM, *ids})
    id_set = frozenset(ids)
    compiled: list[ComposedTemplate] = []
    for index, item in enumerate(raw):
        base: FieldPath = ("spec", "resources", index)
        template, found = compile_template(item["template"], variables, id_set)
        problems.extend(Problem(p.message, (*base, "template", *p.path)) for p in found)
        include, found = _condition(item.get("includeWhen"), variables, (*base, "includeWhen"), id_set)
        problems.extend(found)
        ready, found = _condition(item.get("readyWhen"), variables, (*base, "readyWhen"), id_set)
        problems.extend(found)
        reads = set(template.refs) | (include.variables if include is not None else set())
        after = frozenset(reads & id_set - {item["id"]})
        if item["id"] in template.reads:
            problems.append(Problem(f"resource {item['id']!r} reads itself", (*base, "template")))
        compiled.append(ComposedTemplate(str(item["id"]), index, template, include, ready, after))
    outputs: dict[str, Template] = {}
    for name, text in definition.outputs.items():
        template, found = compile_template(text, variables, id_set)
        for p in found:
            diagnostics.append(
                _error(
                    definition.document,
                    f"Definition {kind}: outputs.{name}: {p.message}",
                    ("spec", "outputs", name),
                )
            )
        outputs[name] = template
    ordered = _order(compiled, problems)
    for p in problems:
        diagnostics.append(
            _diagnostic(doc, Problem(f"Composition {doc.name}: {p.message}", p.path, p.severity))
        )
    if problems:
        return None
    function = spec.get("function")
    return Composition(doc.name, kind, dict(doc.labels), tuple(ordered), outputs, function, doc)


def _condition(
    text: Any, variables: frozenset[str], path: FieldPath, ids: frozenset[str]
) -> tuple[Expression | None, list[Problem]]:
    if text is None:
        return None, []
    return compile_condition(str(text), variables, path, ids)


def _order(templates: Sequence[ComposedTemplate], problems: list[Problem]) -> list[ComposedTemplate]:
    by_id = {t.id: t for t in templates}
    sorter: TopologicalSorter[str] = TopologicalSorter({t.id: t.after for t in templates})
    try:
        return [by_id[i] for i in sorter.static_order()]
    except CycleError as err:
        cycle = [str(i) for i in err.args[1]]
        first = by_id[cycle[0]]
        problems.append(
            Problem(
                f"the expressions of resources {' -> '.join(cycle)} read each other in a cycle; "
                "a resource can read another's spec or outputs, not both ways",
                ("spec", "resources", first.index),
            )
        )
        return list(templates)


def _at(doc: CoreDocument) -> str:
    return f"{doc.file}:{doc.line}" if doc.line else str(doc.file)


def _error(doc: CoreDocument, message: str, path: FieldPath = ()) -> Diagnostic:
    return _diagnostic(doc, Problem(message, path))


def _diagnostic(doc: CoreDocument, problem: Problem) -> Diagnostic:
    return to_diagnostic(problem, doc.file, doc.lines(), doc.line)
