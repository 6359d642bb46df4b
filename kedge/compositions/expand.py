"""Expand claims into composed manifests: the loader's ``Expander`` for an app.

    expander = ClaimExpander(platform_documents, allow_declared=True)
    expansion = expander(claims, app_core_documents)   # .composed, .diagnostics, .outputs

Per claim: find its Definition, check the spec against the strict schema (defaults filled in),
choose a Composition (``kedge.dev/composition``, ``kedge.dev/composition-selector``, the
Definition's ``defaultComposition``, or the only one), then fill each template in order.
Composed manifests carry ``kedge.dev/claim: Kind/name``, ``kedge.dev/depends-on`` the composed
resources their expressions read (so they are created after them and deleted before them) and,
unless the template says otherwise, the claim's ``deletion-policy``, ``prevent-destroy`` and
``management-policy``.
A claim with an error composes nothing; the error names the claim's file and line and, for
an expression, the Composition's file and line too.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kedge.compositions.choose import choose
from kedge.compositions.platform import PLATFORM_KINDS, Composition, Definition, Platform, build_platform
from kedge.compositions.schemas import references, with_defaults
from kedge.compositions.templates import FillError, Hole
from kedge.manifests import ClaimDocument, ComposedDocument, CoreDocument, Expansion
from kedge.manifests.problems import FieldPath, Problem, to_diagnostic
from kedge.manifests.schema import validate
from kedge.model import Diagnostic, Reference
from kedge.model.resource import ANNOTATION_PREFIX, CLAIM_ANNOTATION

if TYPE_CHECKING:  # the CEL sandbox loads when a claim is expanded, not before
    from kedge.cel import Bindings, Clock, Expression, Result

PER_EVALUATION = 0.05  # CPU seconds, as for policy rules
MAX_CACHED = 50_000  # evaluation results kept (by the values each expression reads)
MAX_DECLARED = 64  # platforms of platform apps kept compiled
MAX_EXPANDED = 20_000  # claims whose expansion is kept for their readiness
Compiled = tuple[Platform, list[Diagnostic]]
INHERITED = ("deletion-policy", "prevent-destroy", "management-policy")
DEPENDS_ON = ANNOTATION_PREFIX + "depends-on"

# A composition function: the claim (as expressions see it) and the manifests composed so far,
# in; the manifests to add, out. Installed through the ``kedge.functions`` entry point group.
Function = Callable[[Mapping[str, Any], Sequence[Mapping[str, Any]]], Sequence[Mapping[str, Any]]]


class ClaimExpander:
    """Expands an app's claims with the platform's Definitions and Compositions (and its own)."""

    def __init__(
        self,
        platform: Sequence[CoreDocument] = (),
        *,
        allow_declared: bool = True,
        functions: Mapping[str, Function] | None = None,
        clock: Clock = time.thread_time,
    ) -> None:
        self.base = [d for d in platform if d.kind in PLATFORM_KINDS]
        self.allow_declared = allow_declared
        self.functions = dict(functions or {})
        self.clock = clock
        self._compiled: list[tuple[Platform, list[Diagnostic]]] = []  # shared with for_app copies
        self._results: dict[tuple[int, Any], Result] = {}  # shared too; keys hold id(expression)
        # Platforms of apps that declare their own, by the identity of the declaring documents.
        self._declared: dict[tuple[int, ...], tuple[tuple[CoreDocument, ...], Compiled]] = {}
        # The last expansions, by claim document: readiness reads them instead of filling again.
        self._expanded: dict[int, tuple[ClaimDocument, Platform, Expanded]] = {}

    def evaluate(self, expression: Expression, bindings: Bindings) -> Result:
        """The value of ``expression``; claims that agree on what it reads share one evaluation.

        A run that is stopped is tried once more: the CPU clock of the thread also counts a
        garbage collection that happened to run inside the evaluation.
        """
        from kedge.cel import evaluate_value

        key = (id(expression), expression.key(bindings.documents))
        cached = self._results.get(key)
        if cached is not None:
            return cached
        for _ in range(2):
            start = self.clock()
            result = evaluate_value(expression, bindings, start + PER_EVALUATION, self.clock)
            if not result.stopped:
                break
        if len(self._results) >= MAX_CACHED:
            self._results.clear()
        self._results[key] = result
        return result

    def for_app(self, allow_declared: bool) -> ClaimExpander:
        """The same platform, for an app that may (or may not) declare its own."""
        if allow_declared == self.allow_declared:
            return self
        other = copy.copy(self)
        other.allow_declared = allow_declared
        return other

    def platform(self, declared: Sequence[CoreDocument] = ()) -> tuple[Platform, list[Diagnostic]]:
        """The compiled platform; without declared documents, compiled once for every app.

        With an app's own documents, compiled once per rendering: readiness asks again for the
        same document objects and gets the same compiled platform.
        """
        if not declared:
            if not self._compiled:
                self._compiled.append(build_platform(self.base))
            return self._compiled[0]
        key = tuple(id(d) for d in declared)
        found = self._declared.get(key)
        if found is not None and all(a is b for a, b in zip(found[0], declared, strict=True)):
            return found[1]
        built = build_platform([*self.base, *declared])
        if len(self._declared) >= MAX_DECLARED:
            self._declared.clear()
        self._declared[key] = (tuple(declared), built)
        return built

    def __call__(self, claims: Sequence[ClaimDocument], core: Sequence[CoreDocument]) -> Expansion:
        declared = [d for d in core if d.kind in PLATFORM_KINDS]
        diagnostics: list[Diagnostic] = []
        if declared and not self.allow_declared:
            for doc in declared:
                diagnostics.append(
                    Diagnostic.error(
                        f"{doc.kind} {doc.name}: only a platform app may declare Definitions and "
                        "Compositions (an admin creates it with spec.platform: true)",
                        doc.file,
                        doc.line,
                    )
                )
            declared = []
        platform, problems = self.platform(declared)
        diagnostics.extend(problems)
        result = Expansion(diagnostics=diagnostics)
        for claim in claims:
            composed, outputs = self.expand(platform, claim, diagnostics)
            result.composed.extend(composed)
            if outputs:
                result.outputs[(claim.kind, claim.name)] = outputs
        return result

    def expand(
        self, platform: Platform, claim: ClaimDocument, out: list[Diagnostic]
    ) -> tuple[list[ComposedDocument], dict[str, Any]]:
        """One claim's composed manifests and outputs; on an error, none (and the error in ``out``)."""
        expansion = self.prepare(platform, claim, out)
        if expansion is None:
            return [], {}
        problems = len(out)
        result = expansion.run(out)
        if len(out) == problems:  # kept for readiness, which asks about the same claim object
            if len(self._expanded) >= MAX_EXPANDED:
                self._expanded.clear()
            self._expanded[id(claim)] = (claim, platform, expansion.summary())
        return result

    def expanded(self, platform: Platform, claim: ClaimDocument) -> Expanded | None:
        """What ``claim`` (this very document, with this platform) composed, or None when it has
        an error. Kept from the rendering when there was one; else filled again."""
        kept = self._expanded.get(id(claim))
        if kept is not None and kept[0] is claim and kept[1] is platform:
            return kept[2]
        problems: list[Diagnostic] = []
        expansion = self.prepare(platform, claim, problems)
        if expansion is None:
            return None
        expansion.run(problems)
        return None if problems else expansion.summary()

    def prepare(self, platform: Platform, claim: ClaimDocument, out: list[Diagnostic]) -> _Expansion | None:
        """The Composition chosen for ``claim``, ready to fill; None on an error (in ``out``)."""
        definition = _definition(platform, claim, out)
        if definition is None or definition.kind in platform.broken:
            return None  # a broken Definition or Composition is reported where it is written
        holes = references(claim.spec)
        problems = validate(claim.spec, definition.strict_schema, holes=holes)
        if problems:
            out.extend(_claim_error(claim, p) for p in problems)
            return None
        chosen = choose(platform, definition, claim)
        if isinstance(chosen, Problem):
            out.append(_claim_error(claim, chosen))
            return None
        spec = with_defaults(dict(claim.spec), definition.schema)
        return _Expansion(self, chosen, claim, spec)


