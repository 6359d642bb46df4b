"""Turn one parsed YAML document into a ``Resource`` or a ``CoreDocument``.

A document goes through: envelope (apiVersion, kind, metadata) -> kind lookup -> special
values (secrets, references) -> JSON Schema of the kind -> defaults -> the typed result. Every
step reports all it finds. A document with errors still tells the loader its key and, when it
can, a draft resource, so duplicate names and references from and to it are judged; the
loader never hands a draft on.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kedge.manifests import metadata as meta
from kedge.manifests.core_schemas import CORE_API_VERSION, CORE_SCHEMAS, CORE_SENSITIVE
from kedge.manifests.problems import FieldPath, Problem, line_of
from kedge.manifests.safe_yaml import RawDocument
from kedge.manifests.schema import InvalidSchema, fill_defaults, validate
from kedge.manifests.values import ValueContext, resolve_values
from kedge.model import ClaimRef, KindSpec, Resource, ResourceKey, Severity
from kedge.model.resource import CLAIM_ANNOTATION

KindLookup = Callable[[str, str], KindSpec | None]
Lines = Callable[[], Mapping[FieldPath, int]]  # the document's field lines, computed on demand
UNPLACED: Lines = dict
RAW_KINDS = frozenset({"Definition", "Composition"})  # specs kept as written

_MISSING = object()


@dataclass(frozen=True)
class CoreDocument:
    """A ``kedge.dev/v1`` document: ProviderConfig, Application, Policy or ServerConfig."""

    kind: str
    name: str
    spec: Mapping[str, Any]  # secret references resolved to kedge.model.Secret
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    file: str | None = None
    line: int | None = None
    lines: Lines = field(default=UNPLACED, compare=False, repr=False)


@dataclass(frozen=True)
class ClaimDocument:
    """A document of a kind that no provider serves: a claim, if a Definition declares its kind.

    The spec is kept as written (secret references included): a claim is checked against its
    Definition and expanded by ``kedge.compositions``; its composed manifests are read like
    any other document.
    """

    api_version: str
    kind: str
    name: str
    spec: Mapping[str, Any]
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    file: str | None
    line: int | None
    directory: Path  # where relative fromFile paths of its composed resources start
    lines: Lines = field(default=UNPLACED, compare=False, repr=False)

    @property
    def ref(self) -> ClaimRef:
        return ClaimRef(self.kind, self.name)


@dataclass(frozen=True)
class ComposedDocument:
    """A manifest composed for a claim, with where to point a user when it is wrong."""

    body: Mapping[str, Any]
    claim: ClaimDocument
    composition: str  # the Composition's name
    resource_id: str  # the id of the template in the Composition
    file: str | None  # the Composition's file
    lines: Lines  # the Composition's field lines
    base: FieldPath  # the template's path in the Composition: ("spec", "resources", i, "template")
    line: int | None = None  # the template's line, when nothing closer is known

    def where(self, path: FieldPath = ()) -> str:
        """``FILE:LINE`` of ``path`` (a path in the composed manifest) in the Composition."""
        line = line_of(self.lines(), (*self.base, *path), self.line)
        return f"{self.file}:{line}" if line else str(self.file)

    def origin(self, path: FieldPath = ()) -> str:
        return f"Composition {self.composition} resource {self.resource_id!r} at {self.where(path)}"


@dataclass
class Expansion:
    """What an expander gives back for an app's claims."""

    composed: list[ComposedDocument] = field(default_factory=list)
    diagnostics: list[Any] = field(default_factory=list)  # Diagnostic
    # (claim kind, claim name) -> output -> a value, or a kedge.model.Reference to a composed resource
    outputs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


@dataclass
class Outcome:
    key: ResourceKey | None = None  # known even when the document has errors
    resource: Resource | None = None  # a draft when the document has errors
    core: CoreDocument | None = None
    claim: ClaimDocument | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)


