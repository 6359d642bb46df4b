"""A snapshot holds the app's ``*.yaml``/``*.yml`` blobs at a commit, read from git objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from kedge.manifests import load_path
from kedge.model import ConfigError, KindSpec
from kedge.sources import MAX_FILE_BYTES, GitCache

from .conftest import Upstream, manifest


def test_only_manifests_under_the_path_are_read(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit(
        {
            "apps/pay/a.yaml": manifest("a"),
            "apps/pay/nested/b.yml": manifest("b"),
            "apps/pay/README.md": "not a manifest",
            "apps/pay/.hidden.yaml": manifest("h"),
            "apps/pay/.github/workflow.yml": "on: push",
            "apps/other/c.yaml": manifest("c"),
            "top.yaml": manifest("t"),
        }
    )
    repo = cache.source(upstream.url)
    snapshot = repo.snapshot(repo.resolve("main"), "apps/pay")
    assert dict(snapshot.files) == {"a.yaml": manifest("a").encode(), "nested/b.yml": manifest("b").encode()}
    assert snapshot.diagnostics == []


@pytest.mark.parametrize("path", ["", ".", "./", "apps/..", "apps/../"])
def test_root_path_spellings_read_the_whole_tree(upstream: Upstream, cache: GitCache, path: str) -> None:
    upstream.commit({"apps/a.yaml": manifest("a"), "top.yaml": manifest("t")})
    repo = cache.source(upstream.url)
    assert sorted(repo.snapshot(repo.resolve("main"), path).files) == ["apps/a.yaml", "top.yaml"]


def test_a_path_may_name_one_manifest_file(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"apps/a.yaml": manifest("a"), "apps/b.yaml": manifest("b")})
    repo = cache.source(upstream.url)
    assert dict(repo.snapshot(repo.resolve("main"), "apps/b.yaml").files) == {
        "b.yaml": manifest("b").encode()
    }


def test_older_commits_keep_their_content(upstream: Upstream, cache: GitCache) -> None:
    first = upstream.commit({"a.yaml": manifest("a")})
    second = upstream.commit({"a.yaml": manifest("b")})
    repo = cache.source(upstream.url)
    repo.resolve("main")
    assert repo.snapshot(first, "").files["a.yaml"] == manifest("a").encode()
    assert repo.snapshot(second, "").files["a.yaml"] == manifest("b").encode()
    assert repo.snapshot("main", "").commit == second


def test_a_file_over_the_limit_is_refused_by_name(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"apps/big.yaml": b"#" * (MAX_FILE_BYTES + 1), "apps/a.yaml": manifest("a")})
    repo = cache.source(upstream.url)
    with pytest.raises(ConfigError, match=r"apps/big\.yaml .* over the 2 MiB limit"):
        repo.snapshot(repo.resolve("main"), "apps")


def test_a_snapshot_over_the_total_limit_is_refused(upstream: Upstream, cache: GitCache) -> None:
    chunk = b"#" * (MAX_FILE_BYTES - 10)
    # Distinct blobs: the sizes add up even though git would store equal ones once.
    upstream.commit({f"f{i:02}.yaml": chunk + str(i).encode() for i in range(11)})
    repo = cache.source(upstream.url)
    with pytest.raises(ConfigError, match=r"exceed 20 MiB \(limit reached at f10\.yaml\)"):
        repo.snapshot(repo.resolve("main"), "")


def test_materialised_snapshot_loads_like_a_directory(
    upstream: Upstream, cache: GitCache, tmp_path: Path
) -> None:
    upstream.commit({"apps/pay/a.yaml": manifest("a"), "apps/pay/sub/b.yaml": manifest("b")})
    repo = cache.source(upstream.url)
    snapshot = repo.snapshot(repo.resolve("main"), "apps/pay")
    dest = snapshot.materialise(tmp_path / "render")
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()) == [
        "a.yaml",
        "sub/b.yaml",
    ]

    file_kind = KindSpec("local.kedge.dev/v1", "File", {"type": "object"})
    result = load_path(dest, lambda api, kind: file_kind if kind == "File" else None)
    assert result.ok, result.diagnostics
    assert sorted(r.key.name for r in result.resources) == ["a", "b"]


def test_materialise_refuses_a_directory_in_use(upstream: Upstream, cache: GitCache, tmp_path: Path) -> None:
    upstream.commit({"a.yaml": manifest("a")})
    repo = cache.source(upstream.url)
    snapshot = repo.snapshot(repo.resolve("main"), "")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(ConfigError, match="not empty"):
        snapshot.materialise(tmp_path / "used")
