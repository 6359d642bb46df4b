"""Apps that follow one repository share one ``GitRepo`` and one bare cache directory."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from kedge.sources import Credentials, GitCache

from .conftest import Upstream, manifest


def test_same_url_gives_the_same_object(upstream: Upstream, cache: GitCache) -> None:
    assert cache.source(upstream.url) is cache.source(upstream.url)
    assert cache.source(upstream.url) is cache.source(f"file://{upstream.path}")
    assert cache.source(upstream.url) is cache.source(str(upstream.path) + "/")


def test_spellings_of_one_remote_share_a_cache() -> None:
    cache = GitCache(Path("/nonexistent-cache"))
    a = cache.source("https://Git.Example.com/org/repo.git")
    assert cache.source("https://git.example.com/org/repo") is a
    assert cache.source("https://git.example.com/org/repo.git/") is a
    assert cache.source("https://git.example.com/org/other.git") is not a
    assert cache.source("git@git.example.com:org/repo.git") is cache.source(
        "ssh://git@git.example.com/org/repo"
    )
    assert len(cache) == 3


def test_cache_directory_is_named_by_the_normalised_url(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"a.yaml": manifest("a")})
    cache.source(upstream.url).resolve("main")
    expected = hashlib.sha256(f"file://{upstream.path}".encode()).hexdigest()
    assert [p.name for p in cache.root.iterdir()] == [expected]


def test_two_apps_on_two_paths_fetch_once(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"one/a.yaml": manifest("a"), "two/b.yaml": manifest("b")})
    first, second = cache.source(upstream.url), cache.source(upstream.url)
    one = first.snapshot(first.resolve("main"), "one")
    two = second.snapshot(second.resolve("main"), "two")
    assert list(one.files) == ["a.yaml"] and list(two.files) == ["b.yaml"]
    assert first.stats.fetches == 1


def test_concurrent_callers_get_one_object(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"a.yaml": manifest("a")})
    seen: list[object] = []
    shas: list[str] = []

    def work() -> None:
        repo = cache.source(upstream.url)
        seen.append(repo)
        shas.append(repo.resolve("main"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(r) for r in seen}) == 1
    assert len(set(shas)) == 1
    assert seen[0].stats.fetches == 1  # type: ignore[attr-defined]


def test_newer_credentials_replace_older_ones(cache: GitCache) -> None:
    url = "https://git.example.com/org/repo.git"
    repo = cache.source(url, Credentials(token="old-token"))
    cache.source(url)
    assert repo.credentials == Credentials(token="old-token")
    cache.source(url, Credentials(token="new-token"))
    assert repo.credentials == Credentials(token="new-token")
    assert "new-token" not in repr(repo.credentials)
