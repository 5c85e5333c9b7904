"""The certified attributes API of the OpenID Connect provider: what a platform reads server to
server about a customer, with the messenger's client credentials."""

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import AttributeLookup
from tests import factories
from tests.conftest import genesys_client_create
from tests.messaging.oidc_helpers import (
    basic,
)

pytestmark = pytest.mark.django_db


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
