"""In Chromium, in front of the real controller: each claim in the app page's tree says Ready or
Not ready (naming the resource and the readyWhen expression that hold it back), the cost card
sums each claim's resources, and a claim that fails its schema shows its placed error. The API
(``GET apps/{name}``, ``GET apps/{name}/cost``) gives the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kedge.api.asgi import create_asgi_app
from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.engine.platform import expander, load_platform
from kedge.engine.retry import RetryPolicy
from kedge.manifests import CoreDocument
from kedge.sources import LocalSources
from kedge.store import Store
from kedge.ui import mount
from tests.api.server import serve
from tests.compositions.conftest import CLAIM, COMPOSITION, DEFINITION
from tests.conftest import write
from tests.controller.conftest import GitRepo, app_spec, provider_config, wait_for
from tests.ui.test_browser_shows_apps_sync_drift_and_rollback_live import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.aws,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]
TOKEN = "browser-claims-admin-token-0123456789abcdef"

READY_WHEN = COMPOSITION.replace(
    "    - id: motd\n      template:",
    "    - id: motd\n      readyWhen: \"motd.spec.content != 'pending'\"\n      template:",
)
OBJECT_STORE = """\
apiVersion: kedge.dev/v1
kind: Definition
metadata: {name: ObjectStore}
spec:
  group: platform.example.org
  schema: {type: object, properties: {storageGB: {type: integer, default: 0}}}
---
apiVersion: kedge.dev/v1
kind: Composition
metadata: {name: objectstore-aws}
spec:
  definition: ObjectStore
  resources:
    - id: bucket
      readyWhen: "bucket.outputs.arn != ''"
      template:
        apiVersion: aws.kedge.dev/v1
        kind: S3Bucket
        metadata:
          name: "${claim.metadata.name}-data"
          annotations:
            kedge.dev/provider-config: cloud
            kedge.dev/usage: "storageGB=${claim.spec.storageGB}"
        spec: {}
