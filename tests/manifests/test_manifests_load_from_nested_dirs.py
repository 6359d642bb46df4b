"""A directory of manifests loads into resources: nested dirs, both extensions, several documents."""

from __future__ import annotations

from pathlib import Path

from kedge.manifests import load_path
from kedge.model import Reference, ResourceKey, Secret

from .conftest import FILE_API, THING_API, file_doc, kinds


def test_documents_of_every_file_load_in_sorted_path_order(write, tmp_path: Path) -> None:
    write("b.yaml", file_doc("b", "b.txt"))
    write("a.yml", file_doc("a1", "a1.txt") + "---\n" + file_doc("a2", "a2.txt"))
    write("sub/deeper/c.yaml", file_doc("c", "c.txt"))
    write("sub/a.yaml", file_doc("s", "s.txt"))
    write("notes.txt", "apiVersion: not a manifest\n")
    write("README.md", "# app\n")

    result = load_path(tmp_path / "app", kinds, env={})

    assert result.ok, result.diagnostics
    assert [(r.key.name, r.file) for r in result.resources] == [
        ("a1", "a.yml"),
        ("a2", "a.yml"),
        ("b", "b.yaml"),
        ("s", "sub/a.yaml"),
        ("c", "sub/deeper/c.yaml"),
    ]
    second = result.resources[1]
    assert second.line == 1 + file_doc("a1", "x").count("\n") + 1  # after the '---' line
    assert result.root == (tmp_path / "app").resolve()


def test_hidden_directories_and_files_are_skipped(write, tmp_path: Path) -> None:
    write("a.yaml", file_doc("a", "a.txt"))
    write(".git/config.yaml", "not: [valid")
    write(".kedge/state.yaml", file_doc("hidden", "h.txt"))
    write("sub/.draft.yaml", file_doc("draft", "d.txt"))

    result = load_path(tmp_path / "app", kinds, env={})

    assert result.ok, result.diagnostics
    assert [r.key.name for r in result.resources] == ["a"]


def test_a_resource_carries_what_the_engine_needs(write, tmp_path: Path) -> None:
    write(
        "app.yaml",
        """
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata:
          name: motd
          labels: {team: ops}
          annotations:
            kedge.dev/deletion-policy: Orphan
            example.com/owner: ops
        spec:
          path: etc/./motd
          content: hello
        ---
        apiVersion: test.kedge.dev/v1
        kind: Thing
        metadata:
          name: t
          annotations:
            kedge.dev/external-name: thing-one
            kedge.dev/depends-on: File/motd
        spec:
          ref: {fromResource: {kind: File, name: motd, field: sha256}}
          count: 3
        """,
    )

    result = load_path(tmp_path / "app", kinds, env={})

    assert result.ok, result.diagnostics
    motd, thing = result.resources
    assert motd.key == ResourceKey(FILE_API, "File", "motd")
    assert motd.spec == {"path": "etc/./motd", "content": "hello", "mode": "0644"}  # default filled
    assert motd.raw_spec == motd.spec
    assert motd.external_id == "etc/motd"  # identity field, normalised
    assert motd.labels == {"team": "ops"}
    assert motd.deletion_policy.value == "Orphan"
    assert motd.annotations["example.com/owner"] == "ops"
    assert (motd.file, motd.line) == ("app.yaml", 1)

    assert thing.key == ResourceKey(THING_API, "Thing", "t")
    assert thing.external_id == "thing-one"
    assert thing.spec["ref"] == Reference("File", "motd", "sha256")
    assert thing.raw_spec["ref"] == {"fromResource": {"kind": "File", "name": "motd", "field": "sha256"}}
    assert thing.depends_on == (("File", "motd"),)
    assert thing.line == 13
    assert result.graph.order == [[motd.key], [thing.key]]


def test_a_single_file_loads_relative_to_its_directory(write) -> None:
    path = write("one.yaml", file_doc("a", "a.txt") + "---\n" + file_doc("b", "b.txt"))

    result = load_path(path, kinds, env={})

    assert result.ok, result.diagnostics
    assert result.root == path.parent.resolve()
    assert [(r.key.name, r.file) for r in result.resources] == [("a", "one.yaml"), ("b", "one.yaml")]


def test_empty_documents_and_comment_only_files_are_ignored(write, tmp_path: Path) -> None:
    write("a.yaml", "---\n# nothing yet\n---\n" + file_doc("a", "a.txt") + "---\n")
    write("b.yaml", "# only a comment\n")
    write("c.yaml", "")

    result = load_path(tmp_path / "app", kinds, env={})

    assert result.ok, result.diagnostics
    assert [(r.key.name, r.line) for r in result.resources] == [("a", 4)]


def test_core_documents_are_kept_apart_from_resources(write, tmp_path: Path) -> None:
    write(
        "providers.yaml",
        """
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {name: default}
        spec:
          provider: postgres
          settings:
            dsn: {fromEnv: PG_DSN}
        ---
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {name: files}
        spec: {provider: local, settings: {root: /srv}}
        """,
    )
    write("f.yaml", file_doc("a", "a.txt"))

    result = load_path(tmp_path / "app", kinds, env={"PG_DSN": "postgresql://u:pw@db/app"})

    assert result.ok, result.diagnostics
    assert [r.key.name for r in result.resources] == ["a"]
    configs = result.provider_configs()
    assert sorted(configs) == ["default", "files"]
    dsn = configs["default"].spec["settings"]["dsn"]
    assert isinstance(dsn, Secret) and dsn.reveal() == "postgresql://u:pw@db/app"
    assert configs["files"].spec == {"provider": "local", "settings": {"root": "/srv"}}
    assert (configs["files"].file, configs["files"].line) == ("providers.yaml", 9)


def test_a_missing_path_is_a_diagnostic(tmp_path: Path) -> None:
    result = load_path(tmp_path / "nowhere", kinds, env={})

    assert not result.ok
    assert "does not exist" in result.diagnostics[0].message
