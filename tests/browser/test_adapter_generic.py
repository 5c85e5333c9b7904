"""The generic platform in production (sandbox off): the brand's own widget gets fresh tokens
through the portal's documented DOM hook (``portalchat:open`` / ``portalchat:logout``,
platforms/generic/static/adapter.js), and the page never mentions the sandbox."""

import json

import pytest

from tests.browser.vendors import STANDINS, isolate, open_chat, token_responses, verify_rs256

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(page, config=None, widget=True):
    recorder = isolate(page)
    if config is not None:
        page.add_init_script(f"window.__standinConfig = {json.dumps(config)};")
    if widget:
        page.add_init_script(path=str(STANDINS / "brand_widget.js"))
    return page, recorder


def test_the_brands_widget_gets_a_fresh_verifiable_token_and_no_sandbox_is_named(
    customer_page, production, messenger, customer, portal
):
    page, recorder = _page(customer_page)
    tokens = token_responses(page)
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert tokens == []
    html = page.content()
    assert "/sandbox/" not in html and "sandboxChatUrl" not in html

    open_chat(page, "verified")

    (handed,) = recorder.named("token")
    assert handed["messenger"] == messenger.slug
    claims = verify_rs256(
        portal, handed["token"], issuer=messenger.brand.issuer_url, audience=messenger.audience
    )
    assert claims["sub"] == customer.customer_id
    assert page.locator("iframe").count() == 0


def test_without_a_widget_listening_the_customer_sees_an_error(
    customer_page, production, messenger
):
    page, _recorder = _page(customer_page, widget=False)
    page.clock.install()
    page.goto("/")
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=connecting]")
    page.clock.fast_forward("00:11")
    page.wait_for_selector("#chat-status[data-state=error]")
    assert "could not be loaded" in page.inner_text("#chat-status")


def test_a_refusal_gets_one_fresh_token_then_a_visible_error(customer_page, production, messenger):
    page, recorder = _page(customer_page, {"reject": 5})
    tokens = token_responses(page)
    page.goto("/")
    open_chat(page, "error")
    page.wait_for_timeout(500)
    assert len(recorder.named("token")) == 2 and len(tokens) == 2
    assert "could not confirm that it's you" in page.inner_text(
        "#chat-status"
    )  # the customer's words
    assert "bad_signature" not in page.inner_text(
        "#chat-status"
    )  # the code is for the agent console


def test_logging_out_tells_the_brands_widget_first(customer_page, production, messenger):
    page, recorder = _page(customer_page)
    page.goto("/")
    open_chat(page, "verified")
    page.click("text=Log out")
    page.wait_for_url("**/logged-out/")
    assert recorder.named("logout") == [messenger.slug]
