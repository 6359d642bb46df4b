"""The dependency graph of an app's resources, and filling references with outputs.

Edges come from every ``fromResource`` reference in a spec and from the ``kedge.dev/depends-on``
annotation; both name the target by kind and ``metadata.name`` inside the same app. A third kind
of edge is inferred: a field the kind declares as a name reference (``KindSpec.name_refs``,
e.g. ``Grant.role``) whose plain value is the real name of a resource of the named kind in the
same app orders the two as well (a name that matches nothing refers to an object outside the
app and adds no edge). The graph
gives the order to apply in (layers: everything in a layer depends only on earlier layers;
deletes run in reverse) and reports what cannot be ordered: references to resources the app
does not define, and cycles, one diagnostic per cycle naming every resource on it.

It is pure computation: no I/O, and resources are read, never changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kedge.manifests.problems import FieldPath, format_path
from kedge.model import UNKNOWN, Diagnostic, KindSpec, Reference, Resource, ResourceKey, Secret

DEPENDS_ON = "kedge.dev/depends-on"
KindLookup = Callable[[str, str], KindSpec | None]


@dataclass(frozen=True)
class Graph:
    order: list[list[ResourceKey]]  # layers: layer n depends only on layers < n
    deps: Mapping[ResourceKey, frozenset[ResourceKey]]  # direct dependencies

    def dependants(self, key: ResourceKey) -> set[ResourceKey]:
        """Every resource that depends on ``key``, directly or not."""
        reverse: dict[ResourceKey, list[ResourceKey]] = {}
        for source, targets in self.deps.items():
            for target in targets:
                reverse.setdefault(target, []).append(source)
        out: set[ResourceKey] = set()
        todo = [key]
        while todo:
            for source in reverse.get(todo.pop(), ()):
                if source not in out:
                    out.add(source)
                    todo.append(source)
        out.discard(key)
        return out


def _references(value: Any, path: FieldPath, out: list[tuple[FieldPath, Reference]]) -> None:
    if isinstance(value, Reference):
        out.append((path, value))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if v.__class__ not in _LEAVES:
                _references(v, (*path, k), out)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            if v.__class__ not in _LEAVES:
                _references(v, (*path, i), out)


_LEAVES = frozenset({str, int, float, bool, type(None), Secret})


def _named(
    r: Resource, spec: KindSpec | None, by_real_name: Mapping[tuple[str, str, str], list[int]]
) -> list[int]:
    """Resources that ``r`` names by their real name in one of its kind's name-reference fields."""
    if spec is None or not spec.name_refs:
        return []
    out: list[int] = []
    for field_name, named in spec.name_refs.items():
        value = r.spec.get(field_name)
        names = value if isinstance(value, list | tuple) else [value]
        for kind in (named,) if isinstance(named, str) else named:
            for name in names:
                if isinstance(name, str):
                    out.extend(by_real_name.get((r.key.group, kind, name), ()))
    return out


def references_in(value: Any) -> list[tuple[FieldPath, Reference]]:
    """Every ``fromResource`` reference in a resolved spec, with its path in the spec."""
    found: list[tuple[FieldPath, Reference]] = []
    _references(value, (), found)
    return found


def build_graph(
    resources: Sequence[Resource],
    *,
    also_defined: Iterable[ResourceKey] = (),
    kinds: KindLookup | None = None,
) -> tuple[Graph, list[Diagnostic]]:
    """The graph of ``resources``. ``also_defined``: keys of documents that failed validation,
    which exist as far as references are concerned (so one error is not reported twice).
    ``kinds`` gives each kind's name-reference fields (no inferred edges without it)."""
    # Internally resources are numbered in input order: no hashing of keys in the hot loops.
    by_name: dict[tuple[str, str], list[int]] = {}
    by_real_name: dict[tuple[str, str, str], list[int]] = {}
    for i, r in enumerate(resources):
        by_name.setdefault((r.key.kind, r.key.name), []).append(i)
        by_real_name.setdefault((r.key.group, r.key.kind, r.external_id or r.key.name), []).append(i)
    specs: dict[tuple[str, str], KindSpec | None] = {}
    known = {(k.kind, k.name) for k in also_defined}
    diagnostics: list[Diagnostic] = []
    edges: list[list[int]] = []
    for i, r in enumerate(resources):
        if kinds is not None:
            where = (r.key.api_version, r.key.kind)
            if where not in specs:
                specs[where] = kinds(*where)
            targets = [t for t in _named(r, specs[where], by_real_name) if t != i]
        else:
            targets = []
        refs: list[tuple[FieldPath, Reference]] = []
        _references(r.spec, ("spec",), refs)
        wanted = [(p, (ref.kind, ref.name)) for p, ref in refs]
        if DEPENDS_ON in r.annotations:
            wanted += [(("metadata", "annotations", DEPENDS_ON), kn) for kn in r.depends_on]
        if not wanted:
            edges.append(sorted(set(targets)) if targets else [])
            continue
        for path, (kind, name) in wanted:
            found = by_name.get((kind, name))
            if found:
                targets.extend(found)
            elif (kind, name) not in known:
                how = "depends on" if path[0] == "metadata" else "refers to"
                diagnostics.append(
                    Diagnostic.error(
                        f"{r.key} {how} {kind}/{name}, which this app does not define; "
                        f"add a {kind} named {name!r} or fix the name",
                        r.file,
                        r.line,
                        format_path(path),
                    )
                )
        edges.append(sorted(set(targets)) if targets else [])
    for cycle, others in _cycles(edges):
        first = resources[cycle[0]]
        text = " -> ".join(str(resources[i].key) for i in [*cycle, cycle[0]])
        extra = f" (also caught in it: {', '.join(str(resources[i].key) for i in others)})" if others else ""
        diagnostics.append(
            Diagnostic.error(
                f"dependency cycle: {text}{extra}; remove a fromResource or depends-on to break it",
                first.file,
                first.line,
            )
        )
    keys = [r.key for r in resources]
    none: frozenset[ResourceKey] = frozenset()
    deps = {
        keys[i]: frozenset(keys[t] for t in targets) if targets else none for i, targets in enumerate(edges)
    }
    order = [[keys[i] for i in layer] for layer in _layers(edges)]
    return Graph(order, deps), diagnostics


