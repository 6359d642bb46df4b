"""An unreachable remote or refused credentials give a clear error that shows no credential."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest

from kedge.model import KedgeError, ProviderError, TemporaryError
from kedge.sources import Credentials, GitCache
from kedge.sources.credentials import AuthRefused, Callbacks

from .conftest import Upstream, cached_commits, manifest
from .git_http import GitHttpServer

TOKEN = "ghp_s3cr3tT0kenValue"
PASSPHRASE = "correct horse battery"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GitHttpServer, Upstream]]:
    monkeypatch.setenv("KEDGE_ALLOW_INSECURE_HTTP", "1")
    upstream = Upstream(tmp_path / "srv" / "infra.git")
    with GitHttpServer(tmp_path / "srv", TOKEN) as server:
        yield server, upstream


def _no_secret(exc: BaseException) -> str:
    text = str(exc)
    assert TOKEN not in text and PASSPHRASE not in text
    assert TOKEN not in repr(exc.args)
    return text


def test_missing_local_repository_is_temporary(cache: GitCache, tmp_path: Path) -> None:
    repo = cache.source(f"file://{tmp_path}/nonexistent")
    with pytest.raises(TemporaryError) as caught:
        repo.remote_head("main")
    assert f"reading the refs of {tmp_path}/nonexistent failed" in str(caught.value)
    with pytest.raises(TemporaryError, match="fetching from"):
        repo.fetch("main")


def test_unreachable_https_server_is_temporary(cache: GitCache) -> None:
    repo = cache.source("https://127.0.0.1:1/x.git", Credentials(token=TOKEN))
    with pytest.raises(TemporaryError) as caught:
        repo.remote_head("main")
    text = _no_secret(caught.value)
    assert text.startswith("listing the refs of https://127.0.0.1:1/x.git failed:")
    assert "connect" in text.lower()


def test_unreachable_ssh_server_is_temporary(cache: GitCache, tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("not used")
    repo = cache.source("ssh://git@127.0.0.1:1/x.git", Credentials(ssh_key=str(key), passphrase=PASSPHRASE))
    with pytest.raises(TemporaryError) as caught:
        repo.remote_head("main")
    _no_secret(caught.value)
    assert "ssh://git@127.0.0.1:1/x.git" in str(caught.value)


def test_token_reaches_the_server_and_the_branch_is_read(
    served: tuple[GitHttpServer, Upstream], cache: GitCache
) -> None:
    server, upstream = served
    first = upstream.commit({"apps/a.yaml": manifest("a")})
    repo = cache.source(server.url("infra.git"), Credentials(token=TOKEN))

    assert repo.remote_head("main") == first
    assert repo.stats.remote_lists == 1
    assert cached_commits(cache) == 0  # listed, not fetched
    assert any(ok for _, _, ok in server.seen)

    assert repo.resolve("main") == first
    assert repo.snapshot(first, "apps").files == {"a.yaml": manifest("a").encode()}
    second = upstream.commit({"apps/a.yaml": manifest("b")})
    assert repo.resolve("main") == second
    assert repo.is_ancestor(first, second)
    assert repo.stats.fetches == 2


def test_wrong_token_is_refused_without_showing_it(
    served: tuple[GitHttpServer, Upstream], cache: GitCache
) -> None:
    server, upstream = served
    upstream.commit({"a.yaml": manifest("a")})
    repo = cache.source(server.url("infra.git"), Credentials(token=TOKEN + "-wrong"))
    with pytest.raises(ProviderError) as caught:
        repo.remote_head("main")
    assert not caught.value.temporary
    text = str(caught.value)
    assert TOKEN + "-wrong" not in text and TOKEN not in text
    assert "refused the token" in text and "check the source's credentials" in text
    assert server.seen and not any(ok for _, _, ok in server.seen)


def test_missing_credentials_are_named(served: tuple[GitHttpServer, Upstream], cache: GitCache) -> None:
    server, upstream = served
    upstream.commit({"a.yaml": manifest("a")})
    with pytest.raises(ProviderError, match="asks for credentials and none are configured"):
        cache.source(server.url("infra.git")).fetch("main")


def test_token_never_appears_in_the_repository_repr(cache: GitCache) -> None:
    repo = cache.source("https://git.example.com/org/repo.git", Credentials(username="bot", token=TOKEN))
    assert TOKEN not in repr(repo) and TOKEN not in repr(repo.credentials)


def test_errors_are_kedge_errors(cache: GitCache, tmp_path: Path) -> None:
    with pytest.raises(KedgeError):
        cache.source(f"{tmp_path}/nothing").resolve("main")


def test_ssh_key_is_offered_once(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("private")
    (tmp_path / "id_ed25519.pub").write_text("public")
    callbacks = Callbacks(Credentials(ssh_key=str(key), passphrase=PASSPHRASE))
    types = pygit2.enums.CredentialType
    assert callbacks.credentials("ssh://h/r", None, types.USERNAME).credential_tuple == ("git",)
    offered = callbacks.credentials("ssh://deploy@h/r", "deploy", types.SSH_KEY)
    assert offered.credential_tuple == ("deploy", f"{key}.pub", str(key), PASSPHRASE)
    with pytest.raises(AuthRefused, match="refused the ssh key"):
        callbacks.credentials("ssh://deploy@h/r", "deploy", types.SSH_KEY)
