"""POST /api/v1/messaging/token: the contract of docs/architecture.md ("Public contracts"),
checked as a caller sees it."""

import json
import logging
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import TokenIssue
from tests import factories

URL = reverse("messaging:token")


def _post(client: Client, body, **extra):
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, payload, content_type="application/json", **extra)


@pytest.mark.django_db
def test_verified_customer_gets_a_token_with_the_contract_fields(verified_client, messenger):
    response = _post(verified_client, {"messenger": messenger.slug})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "token",
        "token_type",
        "expires_at",
        "expires_in",
        "brand",
        "messenger",
        "kid",
    }
    assert body["token_type"] == "JWT"
    assert body["expires_in"] == 300
    assert body["expires_at"].endswith("Z")
    assert body["brand"] == messenger.brand.slug and body["messenger"] == messenger.slug
    assert response["Content-Type"] == "application/json"
    _assert_never_cached(response)


def _assert_never_cached(response):
    """What Django's never_cache writes: no shared or browser cache keeps a token or an error."""
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert directives == {"max-age=0", "no-cache", "no-store", "must-revalidate", "private"}
    assert parsedate_to_datetime(response["Expires"]) <= datetime.now(UTC)


@pytest.mark.django_db
def test_errors_are_never_cached_either(verified_client, password_only_client, messenger):
    for client, body, status in (
        (verified_client, {"messenger": "no-such-messenger"}, 404),
        (verified_client, {"messenger": ""}, 400),
        (password_only_client, {"messenger": messenger.slug}, 403),
    ):
        response = _post(client, body)
        assert response.status_code == status
        _assert_never_cached(response)


@pytest.mark.django_db
def test_password_only_session_gets_403_mfa_required(password_only_client, messenger):
    response = _post(password_only_client, {"messenger": messenger.slug})
    assert response.status_code == 403
    assert response.json()["error"] == "mfa_required"
    assert TokenIssue.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_gets_401_not_authenticated(messenger):
    response = _post(Client(), {"messenger": messenger.slug})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.django_db
def test_unknown_messenger_is_404(verified_client, messenger):
    response = _post(verified_client, {"messenger": "no-such-messenger"})
    assert response.status_code == 404 and response.json()["error"] == "unknown_messenger"


@pytest.mark.django_db
@pytest.mark.parametrize("what", ["messenger", "brand"])
def test_inactive_messenger_or_brand_is_404(verified_client, messenger, what):
    target = messenger if what == "messenger" else messenger.brand
    target.is_active = False
    target.save()
    response = _post(verified_client, {"messenger": messenger.slug})
    assert response.status_code == 404 and response.json()["error"] == "unknown_messenger"


@pytest.mark.django_db
def test_customer_of_another_brand_gets_403_not_a_member(verified_client, other_messenger):
    response = _post(verified_client, {"messenger": other_messenger.slug})
    assert response.status_code == 403 and response.json()["error"] == "not_a_member"


@pytest.mark.django_db
def test_no_active_key_is_503_no_signing_key(verified_client, messenger_without_key):
    response = _post(verified_client, {"messenger": messenger_without_key.slug})
    assert response.status_code == 503 and response.json()["error"] == "no_signing_key"
    assert TokenIssue.objects.count() == 0


@pytest.mark.django_db
def test_malformed_json_is_400_with_a_detail(verified_client, messenger):
    response = _post(verified_client, '{"messenger": ')
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_request" and response.json()["detail"]


@pytest.mark.django_db
def test_missing_field_is_400(verified_client, messenger):
    response = _post(verified_client, {})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


@pytest.mark.django_db
def test_missing_csrf_token_is_403(customer, totp_device, messenger):
    from tests.conftest import login_verified

    client = login_verified(Client(enforce_csrf_checks=True), customer.user, totp_device)
    response = _post(client, {"messenger": messenger.slug})
    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"
    assert TokenIssue.objects.count() == 0


@pytest.mark.django_db
def test_wrong_method_is_405(verified_client, messenger):
    response = verified_client.get(URL)
    assert response.status_code == 405 and response.json()["error"] == "method_not_allowed"


@pytest.mark.django_db
def test_issuing_is_throttled_per_customer(verified_client, messenger, settings):
    settings.MESSAGING_TOKEN_RATE_PER_CUSTOMER = "3/min"
    codes = [_post(verified_client, {"messenger": messenger.slug}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    last = _post(verified_client, {"messenger": messenger.slug})
    assert last.json()["error"] == "throttled" and int(last["Retry-After"]) > 0


@pytest.mark.django_db
def test_issuing_is_throttled_per_address(messenger, settings, tier, brand):
    settings.MESSAGING_TOKEN_RATE_PER_ADDRESS = "2/min"
    from tests.conftest import login_verified

    statuses = []
    for _ in range(3):  # three different customers behind one address
        customer = factories.CustomerFactory(tier=tier)
        factories.MembershipFactory(customer=customer, brand=brand)
        device = factories.TOTPDeviceFactory(user=customer.user)
        client = login_verified(Client(REMOTE_ADDR="192.0.2.10"), customer.user, device)
        statuses.append(_post(client, {"messenger": messenger.slug}).status_code)
    assert statuses == [200, 200, 429]


@pytest.mark.django_db
def test_every_token_has_an_audit_row_without_the_token(verified_client, messenger, customer):
    tokens = [
        _post(
            verified_client, {"messenger": messenger.slug}, HTTP_USER_AGENT="pytest-agent/1"
        ).json()["token"]
        for _ in range(3)
    ]
    rows = list(TokenIssue.objects.order_by("issued_at", "id"))
    assert len(rows) == 3
    for row, token in zip(rows, tokens, strict=True):
        assert row.subject == customer.customer_id
        assert row.messenger == messenger and row.brand == messenger.brand
        assert row.user_agent == "pytest-agent/1" and row.client_address == "127.0.0.1"
        assert row.expires_at - row.issued_at == timedelta(minutes=5)
        stored = " ".join(str(getattr(row, f.attname)) for f in TokenIssue._meta.fields)
        assert token not in stored
        assert token.split(".")[2] not in stored  # not even the signature


@pytest.mark.django_db
def test_no_token_or_key_material_reaches_the_logs(verified_client, messenger, caplog):
    caplog.set_level(logging.DEBUG)
    token = _post(verified_client, {"messenger": messenger.slug}).json()["token"]
    _post(verified_client, '{"broken')
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "token issued" in text  # the issue is logged...
    assert token not in text and token.split(".")[2] not in text  # ...but never the token
    assert "PRIVATE KEY" not in text