def _cycles(edges: Sequence[Sequence[int]]) -> list[tuple[list[int], list[int]]]:
    """One (cycle, other members) per strongly connected component that loops (Tarjan, iterative)."""
    n = len(edges)
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    counter = 0
    out: list[tuple[list[int], list[int]]] = []
    for start in range(n):
        if index[start] >= 0:
            continue
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack[start] = True
        work: list[tuple[int, Iterator[int]]] = [(start, iter(edges[start]))]
        while work:
            node, successors = work[-1]
            advanced = False
            for nxt in successors:
                if index[nxt] < 0:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack[nxt] = True
                    work.append((nxt, iter(edges[nxt])))
                    advanced = True
                    break
                if on_stack[nxt]:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[int] = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges[node]:
                    members = set(component)
                    cycle = _loop_through(min(members), members, edges)
                    out.append((cycle, sorted(members - set(cycle))))
    out.sort(key=lambda item: item[0][0])
    return out


def _loop_through(start: int, members: set[int], edges: Sequence[Sequence[int]]) -> list[int]:
    """The shortest path start -> ... -> start inside the component (breadth first)."""
    came_from: dict[int, int] = {}
    frontier = [start]
    while frontier:
        following: list[int] = []
        for node in frontier:
            for nxt in edges[node]:
                if nxt not in members:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return list(reversed(path))
                if nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    return [start]


def _layers(edges: Sequence[Sequence[int]]) -> list[list[int]]:
    """Kahn's algorithm by levels. Resources on or behind a cycle go last, in one layer."""
    waiting = [len(targets) for targets in edges]
    dependants: list[list[int]] = [[] for _ in edges]
    for source, targets in enumerate(edges):
        for target in targets:
            dependants[target].append(source)
    layer = [i for i, n in enumerate(waiting) if n == 0]
    layers: list[list[int]] = []
    placed = 0
    while layer:
        layers.append(layer)
        placed += len(layer)
        following: list[int] = []
        for i in layer:
            for source in dependants[i]:
                waiting[source] -= 1
                if waiting[source] == 0:
                    following.append(source)
        layer = sorted(following)
    if placed < len(edges):
        layers.append([i for i, n in enumerate(waiting) if n > 0])
    return layers


def resolve_references(
    spec: Mapping[str, Any],
    outputs: Mapping[ResourceKey | tuple[str, str], Mapping[str, Any]],
) -> Mapping[str, Any]:
    """``spec`` with each Reference replaced by the output it names, or UNKNOWN if not known yet.

    ``outputs`` is keyed by ResourceKey or by (kind, name). A field may be dotted
    (``endpoint.address``) to reach inside a structured output.
    """
    by_name: dict[tuple[str, str], Mapping[str, Any]] = {}
    for key, values in outputs.items():
        if isinstance(key, ResourceKey):
            by_name[(key.kind, key.name)] = values
        else:
            by_name[(key[0], key[1])] = values
    result = _fill(spec, by_name)
    return result if isinstance(result, Mapping) else dict(spec)


def _fill(value: Any, outputs: Mapping[tuple[str, str], Mapping[str, Any]]) -> Any:
    if isinstance(value, Reference):
        current: Any = outputs.get((value.kind, value.name))
        for part in value.field.split("."):
            if not isinstance(current, Mapping) or part not in current:
                return UNKNOWN
            current = current[part]
        return current
    if isinstance(value, Mapping):
        return {k: _fill(v, outputs) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fill(v, outputs) for v in value]
    return value
