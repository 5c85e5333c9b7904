"""Screenshots of the agent and staff pages at 1280 px and 390 px.

``make screenshots`` writes them to docs/images/ (``SCREENSHOTS_DIR``); otherwise they go to
the test's temporary folder. The agent pages, the admin's pages and the reports page pass the
axe-core WCAG 2.2 AA check, and no staff page scrolls sideways at either width.
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

# The phone first: each page is loaded at 390 px, then widened to 1280 px.
WIDTHS = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 800}}


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


def _sideways(page) -> list[str]:
    """What scrolls sideways: the page itself, or a list or table inside it (Django's change
    list scrolls in its own box on a phone: that is sideways scrolling too)."""
    return page.evaluate(
        """() => {
            const root = document.documentElement;
            const wide = root.scrollWidth > root.clientWidth
                ? [`page ${root.scrollWidth} > ${root.clientWidth}`] : [];
            const boxes = "#changelist .results, .queue-wrap, main table";
            for (const box of document.querySelectorAll(boxes)) {
                if (box.scrollWidth > box.clientWidth + 1) wide.push(
                    `${box.id || box.className} ${box.scrollWidth} > ${box.clientWidth}`);
            }
            return wide;
        }"""
    )


def _shoot(context, shots: Path, name: str, url: str, *, ready: str, axe: bool = False):
    """``url`` at each width into ``<name>-<width>.png``; no request leaves the portal.

    The page is loaded once, at the phone's width (where a fresh load is likeliest to
    overflow), then widened, as a browser window is: media queries apply on resize."""
    page = context.new_page()
    external = []
    page.on(
        "request",
        lambda r: None
        if r.url.startswith((context.portal_url, "data:"))
        else external.append(r.url),
    )
    page.set_viewport_size(WIDTHS["390"])
    page.goto(url)
    page.wait_for_selector(ready)
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        # nothing wider than the screen: no sideways scrolling on a phone
        assert _sideways(page) == [], (name, width)
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


def _admin_world(customer, messenger):
    """The demo's kinds of rows: conversations and a refusal, token issues, a rotation in
    progress (pending, active, retired keys) and a Genesys client with a secret."""
    from brands import services
    from messaging.services import token_issue
    from tests.conftest import genesys_client_create

    busy_queue(customer, messenger)
    token_issue(customer=customer, messenger=messenger)
    brand = messenger.brand
    services.signing_key_generate(brand=brand, activate=True, force=True)  # retires the first
    services.signing_key_generate(brand=brand)  # pending
    genesys_client_create(brand, f"{brand.slug}-genesys")
    call_command(
        "generate_events", "--count=200", "--days=3", "--no-progress", stdout=io.StringIO()
    )
    return brand


def test_no_staff_page_scrolls_sideways_at_390_or_1280_px(
    staff_context, customer, messenger, shots
):
    # given every kind of row the demo has
    brand = _admin_world(customer, messenger)
    page = staff_context.new_page()
    page.set_viewport_size(WIDTHS["390"])
    page.goto("/admin/")
    lists = page.eval_on_selector_all(
        "#content-main table a[href^='/admin/']", "links => links.map((a) => a.pathname)"
    )
    lists = sorted({path for path in lists if path.count("/") == 4})  # /admin/<app>/<model>/
    assert "/admin/brands/signingkey/" in lists and "/admin/sandbox/conversation/" in lists
    pages = ["/admin/", "/admin/reports/", "/api/docs/", "/sandbox/console/"]
    pages.append(f"/admin/brands/brand/{brand.pk}/rotation/")
    for path in lists:
        pages += [path, f"{path}add/"]
    # when staff open each on a phone (and a list's first row), then widen the window,
    # then none scrolls sideways
    wide = {}
    for path in pages:
        page.set_viewport_size(WIDTHS["390"])
        response = page.goto(path)
        if response.status == 403:  # an add page the model does not offer
            continue
        assert response.status == 200, path
        if path in lists:
            first = page.locator("#result_list tbody tr a[href^='/admin/']").first
            if first.count():
                pages.append(first.evaluate("(a) => a.pathname"))
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            if found := _sideways(page):
                wide[f"{path} at {width}"] = found
    assert wide == {}
    assert len(pages) > 30  # lists, their add pages and one change page each
    page.close()


def test_admin_and_reports_pages_pass_axe_at_both_widths(staff_context, customer, messenger):
    brand = _admin_world(customer, messenger)
    key = brand.signing_keys.first()
    page = staff_context.new_page()
    for path in (
        "/admin/",
        "/admin/brands/signingkey/",
        f"/admin/brands/signingkey/{key.pk}/change/",
        f"/admin/brands/brand/{brand.pk}/change/",
        f"/admin/brands/brand/{brand.pk}/rotation/",
        f"/admin/brands/messenger/{messenger.pk}/change/",
        "/admin/sandbox/conversation/",
        "/admin/reports/",
    ):
        page.set_viewport_size(WIDTHS["390"])
        page.goto(path)
        for viewport in WIDTHS.values():
            page.set_viewport_size(viewport)
            assert_accessible(page)
    page.close()


def test_rotation_timeline_and_messenger_page_screenshots(
    staff_context, shots, customer, messenger
):
    brand = _admin_world(customer, messenger)
    _shoot(
        staff_context,
        shots,
        "admin-brand-rotation",
        f"/admin/brands/brand/{brand.pk}/rotation/",
        ready="#rotation-keys",
        axe=True,
    )
    _shoot(
        staff_context,
        shots,
        "admin-messenger",
        f"/admin/brands/messenger/{messenger.pk}/change/",
        ready="#messenger_form",
        axe=True,
    )
    _shoot(staff_context, shots, "admin-signing-keys", "/admin/brands/signingkey/", ready="h1")
