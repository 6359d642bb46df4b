"""The resource graph's layout: each resource sits in a column to the right of everything it
depends on, statuses are kept (unknown ones shown as Unknown), edges join dependency to
dependant, and a cycle still draws."""

from __future__ import annotations

import pytest

from kedge.ui.graph import layout

CASES = [
    (
        "independent resources share the first column",
        [{"kind": "File", "name": "a"}, {"kind": "File", "name": "b"}],
        {"File/a": 0, "File/b": 0},
    ),
    (
        "a chain steps right",
        [
            {"kind": "VPC", "name": "v"},
            {"kind": "Subnet", "name": "s", "dependsOn": ["VPC/v"]},
            {"kind": "SecurityGroup", "name": "g", "dependsOn": ["Subnet/s"]},
        ],
        {"VPC/v": 0, "Subnet/s": 1, "SecurityGroup/g": 2},
    ),
    (
        "the longest chain decides the column",
        [
            {"kind": "A", "name": "x", "dependsOn": ["B/y", "C/z"]},
            {"kind": "B", "name": "y"},
            {"kind": "C", "name": "z", "dependsOn": ["B/y"]},
        ],
        {"A/x": 2, "B/y": 0, "C/z": 1},
    ),
    (
        "unknown dependencies are ignored",
        [{"kind": "File", "name": "a", "dependsOn": ["Directory/gone"]}],
        {"File/a": 0},
    ),
    (
        "a cycle is cut where it closes",
        [{"kind": "A", "name": "a", "dependsOn": ["B/b"]}, {"kind": "B", "name": "b", "dependsOn": ["A/a"]}],
        {"B/b": 0, "A/a": 1},
    ),
]


@pytest.mark.parametrize(("reason", "resources", "columns"), CASES, ids=[c[0] for c in CASES])
def test_columns_follow_dependencies(reason: str, resources: list[dict], columns: dict[str, int]) -> None:  # type: ignore[type-arg]
    graph = layout(resources)
    xs = sorted({n.x for n in graph.nodes})
    assert {n.id: xs.index(n.x) for n in graph.nodes} == columns, reason
    for node in graph.nodes:
        assert node.x >= 0 and node.x + 200 <= graph.width
        assert node.y >= 0 and node.y + 46 <= graph.height


def test_edges_join_dependency_to_dependant_and_statuses_are_kept() -> None:
    graph = layout(
        [
            {"kind": "Role", "name": "app", "status": "Synced"},
            {"kind": "Database", "name": "app", "status": "OutOfSync", "dependsOn": ["Role/app"]},
            {"kind": "Grant", "name": "g", "status": "Exploded", "dependsOn": ["Role/app", "Database/app"]},
        ]
    )
    assert {(e.source, e.target) for e in graph.edges} == {
        ("Role/app", "Database/app"),
        ("Role/app", "Grant/g"),
        ("Database/app", "Grant/g"),
    }
    assert {n.id: n.status for n in graph.nodes} == {
        "Role/app": "Synced",
        "Database/app": "OutOfSync",
        "Grant/g": "Unknown",
    }


def test_a_long_chain_needs_no_recursion() -> None:
    chain = [{"kind": "F", "name": str(i), "dependsOn": [f"F/{i - 1}"] if i else []} for i in range(5000)]
    graph = layout(chain)
    assert max(n.x for n in graph.nodes) > min(n.x for n in graph.nodes)
    assert len({n.x for n in graph.nodes}) == 5000
