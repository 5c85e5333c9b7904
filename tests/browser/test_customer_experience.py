"""What the customer observes in Chromium: one conversation per tab, a way back after the
session ends, keyboard-only chatting with visible focus, a one-line top bar on a phone, a
throttle that says how long to wait, and backup codes that can be downloaded."""

from pathlib import Path

import pytest

from sandbox.models import Conversation
from tests import factories
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import session_context, sessions_end_all
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _frame(page):
    return page.frame_locator("#chat-container iframe")


def _chat(page):
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
    return _frame(page)


def _say(frame, text):
    frame.locator("#body").fill(text)
    frame.locator("#body").press("Enter")
    frame.locator("#messages li[data-delivery=sent]", has_text=text).wait_for()


def test_a_second_click_and_a_reload_show_the_same_conversation(customer_page, messenger):
    page = customer_page
    page.goto("/")
    frame = _chat(page)
    _say(frame, "First question")
    # a second click keeps the window and its conversation
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=verified]")
    assert page.locator("#chat-container iframe").count() == 1
    frame.locator("#messages li", has_text="First question").wait_for()
    # a reload opens the chat again by itself, on the same conversation
    page.reload()
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
    _frame(page).locator("#messages li", has_text="First question").wait_for(timeout=10000)
    _say(_frame(page), "Second question")
    conversation = Conversation.objects.get()
    assert list(conversation.messages.values_list("body", flat=True)) == [
        "First question",
        "Second question",
    ]


def test_after_the_session_ends_a_log_in_link_comes_back_to_the_chat(
    browser, portal, customer, messenger
):
    factories.backup_device(customer.user, codes=("again001", "again002"))
    context = browser.new_context(base_url=portal.url)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", customer.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.fill("#id_code", "again001")
    page.click("button.primary")
    frame = _chat(page)
    _say(frame, "Before the session ended")
    # the session ends elsewhere (another tab logged out, the session expired)
    sessions_end_all()
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=error]")
    assert "Your session has ended" in page.inner_text("#chat-status")
    assert page.locator("#chat-container").is_hidden()  # no conversation left on screen
    assert_accessible(page)
    login = page.locator("#chat-login")
    assert "next=%2F%3Fchat%3Dacme-web" in login.get_attribute("href")
    # logging in again comes back to the chat, with the conversation
    login.click()
    page.fill("#id_username", customer.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.fill("#id_code", "again002")
    page.click("button.primary")
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
    assert "chat=" not in page.url
    _frame(page).locator("#messages li", has_text="Before the session ended").wait_for()
    assert Conversation.objects.count() == 1
    context.close()


def test_a_customer_chats_with_the_keyboard_only_and_always_sees_the_focus(
    customer_page, messenger
):
    page = customer_page
    page.goto("/")
    page.wait_for_selector("#chat-button:not([disabled])")
    # Tab reaches "Chat with support" with a visible focus ring; Enter opens the chat
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "chat-button":
            break
    assert page.evaluate("document.activeElement.id") == "chat-button"
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert outline[0] != "none" and outline[1] >= 2
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
    # the composer has the focus: type, Enter sends
    frame = next(f for f in page.frames if "/sandbox/chat/" in f.url)
    assert frame.evaluate("document.activeElement.id") == "body"
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Enter")
    frame.locator("#messages li[data-delivery=sent]", has_text="without a mouse").wait_for()
    # the message list is announced politely; the label of the composer is there
    assert frame.get_attribute("#log", "role") == "log"
    assert frame.locator("label[for=body]").inner_text() == "Your message"
    assert_accessible(frame)


def test_the_top_bar_stays_on_one_line_on_a_phone(browser, portal, customer, totp_device):
    customer.user.first_name = "Alexandrina-Victoria"
    customer.user.last_name = "Montgomery-Fitzwilliam"
    customer.user.save()
    context = session_context(browser, portal, customer.user, totp_device)
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    bar = page.locator("header.topbar").bounding_box()
    assert bar["height"] < 60  # one line, not two or three
    for selector in (".topbar .brand-name", ".topbar button.link"):
        element = page.locator(selector)
        line = element.evaluate("(e) => parseFloat(getComputedStyle(e).lineHeight)")
        assert element.bounding_box()["height"] < 2 * line  # no word wraps to a second line
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows
    context.close()


def test_a_throttled_chat_says_how_long_to_wait(customer_page, messenger, settings):
    settings.MESSAGING_TOKEN_RATE_PER_CUSTOMER = "1/min"
    page = customer_page
    page.goto("/")
    _chat(page)
    page.reload()  # the reload asks for a second token within the minute
    page.wait_for_selector("#chat-status[data-state=error]", timeout=20000)
    text = page.inner_text("#chat-status")
    assert "Too many chat requests. Try again in" in text
    assert "second" in text or "minute" in text


def test_backup_codes_download_as_a_text_file(browser, portal, customer):
    from django_otp.oath import TOTP

    from accounts import services

    context = browser.new_context(base_url=portal.url, accept_downloads=True)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", customer.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/login/enroll/")
    device = services.totp_enrollment_start(user=customer.user)
    page.fill("#id_code", f"{TOTP(device.bin_key).token():06d}")
    page.click("button.primary")
    page.wait_for_url("**/login/backup-codes/")
    codes = page.locator("#backup-codes code").all_inner_texts()
    with page.expect_download() as download:
        page.click("#download-codes")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert all(code in text for code in codes) and len(codes) == 10
    assert download.value.suggested_filename == "backup-codes.txt"
    # the portal opens only after the explicit confirmation
    page.click("text=Continue to the portal")
    assert page.url.endswith("/login/backup-codes/")  # the box is required
    page.check("#id_saved")
    page.click("text=Continue to the portal")
    page.wait_for_selector("#customer-name")
    context.close()


