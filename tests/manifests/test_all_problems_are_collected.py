"""One load reports every problem of every file, not just the first, and keeps the good parts."""

from __future__ import annotations

from pathlib import Path

from kedge.manifests import load_path, load_text

from .conftest import dedent, errors, file_doc, kinds


def test_every_problem_in_every_file_is_reported(write, tmp_path: Path) -> None:
    write(
        "a.yaml",
        """
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata:
          name: one
        spec:
          path: one.txt
          mode: 644
          colour: red
        ---
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata:
          name: two
          annotations:
            kedge.dev/deletion-policy: Keep
        spec:
          content: {fromEnv: KEDGE_TEST_NOT_SET}
        """,
    )
    write("b.yaml", "apiVersion: local.kedge.dev/v1\nkind: [File\n")
    write("c.yaml", file_doc("good", "good.txt"))

    result = load_path(tmp_path / "app", kinds, env={})

    found = {(d.file, d.line, d.path) for d in errors(result)}
    assert found == {
        ("a.yaml", 7, "spec.mode"),
        ("a.yaml", 8, "spec.colour"),
        ("a.yaml", 15, 'metadata.annotations["kedge.dev/deletion-policy"]'),
        ("a.yaml", 16, "spec.path"),
        ("a.yaml", 17, "spec.content.fromEnv"),
        ("b.yaml", 3, None),
    }
    assert [r.key.name for r in result.resources] == ["good"]  # documents with errors are left out


def test_diagnostics_of_a_file_come_in_line_order() -> None:
    result = load_text(
        dedent(
            """
            apiVersion: local.kedge.dev/v1
            kind: File
            metadata:
              name: a
              annotations: {kedge.dev/adopt: maybe}
            spec:
              zeta: 1
              path: a.txt
              alpha: 2
            """
        ),
        kinds,
        env={},
    )

    lines = [d.line for d in result.diagnostics]
    assert lines == sorted(lines) and len(lines) == 3


def test_a_name_defined_twice_across_files_is_reported_at_the_second(write, tmp_path: Path) -> None:
    write("a.yaml", file_doc("same", "a.txt"))
    write("b.yaml", "# second\n" + file_doc("same", "b.txt"))
    write("c.yaml", file_doc("same", "c.txt").replace("local.kedge.dev/v1", "local.kedge.dev/v1"))

    result = load_path(tmp_path / "app", kinds, env={})

    dupes = errors(result)
    assert [(d.file, d.line, d.path) for d in dupes] == [
        ("b.yaml", 5, "metadata.name"),
        ("c.yaml", 4, "metadata.name"),
    ]
    assert all("duplicate File named 'same' (first defined at a.yaml:1)" in d.message for d in dupes)
    assert [r.file for r in result.resources] == ["a.yaml"]


def test_the_same_name_in_another_kind_is_fine() -> None:
    text = file_doc("x", "x.txt") + "---\napiVersion: test.kedge.dev/v1\nkind: Thing\nmetadata: {name: x}\n"

    result = load_text(text, kinds, env={})

    assert result.ok, result.diagnostics
    assert len(result.resources) == 2


def test_two_resources_managing_one_object_are_reported() -> None:
    text = file_doc("a", "etc/motd") + "---\n" + file_doc("b", "etc/./motd")

    result = load_text(text, kinds, env={})

    (error,) = errors(result)
    assert "File/b manages the same object as File/a ('etc/motd')" in error.message
    assert (error.line, error.path) == (14, "spec.path")


def test_a_reference_from_a_broken_document_is_still_checked() -> None:
    text = dedent(
        """
        apiVersion: test.kedge.dev/v1
        kind: Thing
        metadata: {name: t}
        spec:
          count: many
          ref: {fromResource: {kind: File, name: ghost, field: sha256}}
        """
    )

    result = load_text(text, kinds, env={})

    by_path = {d.path: d.message for d in errors(result)}
    assert sorted(by_path) == ["spec.count", "spec.ref"]
    assert "must be an integer" in by_path["spec.count"]
    assert "refers to File/ghost" in by_path["spec.ref"]


def test_a_reference_to_a_broken_document_is_not_called_missing() -> None:
    text = file_doc("a", "a.txt", "  mode: wrong\n") + dedent(
        """
        ---
        apiVersion: test.kedge.dev/v1
        kind: Thing
        metadata: {name: t}
        spec:
          ref: {fromResource: {kind: File, name: a, field: sha256}}
        """
    )

    result = load_text(text, kinds, env={})

    (error,) = errors(result)
    assert error.path == "spec.mode"
    assert [r.key.name for r in result.resources] == ["t"]


def test_an_unknown_kedge_annotation_is_a_warning_only() -> None:
    text = file_doc("a", "a.txt").replace(
        "  name: a\n", "  name: a\n  annotations: {kedge.dev/prune: 'no'}\n"
    )

    result = load_text(text, kinds, env={})

    assert result.ok
    (warning,) = result.diagnostics
    assert "unknown annotation 'kedge.dev/prune'" in warning.message
    assert warning.line == 5
