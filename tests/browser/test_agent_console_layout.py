"""The agent console as an agent reads it, in Chromium: times in the agent's own zone, 24-hour,
the zone named; brands by name; no line of the queue clipped at 1280 px or 390 px."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from playwright.sync_api import expect

from sandbox.models import Conversation, Message
from tests import factories
from tests.browser.conftest import session_context
from tests.conftest import login_verified
from tests.sandbox.console_world import busy_queue, platform_conversation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})


@pytest.fixture
def paris_agent(browser, portal, staff_user):
    """A verified agent whose browser runs in Paris (CET in winter)."""
    client = login_verified(Client(), staff_user, factories.TOTPDeviceFactory(user=staff_user))
    context = browser.new_context(base_url=portal.url, timezone_id="Europe/Paris")
    host = portal.url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    yield context.new_page()
    context.close()


def test_times_are_24_hour_in_the_agents_zone_with_the_zone_named(paris_agent):
    # given a conversation that started and got a message at 13:05 UTC on 15 January
    at = datetime(2026, 1, 15, 13, 5, tzinfo=UTC)
    conversation = platform_conversation(
        first="Ada", last="Lovelace", brand="acme", messenger="acme-web", minutes_ago=0,
        messages=(("customer", "Hello"),),
    )  # fmt: skip
    Conversation.objects.filter(pk=conversation.pk).update(created_at=at, last_message_at=at)
    Message.objects.filter(conversation=conversation).update(created_at=at)
    # when an agent in Paris opens the queue and the conversation
    page = paris_agent
    page.goto("/sandbox/console/")
    # then the bar names the zone, and a line of an earlier day shows its date
    expect(page.locator("[data-times-note]")).to_have_text("Times in CET, 24-hour")
    expect(page.locator(".q-row .q-time")).to_have_text("15 Jan")
    page.goto(f"/sandbox/console/conversations/{conversation.pk}/")
    # then 13:05 UTC reads 14:05, the start with its date and zone
    expect(page.locator(".msg time")).to_have_text("14:05")
    expect(page.locator(".conv-head time")).to_have_text("15 Jan 2026, 14:05 CET")
    assert "PM" not in page.inner_text("main")


def test_no_queue_line_is_clipped_and_brands_read_by_name(
    browser, portal, staff_user, customer, messenger
):
    # given a busy queue, the verified line's brand known to the portal by its name
    busy_queue(customer, messenger)
    context = session_context(
        browser, portal, staff_user, factories.TOTPDeviceFactory(user=staff_user)
    )
    page = context.new_page()
    for viewport in WIDTHS:
        page.set_viewport_size(viewport)
        page.goto("/sandbox/console/")
        page.wait_for_selector(".q-row")
        # then no name, brand line or refusal is cut off, and nothing scrolls sideways
        clipped = page.evaluate(
            """() => [...document.querySelectorAll('.q-who, .q-meta')]
                .filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.innerText)"""
        )
        assert clipped == [], viewport
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        ada = page.locator(".q-row", has_text="Ada Lovelace")
        expect(ada.locator(".q-brand")).to_have_text(messenger.brand.name)
        refusal = page.locator(".q-row.is-rejected")
        expect(refusal.locator(".q-reason")).to_have_text("Signature does not verify")
        expect(refusal.locator("code.reason")).to_have_text("bad_signature")
    context.close()