def read_document(
    doc: RawDocument,
    file: str | None,
    kinds: KindLookup,
    values: ValueContext,
    *,
    claims: bool = False,
    composed: bool = False,
    lines: Lines = UNPLACED,
) -> Outcome:
    """``claims``: keep documents of other groups as claims; ``composed``: a claim's composed manifest."""
    out = Outcome()
    body = doc.value
    if not isinstance(body, dict):
        what = "a list" if isinstance(body, list) else f"a {type(body).__name__} value"
        out.problems.append(
            Problem(
                f"a manifest document must be a mapping with apiVersion, kind, metadata and spec, not {what}"
            )
        )
        return out
    problems = out.problems
    problems.extend(meta.unknown_fields(body, meta.TOP_FIELDS, ()))
    api_version = _required_string(body, "apiVersion", problems)
    kind = _required_string(body, "kind", problems)
    name, labels, annotations = _metadata(body.get("metadata", _MISSING), problems)
    spec_value = body.get("spec")
    if spec_value is None:
        spec_value = {}
    elif not isinstance(spec_value, dict):
        problems.append(Problem("must be a mapping", ("spec",)))
        spec_value = None

    if api_version is None or kind is None:
        return out
    if CLAIM_ANNOTATION in annotations and not composed:
        problems.append(
            Problem(
                f"{CLAIM_ANNOTATION} is set by Kedge on the resources a claim composes; remove it",
                ("metadata", "annotations", CLAIM_ANNOTATION),
            )
        )
    if claims and meta.CLAIM_API_VERSION.match(api_version):
        if name is not None and spec_value is not None and meta.KIND.match(kind):
            where = (file, doc.line, values.base_dir, lines)
            out.claim = ClaimDocument(api_version, kind, name, spec_value, labels, annotations, *where)
        elif not meta.KIND.match(kind):
            problems.append(Problem("a kind is a capitalised name such as ObjectStore", ("kind",)))
        return out
    schema, sensitive, kind_spec = _schema_for(api_version, kind, kinds, problems)
    if name is not None and (schema is not None or api_version == CORE_API_VERSION):
        out.key = ResourceKey(api_version, kind, name)
    if schema is None or spec_value is None:
        return out

    if kind_spec is None and kind in RAW_KINDS:
        problems.extend(validate(spec_value, schema, plain=True))
        if name is not None:
            out.core = CoreDocument(
                kind, name, fill_defaults(spec_value, schema), labels, annotations, file, doc.line, lines
            )
        return out
    resolved = resolve_values(spec_value, values, ("spec",))
    problems.extend(resolved.problems)
    holes = [h[1:] for h in resolved.holes]
    try:
        plain = resolved.value is spec_value and not holes
        problems.extend(validate(resolved.value, schema, holes=holes, sensitive=sensitive, plain=plain))
    except InvalidSchema as exc:
        problems.append(Problem(f"the schema of {kind} is invalid (a provider bug): {exc}", ("kind",)))
    if name is None:
        return out

    spec = fill_defaults(resolved.value, schema)
    if kind_spec is None:
        out.core = CoreDocument(kind, name, spec, labels, annotations, file, doc.line, lines)
        return out
    if out.failed:  # a draft: only its references and dependencies are looked at
        bad = {p.path[2] for p in problems if p.path[:2] == ("metadata", "annotations") and len(p.path) > 2}
        annotations = {k: v for k, v in annotations.items() if k not in bad}
    raw_spec = dict(spec) if resolved.value is spec_value else fill_defaults(spec_value, schema)
    out.resource = Resource(
        key=out.key or ResourceKey(api_version, kind, name),
        spec=spec,
        raw_spec=raw_spec,
        labels=labels,
        annotations=annotations,
        file=file,
        line=doc.line,
        external_id=_external_id(kind_spec, spec, annotations, name),
    )
    return out


def _required_string(body: Mapping[str, Any], name: str, problems: list[Problem]) -> str | None:
    value = body.get(name)
    if value is None:
        problems.append(Problem(f"missing required field {name!r}", (name,)))
        return None
    if not isinstance(value, str) or not value:
        problems.append(Problem("must be a non-empty string", (name,)))
        return None
    return value


def _metadata(value: Any, problems: list[Problem]) -> tuple[str | None, dict[str, str], dict[str, str]]:
    if value is _MISSING or value is None:
        problems.append(Problem("missing required field 'metadata' (with at least a name)", ("metadata",)))
        return None, {}, {}
    if not isinstance(value, dict):
        problems.append(Problem("must be a mapping with a name", ("metadata",)))
        return None, {}, {}
    problems.extend(meta.unknown_fields(value, meta.METADATA_FIELDS, ("metadata",)))
    name, name_problems = meta.check_name(value.get("name"), ("metadata", "name"))
    problems.extend(name_problems)
    labels, label_problems = meta.string_map(value.get("labels"), ("metadata", "labels"))
    problems.extend(label_problems)
    annotations, ann_problems = meta.string_map(value.get("annotations"), ("metadata", "annotations"))
    problems.extend(ann_problems)
    problems.extend(meta.check_annotations(annotations, ("metadata", "annotations")))
    return name, labels, annotations


def _schema_for(
    api_version: str, kind: str, kinds: KindLookup, problems: list[Problem]
) -> tuple[Mapping[str, Any] | None, frozenset[str], KindSpec | None]:
    if api_version == CORE_API_VERSION:
        schema = CORE_SCHEMAS.get(kind)
        if schema is None:
            known = ", ".join(sorted(CORE_SCHEMAS))
            problems.append(
                Problem(f"unknown kind {kind!r} in {CORE_API_VERSION} (core kinds: {known})", ("kind",))
            )
            return None, frozenset(), None
        return schema, CORE_SENSITIVE.get(kind, frozenset()), None
    if not meta.API_VERSION.match(api_version):
        problems.append(
            Problem(
                f"unknown apiVersion {api_version!r}: "
                f"expected '<provider>.kedge.dev/v1' or '{CORE_API_VERSION}'",
                ("apiVersion",),
            )
        )
        return None, frozenset(), None
    kind_spec = kinds(api_version, kind)
    if kind_spec is None:
        problems.append(
            Problem(
                f"unknown apiVersion/kind {api_version} {kind}: no installed provider serves it; "
                "`kedge explain` lists the kinds available",
                ("kind",),
            )
        )
        return None, frozenset(), None
    return kind_spec.schema, kind_spec.sensitive, kind_spec


def _external_id(
    kind_spec: KindSpec, spec: Mapping[str, Any], annotations: Mapping[str, str], name: str
) -> str:
    field_name = kind_spec.identity_field
    if field_name:
        value = spec.get(field_name)
        if isinstance(value, str) and value:
            if field_name == "path" or field_name.endswith("Path"):
                return posixpath.normpath(value)
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return annotations.get("kedge.dev/external-name") or name
