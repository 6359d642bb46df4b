"""The controller expands claims with the server's Definitions; only platform apps declare their own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.engine.platform import expander, load_platform
from kedge.engine.retry import RetryPolicy
from kedge.sources import LocalSources
from kedge.store import Store
from tests.compositions.conftest import CLAIM, COMPOSITION, DEFINITION
from tests.controller.conftest import GitRepo, app_spec, provider_config, wait_for


@pytest.fixture
def controller_with(
    tmp_path: Path, platform_dir: Callable[..., Path]
) -> Iterator[Callable[[bool], Controller]]:
    made: list[tuple[Controller, Engine, Store]] = []

    def make(server_platform: bool) -> Controller:
        documents = load_platform([platform_dir()]) if server_platform else []
        store = Store.open(str(tmp_path / "state.db"))
        engine = Engine(
            store,
            extra_configs=[provider_config(tmp_path / "files")],
            retry=RetryPolicy(attempts=2, base=0.01),
            platform=expander(documents, allow_declared=False),
        )
        controller = Controller(
            store, engine, cache_dir=tmp_path / "git-cache",
            backoff_base=0.05,
            backoff_cap=0.5,
            local_sources=LocalSources.under([tmp_path]),
        )
        made.append((controller, engine, store))
        controller.start()
        return controller

    (tmp_path / "files").mkdir()
    yield make
    for controller, engine, store in made:
        controller.stop()
        engine.close()
        store.close()


def _ready(controller: Controller, name: str) -> dict[str, Any]:
    view = controller.get_app(name)
    return next((c for c in view["status"]["conditions"] if c["type"] == "Ready"), {})


def test_claim_in_git_becomes_files_and_resources_name_the_claim(controller_with, tmp_path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"claims.yaml": CLAIM.format(name="shop")})
    controller = controller_with(True)
    controller.create_app("shop", app_spec(repo.path), actor="tester")

    wait_for(lambda: (tmp_path / "files" / "shop" / "motd").exists(), message="composed file created")
    wait_for(lambda: controller.get_app("shop")["status"]["sync"] == "Synced", message="Synced")
    resources = controller.resources("shop")
    assert {(r["kind"], r["name"]) for r in resources} == {
        ("Directory", "shop"),
        ("File", "shop-motd"),
        ("File", "shop-settings"),
    }
    assert all(r["claim"] == {"kind": "AppConfig", "name": "shop"} for r in resources)


def test_an_app_that_is_not_a_platform_app_cannot_declare_definitions(controller_with, tmp_path) -> None:
    own = GitRepo(tmp_path / "own")
    own.commit({"platform.yaml": DEFINITION + "---\n" + COMPOSITION, "claims.yaml": CLAIM.format(name="own")})
    other = GitRepo(tmp_path / "other")
    other.commit(
        {"a.yaml": "apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: a}\nspec: {path: a.txt}\n"}
    )
    controller = controller_with(False)
    controller.create_app("own", app_spec(own.path), actor="tester")
    controller.create_app("other", app_spec(other.path), actor="tester")

    ready = wait_for(
        lambda: (r := _ready(controller, "own")).get("status") == "False" and r, message="refused"
    )
    assert "only a platform app may declare" in ready["message"]
    assert "platform.yaml" in ready["message"]
    wait_for(lambda: (tmp_path / "files" / "a.txt").exists(), message="the other app is unaffected")
    assert not (tmp_path / "files" / "own").exists()


def test_a_platform_app_declares_its_own_definitions(controller_with, tmp_path) -> None:
    own = GitRepo(tmp_path / "own")
    own.commit({"platform.yaml": DEFINITION + "---\n" + COMPOSITION, "claims.yaml": CLAIM.format(name="own")})
    controller = controller_with(False)
    controller.create_app("own", {**app_spec(own.path), "platform": True}, actor="admin")
    wait_for(lambda: (tmp_path / "files" / "own" / "motd").exists(), message="composed file created")


def test_the_app_status_keeps_each_claims_last_result(controller_with, tmp_path) -> None:
    repo = GitRepo(tmp_path / "repo")
    bad = CLAIM.format(name="blog").replace("size: large", "size: huge")
    repo.commit({"claims.yaml": CLAIM.format(name="shop") + "---\n" + bad})
    controller = controller_with(True)
    controller.create_app("shop", app_spec(repo.path), actor="tester")

    claims = wait_for(
        lambda: controller.get_app("shop")["status"].get("claims"), message="claims in the status"
    )
    by_name = {c["name"]: c for c in claims}
    assert by_name["blog"]["status"] == "Error"
    assert "claims.yaml:" in by_name["blog"]["message"] and "huge" in by_name["blog"]["message"]
    assert by_name["shop"]["resources"] == ["Directory/shop", "File/shop-motd", "File/shop-settings"]
    assert not (tmp_path / "files" / "shop").exists(), "an app with a bad claim applies nothing"

    repo.commit({"claims.yaml": CLAIM.format(name="shop")}, "drop the bad claim")
    shop = wait_for(
        lambda: [
            c for c in controller.get_app("shop")["status"].get("claims", []) if c["status"] == "Synced"
        ],
        message="the good claim synced",
    )
    assert shop[0]["name"] == "shop" and shop[0]["message"] == ""


def test_an_app_of_apps_cannot_make_a_platform_app(controller_with, tmp_path) -> None:
    child = GitRepo(tmp_path / "child")
    child.commit({"platform.yaml": DEFINITION + "---\n" + COMPOSITION})
    parent = GitRepo(tmp_path / "parent")
    parent.commit(
        {
            "apps.yaml": (
                "apiVersion: kedge.dev/v1\nkind: Application\nmetadata: {name: sneaky}\n"
                f"spec:\n  platform: true\n  source: {{repoURL: '{child.path}', targetRevision: main}}\n"
                "---\napiVersion: kedge.dev/v1\nkind: Application\nmetadata: {name: plain}\n"
                f"spec:\n  source: {{repoURL: '{child.path}', targetRevision: main}}\n"
            )
        }
    )
    controller = controller_with(False)
    controller.create_app("parent", app_spec(parent.path), actor="admin")
    wait_for(lambda: controller.store.get_app("plain") is not None, message="the plain child is created")
    # Both children were declared by the same render of the parent: one was created, one refused.
    assert controller.store.get_app("sneaky") is None
