"""The brands' OpenID Connect provider, as Genesys Cloud and its page plugin use it:
discovery, the auth-code API and the code exchange. Afterwards: ``test_oidc_tokens.py``
(refresh, userinfo, client secrets), ``test_oidc_attributes.py``, ``test_oidc_authorize.py``."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from brands import services as brand_services
from messaging.models import AuthorizationCode, OidcGrant, TokenIssue
from messaging.oidc.services import s256
from tests.conftest import GENESYS_REDIRECT, genesys_client_create
from tests.messaging.oidc_helpers import (
    auth_code,
    basic,
    exchange,
    token_request,
    userinfo_request,
    verify_id_token,
)

pytestmark = pytest.mark.django_db


# --- discovery --------------------------------------------------------------------------------


def test_discovery_announces_exactly_the_implemented_provider(client, brand, signing_key):
    body = client.get(reverse("brands:brand-openid-configuration", args=["acme"])).json()
    base = "http://testserver/brands/acme"
    assert body["issuer"] == base
    assert body["authorization_endpoint"] == f"{base}/oidc/authorize"
    assert body["token_endpoint"] == f"{base}/oidc/token"
    assert body["userinfo_endpoint"] == f"{base}/oidc/userinfo"
    assert body["jwks_uri"] == f"{base}/.well-known/jwks.json"
    assert body["response_types_supported"] == ["code"]
    assert body["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert body["subject_types_supported"] == ["public"]
    assert body["id_token_signing_alg_values_supported"] == ["RS256"]
    assert body["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["scopes_supported"] == ["openid", "email", "profile", "offline_access"]
    assert {"sub", "nonce", "auth_time", "amr", "given_name", "email"} <= set(
        body["claims_supported"]
    )


# --- the auth-code API ------------------------------------------------------------------------


def test_auth_code_api_answers_what_get_auth_code_resolves_with(verified_client, genesys_client):
    messenger, _ = genesys_client
    response = auth_code(verified_client, messenger.slug)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"authCode", "redirectUri", "nonce", "iss"}
    assert body["iss"] == "http://testserver/brands/acme"  # RFC 9207 2
    assert body["redirectUri"] == GENESYS_REDIRECT
    assert len(body["authCode"]) >= 43 and len(body["nonce"]) >= 16
    assert "no-store" in response["Cache-Control"]
    stored = AuthorizationCode.objects.get()
    assert body["authCode"] not in stored.code_hash  # only its hash is kept
    assert stored.expires_at - stored.created_at == timedelta(seconds=60)


def test_each_call_mints_a_new_code(verified_client, genesys_client):
    messenger, _ = genesys_client
    first = auth_code(verified_client, messenger.slug).json()
    second = auth_code(verified_client, messenger.slug).json()
    assert first["authCode"] != second["authCode"] and first["nonce"] != second["nonce"]


def test_a_pkce_client_also_gets_the_code_verifier(verified_client, genesys_client):
    messenger, secret = genesys_client
    messenger.require_pkce = True
    messenger.save()
    body = auth_code(verified_client, messenger.slug).json()
    assert 43 <= len(body["codeVerifier"]) <= 128
    assert AuthorizationCode.objects.get().code_challenge == s256(body["codeVerifier"])
    response = exchange(Client(), messenger, secret, body["authCode"])
    # the verifier is required: a missing parameter is invalid_request (RFC 6749 5.2)
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("who", "status", "error"),
    [("anonymous", 401, "not_authenticated"), ("password_only", 403, "mfa_required")],
)
def test_auth_code_api_requires_the_verified_session(
    who, status, error, password_only_client, genesys_client
):
    client = Client() if who == "anonymous" else password_only_client
    response = auth_code(client, genesys_client[0].slug)
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert AuthorizationCode.objects.count() == 0


def test_auth_code_api_refuses_non_members_and_non_oidc_messengers(
    verified_client, other_brand, messenger
):
    foreign, _ = genesys_client_create(other_brand, "globex-genesys")
    response = auth_code(verified_client, foreign.slug)
    assert (response.status_code, response.json()["error"]) == (403, "not_a_member")
    response = auth_code(verified_client, messenger.slug)  # a generic messenger
    assert (response.status_code, response.json()["error"]) == (400, "not_an_oidc_client")


def test_the_token_api_sends_genesys_messengers_to_the_auth_code_api(
    verified_client, genesys_client
):
    response = verified_client.post(
        reverse("messaging:token"),
        {"messenger": genesys_client[0].slug},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["error"]) == (400, "use_auth_code")


# --- the code exchange ------------------------------------------------------------------------


def test_code_exchange_returns_an_id_token_signed_with_the_brand_key(
    customer, genesys_client, code, signing_key
):
    messenger, secret = genesys_client
    client = Client()
    response = exchange(client, messenger, secret, code["authCode"])
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] >= 15 * 60
    assert body["scope"] == "openid email profile offline_access"
    assert body["refresh_token"] and body["access_token"]
    claims = verify_id_token(client, messenger.brand, body["id_token"], messenger.client_id)
    assert claims["sub"] == customer.customer_id
    assert claims["nonce"] == code["nonce"]
    assert claims["amr"] == ["pwd", "otp"]
    assert claims["given_name"] == customer.first_name
    assert claims["family_name"] == customer.last_name
    assert claims["name"] == f"{customer.first_name} {customer.last_name}"
    assert claims["email"] == customer.email and claims["email_verified"] is False
    assert claims["exp"] - claims["iat"] == 300
    # audited like a token issue: jti and fingerprint, never the token
    issue = TokenIssue.objects.get()
    assert (issue.kind, issue.jti, issue.kid) == ("id_token", claims["jti"], signing_key.kid)
    assert body["id_token"] not in issue.fingerprint


def test_client_secret_post_works_too(genesys_client, code):
    messenger, secret = genesys_client
    form = {
        "grant_type": "authorization_code",
        "code": code["authCode"],
        "redirect_uri": GENESYS_REDIRECT,
        "client_id": messenger.client_id,
        "client_secret": secret,
    }
    assert token_request(Client(), "acme", form).status_code == 200


@pytest.mark.parametrize("secret", ["wrong", ""])
def test_a_wrong_secret_is_401_invalid_client(genesys_client, code, secret):
    messenger, _ = genesys_client
    response = exchange(Client(), messenger, secret, code["authCode"])
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")
    assert AuthorizationCode.objects.get().used_at is None  # the code is not burnt by this


def test_no_client_authentication_is_401(genesys_client, code):
    form = {"grant_type": "authorization_code", "code": code["authCode"]}
    response = token_request(Client(), "acme", form)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_two_authentication_methods_at_once_are_refused(genesys_client, code):
    messenger, secret = genesys_client
    response = exchange(Client(), messenger, secret, code["authCode"], client_secret=secret)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_a_reused_code_is_refused_and_revokes_what_its_first_use_issued(genesys_client, code):
    messenger, secret = genesys_client
    client = Client()
    first = exchange(client, messenger, secret, code["authCode"]).json()
    second = exchange(client, messenger, secret, code["authCode"])
    assert (second.status_code, second.json()["error"]) == (400, "invalid_grant")
    assert OidcGrant.objects.get().revoked_reason == "code_reused"
    assert userinfo_request(client, messenger.brand, first["access_token"]).status_code == 401
    refresh = token_request(
        client,
        "acme",
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(messenger.client_id, secret),
    )
    assert refresh.json()["error"] == "invalid_grant"


def test_an_expired_code_is_invalid_grant(genesys_client, code):
    messenger, secret = genesys_client
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = exchange(Client(), messenger, secret, code["authCode"])
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_a_code_minted_for_one_client_cannot_be_redeemed_by_another(brand, genesys_client, code):
    other, other_secret = genesys_client_create(brand, "acme-genesys-2")
    response = exchange(Client(), other, other_secret, code["authCode"])
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    # ...and the rightful client still can
    messenger, secret = genesys_client
    assert exchange(Client(), messenger, secret, code["authCode"]).status_code == 200


def test_a_redirect_uri_mismatch_is_invalid_grant(genesys_client, code):
    messenger, secret = genesys_client
    response = exchange(
        Client(), messenger, secret, code["authCode"], redirect_uri="https://evil.example/cb"
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_a_pkce_verifier_mismatch_is_invalid_grant(verified_client, genesys_client):
    messenger, secret = genesys_client
    messenger.require_pkce = True
    messenger.save()
    body = auth_code(verified_client, messenger.slug).json()
    wrong = exchange(Client(), messenger, secret, body["authCode"], code_verifier="x" * 64)
    assert wrong.json()["error"] == "invalid_grant"
    # a wrong verifier burns the code: no second guess
    right = exchange(
        Client(), messenger, secret, body["authCode"], code_verifier=body["codeVerifier"]
    )
    assert right.json()["error"] == "invalid_grant"


def test_the_right_pkce_verifier_is_accepted(verified_client, genesys_client):
    messenger, secret = genesys_client
    messenger.require_pkce = True
    messenger.save()
    body = auth_code(verified_client, messenger.slug).json()
    response = exchange(
        Client(), messenger, secret, body["authCode"], code_verifier=body["codeVerifier"]
    )
    assert response.status_code == 200


def test_a_customer_who_left_the_brand_cannot_redeem_a_code(customer, genesys_client, code):
    customer.memberships.all().delete()
    messenger, secret = genesys_client
    response = exchange(Client(), messenger, secret, code["authCode"])
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
    ],
)
def test_bad_token_requests_get_rfc_6749_errors(genesys_client, form, error):
    messenger, secret = genesys_client
    response = token_request(Client(), "acme", form, auth=(messenger.client_id, secret))
    assert (response.status_code, response.json()["error"]) == (400, error)
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"grant_type": "authorization_code"}', "application/json"),
        ("grant_type=refresh_token&grant_type=authorization_code", None),
        ("%ff%fe=\xff", None),
        ("grant_type=authorization_code&code=" + "a" * 5000, None),
    ],
)
def test_malformed_bodies_are_invalid_request_never_500(genesys_client, body, content_type):
    messenger, secret = genesys_client
    response = Client().post(
        reverse("messaging:oidc-token", args=["acme"]),
        body,
        content_type=content_type or "application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic(messenger.client_id, secret),
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_get_on_the_token_endpoint_is_405_and_unknown_brands_404(genesys_client):
    response = Client().get(reverse("messaging:oidc-token", args=["acme"]))
    assert (response.status_code, response["Allow"]) == (405, "POST")
    response = Client().post(
        reverse("messaging:oidc-token", args=["nobody"]),
        "grant_type=authorization_code",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 404 and response.json()["error"] == "invalid_request"


def test_a_client_of_another_brand_is_not_a_client_here(other_brand, genesys_client, code):
    foreign, secret = genesys_client_create(other_brand, "globex-genesys")
    form = {"grant_type": "authorization_code", "code": code["authCode"]}
    response = token_request(Client(), "acme", form, auth=(foreign.client_id, secret))
    assert response.status_code == 401


def test_key_rotation_between_code_and_exchange_signs_with_the_new_key(
    brand, genesys_client, code, signing_key
):
    new_key = brand_services.signing_key_generate(
        brand=brand, algorithm="RS256", key_size=2048, certificate=False
    )
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        brand_services.signing_key_activate(key=new_key, force=True)
        messenger, secret = genesys_client
        client = Client()
        body = exchange(client, messenger, secret, code["authCode"]).json()
        claims = verify_id_token(client, brand, body["id_token"], messenger.client_id)
    assert TokenIssue.objects.get(jti=claims["jti"]).kid == new_key.kid != signing_key.kid
