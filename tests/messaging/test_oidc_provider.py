"""The brands' OpenID Connect provider, as Genesys Cloud and its page plugin use it."""

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from brands import services as brand_services
from brands.models import ClientSecret
from messaging.models import AttributeLookup, AuthorizationCode, OidcGrant, TokenIssue
from messaging.oidc.services import s256
from tests import factories
from tests.conftest import GENESYS_REDIRECT, genesys_client_create, login_verified
from tests.messaging.oidc_helpers import (
    auth_code,
    basic,
    exchange,
    token_request,
    verify_id_token,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def code(verified_client, genesys_client):
    messenger, _ = genesys_client
    return auth_code(verified_client, messenger.slug).json()


def _userinfo(client: Client, brand, access_token: str, method: str = "get"):
    url = reverse("messaging:oidc-userinfo", args=[brand.slug])
    return getattr(client, method)(url, HTTP_AUTHORIZATION=f"Bearer {access_token}")


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
    assert _userinfo(client, messenger.brand, first["access_token"]).status_code == 401
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


# --- refresh ----------------------------------------------------------------------------------


def _refresh(client, messenger, secret, refresh_token, **extra):
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return token_request(client, messenger.brand.slug, form, auth=(messenger.client_id, secret))


def test_refresh_tokens_rotate_and_a_reuse_revokes_the_family(customer, genesys_client, code):
    messenger, secret = genesys_client
    client = Client()
    first = exchange(client, messenger, secret, code["authCode"]).json()
    second = _refresh(client, messenger, secret, first["refresh_token"])
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    claims = verify_id_token(client, messenger.brand, second["id_token"], messenger.client_id)
    assert claims["sub"] == customer.customer_id and "nonce" not in claims
    # the spent refresh token comes back: someone copied it
    reused = _refresh(client, messenger, secret, first["refresh_token"])
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    assert OidcGrant.objects.get().revoked_reason == "refresh_reused"
    # the whole family is dead, including the newest tokens
    assert _refresh(client, messenger, secret, second["refresh_token"]).status_code == 400
    assert _userinfo(client, messenger.brand, second["access_token"]).status_code == 401


def test_a_refresh_token_of_another_client_is_invalid_grant(brand, genesys_client, code):
    messenger, secret = genesys_client
    first = exchange(Client(), messenger, secret, code["authCode"]).json()
    other, other_secret = genesys_client_create(brand, "acme-genesys-2")
    response = _refresh(Client(), other, other_secret, first["refresh_token"])
    assert response.json()["error"] == "invalid_grant"


def test_a_wider_scope_on_refresh_is_invalid_scope(genesys_client, code):
    messenger, secret = genesys_client
    first = exchange(Client(), messenger, secret, code["authCode"]).json()
    response = _refresh(Client(), messenger, secret, first["refresh_token"], scope="openid admin")
    assert response.json()["error"] == "invalid_scope"


# --- userinfo ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_userinfo_answers_the_bearer_of_an_access_token(customer, genesys_client, code, method):
    messenger, secret = genesys_client
    client = Client()
    tokens = exchange(client, messenger, secret, code["authCode"]).json()
    response = _userinfo(client, messenger.brand, tokens["access_token"], method)
    assert response.status_code == 200
    assert response.json() == {
        "sub": customer.customer_id,
        "given_name": customer.first_name,
        "family_name": customer.last_name,
        "name": f"{customer.first_name} {customer.last_name}",
        "email": customer.email,
        "email_verified": False,
    }


def test_userinfo_refuses_a_bad_or_missing_token_with_www_authenticate(genesys_client):
    brand = genesys_client[0].brand
    response = _userinfo(Client(), brand, "not-a-token")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    response = Client().get(reverse("messaging:oidc-userinfo", args=["acme"]))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_an_access_token_expires_after_its_lifetime(genesys_client, code):
    messenger, secret = genesys_client
    tokens = exchange(Client(), messenger, secret, code["authCode"]).json()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert _userinfo(Client(), messenger.brand, tokens["access_token"]).status_code == 401


# --- certified attributes ---------------------------------------------------------------------


def _attributes(client_id, secret, subject, brand="acme"):
    url = reverse("messaging:customer-attributes", args=[brand, subject])
    return Client().get(url, HTTP_AUTHORIZATION=basic(client_id, secret))


def test_attributes_api_answers_the_selected_certified_attributes(customer, genesys_client):
    messenger, secret = genesys_client
    response = _attributes(messenger.client_id, secret, customer.customer_id)
    assert response.status_code == 200
    assert response.json() == {
        "sub": customer.customer_id,
        "firstName": customer.first_name,
        "lastName": customer.last_name,
        "accountTier": "gold",
        "isVip": False,
        "accountBalance": "1234.56",
        "currency": "EUR",
    }
    lookup = AttributeLookup.objects.get()
    assert lookup.found and lookup.customer == customer


def test_attributes_api_answers_only_what_the_messenger_selects(customer, genesys_client):
    messenger, secret = genesys_client
    messenger.attributes = ["tier"]
    messenger.save()
    body = _attributes(messenger.client_id, secret, customer.customer_id).json()
    assert body == {"sub": customer.customer_id, "accountTier": "gold"}


def test_attributes_of_a_customer_of_another_brand_are_unknown(other_brand, genesys_client):
    stranger = factories.CustomerFactory()
    factories.MembershipFactory(customer=stranger, brand=other_brand)
    messenger, secret = genesys_client
    for subject in (stranger.customer_id, "cus_nobody", "cus_' OR '1'='1"):
        response = _attributes(messenger.client_id, secret, subject)
        assert (response.status_code, response.json()["error"]) == (404, "unknown_customer")
    assert AttributeLookup.objects.filter(found=False).count() == 3


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_attributes_api_refuses_bad_credentials(customer, genesys_client, secret):
    messenger, _ = genesys_client
    response = _attributes(messenger.client_id, secret, customer.customer_id)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")
    assert AttributeLookup.objects.count() == 0


def test_attributes_api_refuses_a_client_of_another_brand(customer, other_brand, genesys_client):
    foreign, secret = genesys_client_create(other_brand, "globex-genesys")
    response = _attributes(foreign.client_id, secret, customer.customer_id, brand="acme")
    assert response.status_code == 401
    response = Client().get(reverse("messaging:customer-attributes", args=["acme", "x"]))
    assert response.status_code == 401


# --- client secrets ---------------------------------------------------------------------------


def test_client_secrets_are_stored_hashed_and_rotation_stops_the_old_one_at_once(
    genesys_client, code
):
    messenger, old = genesys_client
    assert not ClientSecret.objects.filter(secret_hash__contains=old).exists()
    new = brand_services.client_secret_rotate(messenger=messenger)
    assert len(new) >= 43 and new != old  # 256 random bits
    assert exchange(Client(), messenger, old, code["authCode"]).status_code == 401
    assert exchange(Client(), messenger, new, code["authCode"]).status_code == 200


def test_a_grace_period_keeps_the_old_secret_working_until_it_ends(genesys_client, code):
    messenger, old = genesys_client
    brand_services.client_secret_rotate(messenger=messenger, grace=timedelta(hours=1))
    assert exchange(Client(), messenger, old, code["authCode"]).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        response = exchange(Client(), messenger, old, "whatever")
    assert response.status_code == 401


# --- the browser authorize endpoint -----------------------------------------------------------


def _authorize(client, messenger, **params):
    query = {
        "response_type": "code",
        "client_id": messenger.client_id,
        "redirect_uri": GENESYS_REDIRECT,
        "scope": "openid profile",
        "state": "st-1",
        "nonce": "n-1",
        **params,
    }
    return client.get(reverse("messaging:oidc-authorize", args=["acme"]) + "?" + urlencode(query))


def test_authorize_sends_a_stranger_through_login_and_back(genesys_client):
    response = _authorize(Client(), genesys_client[0])
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("accounts:login")
    assert parse_qs(location.query)["next"][0].startswith("/brands/acme/oidc/authorize?")


def test_authorize_sends_a_password_only_session_to_the_second_step(
    password_only_client, genesys_client
):
    response = _authorize(password_only_client, genesys_client[0])
    assert urlsplit(response["Location"]).path == reverse("accounts:verify")


def test_authorize_redirects_a_verified_customer_with_a_code_that_works_with_pkce(
    verified_client, customer, genesys_client
):
    messenger, secret = genesys_client
    verifier = "v" * 50
    response = _authorize(
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
    response = _authorize(verified_client, genesys_client[0], **params)
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
    response = _authorize(verified_client, genesys_client[0], **params)
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == [error] and query["state"] == ["st-1"]
    assert AuthorizationCode.objects.count() == 0


def test_authorize_refuses_a_customer_of_another_brand(other_brand, genesys_client):
    stranger = factories.CustomerFactory()
    factories.MembershipFactory(customer=stranger, brand=other_brand)
    client = login_verified(
        Client(), stranger.user, factories.TOTPDeviceFactory(user=stranger.user)
    )
    response = _authorize(client, genesys_client[0])
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["access_denied"]


# --- secrets never leak -----------------------------------------------------------------------


def test_codes_tokens_and_secrets_never_reach_the_logs(caplog, genesys_client, verified_client):
    messenger, secret = genesys_client
    caplog.set_level(logging.DEBUG)
    body = auth_code(verified_client, messenger.slug).json()
    tokens = exchange(Client(), messenger, secret, body["authCode"]).json()
    exchange(Client(), messenger, "wrong", body["authCode"])
    _refresh(Client(), messenger, secret, tokens["refresh_token"])
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
    assert _refresh(Client(), messenger, secret, tokens["refresh_token"]).status_code == 400
    assert _userinfo(Client(), messenger.brand, tokens["access_token"]).status_code == 401


def test_logging_out_elsewhere_leaves_this_sessions_grant_alone(
    customer, totp_device, verified_client, genesys_client
):
    messenger, secret = genesys_client
    body = auth_code(verified_client, messenger.slug).json()
    tokens = exchange(Client(), messenger, secret, body["authCode"]).json()
    other_device = login_verified(Client(), customer.user, totp_device)
    other_device.post(reverse("accounts:logout"))
    assert _refresh(Client(), messenger, secret, tokens["refresh_token"]).status_code == 200


def test_a_stranger_logs_in_with_mfa_and_lands_back_at_the_client_with_a_code(
    customer, genesys_client
):
    factories.backup_device(customer.user, codes=("oidcbackup1",))
    messenger, secret = genesys_client
    client = Client()
    # when the relying party sends the browser to authorize
    response = _authorize(client, messenger)
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
