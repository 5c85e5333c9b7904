"""Genesys in the sandbox, in Chromium: the customer clicks Chat on a Genesys messenger, the
page hands a fresh one-time code to the sandbox's chat window, the sandbox redeems it as
Genesys's servers would and the agent sees VERIFIED with the certified attributes."""

import time

import pytest
import time_machine

from messaging.models import AuthorizationCode
from tests import factories
from tests.browser.conftest import session_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def genesys(portal, genesys_in_sandbox):
    return genesys_in_sandbox


def test_a_genesys_chat_an_hour_after_page_load_is_verified_from_a_fresh_code(
    browser, portal, customer, genesys, staff_user, customer_page
):
    page = customer_page
    codes = []
    page.on(
        "response",
        lambda r: codes.append(r.json())
        if r.url.endswith("/api/v1/messaging/auth-code")
        else None,
    )
    page.clock.install()
    page.goto("/")
    loaded_at = time.time()
    with time_machine.travel(loaded_at + 61 * 60, tick=True):
        page.clock.fast_forward("01:01:00")
        page.click("#chat-button")
        page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
        frame = page.frame_locator("#chat-container iframe")
        assert "VERIFIED" in frame.locator(".verified-line").inner_text()
        # the agent's console
        context = session_context(
            browser, portal, staff_user, factories.TOTPDeviceFactory(user=staff_user)
        )
        agent = context.new_page()
        agent.goto("/sandbox/console/")
        agent.locator(".verified-item a").first.click()
        text = agent.inner_text(".conv-head") + agent.inner_text(".certified")
        context.close()
    assert len(codes) == 1  # minted at the click, an hour after the page loaded
    assert AuthorizationCode.objects.get().created_at.timestamp() >= loaded_at + 61 * 60 - 5
    assert "VERIFIED" in text and customer.customer_id in text
    assert f"{customer.first_name} {customer.last_name}" in text
    assert "1234.56 EUR" in text and "gold" in text
