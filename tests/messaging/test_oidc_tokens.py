"""The OpenID Connect provider after the code exchange: refresh tokens rotate, userinfo answers
the bearer of an access token until it expires, client secrets are stored hashed and rotate."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from brands import services as brand_services
from brands.models import ClientSecret
from messaging.models import OidcGrant
from tests.conftest import genesys_client_create
from tests.messaging.oidc_helpers import (
    exchange,
    refresh_request,
    userinfo_request,
    verify_id_token,
)

pytestmark = pytest.mark.django_db


# --- refresh ----------------------------------------------------------------------------------


def test_refresh_tokens_rotate_and_a_reuse_revokes_the_family(customer, genesys_client, code):
    messenger, secret = genesys_client
    client = Client()
    first = exchange(client, messenger, secret, code["authCode"]).json()
    second = refresh_request(client, messenger, secret, first["refresh_token"])
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    claims = verify_id_token(client, messenger.brand, second["id_token"], messenger.client_id)
    assert claims["sub"] == customer.customer_id and "nonce" not in claims
    # the spent refresh token comes back: someone copied it
    reused = refresh_request(client, messenger, secret, first["refresh_token"])
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    assert OidcGrant.objects.get().revoked_reason == "refresh_reused"
    # the whole family is dead, including the newest tokens
    assert refresh_request(client, messenger, secret, second["refresh_token"]).status_code == 400
    assert userinfo_request(client, messenger.brand, second["access_token"]).status_code == 401


def test_a_refresh_token_of_another_client_is_invalid_grant(brand, genesys_client, code):
    messenger, secret = genesys_client
    first = exchange(Client(), messenger, secret, code["authCode"]).json()
    other, other_secret = genesys_client_create(brand, "acme-genesys-2")
    response = refresh_request(Client(), other, other_secret, first["refresh_token"])
    assert response.json()["error"] == "invalid_grant"


def test_a_wider_scope_on_refresh_is_invalid_scope(genesys_client, code):
    messenger, secret = genesys_client
    first = exchange(Client(), messenger, secret, code["authCode"]).json()
    response = refresh_request(
        Client(), messenger, secret, first["refresh_token"], scope="openid admin"
    )
    assert response.json()["error"] == "invalid_scope"


# --- userinfo ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_userinfo_answers_the_bearer_of_an_access_token(customer, genesys_client, code, method):
    messenger, secret = genesys_client
    client = Client()
    tokens = exchange(client, messenger, secret, code["authCode"]).json()
    response = userinfo_request(client, messenger.brand, tokens["access_token"], method)
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
    response = userinfo_request(Client(), brand, "not-a-token")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    response = Client().get(reverse("messaging:oidc-userinfo", args=["acme"]))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_an_access_token_expires_after_its_lifetime(genesys_client, code):
    messenger, secret = genesys_client
    tokens = exchange(Client(), messenger, secret, code["authCode"]).json()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert (
            userinfo_request(Client(), messenger.brand, tokens["access_token"]).status_code == 401
        )


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
