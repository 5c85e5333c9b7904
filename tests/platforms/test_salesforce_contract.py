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
from cryptography import x509

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
