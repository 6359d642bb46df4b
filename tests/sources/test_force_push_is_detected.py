"""A branch rewritten by a force-push: its new head does not descend from the last one seen."""

from __future__ import annotations

from kedge.sources import GitCache

from .conftest import Upstream, manifest


def test_fast_forward_keeps_ancestry(upstream: Upstream, cache: GitCache) -> None:
    first = upstream.commit({"a.yaml": manifest("a")})
    repo = cache.source(upstream.url)
    repo.resolve("main")
    second = upstream.commit({"a.yaml": manifest("b")})
    new = repo.resolve("main")
    assert new == second
    assert repo.is_ancestor(first, new)
    assert repo.is_ancestor(new, new)
    assert not repo.is_ancestor(new, first)


def test_force_push_is_not_a_descendant(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"a.yaml": manifest("a")})
    repo = cache.source(upstream.url)
    seen = repo.resolve("main")

    rewritten = upstream.force({"a.yaml": manifest("x")})
    new = repo.resolve("main")
    assert new == rewritten
    assert not repo.is_ancestor(seen, new)


def test_force_push_is_detected_after_the_cache_was_lost(upstream: Upstream, tmp_path) -> None:
    upstream.commit({"a.yaml": manifest("a")})
    seen = GitCache(tmp_path / "cache-1").source(upstream.url).resolve("main")
    upstream.force({"a.yaml": manifest("x")})

    fresh = GitCache(tmp_path / "cache-2").source(upstream.url)
    assert not fresh.is_ancestor(seen, fresh.resolve("main"))


def test_commit_info_describes_the_commit(upstream: Upstream, cache: GitCache) -> None:
    sha = upstream.commit({"a.yaml": manifest("a")}, message="Add a\n\nlonger text")
    info = cache.source(upstream.url).commit_info(sha)
    assert info.sha == sha
    assert info.author == "Ada Lovelace <ada@example.com>"
    assert info.message == "Add a"
    assert info.time.timestamp() == 1_700_000_000
