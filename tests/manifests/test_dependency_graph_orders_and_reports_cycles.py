"""The dependency graph orders resources in layers and names every resource on a cycle."""

from __future__ import annotations

from typing import Any

from kedge.manifests import build_graph, load_text
from kedge.model import Reference, Resource, ResourceKey

from .conftest import FILE_API, dedent, errors, kinds


def res(name: str, *, refs: tuple[str, ...] = (), after: str = "", line: int = 1) -> Resource:
    """A File whose content refers to the named Files, and that depends on ``after``."""
    spec: dict[str, Any] = {"path": f"{name}.txt"}
    if refs:
        spec["parts"] = [{"text": Reference("File", r, "sha256")} for r in refs]
    annotations = {"kedge.dev/depends-on": after} if after else {}
    return Resource(
        ResourceKey(FILE_API, "File", name), spec, annotations=annotations, file="g.yaml", line=line
    )


def key(name: str) -> ResourceKey:
    return ResourceKey(FILE_API, "File", name)


def test_layers_put_each_resource_after_what_it_needs() -> None:
    resources = [
        res("c", refs=("b",)),
        res("b", refs=("a",)),
        res("a"),
        res("d", after="File/a"),
        res("e", refs=("c",), after="File/d"),
        res("lonely"),
    ]

    graph, diagnostics = build_graph(resources)

    assert diagnostics == []
    assert graph.order == [[key("a"), key("lonely")], [key("b"), key("d")], [key("c")], [key("e")]]
    assert graph.deps[key("e")] == frozenset({key("c"), key("d")})
    assert graph.deps[key("a")] == frozenset()
    assert graph.dependants(key("a")) == {key("b"), key("c"), key("d"), key("e")}
    assert graph.dependants(key("e")) == set()


def test_a_cycle_is_one_diagnostic_naming_its_resources_in_order() -> None:
    resources = [res("x"), res("a", refs=("b",), line=3), res("b", refs=("c",)), res("c", after="File/a")]

    graph, diagnostics = build_graph(resources)

    (d,) = diagnostics
    assert d.is_error
    assert "dependency cycle: File/a -> File/b -> File/c -> File/a" in d.message
    assert (d.file, d.line) == ("g.yaml", 3)
    assert graph.order[0] == [key("x")]
    assert sorted(graph.order[-1]) == [key("a"), key("b"), key("c")]


def test_each_separate_cycle_is_reported_once() -> None:
    resources = [
        res("a", refs=("b",)),
        res("b", refs=("a",)),
        res("self", refs=("self",)),
        res("p", after="File/q"),
        res("q", after="File/p"),
        res("behind", refs=("a",)),
    ]

    _, diagnostics = build_graph(resources)

    assert [d.message.split(";")[0] for d in diagnostics] == [
        "dependency cycle: File/a -> File/b -> File/a",
        "dependency cycle: File/self -> File/self",
        "dependency cycle: File/p -> File/q -> File/p",
    ]


def test_a_tangle_names_the_members_off_the_shortest_loop() -> None:
    resources = [res("a", refs=("b",)), res("b", refs=("a", "c")), res("c", refs=("b",))]

    _, diagnostics = build_graph(resources)

    (d,) = diagnostics
    assert "File/a -> File/b -> File/a" in d.message
    assert "also caught in it: File/c" in d.message


def test_a_missing_target_is_named_at_the_referring_resource() -> None:
    _, diagnostics = build_graph([res("a", refs=("ghost",), line=7), res("b", after="File/a,Thing/nope")])

    assert [(d.line, d.path, d.message.split(",")[0]) for d in diagnostics] == [
        (7, "spec.parts[0].text", "File/a refers to File/ghost"),
        (1, 'metadata.annotations["kedge.dev/depends-on"]', "File/b depends on Thing/nope"),
    ]


def test_a_cycle_in_manifests_is_reported_by_the_loader() -> None:
    text = dedent(
        """
        apiVersion: test.kedge.dev/v1
        kind: Thing
        metadata: {name: one}
        spec:
          ref: {fromResource: {kind: Thing, name: two, field: id}}
        ---
        apiVersion: test.kedge.dev/v1
        kind: Thing
        metadata:
          name: two
          annotations: {kedge.dev/depends-on: Thing/one}
        """
    )

    result = load_text(text, kinds, file="loop.yaml", env={})

    (d,) = errors(result)
    assert "dependency cycle: Thing/one -> Thing/two -> Thing/one" in d.message
    assert (d.file, d.line) == ("loop.yaml", 1)
