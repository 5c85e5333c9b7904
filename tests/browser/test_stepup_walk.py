"""The step-up walk in Chromium, with a virtual authenticator.

A customer enrolls a passkey, logs in with it, clicks Chat, and the agent sees "passkey, N
minutes ago"; the agent requests step-up, the customer re-verifies in the chat window, and the
console shows the fresh assurance; a TOTP-only customer on a messenger that requires passkey
assurance gets step_up_required and a path to enroll.
"""

import re

import pytest

from tests import factories
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import session_context
from tests.browser.test_passkeys import _totp, password_step, virtual_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The chat window asks for a step-up request every 2.5 s, the console for its answer every
# 3 s. Both pages' timers run on Playwright's clock (time flows as usual): a test moves the
# clock to the next poll instead of sleeping for it.
NEXT_POLL = "00:03"


@pytest.fixture
def passkey_portal(portal, settings):
    url = portal.url.replace("127.0.0.1", "localhost")
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [url]
    settings.CSRF_TRUSTED_ORIGINS = [url, portal.url]
    return url


@pytest.fixture
def agent_page(browser, portal, staff_user):
    device = factories.TOTPDeviceFactory(user=staff_user)
    context = session_context(browser, portal, staff_user, device)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.clock.install()
    yield page
    context.close()


@pytest.fixture
def customer_context(browser, passkey_portal):
    context = browser.new_context(base_url=passkey_portal)
    context.set_default_timeout(15_000)
    context.clock.install()
    yield context
    context.close()


def test_passkey_chat_agent_step_up_and_fresh_assurance(
    customer_context, agent_page, customer, totp_device, messenger
):
    page = customer_context.new_page()
    virtual_authenticator(page)
    # a demo customer enrolls a passkey (after password + TOTP, from the security page)
    password_step(page, customer.user)
    page.fill("#id_code", _totp(totp_device))
    page.click("main form button[type=submit]")
    page.click("#security-link")
    page.fill("#passkey-name", "This laptop")
    page.click("#passkey-register")
    page.wait_for_selector("#passkey-list")
    # logs in with it
    page.click("button:has-text('Log out')")
    password_step(page, customer.user)
    page.click("#passkey-login")
    page.wait_for_selector("#chat-button:not([disabled])")
    # clicks Chat
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20_000)
    frame = page.frame_locator("#chat-container iframe")

    # the agent sees "passkey, N minutes ago"
    agent_page.goto("/sandbox/console/")
    agent_page.locator(".verified-item a").first.click()
    summary = agent_page.locator("#assurance-summary")
    assert re.fullmatch(r"passkey, \d+ minutes? ago", summary.inner_text().strip())
    assert "urn:portal:acr:passkey" in agent_page.inner_text("#assurance")
    assert_accessible(agent_page)
    first_time = agent_page.locator("[data-field=auth-time]").inner_text()

    # the agent requests step-up
    agent_page.click("#request-stepup")
    agent_page.wait_for_selector("#stepup-status:has-text('waiting')")
    page.clock.run_for(NEXT_POLL)

    # the customer's chat window prompts; they re-verify with the passkey, in place
    frame.locator("#stepup-start").click()
    page.wait_for_selector("#stepup-dialog[open]")
    page.click("#stepup-passkey")
    frame.locator("#stepup-text:has-text('verified again')").wait_for()
    agent_page.clock.run_for(NEXT_POLL)
    assert page.locator("#chat-container iframe").count() == 1  # the chat was not lost

    # the console shows the fresh assurance, from the new token
    agent_page.wait_for_selector("#stepup-status[data-state=fresh]")
    assert "Verified again with a passkey" in agent_page.inner_text("#stepup-status")
    assert agent_page.locator("[data-field=auth-time]").inner_text() >= first_time


def test_a_totp_only_customer_on_a_passkey_messenger_gets_a_path_to_enroll(
    customer_context, customer, totp_device, messenger
):
    messenger.min_acr = "urn:portal:acr:passkey"
    messenger.save()
    page = customer_context.new_page()
    password_step(page, customer.user)
    page.fill("#id_code", _totp(totp_device))
    page.click("main form button[type=submit]")
    page.wait_for_selector("#chat-button:not([disabled])")
    page.click("#chat-button")
    dialog = page.wait_for_selector("#stepup-dialog[open]")
    assert_accessible(page, exclude=["#chat-container"])
    assert dialog.inner_text().count("needs a passkey") == 1  # said once, not twice
    assert "Go to your security settings to add one, then open the chat again." in (
        dialog.inner_text()
    )
    assert page.get_attribute("#stepup-enroll-link", "href") == "/security/"
    assert page.locator("#stepup-code").count() == 0  # a code would not be enough
    page.click("#stepup-cancel")
    page.wait_for_selector("#chat-status[data-state=error]")
    page.goto("/security/")
    assert page.locator("#passkey-register").count() == 1


def test_agent_step_up_on_genesys_with_a_code_hands_over_a_fresh_auth_code(
    browser, portal, genesys_in_sandbox, customer_page, totp_device, agent_page
):
    page = customer_page
    page.set_default_timeout(15_000)
    page.clock.install()
    page.goto("/")
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20_000)
    frame = page.frame_locator("#chat-container iframe")
    agent_page.goto("/sandbox/console/")
    agent_page.locator(".verified-item a").first.click()
    assert "one-time code" in agent_page.inner_text("#assurance-summary")
    agent_page.click("#request-stepup")
    agent_page.wait_for_selector("#stepup-status:has-text('waiting')")
    page.clock.run_for(NEXT_POLL)
    # the customer has no passkey: the dialog takes a code, and offers no passkey
    frame.locator("#stepup-start").click()
    page.wait_for_selector("#stepup-dialog[open]")
    assert page.locator("#stepup-passkey").count() == 0
    page.fill("#stepup-code", _totp(totp_device))
    page.click("#stepup-dialog button:has-text('Verify code')")
    frame.locator("#stepup-text:has-text('verified again')").wait_for()
    agent_page.clock.run_for(NEXT_POLL)
    agent_page.wait_for_selector("#stepup-status[data-state=fresh]")
    assert "Verified again with a one-time code" in agent_page.inner_text("#stepup-status")
