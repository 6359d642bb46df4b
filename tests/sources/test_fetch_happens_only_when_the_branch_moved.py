"""``resolve`` fetches only when the remote head is a commit the cache does not hold yet."""

from __future__ import annotations

import pytest

from kedge.model import ConfigError
from kedge.sources import GitCache

from .conftest import Upstream, cached_commits, manifest


def test_unchanged_branch_is_not_fetched_again(upstream: Upstream, cache: GitCache) -> None:
    first = upstream.commit({"a.yaml": manifest("a")})
    repo = cache.source(upstream.url)

    assert repo.resolve("main") == first
    assert repo.stats.fetches == 1
    for _ in range(3):
        assert repo.resolve("main") == first
    assert repo.stats.fetches == 1
    assert repo.stats.remote_head_calls == 4


def test_moved_branch_is_fetched_once(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"a.yaml": manifest("a")})
    repo = cache.source(upstream.url)
    repo.resolve("main")

    second = upstream.commit({"a.yaml": manifest("b")})
    assert repo.resolve("main") == second
    assert repo.resolve("main") == second
    assert repo.stats.fetches == 2
    assert cached_commits(cache) == 2


def test_fetch_returns_the_fetched_commit(upstream: Upstream, cache: GitCache) -> None:
    first = upstream.commit({"a.yaml": manifest("a")})
    upstream.tag("v1", first)
    second = upstream.commit({"a.yaml": manifest("b")})
    repo = cache.source(f"file://{upstream.path}")
    assert repo.fetch("main") == second
    assert repo.fetch("v1") == first
    assert repo.fetch("HEAD") == second


def test_a_commit_id_is_fetched_only_when_missing(upstream: Upstream, cache: GitCache) -> None:
    first = upstream.commit({"a.yaml": manifest("a")})
    upstream.commit({"a.yaml": manifest("b")})
    repo = cache.source(upstream.url)
    assert repo.resolve(first) == first
    assert repo.stats.fetches == 1
    assert repo.resolve(first) == first
    assert repo.stats.fetches == 1


def test_an_unknown_commit_id_is_a_clear_error(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"a.yaml": manifest("a")})
    missing = "0" * 39 + "1"
    with pytest.raises(ConfigError, match=f"commit {missing} is not in"):
        cache.source(upstream.url).resolve(missing)