def test_a_chat_window_that_never_answers_does_not_leave_a_waiting_frame(customer_page, messenger):
    page = customer_page
    page.route(
        "**/sandbox/chat/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<p>…</p>"),
    )
    page.clock.install()
    page.goto("/")
    page.click("#chat-button")
    page.clock.fast_forward("00:11")  # past the glue's 10 s wait for the window
    page.wait_for_selector("#chat-status[data-state=error]")
    assert "did not answer in time" in page.inner_text("#chat-status")
    assert page.locator("#chat-container").is_hidden()
    assert page.locator("#chat-retry").is_visible()


def test_the_chat_window_opened_on_its_own_says_where_to_start(page_in_portal):
    page = page_in_portal
    page.goto("/sandbox/chat/?messenger=acme-web")
    page.wait_for_selector("#status-text:has-text('Chat with support button')")
    assert page.locator(".spinner").is_hidden()


def test_after_a_reload_the_window_is_as_the_customer_left_it_and_closed_on_a_phone(
    customer_page, messenger
):
    page = customer_page
    page.goto("/")
    frame = _chat(page)
    _say(frame, "Before the reload")
    # on a computer: closed before the reload, it stays closed; the launcher brings it back
    page.click("#chat-close")
    page.reload()
    page.wait_for_selector("#chat-launcher:visible")
    # the resumed chat connects behind the closed window
    page.wait_for_selector("#chat-status[data-state=verified]", state="attached", timeout=20000)
    assert page.locator("#chat-window").is_hidden()
    page.click("#chat-launcher")
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
    assert _frame(page).locator("#messages li", has_text="Before the reload").count() == 1
    # on a phone the window fills the screen: after a reload the page comes first, and its
    # Log out button is not covered
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("#chat-launcher:visible")
    page.wait_for_selector("#chat-status[data-state=verified]", state="attached", timeout=20000)
    assert page.locator("#chat-window").is_hidden()
    page.locator("button:has-text('Log out')").click(trial=True)  # clickable: nothing on top
    page.click("#chat-launcher")
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
    assert _frame(page).locator("#messages li", has_text="Before the reload").count() == 1


@pytest.fixture
def page_in_portal(browser, portal):
    context = browser.new_context(base_url=portal.url)
    yield context.new_page()
    context.close()


def test_a_chat_reopened_by_a_reload_leaves_the_keyboard_focus_alone(customer_page, messenger):
    page = customer_page
    page.goto("/")
    _chat(page)
    page.reload()
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
    frame = next(f for f in page.frames if "/sandbox/chat/" in f.url)
    frame.locator("#conversation").wait_for()
    assert page.evaluate("document.activeElement.tagName") != "IFRAME"
    # a click on Chat is an intent to write: the composer takes the focus
    page.click("#chat-button")
    for _ in range(100):  # polled: wait_for_function would need 'unsafe-eval' under the CSP
        if frame.evaluate("document.activeElement.id") == "body":
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.activeElement.tagName") == "IFRAME"
    assert frame.evaluate("document.activeElement.id") == "body"
