"""The services record their events in the same transaction as their own audit rows."""

import pytest
from django.test import Client
from django.utils import timezone

from messaging.events import session_hash
from messaging.models import AuthEvent, TokenIssue
from messaging.oidc import services as oidc
from messaging.selectors import NotAMember
from tests.messaging.oidc_helpers import basic, exchange, token_request

pytestmark = pytest.mark.django_db


def test_the_token_api_records_one_token_issued_event_with_the_jti(verified_client, messenger):
    response = verified_client.post(
        "/api/v1/messaging/token", {"messenger": messenger.slug}, content_type="application/json"
    )
    assert response.status_code == 200
    event = AuthEvent.objects.get()
    assert event.kind == "token_issued"
    assert event.jti == TokenIssue.objects.get().jti
    token = response.json()["token"]
    assert token not in str(list(AuthEvent.objects.values()))


def test_a_throttled_token_request_writes_no_audit_row(verified_client, messenger, settings):
    # given a customer allowed one token a minute, who got it
    settings.MESSAGING_TOKEN_RATE_PER_CUSTOMER = "1/min"
    url, body = "/api/v1/messaging/token", {"messenger": messenger.slug}
    assert verified_client.post(url, body, content_type="application/json").status_code == 200
    # when the same session hammers the endpoint
    refused = [verified_client.post(url, body, content_type="application/json") for _ in range(20)]
    # then every request is refused and none of them wrote a row
    assert {(r.status_code, r.json()["error"]) for r in refused} == {(429, "throttled")}
    assert list(AuthEvent.objects.values_list("kind", flat=True)) == ["token_issued"]
    assert TokenIssue.objects.count() == 1


def test_an_attribute_lookup_for_a_non_member_is_recorded(genesys_client):
    messenger, _secret = genesys_client
    with pytest.raises(NotAMember):
        oidc.attributes_lookup(messenger=messenger, subject="cus_nobody")
    event = AuthEvent.objects.get()
    assert (event.kind, event.reason, event.customer) == (
        "attributes_looked_up",
        "not_a_member",
        None,
    )


def test_an_auth_code_and_its_exchange_are_recorded(genesys_client, customer):
    messenger, secret = genesys_client
    issued = oidc.auth_code_issue(
        customer=customer,
        messenger=messenger,
        auth_time=timezone.now(),
        session_key="s" * 32,
    )
    tokens = exchange(Client(), messenger, secret, issued.code).json()
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    token_request(Client(), "acme", form, auth=(messenger.client_id, secret))
    kinds = list(AuthEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["auth_code_issued", "code_exchanged", "refresh_used"]
    assert AuthEvent.objects.get(kind="auth_code_issued").session_hash == session_hash("s" * 32)
    jtis = set(TokenIssue.objects.values_list("jti", flat=True))
    assert set(AuthEvent.objects.exclude(jti="").values_list("jti", flat=True)) == jtis


def test_a_throttled_oidc_client_is_recorded_for_its_brand(settings, genesys_client, brand):
    settings.MESSAGING_OIDC_RATE_PER_CLIENT = "1/min"
    messenger, secret = genesys_client
    form = {"grant_type": "refresh_token", "refresh_token": "x"}
    for _ in range(2):
        token_request(Client(), "acme", form, auth=(messenger.client_id, secret))
    event = AuthEvent.objects.get(kind="throttled")
    assert (event.reason, event.brand_id) == ("oidc-client", brand.pk)


def test_failed_client_authentications_are_recorded_per_endpoint(genesys_client, brand):
    # given a Genesys client whose secret someone guesses at both server-to-server endpoints
    messenger, _secret = genesys_client
    form = {"grant_type": "refresh_token", "refresh_token": "x"}
    token_request(Client(), "acme", form, auth=(messenger.client_id, "wrong"))
    Client().get(
        "/api/v1/brands/acme/customers/cus_x/attributes",
        HTTP_AUTHORIZATION=basic(messenger.client_id, "wrong"),
    )
    # then each failure is one event of the brand, named by the endpoint
    events = AuthEvent.objects.filter(kind="client_auth_failed").order_by("pk")
    assert [(e.reason, e.brand_id) for e in events] == [
        ("token", brand.pk),
        ("attributes", brand.pk),
    ]
