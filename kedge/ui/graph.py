"""Lay out an app's resource graph for the web UI: columns by dependency layer, left to right.

A resource's layer is the length of the longest chain of dependencies below it, so everything
it depends on sits in a column to its left and every edge points rightwards. Within a column
resources keep the order the control plane gave. Pure: resources in, coordinates out; the
template draws the SVG. A dependency cycle (refused by validation, but a graph must still draw)
is cut where it closes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NODE_W = 200
NODE_H = 46
GAP_X = 70
GAP_Y = 16
PAD = 8
STATUSES = ("Synced", "OutOfSync", "Missing", "Failed", "Unknown")


@dataclass(frozen=True)
class Node:
    id: str  # "Kind/name"
    kind: str
    name: str
    status: str  # one of STATUSES
    x: int
    y: int
    depends_on: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.name if len(self.name) <= 24 else self.name[:23] + "…"

    @property
    def anchor(self) -> str:
        """The id of the resource's row in the table below the graph."""
        return "res-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in self.id)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    path: str  # SVG path data, a curve from the dependency's right edge to the dependant's left


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int


def layout(resources: Sequence[Mapping[str, Any]]) -> Graph:
    items: dict[str, Mapping[str, Any]] = {}
    for r in resources:
        items.setdefault(f"{r.get('kind', '')}/{r.get('name', '')}", r)
    deps = {
        rid: tuple(d for d in (r.get("dependsOn") or ()) if isinstance(d, str) and d in items and d != rid)
        for rid, r in items.items()
    }
    layers = _layers(deps)
    rows: dict[int, int] = {}
    nodes: dict[str, Node] = {}
    for rid, r in items.items():
        column = layers[rid]
        row = rows.get(column, 0)
        rows[column] = row + 1
        status = str(r.get("status", "Unknown"))
        nodes[rid] = Node(
            id=rid,
            kind=str(r.get("kind", "")),
            name=str(r.get("name", "")),
            status=status if status in STATUSES else "Unknown",
            x=PAD + column * (NODE_W + GAP_X),
            y=PAD + row * (NODE_H + GAP_Y),
            depends_on=deps[rid],
        )
    edges = tuple(_edge(nodes[d], nodes[rid]) for rid in nodes for d in deps[rid])
    width = PAD * 2 + (max(layers.values(), default=0) + 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + max(rows.values(), default=1) * (NODE_H + GAP_Y) - GAP_Y
    return Graph(tuple(nodes.values()), edges, width, height)


def _layers(deps: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Longest dependency chain below each resource (depth-first, without recursion)."""
    layers: dict[str, int] = {}
    for start in deps:
        if start in layers:
            continue
        stack = [(start, iter(deps[start]))]
        on_path = {start}
        while stack:
            rid, pending = stack[-1]
            for dep in pending:
                if dep not in layers and dep not in on_path:  # on the path: a cycle, cut here
                    stack.append((dep, iter(deps[dep])))
                    on_path.add(dep)
                    break
            else:
                stack.pop()
                on_path.discard(rid)
                layers[rid] = 1 + max((layers[d] for d in deps[rid] if d in layers), default=-1)
    return layers


def _edge(dep: Node, node: Node) -> Edge:
    x1, y1 = dep.x + NODE_W, dep.y + NODE_H // 2
    x2, y2 = node.x - 4, node.y + NODE_H // 2
    bend = (x2 - x1) // 2
    return Edge(dep.id, node.id, f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}")
