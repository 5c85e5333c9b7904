"""The Dynamics 365 adapter in Chromium against a stand-in of the live chat widget SDK.

Production settings (the sandbox is not served): the Chat button loads the widget snippet,
waits for ``lcw:ready``, registers ``setAuthTokenProvider`` and starts the chat; the widget
asks the provider for a token whenever a chat starts, and gets a fresh RS256 token each time.
"""

import json
import time

import pytest
import time_machine

from brands import services as brand_services
from tests.browser.vendors import (
    csp_directives,
    open_chat,
    standin_page,
    verify_rs256,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = "https://oc-cdn-ocprod.azureedge.net/livechatwidget/scripts/LiveChatBootstrapper.js"
APP_ID = "7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
ORG_ID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
ORG_URL = "https://acme-crm.omnichannelengagementhub.com"


@pytest.fixture
def d365(brand, signing_key):
    return brand_services.messenger_create(
        brand=brand,
        slug="acme-d365",
        platform="d365",
        algorithm="RS256",
        attributes=["vip", "tier"],
        vendor_settings={"app_id": APP_ID, "org_id": ORG_ID, "org_url": ORG_URL},
    )


def _page(customer_page, config=None):
    return standin_page(customer_page, SCRIPT, "d365", config)


def test_the_token_provider_answers_with_a_fresh_verifiable_token(
    customer_page, production, d365, customer, portal
):
    page, recorder = _page(customer_page)
    response = page.goto("/")
    page.wait_for_load_state("networkidle")
    assert recorder.calls == []
    assert "/sandbox/" not in page.content()

    open_chat(page, "open")

    (snippet,) = recorder.named("snippet")
    assert snippet["appId"] == APP_ID and snippet["orgId"] == ORG_ID
    assert snippet["orgUrl"] == ORG_URL
    assert recorder.named("setAuthTokenProvider") == [None]
    assert recorder.named("startChat") == [None]
    (token,) = recorder.named("token")
    claims = verify_rs256(portal, token, issuer=d365.brand.issuer_url)
    assert claims["sub"] == customer.customer_id
    assert claims["nbf"] <= claims["iat"]
    assert isinstance(claims["lwicontexts"], str)
    assert "msdyn_isvip" in json.loads(claims["lwicontexts"])
    csp = csp_directives(response)
    assert "https://oc-cdn-ocprod.azureedge.net" in csp["script-src"]
    assert ORG_URL in csp["connect-src"]


def test_a_chat_started_an_hour_later_gets_a_new_token(customer_page, production, d365, portal):
    page, recorder = _page(customer_page)
    page.clock.install()
    page.goto("/")
    open_chat(page, "open")
    with time_machine.travel(time.time() + 61 * 60, tick=True):
        page.clock.fast_forward("01:01:00")
        open_chat(page, "open")
        tokens = recorder.wait_for(page, "token", 2)
        later = verify_rs256(portal, tokens[1], issuer=d365.brand.issuer_url)
    first = verify_rs256(portal, tokens[0], issuer=d365.brand.issuer_url)
    assert later["exp"] >= first["exp"] + 60 * 60 and later["jti"] != first["jti"]
    assert recorder.named("setAuthTokenProvider") == [None]  # registered once per page
    assert recorder.named("providerTimeout") == []  # always within Microsoft's 10 s


def test_a_refused_token_starts_the_chat_once_more_then_shows_the_error(
    customer_page, production, d365
):
    page, recorder = _page(customer_page, {"reject": 5})
    page.goto("/")
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=error]", timeout=20000)
    page.wait_for_timeout(500)
    assert len(recorder.named("token")) == 2
    assert len(recorder.named("startChat")) == 2
    assert "could not confirm that it's you" in page.inner_text(
        "#chat-status"
    )  # the customer's words
    assert "AuthenticationFailed" not in page.inner_text(
        "#chat-status"
    )  # the code is for the agent console


def test_logging_out_of_the_portal_closes_the_chat_and_drops_the_provider(
    customer_page, production, d365
):
    page, recorder = _page(customer_page)
    page.goto("/")
    open_chat(page, "open")
    page.click("text=Log out")
    page.wait_for_url("**/logged-out/")
    assert recorder.named("closeChat") == [None]
    assert recorder.named("removeAuthTokenProvider") == [None]
