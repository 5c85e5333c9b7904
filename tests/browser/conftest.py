"""Playwright driving Debian's Chromium against the live test server (loopback only)."""

import os
import re
import shutil
import socketserver
import threading
import time
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from django.test import Client
from django.urls import get_resolver

from tests.conftest import login_verified

# Debian's Chromium, as the team's standard says and CI runs. ``CHROMIUM=`` may name another
# build of it for a faster local loop: Debian's ``chromium-headless-shell`` (the "old
# headless" Playwright itself prefers, without site isolation) takes a fifth less CPU
# (docs/decisions/test-suite-speed.md).
CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"

# The live server writes a response's status line, headers and body in separate small
# writes; with Nagle's algorithm on, a write waits for the browser's delayed ACK (40 ms on
# Linux loopback) on many requests. The stdlib's switch turns it off (TCP_NODELAY) for the
# servers of this test process.
socketserver.StreamRequestHandler.disable_nagle_algorithm = True


def screenshot(page, path: Path, **options) -> bool:
    """Write ``page`` as a PNG at ``path`` when ``make screenshots`` asks for pictures
    (``SCREENSHOTS_DIR`` set), and say whether it did.

    ``make test`` sets no folder: the screenshot tests still resize, measure and run axe-core
    at every width, but no picture is encoded or written (the PNGs cost time, not checks).
    ``options`` are Playwright's ``page.screenshot`` options (``full_page=True``)."""
    if not os.environ.get("SCREENSHOTS_DIR"):
        return False
    page.screenshot(path=str(path), **options)
    return True


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    if os.environ.get("REQUIRE_BROWSER"):
        raise pytest.UsageError(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


# Chromium's new headless mode gives every browser window (one per Playwright context) the
# address bar's popup as two WebUI pages in renderers of their own, though no test has an
# address bar to type in: about half of all the CPU a context costs. It also keeps a spare
# renderer process started ahead of the next navigation, which a test never waits for long
# enough to gain from (docs/decisions/test-suite-speed.md). Neither changes what a page does.
UNUSED_FEATURES = (
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
    "WebUIOmniboxFullPopup",
    "SpareRendererForSitePerProcess",
)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
_disabled_features: list[str] = []  # Playwright's own list and ours, read once per process


def launch_chromium(playwright):
    """Debian's Chromium as the tests run it: Playwright's switches, without the features a
    test never uses (``UNUSED_FEATURES``).

    Chromium obeys only the last ``--disable-features`` it is given, and Playwright passes its
    own list (features that would make tests flaky, such as storage partitioning and paint
    holding), so ours must carry Playwright's too: the first launch in a process reads them off
    the browser's command line."""
    if not _disabled_features:
        probe = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            _disabled_features.extend(_switch_values(probe, "--disable-features"))
        finally:
            probe.close()
        _disabled_features.extend(UNUSED_FEATURES)
    features = "--disable-features=" + ",".join(_disabled_features)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, features])


def _switch_values(browser, switch: str) -> list[str]:
    """The comma-separated values of the last ``switch`` on ``browser``'s command line."""
    info = browser.new_browser_cdp_session().send("SystemInfo.getProcessInfo")
    pid = next(p["id"] for p in info["processInfo"] if p["type"] == "browser")
    # Chromium rewrites its process title: the arguments may be joined by spaces or NULs
    argv = re.split(r"[\0 ]", Path(f"/proc/{pid}/cmdline").read_text())
    values = [a.split("=", 1)[1] for a in argv if a.startswith(switch + "=")]
    return [v for v in values[-1].split(",") if v] if values else []


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread for the rest of the session;
    # the ORM calls of the tests are still synchronous, so Django's async guard is lifted
    # while the browser runs (tests/test_settings.py keeps it out of its subprocesses).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Requests the live server is answering right now (its threads and the test's client alike).
_in_flight = {"n": 0}
_in_flight_lock = threading.Lock()


def _request_started(**kwargs):
    with _in_flight_lock:
        _in_flight["n"] += 1


def _request_finished(**kwargs):
    with _in_flight_lock:
        _in_flight["n"] -= 1


request_started.connect(_request_started, dispatch_uid="tests.browser.in_flight.started")
request_finished.connect(_request_finished, dispatch_uid="tests.browser.in_flight.finished")


@pytest.fixture
def portal(live_server, settings, transactional_db):
    """The live server, with the portal's public URL pointing at it.

    Torn down before the test database is flushed (it depends on ``transactional_db``): it
    waits for the requests a closed page left in flight (a chat window's poll), which would
    otherwise hold row locks while the flush truncates the tables (a deadlock on PostgreSQL).
    """
    settings.PUBLIC_BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["*"]
    settings.CSRF_TRUSTED_ORIGINS = [live_server.url]
    yield live_server
    deadline = time.monotonic() + 5
    while _in_flight["n"] > 0 and time.monotonic() < deadline:
        time.sleep(0.05)


def sessions_end_all() -> None:
    """Every portal session ends, as a logout or an expiry ends it: through the session
    engine, so its cached copy (``cached_db``: Redis) goes with the database row."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.sessions.models import Session

    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in Session.objects.values_list("session_key", flat=True):
        store(session_key=key).delete()


def session_context(browser, portal, user, device):
    """A browser context already logged in (password + second factor) as ``user``."""
    client = login_verified(Client(), user, device)
    context = browser.new_context(base_url=portal.url)
    host = portal.url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    return context


@pytest.fixture
def staff_page(browser, portal, staff_user):
    """A verified staff user's page at 1280 x 900 (the admin's target width)."""
    from tests import factories

    device = factories.TOTPDeviceFactory(user=staff_user)
    context = session_context(browser, portal, staff_user, device)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    yield page
    context.close()


@pytest.fixture
def customer_page(browser, portal, customer, totp_device):
    context = session_context(browser, portal, customer.user, totp_device)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def production(settings):
    """The sandbox is not served (``SANDBOX_ENABLED`` off), as in a production deployment.

    The URLconf is loaded first: config/urls.py decides at import whether to route /sandbox/,
    and loading it for the first time with the flag off would take the sandbox away from every
    later test of the session.
    """
    get_resolver().url_patterns  # noqa: B018
    settings.SANDBOX_ENABLED = False
