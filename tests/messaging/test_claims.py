"""Issued tokens decoded by an independent JOSE library against the JWKS fetched over HTTP."""

import json
import time
import urllib.request
from decimal import Decimal

import pytest
from django.test import Client
from jwcrypto import jwk, jwt

from messaging.profiles.base import ClaimProfile
from tests.conftest import login_verified

live = pytest.mark.django_db(transaction=True)


def _issue(client: Client, slug: str) -> dict:
    response = client.post(
        "/api/v1/messaging/token", json.dumps({"messenger": slug}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _jwks(live_server, brand_slug: str) -> jwk.JWKSet:
    url = f"{live_server.url}/brands/{brand_slug}/.well-known/jwks.json"
    with urllib.request.urlopen(url, timeout=5) as response:
        return jwk.JWKSet.from_json(response.read())


@pytest.fixture
def live_client(live_server, settings, customer, totp_device):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["*"]
    return login_verified(Client(), customer.user, totp_device)


@live
def test_token_verifies_against_the_published_jwks_with_every_claim(
    live_server, live_client, messenger, customer
):
    body = _issue(live_client, messenger.slug)
    keys = _jwks(live_server, messenger.brand.slug)
    token = jwt.JWT(
        jwt=body["token"],
        key=keys,
        algs=["RS256"],
        expected_type="JWS",
        check_claims={"iss": messenger.brand.issuer_url, "aud": messenger.audience},
    )
    header = json.loads(token.header)
    claims = json.loads(token.claims)
    assert header == {"alg": "RS256", "kid": body["kid"], "typ": "JWT"}
    assert claims["iss"] == f"{live_server.url}/brands/{messenger.brand.slug}"
    assert claims["sub"] == customer.customer_id and claims["sub"].startswith("cus_")
    assert claims["aud"] == messenger.audience
    assert claims["exp"] - claims["iat"] == 300
    assert claims["nbf"] <= claims["iat"] <= time.time() + 1
    assert len(claims["jti"]) >= 22  # >= 128 random bits, base64url
    assert claims["firstName"] == customer.first_name
    assert claims["lastName"] == customer.last_name
    assert claims["accountTier"] == customer.tier.code
    assert claims["isVip"] is False
    assert claims["accountBalance"] == "1234.56" and claims["currency"] == "EUR"
    assert "email" not in claims  # not selected by this messenger
    for numeric in ("iat", "nbf", "exp"):
        assert isinstance(claims[numeric], int)


@live
def test_expiry_equals_the_messenger_lifetime(live_client, messenger):
    from datetime import timedelta

    messenger.token_ttl = timedelta(minutes=15)
    messenger.save()
    body = _issue(live_client, messenger.slug)
    payload = json.loads(jwt.JWT(jwt=body["token"]).token.objects["payload"])
    assert payload["exp"] - payload["iat"] == 900 == body["expires_in"]


@live
def test_a_brand_a_token_fails_brand_b_audience(
    live_server, live_client, messenger, other_messenger
):
    body = _issue(live_client, messenger.slug)
    keys = _jwks(live_server, messenger.brand.slug)
    with pytest.raises(jwt.JWTInvalidClaimValue):
        jwt.JWT(jwt=body["token"], key=keys, check_claims={"aud": other_messenger.audience})


@live
def test_a_change_in_the_customer_record_appears_in_the_next_token(
    live_client, messenger, customer
):
    first = _issue(live_client, messenger.slug)
    customer.balance = Decimal("-400.99")
    customer.is_vip = True
    customer.save()
    second = _issue(live_client, messenger.slug)

    def claims(body):
        return json.loads(jwt.JWT(jwt=body["token"]).token.objects["payload"])

    assert claims(first)["accountBalance"] == "1234.56" and claims(first)["isVip"] is False
    assert claims(second)["accountBalance"] == "-400.99" and claims(second)["isVip"] is True


@pytest.mark.django_db
def test_a_profile_cannot_overwrite_a_registered_claim(messenger, customer):
    from django.utils import timezone

    from config.errors import DomainError

    class Sneaky(ClaimProfile):
        platform = "sneaky"

        def attribute_claims(self, *, customer, attributes):
            return {"sub": "someone-else"}

    now = timezone.now()
    with pytest.raises(DomainError) as excinfo:
        Sneaky().claims(
            customer=customer,
            messenger=messenger,
            issued_at=now,
            expires_at=now,
            not_before=now,
            jti="x",
        )
    assert excinfo.value.code == "profile_error"


@pytest.mark.django_db
def test_the_jti_is_at_least_128_bits_from_the_system_csprng(messenger, customer, monkeypatch):
    """docs/security.md 3: ``jti`` carries >= 128 random bits. Uniqueness itself is the audit
    column's constraint; what can go wrong is the source and the size of the randomness."""
    import base64
    import secrets

    from messaging import services

    drawn, original = [], secrets.token_urlsafe

    def spy(nbytes=None):
        value = original(nbytes)
        drawn.append((nbytes, value))
        return value

    monkeypatch.setattr(services.secrets, "token_urlsafe", spy)
    issued = services.token_issue(customer=customer, messenger=messenger)
    [(nbytes, _)] = [d for d in drawn if d[1] == issued.jti]
    assert nbytes * 8 >= 128
    assert len(base64.urlsafe_b64decode(issued.jti + "=" * (-len(issued.jti) % 4))) * 8 >= 128
