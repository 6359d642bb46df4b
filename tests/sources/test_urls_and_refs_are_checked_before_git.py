"""Repository URLs and refs are checked before git sees them; refused ones are ConfigErrors."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from kedge.model import ConfigError
from kedge.sources import GitCache, check_ref, parse_url

from .conftest import Upstream, manifest

REFUSED_URLS = [
    ("ext::sh -c touch% /tmp/pwned", "transport helpers", "runs a command"),
    ("fd::17", "transport helpers", "talks over a file descriptor"),
    ("--upload-pack=touch /tmp/pwned", "starts with '-'", "read as an option"),
    ("-oProxyCommand=x", "starts with '-'", "read as an option"),
    ("ssh://-oProxyCommand=x/repo", "host name", "option as a host"),
    ("ssh://-user@host/repo", "user name", "option as a user"),
    ("git@-host:org/repo", "host name", "scp-like with an option host"),
    ("https://host/--upload-pack=x", "start with '-'", "option as a path segment"),
    ("http://git.example.com/org/repo.git", "plain http", "credentials in clear"),
    ("git://git.example.com/org/repo.git", "not allowed", "unauthenticated protocol"),
    ("ftp://git.example.com/repo", "not allowed", "unknown scheme"),
    ("https://user:hunter2@git.example.com/repo.git", "credentials may not be written", "password in URL"),
    ("https://git.example.com/repo\n.git", "control characters", "newline"),
    ("https://git.example.com/repo\x00", "control characters", "NUL"),
    ("relative/path", "use https://", "relative local path"),
    ("file://otherhost/srv/repo", "local path", "file URL on another host"),
    ("https://git.example.com/", "path is missing", "no repository"),
    ("https://git.example.com/repo?x=1", "no query", "query string"),
    ("", "empty", "nothing"),
]


@pytest.mark.parametrize(("url", "why", "reason"), REFUSED_URLS, ids=[r[2] for r in REFUSED_URLS])
def test_refused_urls(url: str, why: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=why):
        parse_url(url, env={})


def test_refused_url_text_hides_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_url("https://user:hunter2@git.example.com/repo.git", env={})
    assert "hunter2" not in str(caught.value)
    assert "credentials may not be written in the URL" in str(caught.value)


ACCEPTED_URLS = [
    ("https://git.example.com/org/repo.git", "https", "https://git.example.com/org/repo"),
    ("https://GIT.example.com:8443/org/repo/", "https", "https://git.example.com:8443/org/repo"),
    ("ssh://git@git.example.com:2222/org/repo.git", "ssh", "ssh://git@git.example.com:2222/org/repo"),
    ("git@git.example.com:org/repo.git", "ssh", "ssh://git@git.example.com/org/repo"),
    ("file:///srv/git/repo.git", "file", "file:///srv/git/repo.git"),
    ("/srv/git/./repo.git/", "file", "file:///srv/git/repo.git"),
]


@pytest.mark.parametrize(("url", "scheme", "key"), ACCEPTED_URLS)
def test_accepted_urls(url: str, scheme: str, key: str) -> None:
    location = parse_url(url, env={})
    assert (location.scheme, location.key) == (scheme, key)
    assert location.is_local == (scheme == "file")


def test_plain_http_only_when_allowed() -> None:
    url = "http://127.0.0.1:8080/org/repo.git"
    assert parse_url(url, env={"KEDGE_ALLOW_INSECURE_HTTP": "1"}).scheme == "http"
    with pytest.raises(ConfigError):
        parse_url(url, env={"KEDGE_ALLOW_INSECURE_HTTP": "yes"})


REFUSED_REFS = [
    ("--upload-pack=touch /tmp/pwned", "starts with '-'"),
    ("-b", "starts with '-'"),
    ("main..other", "'..'"),
    ("main\n", "control characters"),
    ("my branch", "' '"),
    ("main~1", "'~'"),
    ("main^", "'\\^'"),
    ("a:b", "':'"),
    ("what?", "'\\?'"),
    ("glob*", "'\\*'"),
    ("x[1]", "'\\['"),
    ("back\\slash", "'\\\\\\\\'"),
    ("main@{1}", "'@\\{'"),
    ("@", "'@\\{'"),
    ("branch.lock", "'.lock'"),
    ("refs/heads/x.lock/y", "'.lock'"),
    ("trailing/", "ends with"),
    ("trailing.", "ends with"),
    ("a//b", "empty component"),
    ("/abs", "empty component"),
    ("refs/.hidden", "starts with '.'"),
    ("", "empty"),
    ("x" * 300, "longer than"),
]


@pytest.mark.parametrize(("ref", "why"), REFUSED_REFS)
def test_refused_refs(ref: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        check_ref(ref)


@pytest.mark.parametrize(
    "ref",
    [
        "main",
        "release/1.2",
        "refs/heads/main",
        "refs/tags/v1.0.0",
        "HEAD",
        "v1.0-rc.1",
        "a" * 40,
        "feature_x",
    ],
)
def test_accepted_refs(ref: str) -> None:
    assert check_ref(ref) == ref


def test_bad_ref_never_reaches_git(
    upstream: Upstream, cache: GitCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream.commit({"a.yaml": manifest("a")})
    repo = cache.source(upstream.url)
    calls: list[str] = []
    original = pygit2.Repository.__init__

    def spy(self: pygit2.Repository, *args: object, **kwargs: object) -> None:
        calls.append("open")
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pygit2.Repository, "__init__", spy)
    bad = "--upload-pack=touch /tmp/pwned"
    for call in (repo.remote_head, repo.fetch, repo.resolve, repo.commit_info):
        with pytest.raises(ConfigError, match="starts with '-'"):
            call(bad)
    with pytest.raises(ConfigError):
        repo.snapshot(bad, "")
    with pytest.raises(ConfigError):
        repo.is_ancestor("main", bad)
    assert calls == []
    assert repo.stats.remote_head_calls == 0 and repo.stats.fetches == 0
    assert not cache.root.exists()


def test_bad_url_creates_nothing(tmp_path: Path) -> None:
    cache = GitCache(tmp_path / "cache")
    with pytest.raises(ConfigError, match="transport helpers"):
        cache.source("ext::sh -c id")
    assert len(cache) == 0
    assert not cache.root.exists()


@pytest.mark.parametrize(
    "url", ["https://u:pa/ss@host/r.git", "https://u:p@ss@host/r.git", "ssh://u:hunter2@host/r"]
)
def test_odd_passwords_in_refused_urls_are_hidden(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_url(url, env={})
    secret = url.split("://")[1].rsplit("@", 1)[0].split(":", 1)[1]
    assert secret not in str(caught.value)
