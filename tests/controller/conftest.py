"""A real controller over a real state store, real git repositories and the local provider."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pygit2
import pytest

from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.engine.retry import RetryPolicy
from kedge.manifests import CoreDocument
from kedge.sources import LocalSources
from kedge.store import Store


def provider_config(root: Path, name: str = "default") -> CoreDocument:
    return CoreDocument(
        "ProviderConfig", name, {"provider": "local", "settings": {"root": str(root)}}, {}, {}, None, None
    )


class GitRepo:
    """A working repository the tests commit to (the "remote" the controller polls)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.repo = pygit2.init_repository(str(path), initial_head="main")
        self.sig = pygit2.Signature("Test", "test@example.invalid")

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        for name, text in files.items():
            target = self.path / name
            if text is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(textwrap.dedent(text).lstrip())
        self.repo.index.add_all()
        self.repo.index.write()
        tree = self.repo.index.write_tree()
        parents = [] if self.repo.head_is_unborn else [self.repo.head.target]
        return str(self.repo.create_commit("HEAD", self.sig, self.sig, message, tree, parents))

    def reset_hard(self, sha: str) -> None:
        self.repo.reset(pygit2.Oid(hex=sha), pygit2.enums.ResetMode.HARD)


def file_doc(name: str, path: str, content: str) -> str:
    return (
        f"apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {{name: {name}}}\n"
        f"spec: {{path: {path}, content: {json.dumps(content)}}}\n---\n"
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "files"
    path.mkdir()
    return path


@pytest.fixture
def make_controller(tmp_path: Path, root: Path) -> Iterator[Callable[..., Controller]]:
    made: list[tuple[Controller, Engine, Store]] = []

    def make(start: bool = True, **kwargs: Any) -> Controller:
        store = Store.open(str(tmp_path / "state.db"))
        engine = Engine(
            store, extra_configs=[provider_config(root)], retry=RetryPolicy(attempts=2, base=0.01)
        )
        kwargs.setdefault("local_sources", LocalSources.under([tmp_path]))
        controller = Controller(
            store, engine, cache_dir=tmp_path / "git-cache", backoff_base=0.05, backoff_cap=0.5, **kwargs
        )
        made.append((controller, engine, store))
        if start:
            controller.start()
        return controller

    yield make
    for controller, engine, store in made:
        controller.stop()
        engine.close()
        store.close()


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting: {message or predicate}; last value {last!r}")


def app_spec(repo: Path, **policy: Any) -> dict[str, Any]:
    return {
        "source": {"repoURL": str(repo), "targetRevision": "main", "path": ".", "pollInterval": "1s"},
        "syncPolicy": {"automated": True, "selfHeal": True, "driftInterval": "30s", **policy},
    }


@contextmanager
def two_replicas(url: str, tmp_path: Path, root: Path, **options: Any) -> Iterator[dict[str, Controller]]:
    """Controllers ``replica-a`` and ``replica-b`` on one store (not started), by name."""
    made: list[tuple[Controller, Engine, Store]] = []
    for name in ("replica-a", "replica-b"):
        store = Store.open(url)
        engine = Engine(store, extra_configs=[provider_config(root)])
        controller = Controller(
            store,
            engine,
            cache_dir=tmp_path / f"git-{name}",
            local_sources=LocalSources.under([tmp_path]),
            replica=name,
            **options,
        )
        made.append((controller, engine, store))
    try:
        yield {controller.holder: controller for controller, _, _ in made}
    finally:
        for controller, engine, store in made:
            controller.stop()
            engine.close()
            store.close()
