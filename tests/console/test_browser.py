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


def log_in(page, live_server, next_url: str) -> None:
    """Log in as pytest-django's admin user through the admin's own login form."""
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")


def test_browser_login_info_view_and_resync_two_errors(page, live_server, admin_user, store):
    for _ in range(3):
        failed_contact(store)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # logs in and opens the list
    log_in(page, live_server, "/admin/syncerrors/syncerror/")
    page.wait_for_selector("#result_list")
    assert page.locator("#sync-error-badge").inner_text() == "3 problems"
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
    assert page.locator("#sync-error-badge").inner_text() == "1 problem"
    assert page.locator("#result_list tbody tr").count() == 1


def test_browser_dashboard_one_healthy_and_one_failing_org_at_1280_and_1920_px(page, live_server, admin_user, store):
    from datetime import timedelta

    from django.utils import timezone

    from changeevents.health import beat
    from changeevents.models import SyncCursor
    from connectors.models import SalesforceOrg
    from tests.console.factories import held_order
    from tests.factories import StoreFactory

    beat("worker", "host:1")
    beat("beat", "host:2")
    SyncCursor.objects.create(org=store.org, sobject="Account", last_polled_at=timezone.now())
    failing = StoreFactory(org__name="Failing org")
    contact, root = failed_contact(failing, message="Required fields are missing: [LastName]. " * 8)
    held_order(failing, contact, root)
    SalesforceOrg.objects.filter(pk=failing.org_id).update(
        triggers_enabled=False, sending_paused_until=timezone.now() + timedelta(minutes=5)
    )
    SyncCursor.objects.create(
        org=failing.org, sobject="Account", last_polled_at=timezone.now() - timedelta(hours=1), last_error="timed out"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server, "/admin/")
    page.wait_for_selector("#sync-health")

    healthy = page.locator(f"#org-health-{store.org_id}")
    unhealthy = page.locator(f"#org-health-{failing.org_id}")
    assert "healthy" in healthy.get_attribute("class").split()
    assert "unhealthy" in unhealthy.get_attribute("class").split()
    assert "sync triggers are off" in unhealthy.inner_text() and "sending is paused" in unhealthy.inner_text()
    assert page.locator("#process-worker").inner_text() == "Celery worker: alive"
    assert page.locator("#sync-error-badge").inner_text() == "1 problem holding 1 change"
    for width in (1280, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        box = page.locator("#sync-health").bounding_box()
        assert box["x"] + box["width"] <= width, f"the dashboard overflows at {width} px"
        page.screenshot(path=str(SCREENSHOTS / f"dashboard-{width}.png"), full_page=True)

    # the failing org's problems link into its filtered error list, readable at 1,280 px
    page.set_viewport_size({"width": 1280, "height": 900})
    unhealthy.locator("a", has_text="1 problem").click()
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 2
    message = page.locator(".sync-error-message").first
    assert message.get_attribute("title").startswith("Required fields are missing")
    message_box = message.bounding_box()
    page.screenshot(path=str(SCREENSHOTS / "console-list-1280.png"), full_page=True)
    assert message_box["x"] + message_box["width"] <= 1280, "the message column is pushed off-screen at 1,280 px"
    page.screenshot(path=str(SCREENSHOTS / "console-list-1280.png"), full_page=True)
