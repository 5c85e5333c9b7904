"""The agent console's queue: one line per entry, preview, unread, filters, live JSON."""

import json

import pytest
from django.test import Client

from sandbox.models import Conversation, Rejection
from sandbox.services import post_message
from tests.sandbox.console_world import platform_conversation

pytestmark = pytest.mark.django_db

CONSOLE = "/sandbox/console/"
QUEUE = "/sandbox/console/queue/"


def _queue(client, **filters) -> dict:
    response = client.get(QUEUE, filters, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.json()


@pytest.fixture
def world(db):
    read = platform_conversation(
        first="Grace",
        last="Hopper",
        brand="harbor",
        messenger="harbor-web",
        minutes_ago=30,
        messages=(("customer", "Card limit?"), ("agent", "Raised to 5000.")),
        read=True,
    )
    unread = platform_conversation(
        first="Alan",
        last="Turing",
        brand="acme",
        messenger="acme-web",
        minutes_ago=10,
        messages=(("customer", "Transfer pending"), ("customer", "Still pending <b>now</b>")),
    )
    Rejection.objects.create(reason="expired", detail="token expired", brand="acme")
    return {"read": read, "unread": unread}


def test_each_line_shows_the_last_message_as_a_preview(world, staff_client):
    html = staff_client.get(CONSOLE).content.decode()
    assert "Still pending &lt;b&gt;now&lt;/b&gt;" in html  # escaped, never markup
    assert "You:</span> Raised to 5000." in html  # the agent's own last reply


def test_unread_counts_customer_messages_after_the_agent_last_looked(world, staff_client):
    data = _queue(staff_client)
    assert data["count"] == 3 and data["unread"] == 1
    assert "2 unread" in data["html"]
    # opening the conversation marks it read
    staff_client.get(f"/sandbox/console/conversations/{world['unread'].pk}/")
    data = _queue(staff_client)
    assert data["unread"] == 0 and "unread" not in data["html"]
    # a new customer message makes it unread again; the agent's own reply does not
    post_message(world["read"], sender="agent", body="Anything else?", agent_name="Sam")
    assert _queue(staff_client)["unread"] == 0
    post_message(world["read"], sender="customer", body="Yes, one more thing")
    data = _queue(staff_client)
    assert data["unread"] == 1 and "1 unread" in data["html"]
    assert "Yes, one more thing" in data["html"]


def test_a_conversation_never_opened_is_new(db, staff_client):
    platform_conversation(
        first="Ada", last="Byron", brand="acme", messenger="acme-web", minutes_ago=1
    )
    data = _queue(staff_client)
    assert data["unread"] == 1 and ">New<" in data["html"] and "No messages yet" in data["html"]


def test_the_open_page_marks_new_messages_read(world, staff_client):
    conversation = world["unread"]
    response = staff_client.post(f"/sandbox/console/conversations/{conversation.pk}/read")
    assert response.status_code == 204
    assert _queue(staff_client)["unread"] == 0


def test_the_most_recently_active_line_comes_first(world, staff_client):
    html = _queue(staff_client)["html"]
    assert html.index("expired") < html.index("Alan Turing") < html.index("Grace Hopper")
    post_message(world["read"], sender="customer", body="Back again")
    html = _queue(staff_client)["html"]
    assert html.index("Grace Hopper") < html.index("expired") < html.index("Alan Turing")


def test_brand_filter_keeps_one_brands_lines(world, staff_client):
    data = _queue(staff_client, brand="harbor")
    assert "Grace Hopper" in data["html"] and "Alan Turing" not in data["html"]
    assert "expired" not in data["html"]
    assert data["brands"] == [["acme", "acme"], ["harbor", "harbor"]]  # no setup: the slugs
    html = staff_client.get(CONSOLE, {"brand": "harbor"}).content.decode()
    assert '<option value="harbor" selected>' in html and "Alan Turing" not in html


def test_identity_filter_separates_verified_and_rejected(world, staff_client):
    verified = _queue(staff_client, status="verified")["html"]
    assert "VERIFIED" in verified and "REJECTED" not in verified
    unverified = _queue(staff_client, status="unverified")["html"]
    assert "REJECTED" in unverified and "expired" in unverified and "VERIFIED" not in unverified
    assert _queue(staff_client, status="nonsense")["count"] == 3  # unknown value: no filter


def test_an_empty_filter_says_so(world, staff_client):
    data = _queue(staff_client, brand="nobody")
    assert data["count"] == 0 and "Nothing matches these filters." in data["html"]


def test_polling_after_the_session_ended_answers_json_401(client):
    response = client.get(QUEUE, HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert json.loads(response.content) == {
        "error": "not_authenticated",
        "detail": "log in again to see the queue",
    }


def test_a_customer_cannot_read_the_queue_or_mark_conversations(world, verified_client):
    response = verified_client.get(QUEUE, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    page = verified_client.get(CONSOLE)
    assert page.status_code == 403 and "isn't available to your account" in page.content.decode()
    conversation = world["unread"]
    response = verified_client.post(f"/sandbox/console/conversations/{conversation.pk}/read")
    assert response.status_code == 403
    assert Conversation.objects.get(pk=conversation.pk).agent_read_at is None


def test_staff_portal_home_and_admin_index_link_to_the_console(staff_client):
    assert 'href="/sandbox/console/"' in staff_client.get("/").content.decode()
    assert 'href="/sandbox/console/"' in staff_client.get("/admin/").content.decode()


def test_a_customer_home_has_no_console_link(verified_client):
    assert "/sandbox/console/" not in verified_client.get("/").content.decode()


def test_marking_read_needs_a_csrf_token(world, staff_user):
    from tests import factories
    from tests.conftest import login_verified

    client = login_verified(
        Client(enforce_csrf_checks=True), staff_user, factories.TOTPDeviceFactory(user=staff_user)
    )
    response = client.post(f"/sandbox/console/conversations/{world['unread'].pk}/read")
    assert response.status_code == 403
    assert Conversation.objects.get(pk=world["unread"].pk).agent_read_at is None


def test_brands_are_shown_by_the_name_in_their_messengers_setup(world, staff_client, stub_portal):
    # given the portal's public setup of acme-web names its brand "Acme Bank"; harbor-web has none
    stub_portal.setup["acme-web"][1]["brand_name"] = "Acme Bank"
    Rejection.objects.filter(brand="acme").update(messenger="acme-web")
    # when the agent opens the queue and one of Acme's conversations
    html = staff_client.get(CONSOLE).content.decode()
    conversation = staff_client.get(f"/sandbox/console/conversations/{world['unread'].pk}/")
    # then Acme's lines, the brand filter and the conversation say "Acme Bank", not the slug
    assert html.count('<span class="q-brand">Acme Bank</span>') == 2  # the chat and the refusal
    assert '<span class="q-brand">harbor</span>' in html  # unknown to the portal: its slug
    assert '<option value="acme">Acme Bank</option>' in html
    assert _queue(staff_client)["brands"] == [["acme", "Acme Bank"], ["harbor", "harbor"]]
    assert '<span class="conv-brand">Acme Bank</span>' in conversation.content.decode()


def test_a_refusal_shows_a_label_for_agents_beside_its_code(world, staff_client):
    html = _queue(staff_client, status="unverified")["html"]
    assert '<span class="q-reason">Token expired</span>' in html
    assert '<code class="reason">expired</code>' in html


def test_every_refusal_code_has_an_agent_label():
    from sandbox.templatetags.sandbox_console import AGENT_REASON_LABELS, reason_label
    from sandbox.verifier.reasons import REASON_CODES

    assert {code: reason_label(code) != code for code in REASON_CODES} == dict.fromkeys(
        REASON_CODES, True
    )
    assert len(set(AGENT_REASON_LABELS.values())) == len(REASON_CODES)
    assert reason_label("something_new") == "something_new"


def test_the_console_wears_the_platforms_bar_not_the_portals(world, staff_client, staff_user):
    html = staff_client.get(CONSOLE).content.decode()
    assert '<header class="agent-bar">' in html
    assert "Sandbox contact center" in html
    assert ">Sign out</button>" in html
    assert (staff_user.get_full_name() or staff_user.get_username()) in html
    assert "site-footer" not in html and 'class="topbar"' not in html
