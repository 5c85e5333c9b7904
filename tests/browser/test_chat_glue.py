"""The widget glue in a real browser: refresh on demand, bounded retries, visible errors.

The sandbox chat window is replaced here by a stand-in page that speaks the sandbox's
postMessage protocol and answers as the test tells it to, so only the glue is under test.
"""

import base64
import json
import time

import pytest
import time_machine

from tests.browser.vendors import token_responses

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAND_IN = """<!doctype html><html><body><p id="state">stand-in</p><script>
const verdict = %s;
let n = 0;
window.addEventListener("message", (e) => {
  if (e.origin !== location.origin || e.data.type !== "sandbox:token") return;
  n += 1;
  document.getElementById("state").textContent = "token " + n;
  parent.postMessage(verdict === "reject" ? {type: "sandbox:rejected", reason: "bad_signature"}
                                          : {type: "sandbox:verified", conversation: "c" + n},
                     location.origin);
});
parent.postMessage({type: "sandbox:ready"}, location.origin);
</script></body></html>"""


def _stand_in(page, verdict: str):
    page.route(
        "**/sandbox/chat/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body=STAND_IN % json.dumps(verdict)
        ),
    )


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_no_token_at_page_load_and_one_per_chat_click(customer_page, messenger):
    page = customer_page
    _stand_in(page, "verify")
    tokens = token_responses(page)
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert tokens == []  # nothing minted at page load
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=verified]")
    assert len(tokens) == 1 and tokens[0].status == 200
    assert "verified customer" in page.inner_text("#chat-status")


def test_chat_an_hour_after_page_load_gets_a_fresh_token(customer_page, messenger):
    page = customer_page
    _stand_in(page, "verify")
    tokens = token_responses(page)
    page.clock.install()
    page.goto("/")
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=verified]")
    first = _claims(tokens[0].json()["token"])
    # the customer reads for 61 minutes: page clock and server clock both move on
    with time_machine.travel(time.time() + 61 * 60, tick=True):
        page.clock.fast_forward("01:01:00")
        page.click("#chat-button")
        page.wait_for_function("document.querySelectorAll('iframe').length === 1")
        page.wait_for_selector("#chat-status[data-state=verified]")
        assert len(tokens) == 2
        second = _claims(tokens[1].json()["token"])
    assert second["exp"] > first["exp"] + 60 * 60
    assert second["jti"] != first["jti"]


def test_a_rejection_causes_exactly_one_refresh_then_a_visible_error(customer_page, messenger):
    page = customer_page
    _stand_in(page, "reject")
    tokens = token_responses(page)
    page.goto("/")
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=error]")
    page.wait_for_timeout(500)  # nothing more may happen on its own
    assert len(tokens) == 2  # the first try and exactly one refresh
    status = page.inner_text("#chat-status")
    assert "could not confirm that it's you" in status  # the customer's words
    assert "bad_signature" not in status  # the code is for the agent console
    assert page.is_visible("#chat-retry")
    # the customer chooses to retry: one more fresh token, never a loop
    page.click("#chat-retry")
    page.wait_for_selector("#chat-status[data-state=error]")
    page.wait_for_timeout(300)
    assert len(tokens) == 3


def test_a_portal_refusal_is_shown_not_swallowed(customer_page, messenger, settings):
    page = customer_page
    _stand_in(page, "verify")
    page.goto("/")
    # the messenger is switched off while the page is open
    messenger.is_active = False
    messenger.save()
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=error]")
    assert "not available" in page.inner_text("#chat-status")
