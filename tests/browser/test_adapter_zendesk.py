"""The Zendesk adapter in Chromium against a stand-in of the messaging Web Widget's API.

Production settings (the sandbox is not served): the Chat button loads the snippet
(``<script id="ze-snippet">``) and logs the customer in with ``zE("messenger", "loginUser",
jwtCallback, loginCallback)``; every jwtCallback is answered with a fresh HS256 token signed
with the secret the Zendesk admin created.
"""

import time

import jwt as pyjwt
import pytest
import time_machine

from brands import services as brand_services
from tests.browser.vendors import (
    csp_directives,
    open_chat,
    standin_page,
    token_responses,
    verify_hs256,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SNIPPET_KEY = "6f1c2a9e-5b1d-4c8e-9a7f-2d6e8b1c4a3f"
SCRIPT = f"https://static.zdassets.com/ekr/snippet.js?key={SNIPPET_KEY}"
SECRET = "zendesk-shared-secret-0123456789-abcdefghij"
KEY_ID = "app_64f0c2a9e5b1d4c8e9a7f2d6"


@pytest.fixture
def zendesk(brand):
    messenger = brand_services.messenger_create(
        brand=brand,
        slug="acme-zendesk",
        platform="zendesk",
        algorithm="HS256",
        attributes=["names", "email"],
        vendor_settings={"snippet_key": SNIPPET_KEY, "subdomain": "acme"},
    )
    return brand_services.messenger_secret_set(messenger=messenger, secret=SECRET, key_id=KEY_ID)


def _page(customer_page, config=None):
    return standin_page(customer_page, SCRIPT, "zendesk", config)


def test_login_user_gets_a_fresh_jwt_that_verifies_with_the_shared_secret(
    customer_page, production, zendesk, customer
):
    page, recorder = _page(customer_page)
    tokens = token_responses(page)
    response = page.goto("/")
    # at page load the customer is logged in to Zendesk; the window stays closed
    recorder.wait_for(page, "jwt", 1)
    assert recorder.named("open") == []
    assert len(tokens) == 1
    assert "/sandbox/" not in page.content()

    open_chat(page, "verified")

    assert recorder.named("snippet") == [SCRIPT]  # the snippet, with its documented id
    assert recorder.named("loginUser") == [None]
    (jwt,) = recorder.named("jwt")
    claims = verify_hs256(jwt, SECRET)
    assert claims["scope"] == "user"
    assert claims["external_id"] == customer.customer_id
    assert isinstance(claims["external_id"], str)
    assert pyjwt.get_unverified_header(jwt)["kid"] == KEY_ID
    assert recorder.named("open") == [None]
    assert "verified customer" in page.inner_text("#chat-status")
    csp = csp_directives(response)
    assert "https://static.zdassets.com" in csp["script-src"]
    assert "https://acme.zendesk.com" in csp["connect-src"]


def test_a_jwt_asked_for_an_hour_later_is_a_new_one(customer_page, production, zendesk):
    page, recorder = _page(customer_page)
    page.clock.install()
    page.goto("/")
    open_chat(page, "verified")
    with time_machine.travel(time.time() + 61 * 60, tick=True):
        page.clock.fast_forward("01:01:00")
        page.evaluate("window.__standin.needFreshJwt()")
        jwts = recorder.wait_for(page, "jwt", 2)
        later = verify_hs256(jwts[1], SECRET)
    first = verify_hs256(jwts[0], SECRET)
    assert jwts[1] != jwts[0]
    assert later["exp"] >= first["exp"] + 60 * 60
    assert later["jti"] != first["jti"]


def test_a_failed_login_is_retried_once_with_a_fresh_jwt_then_shown(
    customer_page, production, zendesk
):
    page, recorder = _page(customer_page, {"reject": 5})
    tokens = token_responses(page)
    page.goto("/")  # the page load logs the customer in
    page.wait_for_selector("#chat-status[data-state=error]", timeout=20000)
    page.wait_for_timeout(500)
    assert len(recorder.named("loginUser")) == 2
    assert len(recorder.named("jwt")) == 2 and len(tokens) == 2
    assert recorder.named("open") == []  # no anonymous conversation instead
    assert "could not confirm that it's you" in page.inner_text(
        "#chat-status"
    )  # the customer's words
    assert "invalid_jwt" not in page.inner_text(
        "#chat-status"
    )  # the code is for the agent console
    assert page.is_visible("#chat-retry")


def test_logging_out_of_the_portal_logs_the_user_out_of_zendesk(
    customer_page, production, zendesk
):
    page, recorder = _page(customer_page)
    page.goto("/")
    open_chat(page, "verified")
    page.click("text=Log out")
    page.wait_for_url("**/logged-out/")
    assert recorder.named("logoutUser") == [None]
