"""Which adapter the page hands each messenger, what it names, and the CSP it widens.

Read from the page as a browser gets it: the ``#chat-config`` JSON, the HTML and the
Content-Security-Policy header of the response.
"""

import json

import pytest

from brands import services as brand_services
from tests import factories
from tests.browser.conftest import session_context
from tests.browser.vendors import (
    SALESFORCE_SCRT2,
    SALESFORCE_SITE,
    csp_directives,
    isolate,
    salesforce_messenger,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SITE, SCRT2 = SALESFORCE_SITE, SALESFORCE_SCRT2


def _load(page):
    isolate(page)
    response = page.goto("/")
    config = json.loads(page.inner_text("#chat-config"))
    return config, response


def test_with_the_sandbox_served_a_flagged_messenger_uses_the_sandbox_window(
    customer_page, brand, signing_key, settings
):
    settings.SANDBOX_ENABLED = True
    salesforce_messenger(brand, sandbox=True)
    config, response = _load(customer_page)
    (entry,) = config["messengers"]
    assert entry["adapter"] == "sandbox"
    assert config["sandboxChatUrl"] == "/sandbox/chat/"
    assert "acme.my.site.com" not in response.headers["content-security-policy"]


def test_with_the_sandbox_served_sandbox_false_loads_the_vendor_widget(
    customer_page, brand, signing_key, settings
):
    settings.SANDBOX_ENABLED = True
    salesforce_messenger(brand, sandbox=False)
    config, response = _load(customer_page)
    (entry,) = config["messengers"]
    assert entry["adapter"] == "salesforce"
    assert entry["vendor"] == {
        "orgId": "00D5g000004abcdEAA",
        "deploymentName": "Acme_Web_Messaging",
        "siteUrl": SITE,
        "scrt2Url": SCRT2,
        "scriptUrl": f"{SITE}/assets/js/bootstrap.min.js",
    }
    assert SCRT2 in csp_directives(response)["connect-src"]


def test_in_production_the_flag_is_ignored_and_nothing_names_the_sandbox(
    customer_page, brand, signing_key, production
):
    salesforce_messenger(brand, sandbox=True)
    config, response = _load(customer_page)
    (entry,) = config["messengers"]
    assert entry["adapter"] == "salesforce"
    assert "sandboxChatUrl" not in config
    assert config["authCodeUrl"] == "/api/v1/messaging/auth-code"
    assert config["logoutUrl"] == "/logout/"
    assert "/sandbox/" not in customer_page.content()
    assert "sandbox" not in response.headers["content-security-policy"]


def test_the_vendor_origins_are_allowed_only_on_pages_of_customers_with_that_messenger(
    browser, portal, customer_page, brand, signing_key, other_brand, production
):
    salesforce_messenger(brand)
    brand_services.messenger_create(brand=other_brand, slug="globex-web", platform="generic")
    # a customer of Acme (Salesforce) and one of Globex only (generic messenger)
    _, acme_response = _load(customer_page)
    other = factories.CustomerFactory()
    factories.MembershipFactory(customer=other, brand=other_brand)
    context = session_context(
        browser, portal, other.user, factories.TOTPDeviceFactory(user=other.user)
    )
    other_page = context.new_page()
    other_config, other_response = _load(other_page)
    context.close()

    acme_csp = csp_directives(acme_response)
    for directive in ("script-src", "connect-src", "frame-src"):
        assert "https://acme.my.site.com" in acme_csp[directive]
    assert [m["slug"] for m in other_config["messengers"]] == ["globex-web"]
    other_csp = other_response.headers["content-security-policy"]
    assert "acme.my.site.com" not in other_csp and "salesforce-scrt" not in other_csp
    assert acme_csp["frame-ancestors"] == "'none'"
