"""Which apps a git push webhook is about: the pushed repository's URLs against each app's
``repoURL`` (scheme, credentials, ``.git`` and ``git@host:`` forms set aside), and the pushed
ref against its ``targetRevision``. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedge.controller.spec import AppSpec


def matches(payload: Mapping[str, Any], spec: AppSpec) -> bool:
    """Whether a push ``payload`` (GitHub's shape) concerns an app of ``spec``."""
    ref = str(payload.get("ref") or "")
    return normalise_url(spec.repo_url) in payload_urls(payload) and ref_matches(spec.target_revision, ref)


def normalise_url(url: str) -> str:
    url = url.strip().lower().rstrip("/")
    url = url.removesuffix(".git")
    for prefix in ("https://", "http://", "ssh://", "git://", "file://"):
        url = url.removeprefix(prefix)
    url = url.removeprefix("git@").replace(":", "/", 1) if url.startswith("git@") else url
    return url.split("@", 1)[-1]


def payload_urls(payload: Mapping[str, Any]) -> set[str]:
    repo = payload.get("repository") or {}
    if not isinstance(repo, Mapping):
        return set()
    keys = ("clone_url", "html_url", "ssh_url", "git_url", "url")
    return {normalise_url(str(repo[k])) for k in keys if isinstance(repo.get(k), str)}


def ref_matches(target: str, ref: str) -> bool:
    if not ref or target in ("HEAD", ref):
        return True
    return ref in (f"refs/heads/{target}", f"refs/tags/{target}")
