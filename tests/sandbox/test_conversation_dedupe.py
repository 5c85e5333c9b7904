"""One conversation per customer and messenger while it is open: a Chat click from another
tab, device or login joins it, so the agent's queue never fills with empty duplicates."""

import time

import pytest

from sandbox.models import Conversation
from tests.sandbox.helpers import claims, mint

SESSIONS = "/sandbox/api/sessions"


def _open(client, token, messenger="acme-web", **extra):
    body = {"messenger": messenger, "token": token, **extra}
    return client.post(SESSIONS, body, content_type="application/json")


@pytest.fixture
def opened(db, client, stub_portal, rsa_key):
    response = _open(client, mint(rsa_key))
    assert response.status_code == 201
    return response.json()


def test_two_chat_clicks_without_a_remembered_conversation_share_one(client, opened, rsa_key):
    # given a conversation opened by a first click, with no message yet
    # when a second window of the same customer opens the chat (it remembers nothing)
    again = _open(client, mint(rsa_key)).json()
    # then it joins the open conversation: the queue shows one line
    assert again["resumed"] is True and again["conversation"] == opened["conversation"]
    assert Conversation.objects.count() == 1


def test_the_joining_window_takes_the_conversation_over(client, opened, rsa_key):
    again = _open(client, mint(rsa_key)).json()
    url = f"/sandbox/api/conversations/{opened['conversation']}/messages"
    old = client.get(url, HTTP_X_CONVERSATION_SECRET=opened["secret"])
    new = client.get(url, HTTP_X_CONVERSATION_SECRET=again["secret"])
    assert (old.status_code, new.status_code) == (403, 200)


def test_another_customer_gets_a_conversation_of_their_own(client, opened, rsa_key):
    other = _open(client, mint(rsa_key, claims(sub="cust-other"))).json()
    assert other["resumed"] is False and other["conversation"] != opened["conversation"]
    assert Conversation.objects.count() == 2


def test_a_conversation_idle_past_the_resume_window_is_not_joined(client, opened, rsa_key):
    import time_machine

    with time_machine.travel(time.time() + 9 * 3600, tick=False):
        data = _open(client, mint(rsa_key)).json()
    assert data["resumed"] is False and data["conversation"] != opened["conversation"]
