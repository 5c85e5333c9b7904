"""The Genesys adapter in Chromium against a stand-in of the Messenger SDK.

Production settings (the sandbox is not served). The stand-in implements the documented
command API (the snippet's queue, registerPlugin, registerCommand, subscribe, command, ready)
and asks the AuthProvider for codes as Genesys's Auth plugin does. The portal's auth-code API
is answered here with its documented shape (docs/architecture.md, "Browser interfaces" 3), one
new code per request, so the test sees exactly which code Genesys was handed.
"""

import base64
import json
import time
from urllib.parse import quote, urlencode

import pytest
import time_machine
from django.test import Client
from django.urls import NoReverseMatch, reverse

from brands import services as brand_services
from brands.models import Messenger
from tests.browser.vendors import (
    csp_directives,
    isolate,
    open_chat,
    serve_standin,
    standin_page,
    verify_rs256,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = "https://apps.mypurecloud.ie/genesys-bootstrap/genesys.min.js"
DEPLOYMENT = "0f3c2a9e-5b1d-4c8e-9a7f-2d6e8b1c4a3f"


REDIRECT = "https://contact.acme.example/support"


@pytest.fixture
def genesys(brand, signing_key):
    extra = {}
    if hasattr(Messenger, "redirect_uris"):  # a Genesys messenger is an OIDC client
        extra["redirect_uris"] = [REDIRECT]
    return brand_services.messenger_create(
        brand=brand,
        slug="acme-genesys",
        platform="genesys",
        algorithm="RS256",
        vendor_settings={
            "deployment_id": DEPLOYMENT,
            "environment": "prod-euw1",
            "domain": "mypurecloud.ie",
        },
        **extra,
    )


class AuthCodeApi:
    """The portal's auth-code endpoint as documented: a new single-use code per request."""

    def __init__(self, page, *, error: tuple[int, str] | None = None):
        self.requests = []
        self.error = error
        page.route("**/api/v1/messaging/auth-code", self.answer)

    def answer(self, route):
        request = route.request
        self.requests.append(
            {
                "method": request.method,
                "body": json.loads(request.post_data or "{}"),
                "csrf": request.headers.get("x-csrftoken"),
            }
        )
        if self.error:
            status, code = self.error
            body = {"error": code, "detail": code}
        else:
            n = len(self.requests)
            status = 200
            body = {
                "authCode": f"code-{n}-{time.time_ns()}",
                "redirectUri": "https://portal.example/brands/acme/oidc/callback",
                "nonce": f"nonce-{n}",
            }
        route.fulfill(
            status=status,
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
            body=json.dumps(body),
        )


def _page(customer_page, config=None, **api):
    page, recorder = standin_page(customer_page, SCRIPT, "genesys", config)
    return page, recorder, AuthCodeApi(page, **api)


def test_get_auth_code_is_answered_with_a_fresh_code_through_the_auth_provider_plugin(
    customer_page, production, genesys
):
    page, recorder, api = _page(customer_page)
    response = page.goto("/")
    page.wait_for_load_state("networkidle")
    assert api.requests == [] and recorder.calls == []  # nothing minted at page load
    assert "/sandbox/" not in page.content()

    open_chat(page, "verified")

    assert recorder.named("boot") == [{"environment": "prod-euw1", "deploymentId": DEPLOYMENT}]
    assert recorder.named("registerPlugin") == ["AuthProvider"]
    assert set(recorder.named("registerCommand")) == {"getAuthCode", "reAuthenticate"}
    assert {"Auth.authenticated", "Auth.authError", "Auth.loggedOut"} <= set(
        recorder.named("subscribe")
    )
    assert recorder.named("ready") == ["AuthProvider"]
    (answer,) = recorder.named("getAuthCode")
    assert api.requests == [
        {"method": "POST", "body": {"messenger": "acme-genesys"}, "csrf": api.requests[0]["csrf"]}
    ]
    assert api.requests[0]["csrf"]  # the session's CSRF token goes with it
    assert answer["authCode"].startswith("code-1-")
    assert answer["redirectUri"] == "https://portal.example/brands/acme/oidc/callback"
    assert answer["nonce"] == "nonce-1"
    assert recorder.named("Messenger.open") == [None]
    assert "verified customer" in page.inner_text("#chat-status")
    csp = csp_directives(response)
    for origin in ("https://apps.mypurecloud.ie", "https://webmessaging.mypurecloud.ie"):
        assert origin in csp["script-src"] and origin in csp["connect-src"]


def test_an_hour_later_genesys_is_handed_a_new_code_not_a_cached_one(
    customer_page, production, genesys
):
    page, recorder, api = _page(customer_page)
    page.clock.install()
    page.goto("/")
    open_chat(page, "verified")
    with time_machine.travel(time.time() + 61 * 60, tick=True):
        page.clock.fast_forward("01:01:00")
        page.evaluate("window.__standin.requestCode()")
        answers = recorder.wait_for(page, "getAuthCode", 2)
    assert len(api.requests) == 2
    assert answers[1]["authCode"] != answers[0]["authCode"]
    assert answers[1]["nonce"] == "nonce-2"
    page.wait_for_selector("#chat-status[data-state=verified]")


def test_a_refused_code_gets_one_fresh_code_then_a_visible_error(
    customer_page, production, genesys
):
    page, recorder, api = _page(customer_page, {"rejectCodes": 5})
    page.goto("/")
    open_chat(page, "error")
    page.wait_for_timeout(500)  # nothing more may happen on its own
    assert len(recorder.named("getAuthCode")) == 2  # the first and exactly one retry
    assert len(api.requests) == 2
    assert recorder.named("reAuthenticate.resolved") == [None]
    assert recorder.named("reAuthenticate.rejected") == [None]
    assert "could not confirm that it's you" in page.inner_text(
        "#chat-status"
    )  # the customer's words
    assert "invalid_grant" not in page.inner_text(
        "#chat-status"
    )  # the code is for the agent console
    assert page.is_visible("#chat-retry")


def test_a_portal_refusal_is_shown_and_genesys_gets_no_code(customer_page, production, genesys):
    page, recorder, api = _page(customer_page, error=(403, "mfa_required"))
    page.goto("/")
    open_chat(page, "error")
    assert "two-step verification" in page.inner_text("#chat-status")
    assert len(api.requests) == 1  # no retry against a portal refusal
    assert recorder.named("getAuthCode") == []
    assert len(recorder.named("getAuthCode.rejected")) == 1


def test_logging_out_of_the_portal_logs_out_of_genesys(customer_page, production, genesys):
    page, recorder, _api = _page(customer_page)
    page.goto("/")
    open_chat(page, "verified")
    page.click("text=Log out")
    page.wait_for_url("**/logged-out/")
    assert recorder.named("Auth.logout") == [None]


# --- against the portal's real auth-code API and OpenID Connect provider ----------------


@pytest.fixture
def genesys_client(brand, signing_key):
    """A Genesys messenger that is an OIDC client of the brand, and its client secret."""
    try:
        reverse("messaging:auth-code")
    except NoReverseMatch:
        pytest.skip("the auth-code API is not on this branch yet")
    messenger = brand_services.messenger_create(
        brand=brand,
        slug="acme-genesys",
        platform="genesys",
        algorithm="RS256",
        attributes=["names", "tier", "vip", "balance"],
        redirect_uris=[REDIRECT],
        vendor_settings={
            "deployment_id": DEPLOYMENT,
            "environment": "prod-euw1",
            "domain": "mypurecloud.ie",
        },
    )
    return messenger, brand_services.client_secret_rotate(messenger=messenger)


def _redeem(messenger, secret: str, answer: dict) -> dict:
    """What Genesys's servers do with the code: exchange it with the client secret."""
    form = {"grant_type": "authorization_code", "code": answer["authCode"]}
    form["redirect_uri"] = answer["redirectUri"]
    if "codeVerifier" in answer:
        form["code_verifier"] = answer["codeVerifier"]
    response = Client().post(
        reverse("messaging:oidc-token", args=[messenger.brand.slug]),
        urlencode(form),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION="Basic "
        + base64.b64encode(
            f"{quote(messenger.client_id, safe='')}:{quote(secret, safe='')}".encode()
        ).decode(),
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_the_code_from_the_real_api_redeems_for_an_id_token_of_the_customer(
    customer_page, production, genesys_client, customer, portal
):
    messenger, secret = genesys_client
    recorder = isolate(customer_page)
    serve_standin(customer_page, SCRIPT, "genesys")
    page = customer_page
    page.clock.install()
    page.goto("/")
    open_chat(page, "verified")
    (first,) = recorder.named("getAuthCode")
    assert first["redirectUri"] == REDIRECT
    tokens = _redeem(messenger, secret, first)
    claims = verify_rs256(
        portal, tokens["id_token"], issuer=messenger.brand.issuer_url, audience=messenger.client_id
    )
    assert claims["sub"] == customer.customer_id
    assert claims["nonce"] == first["nonce"]
    # Genesys asks again an hour later: a new code from the API, redeemable in its turn
    with time_machine.travel(time.time() + 61 * 60, tick=True):
        page.clock.fast_forward("01:01:00")
        page.evaluate("window.__standin.requestCode()")
        second = recorder.wait_for(page, "getAuthCode", 2)[1]
        assert second["authCode"] != first["authCode"]
        later = _redeem(messenger, secret, second)
        verify_rs256(
            portal,
            later["id_token"],
            issuer=messenger.brand.issuer_url,
            audience=messenger.client_id,
        )
