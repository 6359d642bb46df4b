"""Symlinks and submodules in a repository are skipped with a diagnostic, never followed."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from kedge.model import ConfigError, Severity
from kedge.sources import GitCache

from .conftest import Gitlink, Link, Upstream, manifest


def test_symlink_to_a_file_outside_is_skipped(upstream: Upstream, cache: GitCache, tmp_path: Path) -> None:
    outside = tmp_path / "secret.yaml"
    outside.write_text("password: hunter2\n")
    upstream.commit({"apps/a.yaml": manifest("a"), "apps/leak.yaml": Link(str(outside))})
    repo = cache.source(upstream.url)
    snapshot = repo.snapshot(repo.resolve("main"), "apps")

    assert list(snapshot.files) == ["a.yaml"]
    assert all(b"hunter2" not in data for data in snapshot.files.values())
    [diagnostic] = snapshot.diagnostics
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.file == "apps/leak.yaml"
    assert "symlink" in diagnostic.message and "never followed" in diagnostic.message


def test_symlinked_directory_is_skipped(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"apps/a.yaml": manifest("a"), "apps/etc": Link("/etc"), "apps/up": Link("../..")})
    repo = cache.source(upstream.url)
    snapshot = repo.snapshot(repo.resolve("main"), "apps")
    assert list(snapshot.files) == ["a.yaml"]
    assert sorted(d.file for d in snapshot.diagnostics) == ["apps/etc", "apps/up"]


def test_app_path_through_a_symlink_is_refused(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"real/a.yaml": manifest("a"), "apps": Link("/etc")})
    repo = cache.source(upstream.url)
    with pytest.raises(ConfigError, match="goes through the symlink 'apps'"):
        repo.snapshot(repo.resolve("main"), "apps/x")
    with pytest.raises(ConfigError, match="symlink"):
        repo.snapshot(repo.resolve("main"), "apps")


def test_submodule_is_skipped(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"apps/a.yaml": manifest("a"), "apps/vendor": Gitlink("1" * 40)})
    repo = cache.source(upstream.url)
    snapshot = repo.snapshot(repo.resolve("main"), "apps")
    assert list(snapshot.files) == ["a.yaml"]
    [diagnostic] = snapshot.diagnostics
    assert diagnostic.file == "apps/vendor" and "submodule" in diagnostic.message


def test_crafted_entry_names_cannot_leave_the_snapshot(
    upstream: Upstream, cache: GitCache, tmp_path: Path
) -> None:
    # Git's own tools refuse to build such a tree; a hostile server can still send one.
    odb = upstream.repo.odb
    blob = upstream.repo.create_blob(manifest("evil").encode())
    entries = [(b"..", blob), (b"ok.yaml", upstream.repo.create_blob(manifest("ok").encode()))]
    raw = b"".join(b"100644 " + name + b"\0" + oid.raw for name, oid in sorted(entries))
    tree = odb.write(pygit2.enums.ObjectType.TREE, raw)
    sig = pygit2.Signature("x", "x@example.com", 1, 0)
    oid = upstream.repo.create_commit("refs/heads/main", sig, sig, "crafted", tree, [])

    repo = cache.source(upstream.url)
    snapshot = repo.snapshot(repo.resolve("main"), "")
    assert snapshot.commit == str(oid)
    assert list(snapshot.files) == ["ok.yaml"]
    assert [d.file for d in snapshot.diagnostics] == [".."]
    dest = snapshot.materialise(tmp_path / "out")
    assert [p.name for p in dest.iterdir()] == ["ok.yaml"]
