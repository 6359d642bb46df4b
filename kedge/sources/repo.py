"""One git repository as a source: its remote heads, a bare cache, and snapshots of its trees.

The controller polls with ``remote_head`` (cheap: the remote's advertised refs, no fetch, no
process) and fetches only when the head is a commit the cache does not hold yet; ``resolve``
does exactly that. For a local path or ``file://`` the remote's refs are read directly from
its ref database. Everything fetched lands in one bare repository per URL, under
``refs/kedge/<the remote's ref name>``; nothing is ever checked out.

Errors: a bad ref is a ``ConfigError`` (raised before git sees it); a remote that cannot be
reached is a ``TemporaryError``; refused credentials are a ``ProviderError`` that is not
temporary. No message carries a token, a passphrase or the user-info part of a URL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pygit2

from kedge.model import ConfigError, ProviderError, TemporaryError
from kedge.sources.credentials import AuthRefused, Callbacks, Credentials, scrub
from kedge.sources.locations import Location, check_ref, is_sha
from kedge.sources.snapshot import Snapshot, read_snapshot
from kedge.sources.verify import VerifyPolicy, VerifyResult, verify_commit

LOCAL_PREFIX = "refs/kedge/"
_AUTH_WORDS = ("authentication", "401", "403", "unauthorized", "permission denied", "credentials")


@dataclass
class SourceStats:
    """Counters the controller and the benchmark read: how often each costly step ran."""

    remote_head_calls: int = 0
    remote_lists: int = 0  # network ref advertisements (list_heads)
    fetches: int = 0
    snapshots: int = 0


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    author: str  # "Name <email>"
    message: str  # first line
    time: datetime


def _candidates(ref: str) -> list[str]:
    """Remote ref names tried for ``ref``, in order: a branch wins over a tag of the same name."""
    if ref == "HEAD" or ref.startswith("refs/"):
        return [ref]
    return [f"refs/heads/{ref}", f"refs/tags/{ref}"]


class GitRepo:
    """A remote repository and its cache. Thread-safe: one lock serialises its git calls."""

    def __init__(self, location: Location, cache_dir: Path, credentials: Credentials | None = None) -> None:
        self.location = location
        self.url = location.url
        self.cache_dir = Path(cache_dir)
        self.credentials = credentials
        self.stats = SourceStats()
        self._lock = threading.RLock()
        self._cache: pygit2.Repository | None = None
        self._upstream: pygit2.Repository | None = None
        self._names: dict[str, str] = {}  # ref as asked -> the remote's full ref name

    def __repr__(self) -> str:
        return f"GitRepo({self.display_url!r})"

    @property
    def display_url(self) -> str:
        return scrub(self.url, self.credentials)

    # --- the remote -------------------------------------------------------------------

    def remote_head(self, ref: str) -> str:
        """The commit ``ref`` names on the remote now, without fetching anything."""
        check_ref(ref)
        with self._lock:
            self.stats.remote_head_calls += 1
            if is_sha(ref):
                return ref
            if self.location.local_path is not None:
                name, sha = self._local_head(ref)
            else:
                name, sha = self._advertised_head(ref)
            self._names[ref] = name
            return sha

    def _local_head(self, ref: str) -> tuple[str, str]:
        with self._git_errors("reading the refs of"):
            upstream = self._open_upstream()
            for name in _candidates(ref):
                found = upstream.references.get(name)
                if found is not None:
                    return found.resolve().name, str(found.peel(pygit2.Commit).id)
        raise self._no_such_ref(ref)

    def _open_upstream(self) -> pygit2.Repository:
        path = self.location.local_path
        if path is None or not Path(path).exists():
            # An open handle would keep answering from memory after the repository is gone.
            self._upstream = None
            raise TemporaryError(f"reading the refs of {self.display_url} failed: no repository at that path")
        if self._upstream is None:
            self._upstream = pygit2.Repository(path, pygit2.enums.RepositoryOpenFlag.NO_SEARCH)
        return self._upstream

    def _advertised_head(self, ref: str) -> tuple[str, str]:
        self.stats.remote_lists += 1
        with self._git_errors("listing the refs of"):
            remote = self._open_cache().remotes.create_anonymous(self.url)
            heads = remote.list_heads(callbacks=Callbacks(self.credentials))
        advertised: dict[str, str] = {h.name: str(h.oid) for h in heads if h.name}
        symrefs: Mapping[str, str] = {h.name: h.symref_target for h in heads if h.name and h.symref_target}
        for name in _candidates(ref):
            # An annotated tag is advertised twice; "name^{}" is the commit it points to.
            sha = advertised.get(name + "^{}") or advertised.get(name)
            if sha is not None:
                return symrefs.get(name, name), sha
        raise self._no_such_ref(ref)

    def _no_such_ref(self, ref: str) -> ConfigError:
        return ConfigError(
            f"ref {ref!r} is neither a branch nor a tag of {self.display_url}; check the app's targetRevision"
        )

    # --- the cache --------------------------------------------------------------------

    def fetch(self, ref: str) -> str:
        """Fetch ``ref`` (a branch, tag, full ref name or commit id) into the cache; its commit."""
        check_ref(ref)
        with self._lock:
            self.stats.fetches += 1
            cache = self._open_cache()
            if is_sha(ref):
                return self._fetch_commit(cache, ref)
            names = [self._names[ref]] if ref in self._names else _candidates(ref)
            specs = [f"+{n}:{LOCAL_PREFIX}{n}" for n in names]
            self._fetch(cache, specs)
            for name in names:
                found = cache.references.get(LOCAL_PREFIX + name)
                if found is not None:
                    self._names[ref] = name
                    with self._git_errors("reading what was fetched from"):
                        return str(found.peel(pygit2.Commit).id)
        raise self._no_such_ref(ref)

    def _fetch_commit(self, cache: pygit2.Repository, sha: str) -> str:
        try:
            self._fetch(cache, [f"{sha}:{LOCAL_PREFIX}commits/{sha}"])
        except TemporaryError:
            # Servers may refuse a want for a bare commit id: fetch every branch and tag.
            everything = [f"+refs/{kind}/*:{LOCAL_PREFIX}refs/{kind}/*" for kind in ("heads", "tags")]
            self._fetch(cache, everything)
        if not self._has_commit(cache, sha):
            raise ConfigError(f"commit {sha} is not in {self.display_url}")
        return sha

    def _fetch(self, cache: pygit2.Repository, refspecs: list[str]) -> None:
        with self._git_errors("fetching from"):
            remote = cache.remotes.create_anonymous(self.url)
            remote.fetch(refspecs, callbacks=Callbacks(self.credentials))

    def resolve(self, ref: str) -> str:
        """The commit ``ref`` names now; fetched only when the cache does not hold it yet."""
        check_ref(ref)
        with self._lock:
            if is_sha(ref):
                return ref if self._has_commit(self._open_cache(), ref) else self.fetch(ref)
            sha = self.remote_head(ref)
            if self._has_commit(self._open_cache(), sha):
                return sha
            return self.fetch(ref)

    def _open_cache(self) -> pygit2.Repository:
        if self._cache is None:
            with self._git_errors("opening the cache of"):
                if (self.cache_dir / "HEAD").exists():
                    self._cache = pygit2.Repository(
                        str(self.cache_dir), pygit2.enums.RepositoryOpenFlag.NO_SEARCH
                    )
                else:
                    self.cache_dir.mkdir(parents=True, exist_ok=True)
                    self._cache = pygit2.init_repository(str(self.cache_dir), bare=True)
        return self._cache

    @staticmethod
    def _has_commit(cache: pygit2.Repository, sha: str) -> bool:
        try:
            kind, _ = cache.odb.read_header(sha)
        except (KeyError, ValueError, pygit2.GitError):
            return False
        return bool(kind == pygit2.enums.ObjectType.COMMIT)

    def _commit(self, sha: str) -> pygit2.Commit:
        sha = self.resolve(sha)
        obj = self._open_cache()[sha]
        if not isinstance(obj, pygit2.Commit):
            raise ConfigError(f"{sha} is not a commit")
        return obj

    # --- reading commits ----------------------------------------------------------------

    def snapshot(self, commit: str, path: str) -> Snapshot:
        """The manifests under ``path`` at ``commit``, read from the object database."""
        check_ref(commit)
        with self._lock:
            sha = self.resolve(commit)
            self.stats.snapshots += 1
            return read_snapshot(self._open_cache(), sha, path)

    def is_ancestor(self, old: str, new: str) -> bool:
        """Whether ``old`` is ``new`` or in its history. False after a force-push rewrote it."""
        check_ref(old)
        check_ref(new)
        with self._lock:
            new_sha = self.resolve(new)
            if not is_sha(old):
                old = self.resolve(old)
            if old == new_sha:
                return True
            cache = self._open_cache()
            # The cache holds the whole history of ``new``: an ``old`` it lacks is not in it.
            if not self._has_commit(cache, old):
                return False
            with self._git_errors("walking the history of"):
                return bool(cache.descendant_of(new_sha, old))

    def commit_info(self, sha: str) -> CommitInfo:
        check_ref(sha)
        with self._lock:
            commit = self._commit(sha)
            author = commit.author
            offset = timezone(timedelta(minutes=author.offset))
            return CommitInfo(
                sha=str(commit.id),
                author=f"{author.name} <{author.email}>",
                message=(commit.message.splitlines() or [""])[0],
                time=datetime.fromtimestamp(commit.commit_time, tz=offset).astimezone(UTC),
            )

    def verify(self, sha: str, policy: VerifyPolicy) -> VerifyResult:
        """Whether the commit is signed by a key the policy trusts (only then may it be applied)."""
        check_ref(sha)
        with self._lock:
            return verify_commit(self._commit(sha), policy)

    # --- errors -------------------------------------------------------------------------

    @contextmanager
    def _git_errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except AuthRefused as exc:
            raise ProviderError(
                f"{action} {self.display_url} failed: {exc}; check the source's credentials", temporary=False
            ) from None
        except (pygit2.GitError, KeyError, ValueError, OSError) as exc:
            text = scrub(str(exc).strip() or type(exc).__name__, self.credentials)
            if any(word in text.lower() for word in _AUTH_WORDS):
                message = f"{action} {self.display_url} failed: {text}; check the source's credentials"
                raise ProviderError(message, temporary=False) from None
            raise TemporaryError(f"{action} {self.display_url} failed: {text}") from None
