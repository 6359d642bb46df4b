"""A real server for the reliability tests: state store, controller (started), local provider, a
git repository, and the REST API over HTTP on 127.0.0.1, with one good app already Synced."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kedge.api.asgi import ApiSettings, create_asgi_app
from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.engine.retry import RetryPolicy
from kedge.sources import LocalSources
from kedge.store import Store
from tests.api.server import serve
from tests.controller.conftest import GitRepo, app_spec, provider_config, wait_for

GOOD_APP = "good"
GOOD_MANIFEST = (
    "apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: good-one}\nspec: {path: good/one.txt, content: one}\n"
)


@dataclass
class RealServer:
    url: str
    token: str  # admin
    store: Store
    controller: Controller
    root: Path  # the local provider's root
    repo: GitRepo
    work: Path


@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    work = tmp_path_factory.mktemp("real-server")
    root = work / "files"
    root.mkdir()
    repo = GitRepo(work / "repo")
    repo.commit({"good/app.yaml": GOOD_MANIFEST})
    store = Store.open(str(work / "state.db"))
    engine = Engine(store, extra_configs=[provider_config(root)], retry=RetryPolicy(attempts=2, base=0.01))
    controller = Controller(
        store, engine, cache_dir=work / "git-cache", backoff_base=0.05, backoff_cap=0.5,
        local_sources=LocalSources.under([repo.path]),  # this repository only: /etc and the like stay refused
    )
    controller.start()
    spec = app_spec(repo.path)
    controller.create_app(GOOD_APP, {**spec, "source": {**spec["source"], "path": "good"}}, "test")
    wait_for(lambda: controller.get_app(GOOD_APP)["status"]["sync"] == "Synced", message="the good app synced")
    token = store.create_token("reliability", "admin")
    api = create_asgi_app(controller, store, admin_token=None, webhook_secret=None,
                     settings=ApiSettings(failed_logins=1_000_000))
    try:
        with serve(api) as url:
            yield RealServer(url, token, store, controller, root, repo, work)
    finally:
        controller.stop()
        engine.close()
        store.close()
