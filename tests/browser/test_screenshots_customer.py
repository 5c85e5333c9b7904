"""Every customer page at 1280 px and 390 px, in Chromium, each checked with axe-core.

The PNGs go to the folder named by ``SCREENSHOTS_DIR`` (default: pytest's tmp_path); with
``SCREENSHOTS_DIR=docs/images`` they are the README's pictures. Viewport-sized, not full
page, so they stay small. Pages: login, second step, enrollment, backup codes, home (branded
and neutral), the chat window (verified conversation, agent reply, agent typing), the
session-ended state and the logout confirmation.
"""

import json
import os
import re
from pathlib import Path

import pytest

from accounts.models import Membership
from sandbox.models import Conversation
from sandbox.services import post_message, typing_mark
from tests import factories
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import screenshot, session_context, sessions_end_all
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {1280: 800, 390: 844}


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def shoot(page, name, *, frame=None, before=None):
        """Screenshot ``page`` at both widths as customer-<name>-<width>.png, axe-checked."""
        for width, height in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            (before or _scroll_to_top)(page)
            page.wait_for_timeout(150)  # layout settles after the resize
            assert_accessible(page)
            if frame is not None:
                assert_accessible(frame())
            screenshot(page, folder / f"customer-{name}-{width}.png")

    return shoot


@pytest.fixture
def branded(brand):
    brand.name = "Northwind Bank"
    brand.logo_url = "/static/brands/northwind.svg"
    brand.primary_color = "#0e6e63"
    brand.header_color = "#0b2545"
    brand.support_phone = "+44 20 7946 0000"
    brand.support_email = "help@northwind.example"
    brand.support_url = "https://www.northwind.example/help"
    brand.support_hours = "Mon-Sat 8:00-20:00"
    brand.save()
    return brand


def _chat_frame(page):
    return next(f for f in page.frames if "/sandbox/chat/" in f.url)


def _scroll_to_top(page):
    page.evaluate("window.scrollTo(0, 0)")


def _scroll_to_support(page):
    page.evaluate("document.getElementById('support').scrollIntoView({block: 'start'})")


def _scroll_to_chat(page):
    page.evaluate("document.getElementById('chat-container').scrollIntoView({block: 'end'})")


def test_screenshots_of_the_login_pages(browser, portal, branded, customer, shots):
    # given a customer with an authenticator, and another who has none yet
    factories.TOTPDeviceFactory(user=customer.user)
    context = browser.new_context(base_url=portal.url)
    page = context.new_page()
    page.goto("/login/")
    shots(page, "login")
    # a wrong password shows the error next to the form
    page.fill("#id_username", customer.user.username)
    page.fill("#id_password", "wrong")
    page.click("button.primary")
    shots(page, "login-error")
    page.fill("#id_username", customer.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/login/verify/")
    # the second step says nothing about who is logging in
    assert customer.user.first_name not in page.inner_text("header")
    assert page.locator("header").get_by_text("Log out").count() == 0
    shots(page, "verify")
    context.close()


def test_screenshots_of_enrollment_and_backup_codes(browser, portal, branded, tier, shots):
    newcomer = factories.CustomerFactory(tier=tier)
    Membership.objects.create(customer=newcomer, brand=branded)
    context = browser.new_context(base_url=portal.url)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", newcomer.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/login/enroll/")
    shots(page, "enroll")
    key = page.inner_text("#manual-key")
    page.fill("#id_code", _totp(key))
    page.click("button.primary")
    page.wait_for_url("**/login/backup-codes/")
    shots(page, "backup-codes")
    context.close()


def test_screenshots_of_home_chat_and_logout(
    browser, portal, branded, customer, totp_device, messenger, shots
):
    context = session_context(browser, portal, customer.user, totp_device)
    context.clock.install()  # the chat window polls every 2 s: the test moves the clock
    page = context.new_page()
    page.goto("/")
    page.wait_for_selector("#chat-button:not([disabled])")
    shots(page, "home")

    # the chat: the launcher bubble opens the messenger window, verified, one message each
    # way, the agent typing
    page.click("#chat-launcher")
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
    frame = _chat_frame(page)
    frame.locator("#body").fill("Hello, a card payment of 42.00 did not go through.")
    frame.locator("#body").press("Enter")
    frame.locator("#messages li[data-delivery=sent]").wait_for()
    conversation = Conversation.objects.get()
    post_message(
        conversation,
        sender="agent",
        body="Hi Ada, I can see you are verified. Let me look at that payment.",
        agent_name="Sam",
    )
    page.clock.run_for("00:02")
    frame.locator("#messages li.agent").wait_for(timeout=10000)
    typing_mark(conversation, sender="agent")
    page.clock.run_for("00:02")
    frame.locator("#typing-inner:not([hidden])").wait_for(timeout=10000)
    shots(page, "chat", frame=lambda: _chat_frame(page), before=_scroll_to_chat)

    # the session ends elsewhere; the next Chat click offers a log-in that comes back here
    sessions_end_all()
    page.click("#chat-close")  # on a phone the window covers the page
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=error]")
    shots(page, "session-ended", before=_scroll_to_support)

    # a typed /logout/ asks before logging out
    page2 = session_context(browser, portal, customer.user, totp_device).new_page()
    page2.goto("/logout/")
    shots(page2, "logout")
    # and after logging out, a page that says so, with a way back in
    page2.click("main button.primary")
    page2.wait_for_url("**/logged-out/")
    shots(page2, "logged-out")
    page2.context.close()
    context.close()


def test_screenshot_of_the_neutral_portal_of_a_customer_of_two_brands(
    browser, portal, branded, customer, totp_device, messenger, other_messenger, shots
):
    Membership.objects.create(customer=customer, brand=other_messenger.brand)
    context = session_context(browser, portal, customer.user, totp_device)
    page = context.new_page()
    page.goto("/")
    page.wait_for_selector("#chat-button:not([disabled])")
    assert "Customer portal" in page.inner_text("header")
    shots(page, "home-two-brands")
    context.close()


def _totp(manual_key: str) -> str:
    import base64

    from django_otp.oath import TOTP

    key = re.sub(r"\s", "", manual_key)
    raw = base64.b32decode(key + "=" * (-len(key) % 8))
    return f"{TOTP(raw).token():06d}"


def test_screenshot_of_a_rejected_identity(
    browser, portal, branded, customer, totp_device, messenger, shots
):
    context = session_context(browser, portal, customer.user, totp_device)
    page = context.new_page()

    def tamper(route):
        response = route.fetch()
        body = response.json()
        header, payload, signature = body["token"].split(".")
        body["token"] = f"{header}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/api/v1/messaging/token", tamper)
    page.goto("/")
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=error]", timeout=20000)
    shots(page, "chat-rejected", frame=lambda: _chat_frame(page), before=_scroll_to_chat)
    context.close()
