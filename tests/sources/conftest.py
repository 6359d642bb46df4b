"""Real git repositories for the source tests, built with pygit2 in tmp dirs.

``Upstream`` stands for the repository an app follows: ``commit`` writes a whole tree (files,
symlinks, submodule entries) on top of a branch, ``force`` moves a branch to an unrelated
commit as a force-push would.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pygit2
import pytest

from kedge.sources import GitCache

SIGNATURE = pygit2.Signature("Ada Lovelace", "ada@example.com", 1_700_000_000, 0)


class Link(str):
    """A symlink entry whose target is the string."""


class Gitlink(str):
    """A submodule entry pointing at the commit id in the string."""


Tree = Mapping[str, "bytes | str | Link | Gitlink"]


def write_tree(repo: pygit2.Repository, files: Tree) -> pygit2.Oid:
    """A tree object from ``{"dir/name": content}``; ``Link``/``Gitlink`` values for special modes."""
    children: dict[str, dict[str, object]] = {}
    builder = repo.TreeBuilder()
    for path, value in files.items():
        head, _, rest = path.partition("/")
        if rest:
            children.setdefault(head, {})[rest] = value
        elif isinstance(value, Link):
            builder.insert(head, repo.create_blob(str(value).encode()), pygit2.enums.FileMode.LINK)
        elif isinstance(value, Gitlink):
            builder.insert(head, pygit2.Oid(hex=str(value)), pygit2.enums.FileMode.COMMIT)
        else:
            data = value.encode() if isinstance(value, str) else value
            builder.insert(head, repo.create_blob(data), pygit2.enums.FileMode.BLOB)
    for name, sub in children.items():
        builder.insert(name, write_tree(repo, sub), pygit2.enums.FileMode.TREE)  # type: ignore[arg-type]
    return builder.write()


class Upstream:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.repo = pygit2.init_repository(str(path), bare=True, initial_head="main")
        self.url = str(path)

    def commit(self, files: Tree, message: str = "change", branch: str = "main", parents: bool = True) -> str:
        ref = f"refs/heads/{branch}"
        current = self.repo.references.get(ref)
        parent_ids = [current.target] if (current is not None and parents) else []
        oid = self.repo.create_commit(
            None, SIGNATURE, SIGNATURE, message, write_tree(self.repo, files), parent_ids
        )
        self.repo.references.create(ref, oid, force=True)
        return str(oid)

    def force(self, files: Tree, branch: str = "main") -> str:
        """Rewrite ``branch`` to a commit that does not descend from its old head."""
        return self.commit(files, "rewritten history", branch, parents=False)

    def tag(self, name: str, target: str, annotated: bool = True) -> None:
        if annotated:
            self.repo.create_tag(
                name, pygit2.Oid(hex=target), pygit2.enums.ObjectType.COMMIT, SIGNATURE, "release"
            )
        else:
            self.repo.references.create(f"refs/tags/{name}", pygit2.Oid(hex=target))


MANIFEST = (
    "apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {{name: {name}}}\nspec: {{path: {name}.txt}}\n"
)


def manifest(name: str) -> str:
    return MANIFEST.format(name=name)


@pytest.fixture
def upstream(tmp_path: Path) -> Upstream:
    return Upstream(tmp_path / "upstream.git")


@pytest.fixture
def cache(tmp_path: Path) -> GitCache:
    return GitCache(tmp_path / "cache")


def cached_commits(cache: GitCache) -> int:
    """How many commit objects the cache directories hold (0 when nothing was fetched)."""
    count = 0
    for child in cache.root.iterdir() if cache.root.exists() else []:
        repo = pygit2.Repository(str(child))
        for oid in repo.odb:
            if repo.odb.read_header(oid)[0] == pygit2.enums.ObjectType.COMMIT:
                count += 1
    return count


@pytest.fixture
def git_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment for the git CLI that ignores the machine's own configuration."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_AUTHOR_NAME": "Ada Lovelace",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Lovelace",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
    }
    yield env
