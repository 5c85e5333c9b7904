"""Staff see the OpenID Connect grants and attribute lookups, and can end a grant."""

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import OidcGrant
from tests.admin import run_action
from tests.messaging.oidc_helpers import auth_code, basic, exchange, token_request

pytestmark = pytest.mark.django_db


def test_staff_revoke_a_grant_and_its_refresh_token_stops(
    staff_client, verified_client, genesys_client
):
    messenger, secret = genesys_client
    tokens = exchange(
        Client(), messenger, secret, auth_code(verified_client, messenger.slug).json()["authCode"]
    ).json()
    grant = OidcGrant.objects.get()
    page = staff_client.get(reverse("admin:messaging_oidcgrant_changelist"))
    assert page.status_code == 200 and messenger.slug in page.content.decode()
    run_action(staff_client, reverse("admin:messaging_oidcgrant_changelist"), "revoke", grant)
    grant.refresh_from_db()
    assert grant.revoked_reason == "staff"
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    response = token_request(Client(), "acme", form, auth=(messenger.client_id, secret))
    assert response.json()["error"] == "invalid_grant"
    # the grant's page shows no token, code or session material
    html = staff_client.get(
        reverse("admin:messaging_oidcgrant_change", args=[grant.pk])
    ).content.decode()
    for value in (tokens["refresh_token"], tokens["access_token"], secret):
        assert value not in html
    assert "session_hash" not in html.lower().replace(" ", "_")


def test_attribute_lookups_are_listed_for_staff(staff_client, customer, genesys_client):
    messenger, secret = genesys_client
    url = reverse("messaging:customer-attributes", args=["acme", customer.customer_id])
    Client().get(url, HTTP_AUTHORIZATION=basic(messenger.client_id, secret))
    page = staff_client.get(reverse("admin:messaging_attributelookup_changelist"))
    assert customer.customer_id in page.content.decode()
