"""The chat window picks its conversation up again, wears the brand, and shows agent typing."""

import time

import pytest
from django.test import Client

from sandbox.models import Conversation
from tests.sandbox.conftest import messenger_setup
from tests.sandbox.helpers import claims, mint

SESSIONS = "/sandbox/api/sessions"


def _open(client, token, **extra):
    body = {"messenger": "acme-web", "token": token, **extra}
    return client.post(SESSIONS, body, content_type="application/json")


def _messages(client, conversation, secret):
    return client.get(
        f"/sandbox/api/conversations/{conversation}/messages",
        HTTP_X_CONVERSATION_SECRET=secret,
    )


@pytest.fixture
def first(db, client, stub_portal, rsa_key):
    data = _open(client, mint(rsa_key)).json()
    client.post(
        f"/sandbox/api/conversations/{data['conversation']}/messages",
        {"body": "My card was declined"},
        content_type="application/json",
        HTTP_X_CONVERSATION_SECRET=data["secret"],
    )
    return data


def test_a_fresh_token_of_the_same_customer_resumes_the_conversation(client, first, rsa_key):
    again = _open(client, mint(rsa_key), resume=first["conversation"])
    assert again.status_code == 201
    data = again.json()
    assert data["resumed"] is True and data["conversation"] == first["conversation"]
    assert Conversation.objects.count() == 1
    # the history is there, under the new secret; the old secret no longer opens it
    bodies = [
        m["body"]
        for m in _messages(client, data["conversation"], data["secret"]).json()["messages"]
    ]
    assert bodies == ["My card was declined"]
    assert _messages(client, first["conversation"], first["secret"]).status_code == 403


def test_another_customer_never_resumes_someone_elses_conversation(client, first, rsa_key):
    other = _open(client, mint(rsa_key, claims(sub="cust-other")), resume=first["conversation"])
    data = other.json()
    assert data["resumed"] is False and data["conversation"] != first["conversation"]
    assert Conversation.objects.count() == 2
    assert _messages(client, data["conversation"], data["secret"]).json()["messages"] == []


@pytest.mark.parametrize("resume", ["not-a-uuid", 42, "00000000-0000-0000-0000-000000000000"])
def test_a_bad_resume_id_joins_the_customers_open_conversation(client, first, rsa_key, resume):
    data = _open(client, mint(rsa_key), resume=resume).json()
    assert data["resumed"] is True and data["conversation"] == first["conversation"]


def test_a_rejected_token_resumes_nothing(client, first, attacker_key):
    refused = _open(client, mint(attacker_key), resume=first["conversation"])
    assert refused.status_code == 401 and "secret" not in refused.json()


def test_an_old_conversation_is_not_resumed(client, first, rsa_key):
    import time_machine

    with time_machine.travel(time.time() + 9 * 3600, tick=False):
        token = mint(rsa_key)
        data = _open(client, token, resume=first["conversation"]).json()
    assert data["resumed"] is False


def test_agent_typing_reaches_the_customer_window(client, first, staff_client):
    url = f"/sandbox/api/conversations/{first['conversation']}"
    assert _messages(client, first["conversation"], first["secret"]).json()["typing"] == {
        "agent": False,
        "customer": False,
    }
    assert staff_client.post(f"{url}/typing").status_code == 204
    typing = _messages(client, first["conversation"], first["secret"]).json()["typing"]
    assert typing == {"agent": True, "customer": False}
    # a stranger cannot pretend to type
    assert Client().post(f"{url}/typing", HTTP_X_CONVERSATION_SECRET="nope").status_code == 403


def test_the_chat_window_wears_the_brand_of_its_messenger(client, stub_portal):
    stub_portal.setup["acme-web"] = (
        200,
        {**messenger_setup(stub_portal), "brand_name": "Acme <Bank>", "brand_color": "#0e6e63"},
    )
    html = client.get("/sandbox/chat/", {"messenger": "acme-web"}).content.decode()
    assert "<h1>Acme &lt;Bank&gt;</h1>" in html
    assert 'data-brand-color="#0e6e63"' in html
    assert "sandbox platform" not in html.lower()


def test_a_brand_colour_that_is_not_hex_is_ignored(client, stub_portal):
    stub_portal.setup["acme-web"] = (
        200,
        {**messenger_setup(stub_portal), "brand_color": "red;}body{display:none"},
    )
    html = client.get("/sandbox/chat/", {"messenger": "acme-web"}).content.decode()
    assert 'data-brand-color=""' in html


def test_an_unknown_messenger_gets_a_neutral_window(client, stub_portal):
    html = client.get("/sandbox/chat/", {"messenger": "nope"}).content.decode()
    assert "<h1>Support</h1>" in html
