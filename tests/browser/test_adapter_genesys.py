"""The Genesys adapter (issue 8 item 7) in Chromium against a stand-in of the Messenger SDK.

Production settings (the sandbox is not served). The stand-in implements the documented
command API (the snippet's queue, registerPlugin, registerCommand, subscribe, command, ready)
and asks the AuthProvider for codes as Genesys's Auth plugin does. The portal's auth-code API
is answered here with its documented shape (INTERFACES.md 3), one new code per request, so the
test sees exactly which code Genesys was handed.
"""

import json
import time

import pytest
import time_machine

from brands import services as brand_services
from tests.browser.vendors import csp_directives, isolate, serve_standin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = "https://apps.mypurecloud.ie/genesys-bootstrap/genesys.min.js"
DEPLOYMENT = "0f3c2a9e-5b1d-4c8e-9a7f-2d6e8b1c4a3f"


@pytest.fixture
def production(settings):
    settings.SANDBOX_ENABLED = False


@pytest.fixture
def genesys(brand, signing_key):
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
    recorder = isolate(customer_page)
    serve_standin(customer_page, SCRIPT, "genesys", config)
    return customer_page, recorder, AuthCodeApi(customer_page, **api)


def _open_chat(page, state="verified"):
    page.click("#chat-button")
    page.wait_for_selector(f"#chat-status[data-state={state}]", timeout=20000)


def test_get_auth_code_is_answered_with_a_fresh_code_through_the_auth_provider_plugin(
    customer_page, production, genesys
):
    page, recorder, api = _page(customer_page)
    response = page.goto("/")
    page.wait_for_load_state("networkidle")
    assert api.requests == [] and recorder.calls == []  # nothing minted at page load
    assert "/sandbox/" not in page.content()

    _open_chat(page)

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
    _open_chat(page)
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
    _open_chat(page, state="error")
    page.wait_for_timeout(500)  # nothing more may happen on its own
    assert len(recorder.named("getAuthCode")) == 2  # the first and exactly one retry
    assert len(api.requests) == 2
    assert recorder.named("reAuthenticate.resolved") == [None]
    assert recorder.named("reAuthenticate.rejected") == [None]
    assert "could not be verified (invalid_grant)" in page.inner_text("#chat-status")
    assert page.is_visible("#chat-retry")


def test_a_portal_refusal_is_shown_and_genesys_gets_no_code(customer_page, production, genesys):
    page, recorder, api = _page(customer_page, error=(403, "mfa_required"))
    page.goto("/")
    _open_chat(page, state="error")
    assert "two-step verification" in page.inner_text("#chat-status")
    assert len(api.requests) == 1  # no retry against a portal refusal
    assert recorder.named("getAuthCode") == []
    assert len(recorder.named("getAuthCode.rejected")) == 1


def test_logging_out_of_the_portal_logs_out_of_genesys(customer_page, production, genesys):
    page, recorder, _api = _page(customer_page)
    page.goto("/")
    _open_chat(page)
    page.click("text=Log out")
    page.wait_for_url("**/login/**")
    assert recorder.named("Auth.logout") == [None]
