"""The OpenID Connect provider's browser authorize endpoint, and what it must never do: leak
codes, tokens or secrets to the logs, outlive a logout, or take oversized or too many token
requests."""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import AuthorizationCode, OidcGrant
from messaging.oidc.services import s256
from tests import factories
from tests.conftest import GENESYS_REDIRECT, login_verified
from tests.messaging.oidc_helpers import (
    auth_code,
    authorize_request,
    exchange,
    refresh_request,
    token_request,
    userinfo_request,
    verify_id_token,
)

pytestmark = pytest.mark.django_db


# --- the browser authorize endpoint -----------------------------------------------------------


def test_authorize_sends_a_stranger_through_login_and_back(genesys_client):
    response = authorize_request(Client(), genesys_client[0])
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("accounts:login")
    assert parse_qs(location.query)["next"][0].startswith("/brands/acme/oidc/authorize?")


def test_authorize_sends_a_password_only_session_to_the_second_step(
    password_only_client, genesys_client
):
    response = authorize_request(password_only_client, genesys_client[0])
    assert urlsplit(response["Location"]).path == reverse("accounts:verify")


def test_authorize_redirects_a_verified_customer_with_a_code_that_works_with_pkce(
    verified_client, customer, genesys_client
):
    messenger, secret = genesys_client
    verifier = "v" * 50
    response = authorize_request(
        verified_client, messenger, code_challenge=s256(verifier), code_challenge_method="S256"
    )
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == GENESYS_REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-1"] and query["iss"] == ["http://testserver/brands/acme"]
    body = exchange(Client(), messenger, secret, query["code"][0], code_verifier=verifier).json()
    claims = verify_id_token(Client(), messenger.brand, body["id_token"], messenger.client_id)
    assert claims["nonce"] == "n-1" and claims["sub"] == customer.customer_id
    assert "email" not in claims  # only the scopes asked for
    assert "refresh_token" not in body  # no offline_access asked for


@pytest.mark.parametrize(
    "params",
    [{"client_id": "https://unknown.example"}, {"redirect_uri": "https://evil.example/cb"}],
)
def test_authorize_never_redirects_to_an_unregistered_uri(verified_client, genesys_client, params):
    response = authorize_request(verified_client, genesys_client[0], **params)
    assert response.status_code == 400
    assert "Location" not in response
    assert b"cannot be completed" in response.content


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "invalid_request"),
    ],
)
def test_authorize_errors_go_back_to_the_client_with_state(
    verified_client, genesys_client, params, error
):
    response = authorize_request(verified_client, genesys_client[0], **params)
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == [error] and query["state"] == ["st-1"]
    assert AuthorizationCode.objects.count() == 0


def test_authorize_refuses_a_customer_of_another_brand(other_brand, genesys_client):
    stranger = factories.CustomerFactory()
    factories.MembershipFactory(customer=stranger, brand=other_brand)
    client = login_verified(
        Client(), stranger.user, factories.TOTPDeviceFactory(user=stranger.user)
    )
    response = authorize_request(client, genesys_client[0])
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["access_denied"]


# --- secrets never leak -----------------------------------------------------------------------


def test_codes_tokens_and_secrets_never_reach_the_logs(caplog, genesys_client, verified_client):
    messenger, secret = genesys_client
    caplog.set_level(logging.DEBUG)
    body = auth_code(verified_client, messenger.slug).json()
    tokens = exchange(Client(), messenger, secret, body["authCode"]).json()
    exchange(Client(), messenger, "wrong", body["authCode"])
    refresh_request(Client(), messenger, secret, tokens["refresh_token"])
    text = caplog.text
    for value in (secret, body["authCode"], *tokens.values()):
        if isinstance(value, str) and len(value) > 20:
            assert value not in text


def test_logging_out_of_the_portal_revokes_the_grants_of_that_session(
    verified_client, genesys_client
):
    messenger, secret = genesys_client
    body = auth_code(verified_client, messenger.slug).json()
    tokens = exchange(Client(), messenger, secret, body["authCode"]).json()
    verified_client.post(reverse("accounts:logout"))
    assert OidcGrant.objects.get().revoked_reason == "logout"
    assert refresh_request(Client(), messenger, secret, tokens["refresh_token"]).status_code == 400
    assert userinfo_request(Client(), messenger.brand, tokens["access_token"]).status_code == 401


def test_logging_out_elsewhere_leaves_this_sessions_grant_alone(
    customer, totp_device, verified_client, genesys_client
):
    messenger, secret = genesys_client
    body = auth_code(verified_client, messenger.slug).json()
    tokens = exchange(Client(), messenger, secret, body["authCode"]).json()
    other_device = login_verified(Client(), customer.user, totp_device)
    other_device.post(reverse("accounts:logout"))
    assert refresh_request(Client(), messenger, secret, tokens["refresh_token"]).status_code == 200


def test_a_stranger_logs_in_with_mfa_and_lands_back_at_the_client_with_a_code(
    customer, genesys_client
):
    factories.backup_device(customer.user, codes=("oidcbackup1",))
    messenger, secret = genesys_client
    client = Client()
    # when the relying party sends the browser to authorize
    response = authorize_request(client, messenger)
    login_url = response["Location"]
    # then the customer logs in with the password and a backup code...
    response = client.post(
        login_url,
        {"username": customer.user.username, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    verify_url = response["Location"]
    response = client.post(verify_url, {"code": "oidcbackup1"})
    # ...and comes back to authorize, which sends a code to the registered redirect URI
    back = urlsplit(response["Location"])
    assert back.path == "/brands/acme/oidc/authorize"
    response = client.get(response["Location"])
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == GENESYS_REDIRECT
    code = parse_qs(location.query)["code"][0]
    body = exchange(Client(), messenger, secret, code).json()
    claims = verify_id_token(Client(), messenger.brand, body["id_token"], messenger.client_id)
    assert claims["sub"] == customer.customer_id and claims["nonce"] == "n-1"


def test_the_token_endpoint_is_throttled_per_client(settings, genesys_client):
    settings.MESSAGING_OIDC_RATE_PER_CLIENT = "3/min"
    messenger, secret = genesys_client
    form = {"grant_type": "refresh_token", "refresh_token": "x"}
    answers = [
        token_request(Client(), "acme", form, auth=(messenger.client_id, secret)).status_code
        for _ in range(5)
    ]
    assert answers == [400, 400, 400, 429, 429]
    response = token_request(Client(), "acme", form, auth=(messenger.client_id, secret))
    assert response.json()["error"] == "slow_down"
    assert "Try again in" in response.json()["error_description"]


def test_an_oversized_token_request_is_refused_before_parsing(genesys_client):
    response = Client().post(
        reverse("messaging:oidc-token", args=["acme"]),
        "grant_type=authorization_code&code=" + "a" * 70_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
