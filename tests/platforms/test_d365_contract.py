"""Dynamics 365 Contact Center (Omnichannel live chat), as Microsoft documents it.

Source: https://learn.microsoft.com/dynamics365/customer-service/administer/create-chat-auth-settings
("Setup for custom portals"):
- step 2: the "public key URL" answers ONE PEM public key (``-----BEGIN PUBLIC KEY-----``), or,
  with multiple keys, a JSON array of ``{"kid", "publicKey" (base64 of the PEM), "expiry"}``;
- step 3a: header ``{"alg": "RS256", "typ": "JWT"}``, plus ``kid`` with multiple keys;
- step 3b: claims ``iss``, ``iat``, ``exp``, ``sub`` at a minimum (NumericDates), ``sub``
  recommended to be the contact or account GUID; ``lwicontexts`` a serialized JSON string of
  the context variables; the sample also has ``nbf``; no ``aud``.
https://learn.microsoft.com/dynamics365/customer-service/develop/reference/methods/setauthtokenprovider
(context values are primitives). Widget command shapes (``setAuthTokenProvider``, the
provider answering within 10 s): tests/browser/test_adapter_d365.py.
"""

import base64
import dataclasses
import json
import time
import uuid

import pytest
from jwcrypto import jwk

from accounts.models import Membership
from brands import services as brand_services
from sandbox.platform import resolve_messenger
from tests.platforms.conftest import (
    fetch,
    header_and_claims,
    issue,
    make_messenger,
    sandbox_verdict,
)

pytestmark = pytest.mark.django_db(transaction=True)

PEM_HEADER = "-----BEGIN PUBLIC KEY-----"


def test_one_published_key_is_one_pem_at_the_public_key_url_and_verifies_the_token(
    portal, session, brand, rsa_key, customer
):
    messenger = make_messenger(brand, "d365")
    token = issue(session, messenger.slug)

    response = fetch(messenger.public_key_url)
    assert response.text.startswith(PEM_HEADER)
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    header, claims = header_and_claims(token, jwk.JWK.from_pem(response.content))

    assert header == {"alg": "RS256", "typ": "JWT", "kid": rsa_key.kid}
    assert {"iss", "iat", "exp", "sub", "nbf", "lwicontexts"} <= set(claims)
    assert "aud" not in claims
    for name in ("iat", "exp", "nbf"):
        assert isinstance(claims[name], int)
    assert claims["iss"] == brand.issuer_url
    assert claims["sub"] == customer.customer_id
    context = json.loads(claims["lwicontexts"])  # a JSON *string*, serialized
    assert isinstance(claims["lwicontexts"], str)
    assert all(isinstance(value, str) for value in context.values())
    assert context["msdyn_isvip"] in ("true", "false")


def test_during_a_rotation_the_public_key_url_answers_the_kid_array_with_expiry(
    portal, session, brand, rsa_key
):
    messenger = make_messenger(brand, "d365")
    token = issue(session, messenger.slug)
    upcoming = brand_services.signing_key_generate(brand=brand, algorithm="RS256", key_size=2048)

    response = fetch(messenger.public_key_url)
    entries = response.json()
    assert isinstance(entries, list)
    assert {entry["kid"] for entry in entries} == {rsa_key.kid, upcoming.kid}
    now = time.time()
    for entry in entries:
        assert set(entry) == {"kid", "publicKey", "expiry"}
        assert isinstance(entry["expiry"], int) and entry["expiry"] > now
        assert base64.b64decode(entry["publicKey"]).decode().startswith(PEM_HEADER)
    # Dynamics picks the key named by the token's header kid
    (current,) = [entry for entry in entries if entry["kid"] == rsa_key.kid]
    key = jwk.JWK.from_pem(base64.b64decode(current["publicKey"]))
    header, claims = header_and_claims(token, key)
    assert header["kid"] == rsa_key.kid
    assert claims["iss"] == brand.issuer_url


def test_the_sandbox_dynamics_reads_the_public_key_url_and_finds_no_key_in_a_jwks(
    portal, session, brand, rsa_key
):
    messenger = make_messenger(brand, "d365")
    token = issue(session, messenger.slug)
    assert sandbox_verdict(messenger.slug, token)["valid"] is True

    # an administrator who typed the JWKS URL into Dynamics' "Public key URL" field
    config = resolve_messenger(messenger.slug)
    mistyped = dataclasses.replace(config, public_key_url=config.jwks_uri)
    verdict = mistyped.verifier().verify(token)
    assert (verdict.valid, verdict.reason) == (False, "jwks_unavailable")


def test_sub_is_the_dataverse_contact_guid_mapped_on_the_membership(
    portal, session, brand, rsa_key, customer
):
    messenger = make_messenger(brand, "d365")
    contact = str(uuid.uuid4())
    Membership.objects.filter(customer=customer, brand=brand).update(crm_contact_id=contact)
    token = issue(session, messenger.slug)
    _, claims = header_and_claims(token, jwk.JWK.from_pem(fetch(messenger.public_key_url).content))
    assert claims["sub"] == contact


def test_a_platform_that_reads_the_jwks_has_no_public_key_url(portal, brand, rsa_key, client):
    messenger = make_messenger(brand, "generic")
    response = client.get(f"/brands/{brand.slug}/messengers/{messenger.slug}/public-key")
    assert response.status_code == 404
    assert response.json()["error"] == "no_key_document"
    other = client.get(f"/brands/other/messengers/{messenger.slug}/public-key")
    assert other.status_code == 404 and other.json()["error"] == "unknown_messenger"
