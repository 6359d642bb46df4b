"""``fromResource`` on a claim: read the claim's outputs, which its composed resources provide.

    resources, problems = point_at_composed(resources, outputs)

A Definition's outputs are expressions over the composed resources; for each claim the expander
gives every output either as a value known when rendering or as a reference to a composed
resource's output (``${bucket.outputs.arn}``). A resource that reads
``{fromResource: {kind: ObjectStore, name: invoices, field: arn}}`` is pointed at the composed
bucket instead, which also orders it after the bucket. Pure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from kedge.manifests.graph import references_in
from kedge.manifests.problems import FieldPath, format_path
from kedge.model import Diagnostic, Resource

# (claim kind, claim name) -> output name -> a value, or a Reference to a composed resource
ClaimOutputs = Mapping[tuple[str, str], Mapping[str, Any]]


def point_at_composed(
    resources: Sequence[Resource], outputs: ClaimOutputs
) -> tuple[list[Resource], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    out: list[Resource] = []
    for resource in resources:
        wanted = [(p, r) for p, r in references_in(resource.spec) if (r.kind, r.name) in outputs]
        if not wanted:
            out.append(resource)
            continue
        spec: Any = resource.spec
        for path, ref in wanted:
            claim = outputs[(ref.kind, ref.name)]
            if ref.field not in claim:
                listed = ", ".join(sorted(claim)) or "none"
                problems.append(
                    Diagnostic.error(
                        f"{resource.key} reads output {ref.field!r} of {ref.kind}/{ref.name}, which its "
                        f"Definition does not declare (outputs: {listed})",
                        resource.file,
                        resource.line,
                        format_path(("spec", *path)),
                    )
                )
                continue
            spec = _replace(spec, path, claim[ref.field])
        out.append(dataclasses.replace(resource, spec=spec))
    return out, problems


def _replace(value: Any, path: FieldPath, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, Mapping):
        return {**value, head: _replace(value[head], rest, new)}
    items = list(value)
    items[int(head)] = _replace(items[int(head)], rest, new)
    return items
