"""The chat window's postMessage protocol in Chromium (the portal's glue is tested elsewhere).

A stand-in parent page (same origin, the live server) frames /sandbox/chat/ and plays the
widget glue's part; the portal's setup and JWKS come from the loopback stub server.
"""

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox.models import Conversation, Message, Rejection
from tests.browser.conftest import CHROMIUM, launch_chromium
from tests.sandbox.helpers import claims, mint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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


def in_browser(base_url, steps):
    """Run ``steps(page)`` in a fresh Chromium on a worker thread.

    The suite may already hold a sync Playwright loop on the main thread (tests/browser's
    session fixture); a second one there would refuse to start.
    """

    def work():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = browser.new_context(base_url=base_url).new_page()
                page.goto("/healthz")
                return steps(page)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result(timeout=120)


@pytest.fixture
def window(live_server, stub_portal):
    return lambda steps: in_browser(live_server.url, steps)


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


def test_rejected_in_words_then_a_fresh_token_verifies_and_chatting(window, rsa_key, attacker_key):
    bad, good = mint(attacker_key), mint(rsa_key)

    def steps(page):
        page.evaluate(PARENT, [bad])
        assert _events(page, 2) == ["sandbox:ready", "sandbox:rejected:bad_signature"]
        frame = _frame(page)
        # the customer reads words, not the verifier's code (that is for the agent console)
        refusal = frame.locator("#rejected").inner_text()
        assert "We couldn't confirm it's you" in refusal and "bad_signature" not in refusal
        assert frame.locator("#rejected button").count() == 0  # the page has the one Retry
        # the page's retry hands the window a fresh token, which it accepts
        page.evaluate(
            "(t) => document.querySelector('iframe').contentWindow.postMessage("
            "{type: 'sandbox:token', token: t, clickedAt: Date.now()}, location.origin)",
            good,
        )
        events = _events(page, 3)
        assert events[2] == "sandbox:verified"
        assert "VERIFIED" in frame.locator(".verified-line").inner_text()
        assert "Ada Lovelace" in frame.locator("#who").inner_text()
        frame.locator("#body").fill("Hello from the window")
        frame.locator("#send button[type=submit]").click()
        frame.locator("#messages li", has_text="Hello from the window").wait_for()

    window(steps)
    assert Message.objects.get().body == "Hello from the window"
    assert Rejection.objects.get().reason == "bad_signature"


def test_expired_token_is_not_sent_and_a_fresh_one_is_accepted(window, rsa_key):
    now = int(time.time())
    tokens = [mint(rsa_key, claims(iat=now - 400, exp=now - 60)), mint(rsa_key)]

    def steps(page):
        page.evaluate(PARENT, tokens)
        return _events(page, 3)

    assert window(steps) == ["sandbox:ready", "sandbox:token_expired", "sandbox:verified"]
    assert Rejection.objects.count() == 0  # the stale token never reached the platform
    assert Conversation.objects.count() == 1


def test_token_after_verification_is_acknowledged(window, rsa_key):
    tokens = [mint(rsa_key), mint(rsa_key)]

    def steps(page):
        page.evaluate(PARENT, tokens)
        _events(page, 2)
        page.evaluate("window.give()")
        return _events(page, 3)

    assert window(steps)[2] == "sandbox:verified"
    assert Conversation.objects.count() == 1


def test_tokens_not_from_the_parent_or_our_origin_are_ignored(window, rsa_key):
    token = mint(rsa_key)

    def steps(page):
        page.evaluate(PARENT, [])
        _events(page, 1)
        page.evaluate(
            "(t) => { const w = document.querySelector('iframe').contentWindow;"
            " w.postMessage({type: 'sandbox:token', token: t}, 'https://evil.example'); }",
            token,
        )
        page.wait_for_timeout(500)
        return _frame(page).locator("#status").inner_text()

    assert "Connecting you to support" in window(steps)  # still waiting for its parent
    assert Conversation.objects.count() == 0
