"""Load an app's manifests: files -> documents -> resources, with every problem reported.

    result = load_path(Path("apps/payments"), registry.kind_spec)
    if not result.ok:
        for d in result.diagnostics: print(d)

The result holds the provider resources in file order, the core documents (ProviderConfig,
Application, Policy, ServerConfig), the dependency graph, and the diagnostics of every step:
file limits, YAML, envelope, schema, secrets, duplicate names, missing references and cycles.
Nothing here talks to a provider; the caller passes the kind lookup.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kedge.manifests.claim_outputs import point_at_composed
from kedge.manifests.documents import (
    ClaimDocument,
    ComposedDocument,
    CoreDocument,
    Expansion,
    KindLookup,
    Lines,
    Outcome,
    read_document,
)
from kedge.manifests.files import MAX_FILE_BYTES, read_files
from kedge.manifests.graph import Graph, build_graph
from kedge.manifests.problems import FieldPath, Problem, format_path, to_diagnostic
from kedge.manifests.safe_yaml import RawDocument, Scalars, line_index, parse_documents
from kedge.manifests.values import Decrypter, ValueContext
from kedge.model import Diagnostic, KindSpec, Resource, ResourceKey
from kedge.model.diagnostics import has_errors

EXTERNAL_NAME = "kedge.dev/external-name"

# Claims and the app's core documents in; composed manifests, diagnostics and outputs out.
Expander = Callable[[Sequence[ClaimDocument], Sequence[CoreDocument]], Expansion]


@dataclass
class LoadResult:
    root: Path
    resources: list[Resource] = field(default_factory=list)  # provider resources, in file order
    core: list[CoreDocument] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # The graph of ``resources``; its diagnostics are already in ``diagnostics``.
    graph: Graph = field(default_factory=lambda: Graph([], {}))
    claims: list[ClaimDocument] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    def provider_configs(self) -> dict[str, CoreDocument]:
        return {d.name: d for d in self.core if d.kind == "ProviderConfig"}


def load_path(
    path: Path,
    kinds: KindLookup,
    *,
    env: Mapping[str, str] | None = None,
    resolve_secrets: bool = True,
    decrypt: Decrypter | None = None,
    confine_files: bool = True,
    expand: Expander | None = None,
) -> LoadResult:
    """Load a directory (``*.yaml``/``*.yml``, recursively) or a single file.

    ``fromFile`` reads only below the directory loaded (the root) unless ``confine_files`` is
    false, which only the server's own configuration file may use.
    ``expand``: documents of groups outside kedge.dev are claims; the expander turns them
    into composed manifests, which are read, checked and ordered with the rest.
    """
    root, files, diagnostics = read_files(Path(path))
    loader = _Loader(kinds, os.environ if env is None else env, resolve_secrets, decrypt, expand)
    loader.files_root = root if confine_files else None
    loader.diagnostics.extend(diagnostics)
    for f in files:
        loader.add_file(f.name, f.data, f.path.parent)
    return loader.finish(root)


def load_text(
    text: str,
    kinds: KindLookup,
    *,
    file: str = "<input>",
    env: Mapping[str, str] | None = None,
    resolve_secrets: bool = True,
    decrypt: Decrypter | None = None,
    base_dir: Path | None = None,
) -> LoadResult:
    """The same pipeline on a string. ``fromFile`` paths are relative to ``base_dir`` (cwd) and
    confined to it."""
    directory = Path.cwd() if base_dir is None else base_dir
    loader = _Loader(kinds, os.environ if env is None else env, resolve_secrets, decrypt)
    loader.files_root = directory
    data = text.encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        loader.diagnostics.append(
            Diagnostic.error(
                f"the text is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, "
                "the limit for a manifest file",
                file,
            )
        )
    else:
        loader.add_file(file, data, directory)
    return loader.finish(directory)


class _Loader:
    """Accumulates one app's documents and checks what spans files (names, identities)."""

    def __init__(
        self,
        kinds: KindLookup,
        env: Mapping[str, str],
        resolve_secrets: bool,
        decrypt: Decrypter | None,
        expand: Expander | None = None,
    ) -> None:
        self._kinds = kinds
        self.expand = expand
        self.claims: list[ClaimDocument] = []
        self._kind_cache: dict[tuple[str, str], KindSpec | None] = {}
        self.env = env
        self.resolve_secrets = resolve_secrets
        self.decrypt = decrypt
        self.diagnostics: list[Diagnostic] = []
        self.resources: list[Resource] = []
        self.core: list[CoreDocument] = []
        self.failed_keys: list[ResourceKey] = []
        self.drafts: list[Resource] = []  # every resource, drafts of failed documents included
        # (group, kind, name) -> where it was first defined
        self.defined: dict[tuple[str, str, str], _Place] = {}
        self.identities: dict[tuple[str, str, str, str], ResourceKey] = {}
        self.scalars = Scalars()
        self.files_root: Path | None = None  # where fromFile may read (None: anywhere)

    def kind(self, api_version: str, kind: str) -> KindSpec | None:
        """The caller's lookup, asked once per (apiVersion, kind) in a load."""
        try:
            return self._kind_cache[(api_version, kind)]
        except KeyError:
            spec = self._kind_cache[(api_version, kind)] = self._kinds(api_version, kind)
            return spec

    def add_file(self, name: str, data: bytes, directory: Path) -> None:
        docs, file_problems = parse_documents(data, self.scalars)
        found = [Diagnostic(fp.problem.severity, fp.problem.message, name, fp.line) for fp in file_problems]
        values = ValueContext(self.env, directory, self.decrypt, self.resolve_secrets, self.files_root)
        index = _LineIndex(data)
        for doc in docs:
            outcome = read_document(
                doc, name, self.kind, values, claims=self.expand is not None, lines=index.lines(doc.index)
            )
            duplicate = self._check_unique(outcome, (name, doc.line, None))
            if outcome.problems:
                doc_lines = index.lines(doc.index)()
                found.extend(to_diagnostic(p, name, doc_lines, doc.line) for p in outcome.problems)
            if outcome.resource is not None and not duplicate:
                self.drafts.append(outcome.resource)
            if outcome.failed:
                if outcome.key is not None:
                    self.failed_keys.append(outcome.key)
            elif outcome.resource is not None:
                self.resources.append(outcome.resource)
            elif outcome.core is not None:
                self.core.append(outcome.core)
            elif outcome.claim is not None:
                self.claims.append(outcome.claim)
        found.sort(key=lambda d: d.line or 0)
        self.diagnostics.extend(found)

    def add_composed(self, composed: ComposedDocument) -> None:
        """Read a claim's composed manifest; its problems point at the claim and the composition."""
        claim = composed.claim
        values = ValueContext(self.env, claim.directory, self.decrypt, self.resolve_secrets, self.files_root)
        doc = RawDocument(0, dict(composed.body), claim.line or 1)
        outcome = read_document(doc, claim.file, self.kind, values, composed=True)
        duplicate = self._check_unique(outcome, (claim.file, claim.line, composed))
        what = f"{outcome.key}" if outcome.key else "a composed resource"
        for problem in outcome.problems:
            path = format_path(problem.path)
            self.diagnostics.append(
                Diagnostic(
                    problem.severity,
                    f"{claim.ref} composes {what} ({composed.origin(problem.path)}): {problem.message}"
                    + (f" (at {path})" if path else ""),
                    claim.file,
                    claim.line,
                )
            )
        if outcome.resource is not None and not duplicate:
            self.drafts.append(outcome.resource)
        if outcome.failed:
            if outcome.key is not None:
                self.failed_keys.append(outcome.key)
        elif outcome.resource is not None:
            self.resources.append(outcome.resource)

    def _check_unique(self, outcome: Outcome, at: _Place) -> bool:
        """Report a second definition of a name or of a real-world object; True for a duplicate."""
        key = outcome.key
        if key is None:
            return False
        where = (key.group, key.kind, key.name)
        first = self.defined.get(where)
        if first is not None:
            outcome.problems.append(
                Problem(
                    f"duplicate {key.kind} named {key.name!r} (first defined at {_where(first)}); "
                    "names are unique per kind in an app",
                    ("metadata", "name"),
                )
            )
            return True
        self.defined[where] = at
        resource = outcome.resource
        if resource is None:
            return False
        identity = (key.group, resource.provider_config, key.kind, resource.external_id)
        other = self.identities.get(identity)
        if other is not None:
            outcome.problems.append(
                Problem(
                    f"{key} manages the same object as {other} ({resource.external_id!r}); "
                    "two resources cannot manage one object",
                    self._identity_path(resource),
                )
            )
        else:
            self.identities[identity] = key
        return False

    def _identity_path(self, resource: Resource) -> FieldPath:
        spec = self.kind(resource.key.api_version, resource.key.kind)
        if spec is not None and spec.identity_field and spec.identity_field in resource.spec:
            return ("spec", spec.identity_field)
        if EXTERNAL_NAME in resource.annotations:
            return ("metadata", "annotations", EXTERNAL_NAME)
        return ("metadata", "name")

    def finish(self, root: Path) -> LoadResult:
        if self.expand is not None and (self.claims or any(d.kind in _PLATFORM for d in self.core)):
            expansion = self.expand(self.claims, self.core)
            self.diagnostics.extend(expansion.diagnostics)
            for document in expansion.composed:
                self.add_composed(document)
            if expansion.outputs:
                self.resources, problems = point_at_composed(self.resources, expansion.outputs)
                self.drafts, _ = point_at_composed(self.drafts, expansion.outputs)
                self.diagnostics.extend(problems)
            # A claim exists as far as references go (its outputs were handled above).
            self.failed_keys.extend(ResourceKey(c.api_version, c.kind, c.name) for c in self.claims)
        graph, graph_diagnostics = build_graph(self.resources, also_defined=self.failed_keys, kinds=self.kind)
        if len(self.drafts) != len(self.resources):
            # Judge references from failed documents too; the graph itself holds valid ones only.
            _, graph_diagnostics = build_graph(self.drafts, also_defined=self.failed_keys, kinds=self.kind)
        return LoadResult(
            root=root,
            resources=self.resources,
            core=self.core,
            diagnostics=self.diagnostics + graph_diagnostics,
            graph=graph,
            claims=self.claims,
        )


_PLATFORM = frozenset({"Definition", "Composition"})


# Where a name was first defined: file, line, and the composed document when a claim made it.
_Place = tuple[str | None, int | None, ComposedDocument | None]


def _where(place: _Place) -> str:
    file, line, composed = place
    at = f"{file}:{line}" if line else str(file)
    if composed is None:
        return at
    return f"{at}, composed by {composed.claim.ref} from {composed.origin()}"


class _LineIndex:
    """A file's field lines, computed once and only when a problem or a claim asks for them."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._index: list[dict[FieldPath, int]] | None = None

    def lines(self, document: int) -> Lines:
        def get() -> Mapping[FieldPath, int]:
            if self._index is None:
                self._index = line_index(self._data)
            return self._index[document] if document < len(self._index) else {}

        return get
