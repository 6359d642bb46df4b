"""An app whose path is missing, a plain file, empty, or leaves the repository gets a clear answer."""

from __future__ import annotations

import pytest

from kedge.model import ConfigError, Severity
from kedge.sources import GitCache

from .conftest import Upstream, manifest


def test_missing_path_is_a_clear_error(upstream: Upstream, cache: GitCache) -> None:
    sha = upstream.commit({"apps/a.yaml": manifest("a")})
    repo = cache.source(upstream.url)
    with pytest.raises(ConfigError) as caught:
        repo.snapshot(repo.resolve("main"), "apps/payments")
    assert str(caught.value) == (
        f"source path 'apps/payments' does not exist at commit {sha[:12]}; "
        "check the app's path and the branch it follows"
    )


def test_path_below_a_file_is_missing(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"apps/a.yaml": manifest("a")})
    repo = cache.source(upstream.url)
    with pytest.raises(ConfigError, match="'apps/a.yaml' is a file"):
        repo.snapshot(repo.resolve("main"), "apps/a.yaml/x")


def test_path_naming_another_file_is_refused(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"apps/README.md": "hello", "apps/a.yaml": manifest("a")})
    repo = cache.source(upstream.url)
    with pytest.raises(ConfigError, match="not a \\*.yaml or \\*.yml file"):
        repo.snapshot(repo.resolve("main"), "apps/README.md")


def test_directory_without_manifests_is_reported(upstream: Upstream, cache: GitCache) -> None:
    upstream.commit({"apps/README.md": "nothing here", "other/a.yaml": manifest("a")})
    repo = cache.source(upstream.url)
    snapshot = repo.snapshot(repo.resolve("main"), "apps")
    assert snapshot.files == {}
    [diagnostic] = snapshot.diagnostics
    assert diagnostic.severity is Severity.WARNING
    assert "no *.yaml or *.yml files under 'apps'" in diagnostic.message


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../elsewhere", "leaves the repository"),
        ("apps/../../x", "leaves the repository"),
        ("/etc", "must be relative"),
        ("apps\\a", "backslashes"),
    ],
)
def test_paths_that_leave_the_repository_are_refused(
    upstream: Upstream, cache: GitCache, path: str, reason: str
) -> None:
    upstream.commit({"apps/a.yaml": manifest("a")})
    repo = cache.source(upstream.url)
    with pytest.raises(ConfigError, match=reason):
        repo.snapshot(repo.resolve("main"), path)
