"""The sandbox's Genesys profile: discovery, code exchange with the client secret, id_token
verification with nonce, attributes lookup; all over HTTP against the live portal."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from sandbox.models import Conversation, Rejection
from tests.messaging.oidc_helpers import auth_code

pytestmark = pytest.mark.django_db(transaction=True)
SESSIONS = "/sandbox/api/sessions"


@pytest.fixture
def genesys(genesys_in_sandbox):
    return genesys_in_sandbox


def _open(code: dict):
    return Client().post(
        SESSIONS, {"messenger": "acme-genesys", "auth_code": code}, content_type="application/json"
    )


def test_a_genesys_sign_in_opens_a_verified_conversation_with_certified_attributes(
    genesys, customer, verified_client
):
    code = auth_code(verified_client, "acme-genesys").json()
    response = _open(code)
    assert response.status_code == 201, response.json()
    conversation = Conversation.objects.get(pk=response.json()["conversation"])
    assert conversation.status == "verified" and conversation.platform == "genesys"
    assert conversation.subject == customer.customer_id
    assert (conversation.first_name, conversation.account_tier) == (customer.first_name, "gold")
    assert (conversation.account_balance, conversation.currency) == ("1234.56", "EUR")
    assert conversation.is_vip is False


def test_a_code_replayed_to_the_platform_is_rejected(genesys, customer, verified_client):
    code = auth_code(verified_client, "acme-genesys").json()
    assert _open(code).status_code == 201
    response = _open(code)
    assert response.status_code == 401
    assert Rejection.objects.get().messenger == "acme-genesys"


def test_a_nonce_that_is_not_the_pages_is_refused(genesys, customer, verified_client):
    code = auth_code(verified_client, "acme-genesys").json()
    response = _open({**code, "nonce": "someone-elses"})
    assert (response.status_code, response.json()["reason"]) == (401, "invalid_claim")


def test_a_wrong_client_secret_in_the_platform_is_a_rejection_not_a_500(
    genesys, customer, verified_client
):
    call_command(
        "sandbox_credential",
        "acme-genesys",
        f"--client-id={genesys['client_id']}",
        "--secret-stdin",
        stdin=io.StringIO("not-the-secret"),
        stdout=io.StringIO(),
    )
    response = _open(auth_code(verified_client, "acme-genesys").json())
    assert response.status_code == 401
    assert "invalid_client" in response.json()["detail"]


@pytest.mark.parametrize("code", [None, "abc", {"authCode": 5}, {"authCode": "x"}])
def test_malformed_auth_codes_are_rejected_with_a_reason(genesys, code):
    response = _open(code)
    assert response.status_code == 401
    assert response.json()["reason"] == "malformed"
