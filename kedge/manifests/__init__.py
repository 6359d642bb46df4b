"""Manifests: load an app's YAML safely, validate it, resolve its values, order its resources.

    result = load_path(path, kinds)            # kinds: (apiVersion, kind) -> KindSpec | None
    result.resources, result.core, result.diagnostics, result.graph
    spec = resolve_references(resource.spec, outputs)   # at plan time and before apply

Limits (DESIGN section 5): 2 MiB per file, 20 MiB per app, nesting depth 64, no YAML aliases,
no symlinks out of the root. This package knows nothing of providers: the caller passes the
kind lookup.
"""

from kedge.manifests.core_schemas import CORE_API_VERSION, CORE_SCHEMAS
from kedge.manifests.documents import (
    ClaimDocument,
    ComposedDocument,
    CoreDocument,
    Expansion,
    KindLookup,
    Lines,
)
from kedge.manifests.files import MAX_APP_BYTES, MAX_FILE_BYTES
from kedge.manifests.graph import Graph, build_graph, resolve_references
from kedge.manifests.loader import Expander, LoadResult, load_path, load_text
from kedge.manifests.safe_yaml import MAX_DEPTH
from kedge.manifests.values import Decrypter

__all__ = [
    "CORE_API_VERSION",
    "CORE_SCHEMAS",
    "MAX_APP_BYTES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "ClaimDocument",
    "ComposedDocument",
    "CoreDocument",
    "Decrypter",
    "Expander",
    "Expansion",
    "Graph",
    "KindLookup",
    "Lines",
    "LoadResult",
    "build_graph",
    "load_path",
    "load_text",
    "resolve_references",
]
