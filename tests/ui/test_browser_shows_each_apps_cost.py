"""In Chromium: the app list has each app's monthly cost, and an app's page loads its cost
card (resources with their components) after the page itself, as the live diff does."""

from __future__ import annotations

from typing import Any

from tests.ui.test_browser_shows_apps_sync_drift_and_rollback_live import (  # noqa: F401 - fixtures
    Site,
    browser,
    page,
    pytestmark,
    site,
    until,
)


def test_the_list_and_the_app_page_show_the_cost(page: Any, site: Site) -> None:  # noqa: F811
    assert page.inner_text("table.apps thead").lower().count("monthly cost") == 1
    assert page.inner_text("tr[data-app=payments] [data-field=cost]") == "2.30 USD"

    page.click("tr[data-app=payments] a")
    page.wait_for_selector("h2#h-cost")
    until(page, "document.querySelector('#cost table.cost') !== null")
    card = page.inner_text("#cost")
    assert "2.30 USD" in card and "S3Bucket/assets" in card
    assert "Storage" in card and "100 GB-Mo" in card and "0.023" in card
