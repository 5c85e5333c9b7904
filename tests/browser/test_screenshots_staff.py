"""Screenshots of the agent and staff pages at 1280 px and 390 px (issue 13, point 5).

``make screenshots`` writes them to docs/images/ (``SCREENSHOTS_DIR``); otherwise they go to
the test's temporary folder. The agent pages pass the axe-core WCAG 2.2 AA check.
"""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from tests import factories
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import screenshot, session_context
from tests.sandbox.console_world import busy_queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def staff_context(browser, portal, staff_user):
    device = factories.TOTPDeviceFactory(user=staff_user)
    context = session_context(browser, portal, staff_user, device)
    context.portal_url = portal.url
    yield context
    context.close()


def _shoot(context, shots: Path, name: str, url: str, *, ready: str, axe: bool = False):
    """``url`` at each width into ``<name>-<width>.png``; no request leaves the portal."""
    page = context.new_page()
    external = []
    page.on(
        "request",
        lambda r: None
        if r.url.startswith((context.portal_url, "data:"))
        else external.append(r.url),
    )
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        page.goto(url)
        page.wait_for_selector(ready)
        # nothing wider than the screen: no sideways scrolling on a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
        if axe:
            assert_accessible(page)
        path = shots / f"{name}-{width}.png"
        if screenshot(page, path, full_page=True):
            assert path.stat().st_size > 5000
    page.close()
    assert external == [], f"{name} made requests outside the portal: {external}"


def test_agent_console_screenshots_and_accessibility(
    staff_context, shots, customer, messenger, staff_user
):
    conversation = busy_queue(customer, messenger)
    _shoot(staff_context, shots, "agent-console", "/sandbox/console/", ready=".q-row", axe=True)
    _shoot(
        staff_context,
        shots,
        "agent-conversation",
        f"/sandbox/console/conversations/{conversation.pk}/",
        ready=".certified",
        axe=True,
    )


def test_staff_pages_screenshots(staff_context, shots, customer, messenger):
    busy_queue(customer, messenger)
    # a week of synthetic chats, so the report has something to show
    call_command(
        "generate_events", "--count=600", "--days=7", "--no-progress", stdout=io.StringIO()
    )
    _shoot(staff_context, shots, "staff-home", "/", ready=".staff-tools", axe=True)
    _shoot(staff_context, shots, "admin-index", "/admin/", ready="#console-module")
    _shoot(staff_context, shots, "admin-reports", "/admin/reports/", ready="h1")
    _shoot(staff_context, shots, "api-docs", "/api/docs/", ready=".opblock")
    _shoot(staff_context, shots, "not-found", "/does-not-exist/", ready="h1", axe=True)
