"""The agent console in Chromium: staff log in through the portal's two steps and come back;
the queue updates itself (new lines, previews, unread markers) and filters without a reload."""

import re

import pytest
from playwright.sync_api import expect

from sandbox.models import Conversation, Rejection
from sandbox.services import post_message, typing_mark, typing_now
from tests import factories
from tests.browser.conftest import session_context
from tests.factories import PASSWORD
from tests.sandbox.console_world import platform_conversation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 15000  # ms: the console polls every 5 s (the queue) or 3 s (a conversation)
QUEUE_POLL, CONVERSATION_POLL = "00:05", "00:03"


@pytest.fixture
def agent_page(browser, portal, staff_user):
    """The console's page, its timers on Playwright's clock: time flows as usual, and a test
    that waits for the next poll moves the clock to it (``page.clock.run_for``) instead of
    sleeping."""
    context = session_context(
        browser, portal, staff_user, factories.TOTPDeviceFactory(user=staff_user)
    )
    page = context.new_page()
    page.clock.install()
    yield page
    context.close()


def test_staff_open_the_console_through_the_portal_login_and_come_back(
    browser, portal, staff_user
):
    factories.backup_device(staff_user, codes=("agent-code-1",))
    context = browser.new_context(base_url=portal.url)
    page = context.new_page()
    page.goto("/sandbox/console/?brand=acme")
    assert re.search(r"/login/\?next=", page.url)
    # the portal's own first step: no "OTP Token" field, no device drop-down
    assert page.locator("select").count() == 0
    assert "OTP Token" not in page.content()
    page.fill("#id_username", staff_user.username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/login/verify/"))
    assert page.locator("select").count() == 0
    page.fill("#id_code", "agent-code-1")
    page.press("#id_code", "Enter")
    page.wait_for_url(re.compile(r"/sandbox/console/\?brand=acme$"))
    expect(page.locator("h1")).to_have_text("Queue")
    expect(page.locator(".agent-bar")).to_contain_text("Agent console")
    context.close()


def test_the_queue_updates_and_filters_without_a_reload(agent_page):
    page = agent_page
    first = platform_conversation(
        first="Alan", last="Turing", brand="acme", messenger="acme-web", minutes_ago=5
    )
    page.goto("/sandbox/console/")
    row = page.locator(".q-row", has_text="Alan Turing")
    expect(row).to_have_class(re.compile(r"\bis-unread\b"))  # never opened: new
    expect(row.locator(".q-unread")).to_have_text("New")
    page.evaluate("window.sameDocument = true")

    # a customer writes: the preview and the unread count appear by themselves
    Conversation.objects.filter(pk=first.pk).update(agent_read_at=first.created_at)
    post_message(first, sender="customer", body="Where is my refund?")
    page.clock.run_for(QUEUE_POLL)
    expect(row.locator(".q-preview")).to_have_text("Where is my refund?", timeout=LIVE)
    expect(row.locator(".q-unread")).to_have_text("1 unread")
    # a conversation of another brand and a rejected token arrive
    platform_conversation(
        first="Grace", last="Hopper", brand="harbor", messenger="harbor-web", minutes_ago=0
    )
    Rejection.objects.create(reason="expired", detail="token expired", brand="acme")
    page.clock.run_for(QUEUE_POLL)
    expect(page.locator(".q-row")).to_have_count(3, timeout=LIVE)
    expect(page.locator("#queue-status")).to_contain_text("3 in the queue, 2 unread")
    expect(page).to_have_title(re.compile(r"^\(2\) Queue · Sandbox contact center"))

    # filters apply at once and stay in the address
    page.select_option("#filter-brand", "harbor")  # a brand that appeared live
    expect(page.locator(".q-row")).to_have_count(1)
    expect(page.locator(".q-row")).to_contain_text("Grace Hopper")
    assert page.url.endswith("?brand=harbor&status=")
    page.select_option("#filter-brand", "")
    page.select_option("#filter-status", "unverified")
    expect(page.locator(".q-row")).to_have_count(1)
    expect(page.locator(".q-row")).to_contain_text("REJECTED")
    page.select_option("#filter-status", "verified")
    expect(page.locator(".q-row.verified-item")).to_have_count(2)
    expect(page.locator(".q-row.rejected-item")).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True  # never reloaded


def test_a_slow_answer_to_an_earlier_filter_does_not_replace_the_newer_one(agent_page):
    page = agent_page
    platform_conversation(
        first="Alan", last="Turing", brand="acme", messenger="acme-web", minutes_ago=1
    )
    Rejection.objects.create(reason="expired", detail="token expired", brand="acme")
    page.goto("/sandbox/console/")
    expect(page.locator(".q-row")).to_have_count(2)
    # the queue's answer for "all identities" comes back late, after the agent's next choice
    page.evaluate(
        """() => {
          const realFetch = window.fetch;
          window.fetch = async (url, options) => {
            const response = await realFetch(url, options);
            if (String(url).endsWith("status=")) await new Promise((r) => setTimeout(r, 1500));
            return response;
          };
        }"""
    )
    page.select_option("#filter-status", "verified")
    page.select_option("#filter-status", "")
    page.select_option("#filter-status", "unverified")
    expect(page.locator(".q-row")).to_have_count(1)
    page.wait_for_timeout(2000)  # the late answer has arrived by now; the next poll is 5 s away
    # read once, no retries: a wrong paint now would be repaired by the next poll
    assert page.locator(".q-row").all_inner_texts()[0].startswith("REJECTED")
    assert page.locator(".q-row").count() == 1


def test_an_open_conversation_shows_new_messages_and_stays_read(agent_page):
    page = agent_page
    conversation = platform_conversation(
        first="Alan", last="Turing", brand="acme", messenger="acme-web", minutes_ago=5
    )
    page.goto(f"/sandbox/console/conversations/{conversation.pk}/")
    with page.expect_response(lambda r: r.url.endswith("/read")) as marked:
        post_message(conversation, sender="customer", body="Are you still there?")
        page.clock.run_for(CONVERSATION_POLL)
        expect(page.locator("#messages li", has_text="Are you still there?")).to_be_visible(
            timeout=LIVE
        )
    assert marked.value.status == 204
    page.goto("/sandbox/console/")
    row = page.locator(".q-row", has_text="Alan Turing")
    expect(row.locator(".q-preview")).to_have_text("Are you still there?")
    expect(row).not_to_have_class(re.compile(r"\bis-unread\b"))


def test_an_ended_session_stops_the_queue_with_a_login_link(agent_page, staff_user):
    page = agent_page
    page.goto("/sandbox/console/")
    page.context.clear_cookies()
    page.clock.run_for(QUEUE_POLL)
    link = page.locator("#queue-status a", has_text="Log in again")
    expect(link).to_be_visible(timeout=LIVE)
    assert link.get_attribute("href") == "/login/?next=%2Fsandbox%2Fconsole%2F"


def test_the_api_docs_render_in_the_browser_from_the_portal_alone(browser, portal):
    context = browser.new_context(base_url=portal.url)
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/api/docs/")
    expect(page.locator(".opblock", has_text="/api/v1/messaging/token")).to_be_visible()
    expect(page.locator(".info .title")).to_contain_text("Verified chat identity portal API")
    assert [u for u in requests if not u.startswith((portal.url, "data:"))] == []
    assert errors == []  # among others: no Content-Security-Policy violation
    context.close()


def test_a_reply_sends_with_enter_without_a_reload(agent_page, staff_user):
    page = agent_page
    conversation = platform_conversation(
        first="Alan", last="Turing", brand="acme", messenger="acme-web", minutes_ago=5
    )
    page.goto(f"/sandbox/console/conversations/{conversation.pk}/")
    page.evaluate("window.sameDocument = true")
    page.fill("#reply", "Let me check that for you.")
    page.press("#reply", "Enter")
    expect(
        page.locator("#messages li.agent", has_text="Let me check that for you.")
    ).to_be_visible()
    expect(page.locator("#reply")).to_have_value("")
    expect(page.locator("#reply")).to_be_focused()
    expect(page.locator("#reply-status")).to_have_text("Reply sent.")
    assert page.evaluate("window.sameDocument") is True
    message = conversation.messages.get()
    assert (message.sender, message.agent_name) == ("agent", "Sam Staff")
    # Shift+Enter is a new line, not a send
    page.fill("#reply", "first line")
    page.press("#reply", "Shift+Enter")
    assert conversation.messages.count() == 1


def test_typing_is_shown_both_ways_between_console_and_chat_window(agent_page):
    page = agent_page
    conversation = platform_conversation(
        first="Alan", last="Turing", brand="acme", messenger="acme-web", minutes_ago=5
    )
    page.goto(f"/sandbox/console/conversations/{conversation.pk}/")
    # the agent types: the platform tells the customer's window (which polls ``typing``)
    assert typing_now(conversation)["agent"] is False
    with page.expect_response(lambda r: r.url.endswith("/typing")) as sent:
        page.type("#reply", "Let me")
    assert sent.value.status == 204
    assert typing_now(conversation)["agent"] is True
    # the customer types: the console says so without a reload
    typing_mark(conversation, sender="customer")
    page.clock.run_for(CONVERSATION_POLL)
    expect(page.locator("#customer-typing")).to_have_text("Alan is typing…", timeout=LIVE)
