"""``remote_head`` reads the remote's refs: it fetches nothing and starts no process."""

from __future__ import annotations

import subprocess

import pytest

from kedge.model import ConfigError
from kedge.sources import GitCache

from .conftest import Upstream, cached_commits, manifest


def test_local_path_head_is_read_without_fetching(upstream: Upstream, cache: GitCache) -> None:
    first = upstream.commit({"app/a.yaml": manifest("a")})
    repo = cache.source(upstream.url)

    assert repo.remote_head("main") == first
    assert repo.stats.remote_head_calls == 1
    assert repo.stats.fetches == 0
    assert cached_commits(cache) == 0

    second = upstream.commit({"app/a.yaml": manifest("b")})
    assert repo.remote_head("main") == second
    assert repo.remote_head("refs/heads/main") == second
    assert repo.stats.fetches == 0


def test_file_url_head_is_read_without_fetching(upstream: Upstream, cache: GitCache) -> None:
    first = upstream.commit({"a.yaml": manifest("a")})
    repo = cache.source(f"file://{upstream.path}")
    assert repo.remote_head("main") == first
    assert cached_commits(cache) == 0


def test_tags_resolve_to_their_commit(upstream: Upstream, cache: GitCache) -> None:
    first = upstream.commit({"a.yaml": manifest("a")})
    upstream.tag("v1", first, annotated=True)
    upstream.tag("light", first, annotated=False)
    upstream.commit({"a.yaml": manifest("b")})
    repo = cache.source(upstream.url)
    assert repo.remote_head("v1") == first
    assert repo.remote_head("light") == first
    assert repo.remote_head("refs/tags/v1") == first


def test_head_follows_the_default_branch(upstream: Upstream, cache: GitCache) -> None:
    first = upstream.commit({"a.yaml": manifest("a")})
    assert cache.source(upstream.url).remote_head("HEAD") == first


def test_a_commit_id_is_its_own_head(upstream: Upstream, cache: GitCache) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert cache.source(upstream.url).remote_head(sha) == sha


def test_a_missing_branch_is_named(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"a.yaml": manifest("a")})
    with pytest.raises(ConfigError, match="'nope' is neither a branch nor a tag"):
        cache.source(upstream.url).remote_head("nope")


def test_polling_starts_no_process(
    upstream: Upstream, cache: GitCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream.commit({"a.yaml": manifest("a")})
    repo = cache.source(upstream.url)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process was started")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    for _ in range(5):
        repo.remote_head("main")
    repo.resolve("main")
    assert repo.stats.remote_head_calls == 6