"""
INVOICES = """\
apiVersion: platform.example.org/v1
kind: ObjectStore
metadata: {name: browser-invoices}
spec: {storageGB: 100}
"""


@pytest.fixture
def world(tmp_path: Path, aws: Any) -> Iterator[tuple[str, Controller, Path]]:
    root = tmp_path / "files"
    root.mkdir()
    platform = tmp_path / "platform"
    write(platform / "appconfig.yaml", DEFINITION + "---\n" + READY_WHEN)
    write(platform / "objectstore.yaml", OBJECT_STORE)
    cloud = CoreDocument("ProviderConfig", "cloud", {"provider": "aws", "settings": aws.settings()})
    store = Store.open(str(tmp_path / "state.db"))
    engine = Engine(
        store,
        extra_configs=[provider_config(root), cloud],
        retry=RetryPolicy(attempts=2, base=0.01),
        platform=expander(load_platform([platform]), allow_declared=False),
    )
    controller = Controller(
        store,
        engine,
        cache_dir=tmp_path / "cache",
        backoff_base=0.05,
        backoff_cap=0.5,
        local_sources=LocalSources.under([tmp_path]),
    )
    controller.start()
    api = create_asgi_app(controller, store, admin_token=TOKEN, webhook_secret="unused", ui=mount)
    try:
        with serve(api) as url:
            yield url, controller, tmp_path
    finally:
        controller.stop()
        engine.close()
        store.close()


def _ready(app: dict[str, Any]) -> dict[str, Any]:
    return next((c for c in app["status"]["conditions"] if c["type"] == "Ready"), {})


def test_claims_show_readiness_cost_and_errors(world: Any) -> None:
    url, controller, tmp_path = world
    good = GitRepo(tmp_path / "good")
    pending = CLAIM.format(name="blog").replace("greeting: hello", "greeting: pending")
    good.commit({"claims.yaml": CLAIM.format(name="shop") + "---\n" + pending + "---\n" + INVOICES})
    bad = GitRepo(tmp_path / "bad")
    bad.commit({"claims.yaml": CLAIM.format(name="wiki").replace("size: large", "size: huge")})
    pricey = GitRepo(tmp_path / "pricey")
    pricey.commit({"claims.yaml": INVOICES.replace("browser-invoices", "browser-scans").replace("100", "-5")})
    controller.create_app("shop", app_spec(good.path), actor="t")
    controller.create_app("broken", app_spec(bad.path), actor="t")
    controller.create_app("pricey", app_spec(pricey.path), actor="t")
    wait_for(lambda: controller.get_app("shop")["status"]["sync"] == "Synced", timeout=30, message="synced")
    wait_for(
        lambda: any(c["status"] == "Error" for c in controller.get_app("broken")["status"].get("claims", [])),
        message="the bad claim is in the status",
    )

    headers = {"Authorization": f"Bearer {TOKEN}"}
    app = httpx.get(f"{url}/api/v1/apps/shop", headers=headers).json()
    claims = {c["name"]: c for c in app["status"]["claims"]}
    assert claims["shop"]["ready"] is True and claims["browser-invoices"]["ready"] is True
    assert claims["blog"]["ready"] is False
    assert claims["blog"]["waiting"] == [
        {
            "resource": "File/blog-motd",
            "id": "motd",
            "readyWhen": "motd.spec.content != 'pending'",
            "reason": "is false",
        }
    ]
    cost = httpx.get(f"{url}/api/v1/apps/shop/cost", headers=headers).json()
    (invoices,) = [c for c in cost["claims"] if c["kind"] == "ObjectStore"]
    assert invoices["monthly"] == pytest.approx(100 * 0.023)
    broken = httpx.get(f"{url}/api/v1/apps/broken", headers=headers).json()
    (wiki,) = broken["status"]["claims"]
    assert wiki["status"] == "Error" and wiki["ready"] is False
    assert "claims.yaml:" in wiki["message"] and "huge" in wiki["message"]
    # A claim whose values make a usage annotation unreadable: the cost says where, nothing is priced.
    wait_for(
        lambda: (
            _ready(httpx.get(f"{url}/api/v1/apps/pricey", headers=headers).json()).get("status") == "False"
        ),
        message="the bad usage stops the app",
    )
    bad_cost = httpx.get(f"{url}/api/v1/apps/pricey/cost", headers=headers)
    assert bad_cost.status_code == 200 and bad_cost.json()["total"] == 0
    (problem,) = bad_cost.json()["diagnostics"]
    assert "storageGB: must be a number of zero or more" in problem["message"]
    assert problem["file"].endswith("claims.yaml") and problem["line"] == 1

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = chromium.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.set_default_timeout(8000)
            page.goto(url + "/")
            page.fill("#token", TOKEN)
            page.press("#token", "Enter")
            page.wait_for_selector("table.apps")

            page.goto(url + "/apps/shop")
            page.wait_for_selector("section.claims")
            tree = page.inner_text("section.claims")
            assert "AppConfig/shop" in tree and "ObjectStore/browser-invoices" in tree
            blog = page.locator("section.claims li.claim", has_text="AppConfig/blog").inner_text()
            assert "Not ready" in blog
            assert "File/blog-motd (motd): readyWhen motd.spec.content != 'pending' is false" in blog
            shop = page.locator("section.claims li.claim", has_text="AppConfig/shop").inner_text()
            assert "Ready" in shop and "Not ready" not in shop

            page.wait_for_selector("#cost section.claim-costs")
            card = page.inner_text("#cost section.claim-costs")
            assert "ObjectStore/browser-invoices" in card and "2.30 USD" in card
            assert "S3Bucket/browser-invoices-data" in card
            assert "AppConfig/shop" in card and "unpriced" in card, "local files have no price"

            page.goto(url + "/apps/broken")
            page.wait_for_selector("section.claims")
            error = page.inner_text("section.claims")
            assert "AppConfig/wiki" in error and "Error" in error
            assert "claims.yaml:" in error and "huge" in error
            assert "Traceback" not in page.content()

            page.goto(url + "/apps/pricey")
            page.wait_for_selector("#cost ul.diagnostics")
            shown = page.inner_text("#cost")
            assert "claims.yaml:1" in shown and "must be a number of zero or more" in shown
        finally:
            chromium.close()
