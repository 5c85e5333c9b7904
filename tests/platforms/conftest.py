"""What the vendor-contract tests share: a live portal (the vendor fetches keys over HTTP), a
logged-in customer's session, and checks made with jwcrypto, a JOSE library other than the
signer's (PyJWT), so a test cannot pass because signer and checker share a mistake."""

import io
import json

import pytest
import requests
from django.core.management import call_command
from django.test import Client
from jwcrypto import jwk
from jwcrypto import jwt as jose_jwt

from brands import services as brand_services
from brands.platforms import vendor_settings_example
from sandbox.platform import resolve_messenger
from tests.conftest import login_verified

ALL_ATTRIBUTES = ["names", "tier", "vip", "balance", "email", "customer_since"]
SHARED_SECRET = "vendor-issued-" + "Q7w9e8r7t6y5u4i3o2p1a0s9d8f7g6h5"


@pytest.fixture
def portal(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["*"]
    settings.SANDBOX_PORTAL_URL = live_server.url
    return live_server


@pytest.fixture
def rsa_key(brand):
    """The brand's active RS256 key, with the certificate Salesforce's keyset needs."""
    return brand_services.signing_key_generate(
        brand=brand, algorithm="RS256", key_size=2048, certificate=True, activate=True
    )


@pytest.fixture
def session(portal, customer, totp_device):
    """The customer's browser session: password and second factor done."""
    return login_verified(Client(), customer.user, totp_device)


def make_messenger(brand, platform, *, secret=None, key_id="", attributes=ALL_ATTRIBUTES):
    """A messenger of ``platform`` with its documented example settings; a shared secret is
    also entered into the sandbox, as the vendor's admin console would hold it."""
    messenger = brand_services.messenger_create(
        brand=brand,
        slug=f"{brand.slug}-{platform}",
        platform=platform,
        attributes=attributes,
        vendor_settings=vendor_settings_example(platform),
    )
    if secret:
        brand_services.messenger_secret_set(messenger=messenger, secret=secret, key_id=key_id)
        args = [messenger.slug, "--secret-stdin"] + (["--key-id", key_id] if key_id else [])
        call_command("sandbox_credential", *args, stdin=io.StringIO(secret), stdout=io.StringIO())
    return messenger


def issue(session: Client, slug: str) -> str:
    """A token from the portal's token API, as the page gets it."""
    response = session.post(
        "/api/v1/messaging/token", json.dumps({"messenger": slug}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def fetch(url: str) -> requests.Response:
    """GET ``url`` over HTTP, as the vendor's servers would."""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return response


def header_and_claims(token: str, key) -> tuple[dict, dict]:
    """Verify ``token`` with jwcrypto against ``key`` (a JWK or JWKSet); header and claims."""
    checked = jose_jwt.JWT(jwt=token, key=key, algs=["RS256", "RS512", "HS256"])
    return json.loads(checked.header), json.loads(checked.claims)


def jwks_keyset(url: str) -> jwk.JWKSet:
    return jwk.JWKSet.from_json(fetch(url).text)


def oct_key(secret: str) -> jwk.JWK:
    return jwk.JWK(kty="oct", k=jwk.base64url_encode(secret.encode()))


def sandbox_verdict(slug: str, token: str) -> dict:
    """What the sandbox's emulation of the vendor says, knowing only public setup."""
    return resolve_messenger(slug).verifier().verify(token).as_dict()
