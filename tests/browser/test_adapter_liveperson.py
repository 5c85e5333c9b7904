"""The LivePerson adapter in Chromium against a stand-in of the web tag's authenticated
messaging (the JS-method flavour of consumer authentication).

Production settings (the sandbox is not served): every page load of the logged-in customer
sets up LivePerson's Web Tag (``lpTag`` with its queues, tag.js?site=<account>), pushes the
identity function LivePerson requires on authenticated pages and defines the configured JS
method, without minting a token; the Messaging window calls the method whenever it needs a
token and gets a fresh RS256 token with the certified attributes as ``lp_sdes``.
Contract (LivePerson's documentation):
https://developers.liveperson.com/consumer-authentication-detailed-api-authentication-implementation-guide.html
(``lpTag.identities.push(fn)``, ``fn(callback)`` -> ``callback({iss, acr: "loa1", sub})``),
https://developers.liveperson.com/web-tag-overview.html (the tag, once per page).
"""

import time

import pytest
import time_machine

from brands import services as brand_services
from tests.browser.vendors import (
    csp_directives,
    standin_page,
    verify_rs256,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACCOUNT = "12345678"
SCRIPT = f"https://lptag.liveperson.net/tag/tag.js?site={ACCOUNT}"


@pytest.fixture
def liveperson(brand, signing_key):
    return brand_services.messenger_create(
        brand=brand,
        slug="acme-liveperson",
        platform="liveperson",
        algorithm="RS256",
        attributes=["names", "tier", "vip", "balance"],
        vendor_settings={"account_id": ACCOUNT},
    )


def _page(customer_page, config=None):
    return standin_page(customer_page, SCRIPT, "liveperson", config)


def _start(page):
    page.click("#chat-button")
    page.click("#lp-engagement", timeout=20000)  # the customer starts the LivePerson chat


def test_every_page_load_registers_the_identity_function_without_minting_a_token(
    customer_page, production, liveperson, customer
):
    page, recorder = _page(customer_page)
    page.goto("/")
    (identity,) = recorder.wait_for(page, "identity", 1)
    assert identity == {
        "iss": liveperson.brand.issuer_url,
        "acr": "loa1",
        "sub": customer.customer_id,
    }
    (tag,) = recorder.named("tag")
    assert tag["site"] == ACCOUNT and tag["tagCount"] == 1
    assert set(tag["queues"]) == {"vars", "dbs", "ctn", "sdes", "hooks", "identities", "ev"}
    assert page.evaluate("typeof window.lpGetAuthenticationToken") == "function"
    assert recorder.named("token") == []  # no token before LivePerson asks for one
    assert "/sandbox/" not in page.content()

    # a reload is a new authenticated page: the identity is there again
    page.reload()
    recorder.wait_for(page, "identity", 2)
    assert recorder.named("token") == []


def test_the_js_method_answers_with_a_fresh_token_carrying_lp_sdes(
    customer_page, production, liveperson, customer, portal
):
    page, recorder = _page(customer_page)
    response = page.goto("/")
    page.wait_for_load_state("networkidle")
    assert recorder.named("token") == []

    _start(page)
    (token,) = recorder.wait_for(page, "token", 1)
    page.wait_for_selector("#chat-status[data-state=open]")

    assert [tag["site"] for tag in recorder.named("tag")] == [ACCOUNT]  # loaded once
    claims = verify_rs256(
        portal, token, issuer=liveperson.brand.issuer_url, audience=liveperson.audience
    )
    assert claims["sub"] == customer.customer_id
    kinds = {entry["type"] for entry in claims["lp_sdes"]}
    assert {"ctmrinfo", "personal"} <= kinds
    csp = csp_directives(response)
    assert "https://lptag.liveperson.net" in csp["script-src"]


def test_asked_again_an_hour_later_it_answers_with_a_new_token(
    customer_page, production, liveperson, portal
):
    page, recorder = _page(customer_page)
    page.clock.install()
    page.goto("/")
    _start(page)
    recorder.wait_for(page, "token", 1)
    with time_machine.travel(time.time() + 61 * 60, tick=True):
        page.clock.fast_forward("01:01:00")
        page.evaluate("window.__standin.expire()")
        tokens = recorder.wait_for(page, "token", 2)
        later = verify_rs256(
            portal, tokens[1], issuer=liveperson.brand.issuer_url, audience=liveperson.audience
        )
    first = verify_rs256(
        portal, tokens[0], issuer=liveperson.brand.issuer_url, audience=liveperson.audience
    )
    assert later["exp"] >= first["exp"] + 60 * 60 and later["jti"] != first["jti"]
    assert "error" not in page.get_attribute("#chat-status", "data-state")


def test_a_refused_token_is_answered_once_more_then_the_loop_is_shown(
    customer_page, production, liveperson
):
    page, recorder = _page(customer_page, {"reject": 5})
    page.goto("/")
    _start(page)
    page.wait_for_selector("#chat-status[data-state=error]", timeout=20000)
    page.wait_for_timeout(500)
    assert len(recorder.named("token")) == 2  # the first and exactly one retry
    assert "could not confirm that it's you" in page.inner_text(
        "#chat-status"
    )  # the customer's words
    assert "rejected" not in page.inner_text("#chat-status")  # the code is for the agent console


def test_logging_out_removes_the_method_so_nothing_answers_for_the_next_person(
    customer_page, production, liveperson
):
    page, recorder = _page(customer_page)
    page.goto("/")
    _start(page)
    recorder.wait_for(page, "token", 1)
    # LivePerson asks once more just as the customer logs out: nobody answers any more
    page.evaluate(
        """() => {
            const form = [...document.forms].find((f) => f.action.endsWith('/logout/'));
            form.addEventListener('submit', () => setTimeout(() => window.__standin.expire(), 0));
        }"""
    )
    page.click("text=Log out")
    page.wait_for_url("**/logged-out/")
    assert recorder.named("noMethod") == ["lpGetAuthenticationToken"]
    assert len(recorder.named("token")) == 1


def test_logging_out_withdraws_the_identity_function(customer_page, production, liveperson):
    page, recorder = _page(customer_page)
    page.goto("/")
    recorder.wait_for(page, "identity", 1)
    page.evaluate(
        """() => {
            const form = [...document.forms].find((f) => f.action.endsWith('/logout/'));
            const later = () => setTimeout(() => window.__standin.identify(), 0);
            form.addEventListener('submit', later);
        }"""
    )
    page.click("text=Log out")
    page.wait_for_url("**/logged-out/")
    assert len(recorder.named("identity")) == 1  # nothing names the customer any more
