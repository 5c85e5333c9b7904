"""Step-up: a messenger's assurance policy refuses weak or old proofs with step_up_required."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp

from messaging.models import TokenIssue
from tests.messaging.oidc_helpers import auth_code
from tests.messaging.test_assurance_claims import (  # noqa: F401 - the fixture applies here too
    _post,
    _relying_party,
    passkey_login,
    totp_login,
)

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def token_request(client, messenger):
    return _post(client, reverse("messaging:token"), {"messenger": messenger.slug})


def test_a_totp_session_on_a_passkey_messenger_gets_step_up_required_and_a_path_to_enroll(
    customer, totp_device, messenger
):
    messenger.min_acr = "urn:portal:acr:passkey"
    messenger.save()
    client = totp_login(customer, totp_device)
    response = token_request(client, messenger)
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "step_up_required"
    assert body["detail"] == "This chat needs a passkey. Add a passkey to your account first."
    assert body["acr"] == "urn:portal:acr:passkey"
    assert body["methods"] == ["passkey"] and body["has_passkey"] is False
    assert body["enroll_url"] == "/security/" and body["verify_url"] == "/login/stepup/"
    assert "no-store" in response["Cache-Control"]
    assert not TokenIssue.objects.exists()


def test_the_same_customer_after_a_passkey_gets_the_token(customer, totp_device, messenger):
    messenger.min_acr = "urn:portal:acr:passkey"
    messenger.save()
    client = passkey_login(customer, totp_device)
    assert token_request(client, messenger).status_code == 200


def test_a_second_factor_older_than_the_maximum_age_is_refused_then_granted_after_step_up(
    customer, totp_device, messenger
):
    messenger.max_auth_age = timedelta(minutes=15)
    messenger.save()
    with time_machine.travel(T0, tick=False):
        client = totp_login(customer, totp_device)
    with time_machine.travel(T0 + timedelta(minutes=14), tick=False):
        assert token_request(client, messenger).status_code == 200
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        refused = token_request(client, messenger)
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "This chat needs your second factor, proven within the last 15 minutes."
        )
        assert refused.json()["max_age"] == 900
        # when the customer proves a fresh code on the step-up endpoint (the chat's prompt)
        code = totp(totp_device.bin_key, step=totp_device.step, t0=totp_device.t0)
        verified = _post(client, "/login/stepup/", {"code": f"{code:06d}"})
        assert verified.status_code == 200, verified.content
        # then the token is granted
        assert token_request(client, messenger).status_code == 200


def test_a_wrong_step_up_code_is_a_clear_json_error(customer, totp_device):
    client = totp_login(customer, totp_device)
    response = _post(client, "/login/stepup/", {"code": "000000"})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_code")
    assert _post(client, "/login/stepup/", {"code": 5}).json()["error"] == "invalid_request"


def test_vip_customers_need_a_passkey_when_the_messenger_says_so(customer, totp_device, messenger):
    messenger.vip_requires_passkey = True
    messenger.save()
    client = totp_login(customer, totp_device)
    assert token_request(client, messenger).status_code == 200  # not a VIP
    customer.is_vip = True
    customer.save()
    assert token_request(client, messenger).json()["error"] == "step_up_required"


def test_the_genesys_auth_code_request_is_refused_too(customer, totp_device, genesys_client):
    messenger, _ = genesys_client
    messenger.min_acr = "urn:portal:acr:passkey"
    messenger.save()
    client = totp_login(customer, totp_device)
    response = auth_code(client, messenger.slug)
    assert (response.status_code, response.json()["error"]) == (403, "step_up_required")


def test_the_step_up_page_offers_a_passkey_and_a_code(customer, totp_device):
    client = passkey_login(customer, totp_device)
    page = client.get("/login/stepup/?next=/").content.decode()
    assert 'id="passkey-login"' in page and 'name="code"' in page


def test_the_step_up_page_needs_a_verified_session(customer):
    client = Client()
    client.force_login(customer.user)
    assert client.get("/login/stepup/").status_code == 302


def test_the_brands_policy_choices_are_the_accounts_scale():
    from accounts.assurance import ACR_LEVELS
    from brands.models import Messenger

    assert [c for c, _ in Messenger._meta.get_field("min_acr").choices] == list(ACR_LEVELS)


def test_the_oidc_authorize_endpoint_sends_a_weak_session_to_step_up_and_back(
    customer, totp_device, genesys_client
):
    from urllib.parse import parse_qs, urlsplit

    from tests.messaging.oidc_helpers import authorize_request

    messenger, _ = genesys_client
    messenger.min_acr = "urn:portal:acr:passkey"
    messenger.save()
    client = totp_login(customer, totp_device)
    location = urlsplit(authorize_request(client, messenger)["Location"])
    assert location.path == "/login/stepup/"
    assert parse_qs(location.query)["next"][0].startswith("/brands/acme/oidc/authorize?")
    silent = urlsplit(authorize_request(client, messenger, prompt="none")["Location"])
    assert parse_qs(silent.query)["error"] == ["interaction_required"]
