"""The demo as its customers walk it in Chromium (seed_demo: alice at Northwind Bank, bob at
Northwind and Harbor, carol at Harbor): one chat per brand, the launcher and its floating
window, the VERIFIED banner, one conversation in the agent's queue however often they click,
refusals in words with one way on, and the "you are logged out" page."""

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from sandbox.models import Conversation
from tests import factories
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import session_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
CODES = ("bad_signature", "step_up_required", "jwks_unavailable", "invalid_", "reason")


@pytest.fixture
def demo(portal):
    call_command("seed_demo", "--allow-production-demo", stdout=io.StringIO())
    return portal


def _page(browser, portal, username, viewport=DESKTOP):
    user = User.objects.get(username=username)
    context = session_context(browser, portal, user, factories.TOTPDeviceFactory(user=user))
    page = context.new_page()
    page.set_viewport_size(viewport)
    page.set_default_timeout(20_000)
    page.goto("/")
    page.wait_for_selector("#chat-button:not([disabled])")
    return context, page


def _frame(page):
    return page.frame_locator("#chat-container iframe")


def _open_verified(page, how="#chat-launcher"):
    page.click(how)
    page.wait_for_selector("#chat-status[data-state=verified]")
    assert page.is_visible("#chat-window")
    return _frame(page)


def _say(frame, text):
    frame.locator("#body").fill(text)
    frame.locator("#body").press("Enter")
    frame.locator("#messages li[data-delivery=sent]", has_text=text).wait_for()


def _customer_words(text):
    return not any(code in text for code in CODES)


def _queue_lines(agent, name):
    agent.goto("/sandbox/console/")
    return agent.locator("li.verified-item", has_text=name).count()


@pytest.fixture
def agent(browser, demo):
    admin = User.objects.get(username="admin")
    context = session_context(browser, demo, admin, factories.TOTPDeviceFactory(user=admin))
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    yield page
    context.close()


def test_alice_has_one_chat_a_launcher_and_one_conversation_however_often_she_clicks(
    browser, demo, agent
):
    context, page = _page(browser, demo, "alice")
    # one chat by default: no picker, the brand's web chat
    assert page.locator("#chat-messenger").get_attribute("type") == "hidden"
    assert page.locator("#chat-messenger").get_attribute("value") == "northwind-web"
    # the launcher bubble sits at the bottom right; the window is closed
    box = page.locator("#chat-launcher").bounding_box()
    assert box["x"] + box["width"] > 1200 and box["y"] + box["height"] > 740
    assert page.is_hidden("#chat-window")
    frame = _open_verified(page)
    banner = frame.locator(".verified-line").inner_text()
    assert "VERIFIED" in banner and "Alice Martin" in banner
    assert page.get_attribute("#chat-launcher", "aria-expanded") == "true"
    window = page.locator("#chat-window").bounding_box()
    assert window["x"] + window["width"] <= 1280 - 16  # floating, not flush with the edge
    assert_accessible(page)
    # Escape closes the window (the conversation goes on) and the launcher has the focus
    frame.locator("#body").press("Escape")
    page.wait_for_selector("#chat-window", state="hidden")
    assert page.evaluate("document.activeElement.id") == "chat-launcher"
    # a second click and a reload join the same conversation; the queue shows one line
    _open_verified(page, "#chat-button")
    page.reload()
    page.wait_for_selector("#chat-status[data-state=verified]")
    _say(_frame(page), "Is my card blocked?")
    alice = User.objects.get(username="alice").customer.customer_id
    assert Conversation.objects.filter(subject=alice).count() == 1
    assert _queue_lines(agent, "Alice Martin") == 1
    context.close()


def test_bob_picks_one_chat_per_brand_and_a_passkey_chat_says_how_to_get_one(browser, demo):
    context, page = _page(browser, demo, "bob")
    options = page.locator("#chat-messenger option").all_inner_texts()
    assert options == ["Harbor Health", "Northwind Bank"]
    # the passkey-only chat (a link from support) needs something bob lacks
    page.goto("/?chat=northwind-secure")
    prompt = page.wait_for_selector("#stepup-dialog[open]")
    assert page.locator("#chat-window #stepup-dialog").count() == 1  # part of the window
    text = prompt.inner_text()
    assert "This chat needs a passkey" in text and _customer_words(text)
    assert page.get_attribute("#stepup-enroll-link", "href") == "/security/"
    assert_accessible(page)
    # leaving the prompt: a way on (set one up) and a way out (close), and no Retry that
    # could not help
    page.keyboard.press("Escape")
    page.wait_for_selector("#chat-status[data-state=error]")
    status = page.inner_text("#chat-status")
    assert "needs a passkey" in status and _customer_words(status)
    assert page.is_visible("#chat-enroll") and page.locator("#chat-retry").count() == 0
    page.click("#chat-error-close")
    assert page.is_hidden("#chat-window")
    context.close()


def test_carol_is_refused_in_words_retries_once_and_chats(browser, demo, agent):
    context, page = _page(browser, demo, "carol", PHONE)
    assert page.locator("#chat-messenger").get_attribute("value") == "harbor-web"

    # given the platform refuses every token on the way (a broken signature)
    def tamper(route):
        response = route.fetch()
        body = response.json()
        body["token"] = body["token"][:-4] + ("AAAA" if body["token"][-4:] != "AAAA" else "BBBB")
        route.fulfill(response=response, json=body)

    page.route("**/api/v1/messaging/token", tamper)
    page.click("#chat-launcher")
    page.wait_for_selector("#chat-status[data-state=error]")
    # then the customer reads words, not bad_signature, and exactly one Retry is offered
    status = page.inner_text("#chat-status")
    assert "could not confirm that it's you" in status and _customer_words(status)
    assert page.is_hidden("#chat-container")
    retries = (
        page.get_by_role("button", name="Retry").count()
        + _frame(page).get_by_role("button", name="Try again").count()
    )
    assert retries == 1
    # the window fills the phone's screen
    window = page.locator("#chat-window").bounding_box()
    assert (window["width"], window["height"]) == (390, 844)
    assert_accessible(page)
    # and the one retry can succeed
    page.unroute("**/api/v1/messaging/token")
    page.click("#chat-retry")
    page.wait_for_selector("#chat-status[data-state=verified]")
    assert "Carol" in _frame(page).locator(".verified-line").inner_text()
    assert_accessible(page)
    # a second click: still one conversation in the queue
    page.click("#chat-close")
    _open_verified(page)
    assert _queue_lines(agent, "Carol") == 1
    # logging out says so, with a way back in
    page.click("#chat-close")
    page.click("text=Log out")
    page.wait_for_url("**/logged-out/")
    assert page.locator("h1").inner_text() == "You are logged out"
    assert page.get_attribute("#login-again", "href") == "/login/"
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)
    assert_accessible(page)
    context.close()
