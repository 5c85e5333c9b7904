"""The whole product in Chromium: customer logs in with MFA, clicks Chat, the sandbox platform
verifies the token from the brand's JWKS over HTTP, and a staff agent sees VERIFIED."""

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from brands import services as brand_services
from brands.models import SigningKey
from sandbox.models import Conversation
from sandbox.services import RESUME_WINDOW
from tests import factories
from tests.browser.conftest import session_context
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agent_page(browser, portal, staff_user):
    device = factories.TOTPDeviceFactory(user=staff_user)
    context = session_context(browser, portal, staff_user, device)
    page = context.new_page()
    yield page
    context.close()


def _conversation_text(agent_page, index=0) -> str:
    """Open the ``index``-th verified line of the console's queue; the page's header and
    certified attributes (the queue line itself is one compact line)."""
    agent_page.goto("/sandbox/console/")
    agent_page.locator(".verified-item a").nth(index).click()
    agent_page.wait_for_selector(".certified")
    return agent_page.locator(".conv-head").inner_text() + agent_page.inner_text(".certified")


def _chat_frame(page):
    return page.frame_locator("#chat-container iframe")


def _open_chat_and_wait(page, state="verified"):
    page.click("#chat-button")
    page.wait_for_selector(f"#chat-status[data-state={state}]", timeout=20000)


def test_customer_chats_verified_and_the_agent_sees_certified_attributes(
    browser, portal, customer, messenger, agent_page
):
    # given a customer who logs in with password and a backup code
    customer.is_vip = True
    customer.save()
    factories.backup_device(customer.user, codes=("e2ecode77",))
    context = browser.new_context(base_url=portal.url)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", customer.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.fill("#id_code", "e2ecode77")
    page.click("button.primary")
    page.wait_for_selector("#chat-button")
    # when they click Chat and write to support
    _open_chat_and_wait(page)
    frame = _chat_frame(page)
    frame.locator("#conversation").wait_for()
    assert "VERIFIED" in frame.locator(".verified-line").inner_text()
    frame.locator("#body").fill("Hello, I need help with a card payment.")
    frame.locator("#send button[type=submit]").click()
    frame.locator("#messages li", has_text="card payment").wait_for()

    # then the agent sees the conversation marked VERIFIED with the certified attributes
    agent_page.goto("/sandbox/console/")
    line = agent_page.locator(".verified-item").first.inner_text()
    assert "VERIFIED" in line and "VIP" in line and customer.tier.code in line
    assert "card payment" in line  # the last message, as a preview
    text = _conversation_text(agent_page)
    assert "VERIFIED" in text
    assert f"{customer.first_name} {customer.last_name}" in text
    assert customer.tier.code in text
    assert "Yes" in text  # VIP
    assert "1234.56 EUR" in text
    assert customer.customer_id in text
    assert SigningKey.objects.get(brand=messenger.brand, state="active").kid in text
    # and can reply, which the customer sees in the chat window
    agent_page.fill("#reply", "Hi! I can see you are verified. How can I help?")
    agent_page.click("form.send button[type=submit]")
    frame.locator("#messages li", has_text="I can see you are verified").wait_for(timeout=15000)
    context.close()


def test_a_tampered_token_is_refused_in_words_and_shown_to_the_agent_with_its_reason(
    customer_page, messenger, agent_page
):
    page = customer_page

    def tamper(route):
        response = route.fetch()
        body = response.json()
        header, payload, signature = body["token"].split(".")
        flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
        body["token"] = f"{header}.{payload}.{flipped}"
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/api/v1/messaging/token", tamper)
    page.goto("/")
    _open_chat_and_wait(page, state="error")
    # the customer reads words; the reason code is for the agent
    assert "could not confirm that it's you" in page.inner_text("#chat-status")
    assert "bad_signature" not in page.inner_text("#chat-status")
    agent_page.goto("/sandbox/console/")
    rejected = agent_page.locator(".rejected-item").first
    assert "REJECTED" in rejected.inner_text()
    assert "bad_signature" in rejected.inner_text()
    assert agent_page.locator(".verified-item").count() == 0


def test_a_key_rotated_between_two_chats_leaves_both_verified(
    customer_page, messenger, agent_page, settings
):
    """Rotation by the book: the next key is published, the platform's JWKS cache moves on
    (cooldown 0 stands in for the cache lifetime passing), the key activates, both chats hold."""
    settings.SANDBOX_JWKS_COOLDOWN = 0
    page = customer_page
    page.goto("/")
    _open_chat_and_wait(page)
    old_kid = SigningKey.objects.get(brand=messenger.brand, state="active").kid

    with time_machine.travel(time.time() + 2 * 3600, tick=True):
        new = brand_services.signing_key_generate(
            brand=messenger.brand, key_size=2048, certificate=False
        )
    # the first conversation has been idle past the resume window (while it is open, any
    # window of the same customer joins it instead of opening a second)
    Conversation.objects.update(created_at=timezone.now() - RESUME_WINDOW - timedelta(minutes=1))
    with time_machine.travel(time.time() + 4 * 3600, tick=True):
        brand_services.signing_key_activate(key=new)
        # a second chat, in a new tab
        page = page.context.new_page()
        page.goto("/")
        _open_chat_and_wait(page)

    agent_page.goto("/sandbox/console/")
    assert agent_page.locator(".verified-item").count() == 2
    texts = _conversation_text(agent_page, 0) + _conversation_text(agent_page, 1)
    assert old_kid in texts and new.kid in texts and old_kid != new.kid
    agent_page.goto("/sandbox/console/")
    assert agent_page.locator(".rejected-item").count() == 0


def test_chat_an_hour_after_loading_the_portal_is_verified_with_a_fresh_token(
    customer_page, messenger, agent_page, customer
):
    """Refresh on demand: the page sits open for 61 minutes; the click still verifies."""
    page = customer_page
    issued = []
    page.on(
        "response",
        lambda r: issued.append(r.json()) if r.url.endswith("/api/v1/messaging/token") else None,
    )
    page.clock.install()
    page.goto("/")
    loaded_at = time.time()
    with time_machine.travel(loaded_at + 61 * 60, tick=True):
        page.clock.fast_forward("01:01:00")
        _open_chat_and_wait(page)
        text = _conversation_text(agent_page)
    assert len(issued) == 1  # minted at the click, not at page load
    expires_at = issued[0]["expires_at"]
    assert customer.customer_id in text and "VERIFIED" in text
    # the token the sandbox accepted was minted an hour after the page loaded
    from datetime import datetime

    exp = datetime.fromisoformat(expires_at.replace("Z", "+00:00")).timestamp()
    assert exp >= loaded_at + 61 * 60 + 300 - 5
