"""Compositions: a platform team's Definitions and Compositions, claimed by app teams.

    expander = ClaimExpander(platform_documents, allow_declared=True, functions=functions)
    result = load_path(path, kinds, expand=expander)      # claims become composed resources
    expansion = expander(claims, core_documents)          # or directly: manifests in, manifests out

Each ``ComposedDocument`` of an expansion holds the composed manifest (marked with its claim),
the claim it came from (file, line) and the Composition's file and line of its template; a
rendered ``Resource`` tells its claim with ``resource.claim``; ``claim_readiness`` tells whether
each claim is ready, by its Composition's ``readyWhen`` over what was observed.

Pure: manifests in, manifests out. A Definition declares a claim kind and the JSON Schema of
its spec; a Composition lists templates of manifests whose ``${...}`` are CEL expressions
over the claim and the other composed resources. Expansion gives each claim's composed
manifests, marked ``kedge.dev/claim: Kind/name`` and placed (claim file and line, Composition
file and line), or diagnostics. Reading files, entry points and providers is the caller's job.
"""

from kedge.compositions.expand import ClaimExpander, Function
from kedge.compositions.platform import (
    PLATFORM_KINDS,
    Composition,
    Definition,
    Platform,
    build_platform,
)
from kedge.compositions.readiness import Readiness, Seen, Waiting, claim_readiness

__all__ = [
    "PLATFORM_KINDS",
    "ClaimExpander",
    "Composition",
    "Definition",
    "Function",
    "Platform",
    "Readiness",
    "Seen",
    "Waiting",
    "build_platform",
    "claim_readiness",
]
