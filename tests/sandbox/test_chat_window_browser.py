"""The chat window's postMessage protocol in Chromium (the portal's glue is tested elsewhere).

A stand-in parent page (same origin, the live server) frames /sandbox/chat/ and plays the
widget glue's part; the portal's setup and JWKS come from the loopback stub server.
"""

import os
import time

import pytest

from tests.sandbox import helpers
from tests.sandbox.helpers import claims, mint
from tests.sandbox.jwks_server import JWKSServer

CHROMIUM = "/usr/bin/chromium"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]

PARENT = """(tokens) => {
  window.events = [];
  const queue = [...tokens];
  const frame = document.createElement('iframe');
  const give = () => {
    if (!queue.length) return;
    frame.contentWindow.postMessage(
      {type: 'sandbox:token', token: queue.shift(), clickedAt: Date.now() - 700},
      location.origin);
  };
  window.addEventListener('message', (event) => {
    if (event.source !== frame.contentWindow || event.origin !== location.origin) return;
    window.events.push(event.data.type + (event.data.reason ? ':' + event.data.reason : ''));
    if (['sandbox:ready', 'sandbox:retry', 'sandbox:token_expired'].includes(event.data.type)) {
      give();
    }
  });
  window.give = give;
  frame.src = '/sandbox/chat/?messenger=acme-web';
  document.body.append(frame);
}"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def stub_portal(jwks, settings):
    with JWKSServer() as srv:
        srv.document = jwks
        srv.setup["acme-web"] = (
            200,
            {
                "messenger": "acme-web",
                "brand": "acme",
                "platform": "generic",
                "issuer": helpers.ISSUER,
                "audience": helpers.AUDIENCE,
                "jwks_uri": srv.url,
                "algorithms": ["RS256"],
                "token_type": "JWT",
            },
        )
        settings.SANDBOX_PORTAL_URL = srv.base
        yield srv


@pytest.fixture
def page(browser, live_server, stub_portal):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/healthz")
    yield page
    context.close()


def _events(page, count, timeout=15.0):
    # polled from Python: wait_for_function would need 'unsafe-eval' under the page's CSP
    deadline = time.monotonic() + timeout
    while True:
        events = page.evaluate("window.events")
        if len(events) >= count or time.monotonic() > deadline:
            return events
        page.wait_for_timeout(100)


def _frame(page):
    return page.frame_locator("iframe")


def test_rejected_then_retried_then_verified_and_chatting(page, rsa_key, attacker_key):
    page.evaluate(PARENT, [mint(attacker_key)])
    assert _events(page, 2) == ["sandbox:ready", "sandbox:rejected:bad_signature"]
    frame = _frame(page)
    assert frame.locator("#reason").inner_text() == "bad_signature"
    # Retry asks the parent for a fresh token, which the window accepts
    page.evaluate("(t) => { window.nextToken = t; }", mint(rsa_key))
    page.evaluate(
        "window.addEventListener('message', (e) => { if (e.data.type === 'sandbox:retry')"
        " e.source.postMessage({type: 'sandbox:token', token: window.nextToken,"
        " clickedAt: Date.now()}, location.origin); })"
    )
    frame.locator("#retry").click()
    events = _events(page, 4)
    assert events[2] == "sandbox:retry"
    assert events[3].startswith("sandbox:verified")
    assert "VERIFIED" in frame.locator(".verified-line").inner_text()
    assert "Ada Lovelace" in frame.locator("#who").inner_text()
    frame.locator("#body").fill("Hello from the window")
    frame.locator("#send button[type=submit]").click()
    frame.locator("#messages li", has_text="Hello from the window").wait_for()


def test_expired_token_is_not_sent_and_a_fresh_one_is_accepted(page, rsa_key):
    now = int(time.time())
    stale = mint(rsa_key, claims(iat=now - 400, exp=now - 60))
    page.evaluate(PARENT, [stale, mint(rsa_key)])
    events = _events(page, 3)
    assert events == ["sandbox:ready", "sandbox:token_expired", "sandbox:verified"]
    from sandbox.models import Rejection

    assert Rejection.objects.count() == 0  # the stale token never reached the platform


def test_token_after_verification_is_acknowledged(page, rsa_key):
    page.evaluate(PARENT, [mint(rsa_key), mint(rsa_key)])
    _events(page, 2)
    page.evaluate("window.give()")
    assert _events(page, 3)[2] == "sandbox:verified"
    from sandbox.models import Conversation

    assert Conversation.objects.count() == 1


def test_messages_from_other_origins_are_ignored(page, rsa_key):
    page.evaluate(PARENT, [])
    _events(page, 1)
    # a message whose origin is not ours (simulated by a wrong targetOrigin) never arrives;
    # one from the right origin but not from the parent window is ignored
    page.evaluate(
        "(t) => { const w = document.querySelector('iframe').contentWindow;"
        " w.postMessage({type: 'sandbox:token', token: t}, 'https://evil.example'); }",
        mint(rsa_key),
    )
    page.wait_for_timeout(500)
    assert "Waiting" in _frame(page).locator("#status").inner_text()
