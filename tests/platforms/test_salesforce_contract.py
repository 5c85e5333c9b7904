"""Salesforce Messaging for In-App and Web: token-based user verification, as documented.

Sources:
- https://help.salesforce.com/s/articleView?id=service.miaw_token_based_user_verification_setup.htm
  (keyset from a JWKS endpoint URL hosted outside Salesforce; RS256 and RS512; the keyset's
  issuer equals the token's ``iss``);
- https://help.salesforce.com/apex/HTViewHelpDoc?id=service.user_verification_troubleshooting.htm
  (each JWK carries ``kty``, ``kid``, ``alg`` and ``x5c``; a certificate valid for at least 10
  more days);
- Salesforce-Async-Messaging/key-command-line-utility ``JwtUtil.java`` (header ``kid``; claims
  ``sub``, ``iss``, ``exp``, ``iat``; no ``aud``).
Widget command shapes (``setIdentityToken({identityTokenType: "JWT", identityToken})`` after
``onEmbeddedMessagingReady`` at every page load, ``clearSession`` at logout):
tests/browser/test_adapter_salesforce.py.
"""

import base64
import time

import pytest
import requests
from cryptography import x509

from brands import services as brand_services
from tests.platforms.conftest import (
    header_and_claims,
    issue,
    jwks_keyset,
    make_messenger,
    sandbox_verdict,
)

pytestmark = pytest.mark.django_db(transaction=True)

TEN_DAYS = 10 * 24 * 3600


def test_the_identity_token_and_the_jwks_endpoint_are_what_salesforce_documents(
    portal, session, brand, rsa_key, customer
):
    messenger = make_messenger(brand, "salesforce")
    token = issue(session, messenger.slug)
    keyset = jwks_keyset(brand.jwks_url)

    header, claims = header_and_claims(token, keyset)
    assert header == {"alg": "RS256", "kid": rsa_key.kid, "typ": "JWT"}
    assert {"sub", "iss", "exp", "iat"} <= set(claims)
    assert "aud" not in claims
    assert claims["iss"] == brand.issuer_url  # the keyset's issuer
    assert claims["sub"] == customer.customer_id
    assert isinstance(claims["exp"], int) and isinstance(claims["iat"], int)

    (published,) = [key for key in keyset["keys"] if key.get("kid") == rsa_key.kid]
    exported = published.export(private_key=False, as_dict=True)
    assert {"kty", "kid", "alg", "x5c"} <= set(exported)
    certificate = x509.load_der_x509_certificate(base64.b64decode(exported["x5c"][0]))
    assert certificate.not_valid_after_utc.timestamp() > time.time() + TEN_DAYS
    assert sandbox_verdict(messenger.slug, token)["valid"] is True


def test_a_salesforce_flow_reads_certified_attributes_with_the_messenger_s_credentials(
    portal, brand, rsa_key, customer
):
    """The route the guide documents for tier, VIP flag and balance: an HTTP callout on a
    Basic-auth named credential, keyed by the verified subject (server to server)."""
    messenger = make_messenger(brand, "salesforce")
    secret = brand_services.client_secret_rotate(messenger=messenger)
    url = f"{portal.url}/api/v1/brands/{brand.slug}/customers/{customer.customer_id}/attributes"

    response = requests.get(url, auth=(messenger.client_id, secret), timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sub"] == customer.customer_id
    assert body["accountTier"] == customer.tier.code and isinstance(body["isVip"], bool)
    assert body["accountBalance"] == f"{customer.balance:.2f}"

    wrong = requests.get(url, auth=(messenger.client_id, "not-the-secret"), timeout=10)
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    # the credentials read attributes only: no OpenID Connect code exchange with them
    token = requests.post(
        f"{portal.url}/brands/{brand.slug}/oidc/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": "https://x.test/"},
        auth=(messenger.client_id, secret),
        timeout=10,
    )
    assert token.status_code == 401 and token.json()["error"] == "invalid_client"
