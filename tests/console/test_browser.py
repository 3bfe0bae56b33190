"""The console in a real browser: Debian's chromium driven by Playwright (no browser download)."""

import os
from pathlib import Path

import pytest

from tests.console.factories import failed_contact

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop here

CHROMIUM = Path(os.environ.get("SCSYNC_CHROMIUM", "/usr/bin/chromium"))  # as scripts/ensure-chromium
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "chromium is missing: scripts/ensure-chromium says how to install it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1920, "height": 1000})
        yield page
        browser.close()


def test_browser_login_info_view_and_resync_two_errors(page, live_server, admin_user, store):
    for _ in range(3):
        failed_contact(store)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # logs in and opens the list
    page.goto(f"{live_server.url}/admin/login/?next=/admin/syncerrors/syncerror/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_selector("#result_list")
    assert page.locator("#sync-error-badge").inner_text() == "3 sync errors"
    page.screenshot(path=str(SCREENSHOTS / "console-list.png"), full_page=True)

    # opens an info view and sees the resolution
    page.locator("a.sync-error-info").first.click()
    page.wait_for_selector("#sync-error-info")
    assert "A validation rule in the org rejected the record." in page.inner_text("#sync-error-info")
    assert page.locator("ol.resolution li").count() == 3
    page.screenshot(path=str(SCREENSHOTS / "console-detail.png"), full_page=True)

    # ticks two errors and runs Re-sync
    page.go_back()
    page.wait_for_selector("#result_list")
    checkboxes = page.locator("input.action-select")
    checkboxes.nth(0).check()
    checkboxes.nth(1).check()
    page.select_option("select[name=action]", "resync_selected")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")

    assert "2 errors were re-queued." in page.inner_text("ul.messagelist")
    assert page.locator("#sync-error-badge").inner_text() == "1 sync error"
    assert page.locator("#result_list tbody tr").count() == 1
