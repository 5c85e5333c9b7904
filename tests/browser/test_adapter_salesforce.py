"""The Salesforce adapter in Chromium against a stand-in of enhanced web chat's command API.

Production settings (the sandbox is not served): every page load of the logged-in customer
loads the deployment's bootstrap script from the messenger's site URL and hands a fresh portal
token over with ``userVerificationAPI.setIdentityToken`` after ``onEmbeddedMessagingReady``
(Salesforce: "you must call this method after a page refresh", in every tab), so an ongoing
conversation survives a reload; the Chat button opens the window (``launchChat``).
Contract: https://developer.salesforce.com/docs/service/messaging-web/guide/user-verification.html
"""

import time

import pytest
import time_machine

from messaging.models import AuthEvent
from tests.browser.vendors import (
    SALESFORCE_SCRT2,
    SALESFORCE_SITE,
    csp_directives,
    isolate,
    open_chat,
    salesforce_messenger,
    serve_standin,
    standin_page,
    token_responses,
    verify_rs256,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SITE = SALESFORCE_SITE
SCRT2 = SALESFORCE_SCRT2
SCRIPT = f"{SITE}/assets/js/bootstrap.min.js"


@pytest.fixture
def salesforce(brand, signing_key):
    return salesforce_messenger(brand)


def _page(customer_page, config=None):
    return standin_page(customer_page, SCRIPT, "salesforce", config)


def test_the_identity_token_reaches_salesforce_at_page_load_the_documented_way_and_verifies(
    customer_page, production, salesforce, customer, portal
):
    page, recorder = _page(customer_page)
    tokens = token_responses(page)
    response = page.goto("/")
    # at page load: the identity is set, the conversation window stays closed
    recorder.wait_for(page, "setIdentityToken", 1)
    assert recorder.named("launchChat") == []
    assert len(tokens) == 1
    assert "/sandbox/" not in page.content()

    open_chat(page, "verified")

    init = recorder.named("init")
    assert init == [["00D5g000004abcdEAA", "Acme_Web_Messaging", SITE, {"scrt2URL": SCRT2}]]
    (handed,) = recorder.named("setIdentityToken")
    assert handed["identityTokenType"] == "JWT"
    claims = verify_rs256(portal, handed["identityToken"], issuer=salesforce.brand.issuer_url)
    assert claims["sub"] == customer.customer_id
    assert "aud" not in claims  # Salesforce checks no audience: the issuer keeps brands apart
    assert recorder.named("launchChat") == [[]]
    assert "verified customer" in page.inner_text("#chat-status")
    assert page.locator("iframe").count() == 0
    # the page's CSP lets this customer's Salesforce deployment in, and nothing of the sandbox
    csp = csp_directives(response)
    for directive in ("script-src", "connect-src", "frame-src"):
        assert "https://acme.my.site.com" in csp[directive]
        assert SCRT2 in csp[directive]


def test_an_expired_identity_an_hour_later_is_renewed_with_a_new_token(
    customer_page, production, salesforce, portal
):
    page, recorder = _page(customer_page)
    page.clock.install()
    page.goto("/")
    open_chat(page, "verified")
    first = recorder.named("setIdentityToken")[0]["identityToken"]
    with time_machine.travel(time.time() + 61 * 60, tick=True):
        page.clock.fast_forward("01:01:00")
        page.evaluate("window.__standin.expire()")
        handed = recorder.wait_for(page, "setIdentityToken", 2)
        second = handed[1]["identityToken"]
        renewed = verify_rs256(portal, second, issuer=salesforce.brand.issuer_url)
    before = verify_rs256(portal, first, issuer=salesforce.brand.issuer_url)
    assert second != first
    assert renewed["jti"] != before["jti"]
    assert renewed["exp"] >= before["exp"] + 60 * 60
    page.wait_for_selector("#chat-status[data-state=verified]")


def test_a_refused_token_is_retried_once_then_shown(customer_page, production, salesforce):
    page, recorder = _page(customer_page, {"reject": 5})
    tokens = token_responses(page)
    page.goto("/")  # the page load hands the identity over
    page.wait_for_selector("#chat-status[data-state=error]", timeout=20000)
    page.wait_for_timeout(500)  # nothing more may happen on its own
    assert len(recorder.named("setIdentityToken")) == 2  # the first and exactly one retry
    assert len(tokens) == 2
    assert "could not confirm that it's you" in page.inner_text(
        "#chat-status"
    )  # the customer's words
    assert "rejected" not in page.inner_text("#chat-status")  # the code is for the agent console
    assert page.is_visible("#chat-retry")
    assert recorder.named("launchChat") == []  # no anonymous chat instead
    # the reports see the platform's refusal, by its reason
    rejected = AuthEvent.objects.filter(kind=AuthEvent.Kind.PLATFORM_REJECTED)
    for _ in range(20):
        if rejected.exists():
            break
        time.sleep(0.1)
    assert list(rejected.values_list("messenger__slug", "reason")) == [
        (salesforce.slug, "rejected")
    ]


def test_expired_events_that_keep_coming_end_in_a_visible_error(
    customer_page, production, salesforce
):
    page, recorder = _page(customer_page)
    page.goto("/")
    open_chat(page, "verified")
    for answered in range(2, 5):  # each expiry is answered with a fresh token ...
        page.evaluate("window.__standin.expire()")
        recorder.wait_for(page, "setIdentityToken", answered)
    page.evaluate("window.__standin.expire()")  # ... up to 3 a minute: the 4th is a loop
    page.wait_for_selector("#chat-status[data-state=error]")
    page.wait_for_timeout(300)
    assert len(recorder.named("setIdentityToken")) == 1 + 3  # the click, then at most 3 a minute
    assert "kept asking" in page.inner_text("#chat-status")


def test_after_a_reload_the_open_chat_gets_its_identity_again(
    customer_page, production, salesforce
):
    page, recorder = _page(customer_page)
    page.goto("/")
    open_chat(page, "verified")
    page.reload()
    handed = recorder.wait_for(page, "setIdentityToken", 2)
    assert handed[1]["identityToken"] != handed[0]["identityToken"]
    page.wait_for_selector("#chat-status[data-state=verified]")


def test_logging_out_of_the_portal_clears_the_salesforce_session(
    customer_page, production, salesforce
):
    page, recorder = _page(customer_page)
    page.goto("/")
    open_chat(page, "verified")
    page.click("text=Log out")
    page.wait_for_url("**/logged-out/")
    assert recorder.named("clearSession") == [[True]]
    # a later visit does not restore a widget for nobody
    assert page.evaluate("window.localStorage.getItem('portalChat.open')") is None


def test_an_unreachable_widget_is_shown_and_retry_loads_it(customer_page, production, salesforce):
    page = customer_page
    recorder = isolate(page)  # the bootstrap script cannot be fetched at first
    tokens = token_responses(page)
    page.goto("/")
    open_chat(page, "error")
    assert "could not be loaded" in page.inner_text("#chat-status")
    assert tokens == []  # no token for a widget that is not there
    serve_standin(page, SCRIPT, "salesforce")
    page.click("#chat-retry")
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
    assert len(recorder.named("init")) == 1
    assert len(recorder.named("setIdentityToken")) == 1 and len(tokens) == 1
