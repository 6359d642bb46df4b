"""Git sources: resolve refs, fetch into a shared cache, verify signatures, read trees safely.

    cache = GitCache(Path(".kedge/git"))
    repo = cache.source("https://git.example.com/org/infra.git", Credentials(token=token))
    head = repo.remote_head("main")            # cheap: no fetch, no process
    if head != last_seen:
        commit = repo.resolve("main")          # fetches only what the cache lacks
        forced = last_seen is not None and not repo.is_ancestor(last_seen, commit)
        result = repo.verify(commit, VerifyPolicy.from_spec(app_spec["source"].get("verify")))
        snapshot = repo.snapshot(commit, "apps/payments")   # regular *.yaml blobs only

URLs and refs are checked before git sees them (``kedge.sources.locations``); trees are read
from the object database, never checked out, so a symlink in a repository is never followed.
"""

from kedge.sources.cache import GitCache
from kedge.sources.credentials import Credentials
from kedge.sources.local import LocalSources, local_path
from kedge.sources.locations import Location, check_ref, is_sha, parse_url
from kedge.sources.repo import CommitInfo, GitRepo, SourceStats
from kedge.sources.snapshot import MAX_FILE_BYTES, MAX_SNAPSHOT_BYTES, Snapshot
from kedge.sources.verify import VerifyPolicy, VerifyResult

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_SNAPSHOT_BYTES",
    "CommitInfo",
    "Credentials",
    "GitCache",
    "GitRepo",
    "LocalSources",
    "Location",
    "Snapshot",
    "SourceStats",
    "VerifyPolicy",
    "VerifyResult",
    "check_ref",
    "is_sha",
    "local_path",
    "parse_url",
]
