"""amr / acr / auth_time in issued tokens and id_tokens, verified with jwcrypto (not PyJWT)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from jwcrypto import jwk, jwt

from tests.accounts.softkey import SoftAuthenticator
from tests.factories import PASSWORD
from tests.messaging.oidc_helpers import auth_code, basic, exchange

ORIGIN = "http://localhost:8000"
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]


def _post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def verify_with_jwcrypto(client, brand, token: str, audience: str) -> dict:
    keys = jwk.JWKSet.from_json(client.get(f"/brands/{brand.slug}/.well-known/jwks.json").content)
    checked = jwt.JWT(
        jwt=token,
        key=keys,
        algs=["RS256"],
        check_claims={"iss": brand.issuer_url, "aud": audience, "exp": None},
    )
    return json.loads(checked.claims)


def password_login(customer) -> Client:
    client = Client()
    response = client.post("/login/", {"username": customer.user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def totp_login(customer, device) -> Client:
    client = password_login(customer)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    assert client.post("/login/verify/", {"code": f"{code:06d}"}).status_code == 302
    return client


def passkey_login(customer, totp_device) -> Client:
    key = SoftAuthenticator(origin=ORIGIN)
    setup = totp_login(customer, totp_device)
    options = _post(setup, "/security/passkeys/register/begin/").json()
    assert (
        _post(setup, "/security/passkeys/register/complete/", key.create(options)).status_code
        == 200
    )
    client = password_login(customer)
    options = _post(client, "/login/passkey/begin/").json()
    assert _post(client, "/login/passkey/complete/", key.get(options)).status_code == 200
    return client


def token_of(client, messenger) -> str:
    response = _post(client, reverse("messaging:token"), {"messenger": messenger.slug})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_a_passkey_session_gets_passkey_assurance_in_its_token(customer, totp_device, messenger):
    with time_machine.travel(T0, tick=False):
        client = passkey_login(customer, totp_device)
    with time_machine.travel(T0 + timedelta(minutes=7), tick=False):
        token = token_of(client, messenger)
        claims = verify_with_jwcrypto(client, messenger.brand, token, messenger.audience)
    assert claims["amr"] == ["pwd", "hwk", "user"]
    assert claims["acr"] == "urn:portal:acr:passkey"
    assert claims["auth_time"] == int(T0.timestamp())
    assert claims["iat"] - claims["auth_time"] == 7 * 60


def test_a_totp_session_gets_otp_assurance_in_its_token(customer, totp_device, messenger):
    with time_machine.travel(T0, tick=False):
        client = totp_login(customer, totp_device)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        claims = verify_with_jwcrypto(
            client, messenger.brand, token_of(client, messenger), messenger.audience
        )
    assert (claims["amr"], claims["acr"]) == (["pwd", "otp"], "urn:portal:acr:otp")
    assert claims["auth_time"] == int(T0.timestamp())


def test_the_genesys_id_token_carries_the_passkey_assurance(customer, totp_device, genesys_client):
    messenger, secret = genesys_client
    with time_machine.travel(T0, tick=False):
        client = passkey_login(customer, totp_device)
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        code = auth_code(client, messenger.slug).json()["authCode"]
        body = exchange(Client(), messenger, secret, code).json()
        claims = verify_with_jwcrypto(
            client, messenger.brand, body["id_token"], messenger.client_id
        )
    assert claims["amr"] == ["pwd", "hwk", "user"]
    assert claims["acr"] == "urn:portal:acr:passkey"
    assert claims["auth_time"] == int(T0.timestamp())
    # and a Genesys data action reads the same assurance from the attributes API
    url = reverse("messaging:customer-attributes", args=[messenger.brand.slug, claims["sub"]])
    body = Client().get(url, HTTP_AUTHORIZATION=basic(messenger.client_id, secret)).json()
    assert (body["acr"], body["amr"]) == ("urn:portal:acr:passkey", ["pwd", "hwk", "user"])
    assert body["authTime"] == int(T0.timestamp())


def test_discovery_lists_the_acr_scale(client, brand, signing_key):
    body = client.get(reverse("brands:brand-openid-configuration", args=[brand.slug])).json()
    assert body["acr_values_supported"] == ["urn:portal:acr:otp", "urn:portal:acr:passkey"]
    assert "acr" in body["claims_supported"]
