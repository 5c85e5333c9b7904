"""The reports end to end, in Chromium: a customer clicks Chat twice in the sandbox, a forged
token is rejected on the way, and the report page and ``report --json`` show it all.

Lives with the other browser tests so it shares their one Playwright session (the other
report tests are in tests/reports/)."""

import io
import json
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from messaging.models import AuthEvent
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[1] / "reports" / "screenshots"


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _forge_first_token(route, forged=[]):  # noqa: B006 -- one forgery per test page
    response = route.fetch()
    body = response.json()
    if not forged:
        header, payload, signature = body["token"].split(".")
        flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
        body["token"] = f"{header}.{payload}.{flipped}"
        forged.append(True)
    route.fulfill(response=response, body=json.dumps(body))


def test_two_chats_and_a_forged_token_show_in_the_report_page_and_command(
    customer_page, messenger, staff_page, tmp_path
):
    # given a customer whose first token is forged on its way to the platform
    page = customer_page
    forged: list = []
    page.route("**/api/v1/messaging/token", lambda route: _forge_first_token(route, forged))
    page.goto("/")
    # when they click Chat (rejected, the glue retries once with a fresh token: verified)
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
    # and click Chat a second time
    page.click("#chat-button")
    page.wait_for_selector("#chat-status[data-state=connecting]", timeout=5000)
    page.wait_for_selector("#chat-status[data-state=verified]", timeout=20000)
    assert _wait_for(lambda: AuthEvent.objects.filter(kind="platform_verified").count() == 2), (
        list(AuthEvent.objects.values_list("kind", flat=True))
    )
    assert forged

    # then report --json shows 2 attempts, 2 verified, the rejection and the gaps
    out = io.StringIO()
    call_command("report", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["attempts"], data["verified"], data["success_rate"]) == (2, 2, 1.0)
    assert data["rejected"] == {"bad_signature": 1}
    assert data["gap_samples"] == 2
    assert 0 < data["gap_ms"]["p50"] <= data["gap_ms"]["p99"] < 20000
    assert data["unverified_fallbacks"] == 0
    assert data["not_verified"] == {}  # the rejected token was retried: the attempt verified
    # and a platform's export of these two conversations (jti from the token API) plus one
    # unverified conversation, imported as a vendor's file would be
    jtis = list(AuthEvent.objects.filter(kind="token_issued").values_list("jti", flat=True))
    start = AuthEvent.objects.earliest("occurred_at").occurred_at.isoformat()
    export = tmp_path / "export.csv"
    export.write_text(
        "conversation_id,jti,sub,start,end,handle_seconds\n"
        + "".join(f"v{i},{jti},,{start},{start},60\n" for i, jti in enumerate(jtis[-2:]))
        + f"u1,,,{start},{start},80\n"
    )
    call_command(
        "import_conversations",
        "--brand",
        messenger.brand.slug,
        "--format",
        "generic",
        str(export),
        stdout=io.StringIO(),
    )

    # and so does the staff page, in the browser
    staff_page.goto("/admin/")
    staff_page.click("text=Authentication report")
    staff_page.select_option("#id_period", "today")
    staff_page.click("button:has-text('Show')")
    staff_page.wait_for_selector("#tile-attempts")
    assert staff_page.inner_text("#tile-attempts .value") == "2"
    assert staff_page.inner_text("#tile-verified .value") == "2"
    assert "100" in staff_page.inner_text("#tile-success .value")
    assert "bad_signature" in staff_page.inner_text("#rejections")
    gap_cells = staff_page.locator("#gap-table tbody td").all_inner_texts()
    assert gap_cells[0].endswith((" ms", " s")) and gap_cells[3] == "2"  # humanised
    assert staff_page.inner_text("#outcomes-total") == "2"  # verified 2, no other reason
    roi = staff_page.inner_text("#roi tbody tr")
    assert "1 min" in roi and "1 min 20 s" in roi and "25 % shorter when verified" in roi
    # accessible, and nothing wider than a phone's screen (wide tables scroll in place)
    for viewport in ({"width": 390, "height": 844}, {"width": 1280, "height": 900}):
        staff_page.set_viewport_size(viewport)
        assert staff_page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert_accessible(staff_page)
    assert staff_page.locator("figure.chart svg").count() == 3
    SHOTS.mkdir(exist_ok=True)
    screenshot(staff_page, SHOTS / "report.png", full_page=True)
    # the rejection drills down to its event
    staff_page.click("#rejections a:has-text('bad_signature')")
    staff_page.wait_for_selector("#events")
    screenshot(staff_page, SHOTS / "events.png", full_page=True)
    rows = staff_page.locator("#events tbody tr").all_inner_texts()
    assert len(rows) == 1 and "platform_rejected" in rows[0] and "bad_signature" in rows[0]
    assert "cus_" in rows[0]  # the customer's public id, never a token
