"""In Chromium, in front of the real controller: a failing app is red and counted, its live diff
never says "In sync"; a rollback shows "Pinned to <revision>" in the list and on the page, with
an Unpin button that follows the branch again; a changed multi-line file is diffed line by line;
times are relative with the absolute time and zone on hover; History filters by trigger."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kedge.api.asgi import create_asgi_app
from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.engine.retry import RetryPolicy
from kedge.sources import LocalSources
from kedge.store import Store
from kedge.ui import mount
from tests.api.server import serve
from tests.controller.conftest import GitRepo, provider_config, wait_for
from tests.ui.test_browser_shows_apps_sync_drift_and_rollback_live import ARGS, CHROMIUM, until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]
TOKEN = "browser-truthful-status-admin-token-0123456789"


def _file(name: str, path: str, content: str) -> str:
    return (
        f"apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {{name: {name}}}\n"
        f"spec: {{path: {path}, content: {json.dumps(content)}}}\n"
    )


def _spec(repo: Path, self_heal: bool = True) -> dict[str, Any]:
    return {
        "source": {"repoURL": str(repo), "targetRevision": "main", "path": ".", "pollInterval": "1s"},
        "syncPolicy": {"automated": True, "selfHeal": self_heal, "driftInterval": "1s"},
    }


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[str, Controller, Path, GitRepo, GitRepo]]:
    root = tmp_path / "files"
    root.mkdir()
    store = Store.open(str(tmp_path / "state.db"))
    engine = Engine(store, extra_configs=[provider_config(root)], retry=RetryPolicy(attempts=2, base=0.01))
    controller = Controller(
        store,
        engine,
        cache_dir=tmp_path / "cache",
        backoff_base=0.05,
        backoff_cap=0.5,
        local_sources=LocalSources.under([tmp_path]),
    )
    good, bad = GitRepo(tmp_path / "good"), GitRepo(tmp_path / "bad")
    controller.start()
    api = create_asgi_app(controller, store, admin_token=TOKEN, webhook_secret="unused", ui=mount)
    try:
        with serve(api) as url:
            yield url, controller, root, good, bad
    finally:
        controller.stop()
        engine.close()
        store.close()


@pytest.fixture
def page(world: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = chromium.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.set_default_timeout(8000)
        page.goto(world[0] + "/")
        page.fill("#token", TOKEN)
        page.press("#token", "Enter")
        yield page
        context.close()
        chromium.close()


def test_failures_pins_and_line_diffs_are_shown(page: Any, world: Any) -> None:
    url, controller, root, good, bad = world
    first = good.commit({"app.yaml": _file("conf", "app.conf", "one\ntwo\nthree\n")}, "v1")
    controller.create_app("web", _spec(good.path, self_heal=False), actor="t")
    bad.commit({"app.yaml": _file("motd", "motd", "hi\n")}, "fine")
    controller.create_app("broken", _spec(bad.path), actor="t")
    wait_for(lambda: controller.get_app("broken")["status"]["sync"] == "Synced", message="broken synced")
    bad.commit({"app.yaml": textwrap.dedent("kind: File\nspec: [\n")}, "break it")
    wait_for(lambda: controller.get_app("broken")["status"]["health"] == "Degraded", message="degraded")

    page.goto(url + "/")
    page.wait_for_selector("tr[data-app=broken] [data-field=health]:has-text('Degraded')")
    assert "1 degraded or missing" in page.inner_text(".counts")

    page.goto(url + "/apps/broken")
    page.wait_for_selector("#diff-failed")
    assert "In sync" not in page.inner_text("#diff")
    assert page.locator("#history .badge:has-text('failed')").count() >= 1

    # A multi-line file changed behind git's back, no self-heal: the diff shows lines.
    (root / "app.conf").write_text("one\nTWO\nthree\n")
    page.goto(url + "/apps/web")
    page.wait_for_selector("pre.line-diff")
    removed = page.locator("pre.line-diff .del").all_inner_texts()
    added = page.locator("pre.line-diff .ins").all_inner_texts()
    assert removed == ["- TWO"] and added == ["+ two"]
    (root / "app.conf").write_text("one\ntwo\nthree\n")

    second = good.commit({"app.yaml": _file("conf", "app.conf", "one\ntwo\nthree\nfour\n")}, "v2")
    wait_for(lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == second, message="v2")
    entry = next(h for h in controller.history("web") if h["revision"] == first)
    controller.rollback("web", entry["id"], actor="t")
    wait_for(
        lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == first, message="rolled back"
    )

    page.goto(url + "/")
    assert first[:12] in page.inner_text("tr[data-app=web] [data-field=pinned]")
    page.goto(url + "/apps/web")
    page.wait_for_selector("#app-pinned")
    assert page.inner_text("#app-pinned") == f"Pinned to {first[:12]}"
    time_tag = page.locator("#history time").first
    assert re.fullmatch(r"just now|\d+ s ago", time_tag.inner_text())
    assert time_tag.get_attribute("title").endswith("UTC")

    page.select_option("#h-trigger", "rollback")
    page.click(".history-filter button[type=submit]")
    page.wait_for_url("**trigger=rollback**")
    triggers = page.locator("#history tr[data-history] td:nth-child(3)").all_inner_texts()
    assert triggers and all(t.startswith("rollback") for t in triggers)
    assert len(controller.history("web")) > len(triggers)

    page.click("button[data-action=resume]:has-text('Unpin')")
    wait_for(lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == second, message="unpinned")
    until(page, "!document.querySelector('#app-pinned')", timeout=8)
