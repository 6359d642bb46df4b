"""In Chromium (Debian's, driven by Playwright): sign in, see the apps, open one, trigger a sync,
watch a drift appear and be reverted without reloading, roll back; keyboard access; the pages
fit a laptop screen; screenshots of the main pages go to docs/screenshots/ for the README."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kedge.store import Store
from tests.api.conftest import ADMIN_TOKEN, REPO, ShiftedClock, make_app
from tests.api.fakes import FakeControlPlane
from tests.api.server import serve

CHROMIUM = Path("/usr/bin/chromium")
# KEDGE_SCREENSHOTS=1 refreshes the README's screenshots; otherwise they go to a temp dir.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("KEDGE_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "kedge-screenshots"
)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium); scripts/test installs it"
    ),
]


class Site:
    def __init__(self, url: str, control: FakeControlPlane, store: Store) -> None:
        self.url, self.control, self.store = url, control, store


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    control = FakeControlPlane(step=0.05)
    for name, path in [
        ("payments", "apps/payments"),
        ("payments-db", "apps/payments-db"),
        ("web", "apps/web"),
        ("search", "apps/search"),
        ("billing", "apps/billing"),
    ]:
        control.create_app(
            name, {"source": {"repoURL": REPO, "path": path, "targetRevision": "main"}}, "config"
        )
    for name in ("payments", "billing", "search"):
        control.sync(name, "config")
    with Store.open(str(tmp_path_factory.mktemp("ui") / "state.db"), clock=ShiftedClock()) as store:
        store.audit("token:admin", "app.create", app="web", result="ok")
        store.audit("controller", "sync", app="payments", revision="9f2c1e7a" * 5, result="ok")
        store.audit("controller", "drift.detected", app="billing", resource="File/motd", result="ok")
        with serve(make_app(control, store, heartbeat=5)) as url:
            yield Site(url, control, store)
    control.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(5000)
    page.goto(site.url + "/")
    page.fill("#token", ADMIN_TOKEN)
    page.press("#token", "Enter")
    page.wait_for_selector("table.apps")
    page.wait_for_selector("#live[data-state=on]")
    yield page
    context.close()


def until(page: Any, script: str, timeout: float = 5) -> None:
    """Wait for ``script`` to be true (polled from here: the pages' CSP forbids the string
    evaluation that Playwright's own ``wait_for_function`` relies on)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {script}"
        time.sleep(0.02)


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_sign_in_and_see_the_apps(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(site.url + "/apps/web")
    assert page.title() == "Sign in · Kedge"
    assert page.evaluate("document.activeElement.id") == "token"
    shoot(page, "login.png")
    page.fill("#token", "kedge_wrong")
    page.click("button[type=submit]")
    assert "unknown, expired or revoked" in page.inner_text("[role=alert]")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('web')")
    assert page.title() == "web · Kedge"
    assert page.evaluate("document.cookie") == ""  # HttpOnly: invisible to scripts
    context.close()


def test_the_list_shows_status_filters_and_updates_live(page: Any, site: Site) -> None:
    assert page.title() == "Apps · Kedge"
    rows = page.locator("table.apps tbody tr")
    assert rows.count() == 5
    assert page.inner_text("tr[data-app=payments] [data-field=sync]") == "Synced"
    shoot(page, "apps.png")
    site.control.drift("payments", "File", "config")
    page.wait_for_selector("tr[data-app=payments] [data-field=sync]:has-text('OutOfSync')")
    page.fill("#f-q", "pay")
    until(page, "document.querySelectorAll('table.apps tbody tr').length === 2")
    assert "q=pay" in page.url
    page.select_option("#f-sync", "OutOfSync")
    until(page, "document.querySelectorAll('table.apps tbody tr').length === 2")
    page.fill("#f-q", "")
    page.select_option("#f-health", "Healthy")
    page.wait_for_selector("tr[data-app=payments]")
    site.control.revert("payments")


def test_sync_drift_and_rollback_happen_live_on_the_app_page(page: Any, site: Site) -> None:
    page.click("a:has-text('web')")
    page.wait_for_selector("#graph svg.graph")
    assert page.title() == "web · Kedge"
    assert page.locator("svg.graph .node").count() == 5

    page.click("button[data-action=sync]")
    page.wait_for_selector(".toast:has-text('Sync queued')")
    page.wait_for_selector("#history tr[data-history='1'] .badge:has-text('succeeded')")
    page.wait_for_selector("#app-sync:has-text('Synced')")
    page.wait_for_selector("svg.graph .node.Synced")

    started = time.monotonic()
    site.control.drift(
        "web", "File", "motd", [{"path": "content", "desired": "hello\n", "actual": "hacked\n"}]
    )
    page.wait_for_selector("#drift li.open:has-text('File/motd')")
    appeared = time.monotonic() - started
    assert appeared < 1.0, f"drift took {appeared:.2f} s to appear"
    page.wait_for_selector("svg.graph .node.OutOfSync")
    page.wait_for_selector("#diff .change:has-text('File/motd')")
    shoot(page, "app.png")
    site.control.revert("web")
    page.wait_for_selector("#drift li.reverted:has-text('File/motd')")
    page.wait_for_selector("#diff .ok-text")

    page.click("button[data-action=sync]")
    page.wait_for_selector("#history tr[data-history='2'] .badge:has-text('succeeded')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#history tr[data-history='1'] button[data-action=rollback]")
    page.wait_for_selector(".toast:has-text('Rollback to')")
    page.wait_for_selector("#history tr[data-history='3']:has-text('rollback')")
    first = site.control.history("web")[-1]["revision"]
    page.wait_for_selector(f"#app-header:has-text('applied {first}')")


def test_keyboard_reaches_everything(page: Any, site: Site) -> None:
    page.goto(site.url + "/apps/web")
    page.wait_for_selector("#graph svg.graph")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    focused = set()
    for _ in range(25):
        page.keyboard.press("Tab")
        focused.add(page.evaluate("document.activeElement.dataset.action || document.activeElement.tagName"))
    assert {"sync", "suspend", "A"} <= focused
    page.focus("button[data-action=suspend]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#app-suspended")
    until(page, "document.activeElement && document.activeElement.dataset.action === 'resume'")
    page.keyboard.press("Enter")
    page.wait_for_selector("button[data-action=suspend]")


def test_pages_fit_laptop_and_wide_screens(browser: Any, site: Site, page: Any) -> None:
    for width, height, name in [(1280, 800, "app-laptop.png"), (1920, 1080, "app-wide.png")]:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(site.url + "/apps/web")
        page.wait_for_selector("#diff .ok-text, #diff .changes")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shoot(page, name)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(site.url + "/audit")
    assert page.title() == "Audit log · Kedge"
    assert page.locator("table.audit tbody tr").count() == 3
    shoot(page, "audit.png")
