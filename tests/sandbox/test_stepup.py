"""Assurance and agent-initiated step-up in the sandbox platform (sandbox/stepup.py)."""

import time

import pytest
from django.test import Client

from sandbox.models import Conversation
from tests.conftest import login_verified
from tests.sandbox.helpers import claims, mint

SESSIONS = "/sandbox/api/sessions"


@pytest.fixture
def portal(stub_portal):
    return stub_portal


def _assured(**extra):
    return claims(
        auth_time=int(time.time()) - 600, amr=["pwd", "otp"], acr="urn:portal:acr:otp", **extra
    )


@pytest.fixture
def conversation(db, client, portal, rsa_key):
    body = {"messenger": "acme-web", "token": mint(rsa_key, _assured())}
    data = client.post(SESSIONS, body, content_type="application/json").json()
    return Conversation.objects.get(pk=data["conversation"]), data["secret"]


def url(c):
    return f"/sandbox/api/conversations/{c.pk}/assurance"


def hand_over(client, c, secret, token):
    return client.post(
        url(c),
        {"token": token},
        content_type="application/json",
        HTTP_X_CONVERSATION_SECRET=secret,
    )


def test_the_opening_token_gives_the_conversation_its_assurance(conversation, client):
    c, secret = conversation
    assert (c.acr, c.amr) == ("urn:portal:acr:otp", ["pwd", "otp"])
    data = client.get(url(c), HTTP_X_CONVERSATION_SECRET=secret).json()
    assert data["method"] == "one-time code" and data["minutesAgo"] == 10
    assert data["stepupRequestedAt"] is None


def test_a_step_up_is_requested_by_the_agent_and_cleared_by_a_fresh_token(
    conversation, client, rsa_key, staff_user
):
    from tests import factories

    c, secret = conversation
    agent = login_verified(Client(), staff_user, factories.TOTPDeviceFactory(user=staff_user))
    response = agent.post(
        f"/sandbox/console/conversations/{c.pk}/stepup", HTTP_ACCEPT="application/json"
    )
    assert response.json()["stepupRequestedAt"]
    # the chat window sees it when it polls
    assert client.get(url(c), HTTP_X_CONVERSATION_SECRET=secret).json()["stepupRequestedAt"]
    # a token proven BEFORE the request does not clear it
    stale = hand_over(client, c, secret, mint(rsa_key, _assured()))
    assert stale.status_code == 200 and stale.json()["stepupRequestedAt"]
    # a fresh passkey token does
    fresh = claims(auth_time=int(time.time()) + 1, amr=["pwd", "hwk", "user"])
    fresh["acr"] = "urn:portal:acr:passkey"
    data = hand_over(client, c, secret, mint(rsa_key, fresh)).json()
    assert data["stepupRequestedAt"] is None
    assert (data["method"], data["acr"]) == ("passkey", "urn:portal:acr:passkey")
    # and the console shows it
    page = agent.get(f"/sandbox/console/conversations/{c.pk}/").content.decode()
    assert "passkey" in page and "0 minutes ago" in page


def test_a_token_for_another_customer_is_refused_and_changes_nothing(
    conversation, client, rsa_key
):
    c, secret = conversation
    other = _assured(sub="someone-else")
    response = hand_over(client, c, secret, mint(rsa_key, other))
    assert (response.status_code, response.json()["reason"]) == (400, "invalid_claim")
    assert Conversation.objects.get(pk=c.pk).acr == "urn:portal:acr:otp"


def test_a_forged_or_replayed_token_is_refused(conversation, client, rsa_key, attacker_key):
    c, secret = conversation
    forged = hand_over(client, c, secret, mint(attacker_key, _assured()))
    assert forged.status_code == 400 and forged.json()["error"] == "rejected"
    token = mint(rsa_key, _assured())
    assert hand_over(client, c, secret, token).status_code == 200
    assert hand_over(client, c, secret, token).json()["reason"] == "replayed"


def test_only_the_customer_hands_over_tokens_and_garbage_is_not_a_500(conversation, client):
    c, secret = conversation
    assert client.get(url(c)).status_code == 403
    assert hand_over(client, c, "wrong-secret", "a.b.c").status_code == 403
    for body in ({"token": 5}, {}, {"token": "x" * 20000}):
        response = client.post(
            url(c), body, content_type="application/json", HTTP_X_CONVERSATION_SECRET=secret
        )
        assert response.status_code == 400