@dataclass(frozen=True)
class Expanded:
    """What one claim composed, kept small: its Composition, the claim as expressions see it,
    and each composed resource by id (apiVersion, kind, metadata)."""

    composition: Composition
    claim: Mapping[str, Any]
    composed: tuple[tuple[str, Mapping[str, Any]], ...]


class _Expansion:
    """The templates of one Composition filled for one claim."""

    def __init__(
        self, expander: ClaimExpander, composition: Composition, claim: ClaimDocument, spec: Any
    ) -> None:
        self.expander = expander
        self.composition = composition
        self.claim = claim
        view = {
            "apiVersion": claim.api_version,
            "kind": claim.kind,
            "metadata": {
                "name": claim.name,
                "labels": dict(claim.labels),
                "annotations": dict(claim.annotations),
            },
            "spec": spec,
        }
        self.documents: dict[str, Any] = {"claim": view}
        from kedge.cel import Bindings

        self.bindings = Bindings(self.documents)
        self.excluded: set[str] = set()
        self.composed: dict[str, ComposedDocument] = {}
        self._current: FieldPath = ("spec",)  # the field being filled, for error lines

    def run(self, out: list[Diagnostic]) -> tuple[list[ComposedDocument], dict[str, Any]]:
        try:
            for item in self.composition.resources:
                base: FieldPath = ("spec", "resources", item.index)
                self._current = base
                if item.include_when is not None and not self._include(
                    item.include_when, (*base, "includeWhen")
                ):
                    self.excluded.add(item.id)
                    continue
                gone = sorted(item.template.refs & self.excluded)
                if gone:
                    at = [h.path for h in item.template.holes if h.expression.variables & self.excluded]
                    raise FillError(
                        f"resource {item.id!r} reads {', '.join(gone)}, which includeWhen left out for this "
                        "claim; guard it with the same includeWhen, or read it only when it exists",
                        ("template", *(at[0] if at else ())),
                    )
                body = item.template.fill(self._evaluate, self._output)
                self._add(item.id, item.index, body, item.after)
            self._call_function()
            outputs = self._outputs()
        except FillError as err:
            out.append(self._error(str(err), err.path))
            return [], {}
        return list(self.composed.values()), outputs

    def summary(self) -> Expanded:
        heads = tuple(
            (resource_id, {k: doc.body[k] for k in ("apiVersion", "kind", "metadata")})
            for resource_id, doc in self.composed.items()
        )
        return Expanded(self.composition, self.documents["claim"], heads)

    def _outputs(self) -> dict[str, Any]:
        """The claim's outputs: values, or References to the composed resources' outputs."""
        self._current = ("spec",)
        outputs: dict[str, Any] = {}
        for name, template in self.composition.outputs.items():
            gone = sorted(template.refs & self.excluded)
            if gone:
                continue  # an output of a resource left out: the claim does not offer it
            outputs[name] = template.fill(self._evaluate, self._reference)
        return outputs

    def _reference(self, resource_id: str, field: str, path: FieldPath) -> Reference:
        body = self.composed[resource_id].body
        return Reference(body["kind"], body["metadata"]["name"], field)

    def _include(self, expression: Expression, path: FieldPath) -> bool:
        self._current = path[:-1]
        value = self._value(expression, ("includeWhen",))
        if not isinstance(value, bool):
            raise FillError(f"includeWhen must give true or false (it gave {value!r})", ("includeWhen",))
        return value

    def _evaluate(self, hole: Hole) -> Any:
        return self._value(hole.expression, ("template", *hole.path))

    def _value(self, expression: Expression, path: FieldPath) -> Any:
        if expression.path is not None:  # a plain field path: a lookup, nothing to cache
            from kedge.cel import read_path

            result = read_path(self.documents, expression.path)
        else:
            result = self.expander.evaluate(expression, self.bindings)
        if result.stopped:
            raise FillError(
                f"${{{expression.text}}} ran longer than {PER_EVALUATION * 1000:g} ms and was stopped", path
            )
        if result.error is not None:
            raise FillError(f"${{{expression.text}}} failed: {result.error}", path)
        return result.value

    def _output(self, resource_id: str, field: str, path: FieldPath) -> Any:
        target = self.composed.get(resource_id)
        if target is None:
            raise FillError(f"resource {resource_id!r} is not composed for this claim", ("template", *path))
        body = target.body
        return {"fromResource": {"kind": body["kind"], "name": body["metadata"]["name"], "field": field}}

    def _add(self, resource_id: str, index: int, body: Any, after: frozenset[str] = frozenset()) -> None:
        """Mark ``body`` with its claim and order it after the resources its expressions read."""
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("apiVersion"), str)
            or not isinstance(body.get("kind"), str)
        ):
            raise FillError("a template is a manifest with apiVersion, kind and metadata", ("template",))
        metadata = dict(body.get("metadata") or {})
        metadata.setdefault("name", f"{self.claim.name}-{resource_id}")
        annotations = dict(metadata.get("annotations") or {})
        for name in INHERITED:
            key = ANNOTATION_PREFIX + name
            if key in self.claim.annotations:
                annotations.setdefault(key, self.claim.annotations[key])
        annotations[CLAIM_ANNOTATION] = f"{self.claim.kind}/{self.claim.name}"
        reads = [self.documents[i] for i in sorted(after) if i in self.documents]
        if reads:
            written = [d.strip() for d in annotations.get(DEPENDS_ON, "").split(",") if d.strip()]
            needed = [f"{d['kind']}/{d['metadata']['name']}" for d in reads]
            annotations[DEPENDS_ON] = ",".join(dict.fromkeys([*written, *needed]))
        metadata["annotations"] = annotations
        body = {**body, "metadata": metadata}
        doc = self.composition.document
        base: FieldPath = ("spec", "resources", index, "template")
        self.composed[resource_id] = ComposedDocument(
            body, self.claim, self.composition.name, resource_id, doc.file, doc.lines, base, doc.line
        )
        self.documents[resource_id] = {
            "apiVersion": body["apiVersion"],
            "kind": body["kind"],
            "metadata": metadata,
            "spec": body.get("spec") or {},
        }

    def _call_function(self) -> None:
        name = self.composition.function
        if name is None:
            return
        function = self.expander.functions.get(name)
        if function is None:
            installed = ", ".join(sorted(self.expander.functions)) or "none"
            raise FillError(
                f"function {name!r} is not installed (kedge.functions entry points: {installed})", ()
            )
        try:
            added = function(self.documents["claim"], [c.body for c in self.composed.values()])
        except Exception as err:  # trusted code, but its failure is the claim's error, not a crash
            raise FillError(f"function {name!r} failed: {type(err).__name__}: {err}", ()) from None
        for number, body in enumerate(added):
            self._add(f"{name}-{number}", 0, dict(body))

    def _error(self, message: str, path: FieldPath) -> Diagnostic:
        where = self.composition.where((*self._current, *path))
        return Diagnostic.error(
            f"{self.claim.ref}: {message} (Composition {self.composition.name} at {where})",
            self.claim.file,
            self.claim.line,
        )


def _definition(platform: Platform, claim: ClaimDocument, out: list[Diagnostic]) -> Definition | None:
    found = platform.definitions.get(claim.kind)
    if found is not None and found.api_version == claim.api_version:
        return found
    if claim.kind in platform.broken:
        return None  # its Definition or Composition is wrong: already reported there
    if found is not None:
        message = f"{claim.kind} is defined as {found.api_version}; write apiVersion: {found.api_version}"
        out.append(_claim_error(claim, Problem(message, ("apiVersion",))))
        return None
    known = ", ".join(f"{d.api_version} {d.kind}" for d in platform.definitions.values()) or "none"
    message = (
        f"unknown kind {claim.kind} ({claim.api_version}): no Definition declares it (defined: {known}); "
        "a platform team declares Definitions in the server config, a platform app or --platform DIR"
    )
    out.append(_claim_error(claim, Problem(message, ("kind",))))
    return None


def _claim_error(claim: ClaimDocument, problem: Problem) -> Diagnostic:
    message = Problem(f"{claim.ref}: {problem.message}", problem.path, problem.severity)
    return to_diagnostic(message, claim.file, claim.lines(), claim.line)
