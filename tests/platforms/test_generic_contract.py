"""The generic platform: the brand's own widget, verified with the brand's RFC 7517 JWKS.

Contract: RFC 7519 (registered claims), RFC 7517 (the JWK set), RFC 8725 (``typ`` explicit,
``aud`` present, one algorithm per key). Widget command shapes (the ``portalchat:open`` /
``portalchat:logout`` DOM hook): tests/browser/test_adapter_generic.py.
"""

import pytest

from tests.platforms.conftest import (
    header_and_claims,
    issue,
    jwks_keyset,
    make_messenger,
    sandbox_verdict,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_token_carries_the_registered_claims_and_verifies_with_the_jwks(
    portal, session, brand, rsa_key, customer
):
    messenger = make_messenger(brand, "generic")
    token = issue(session, messenger.slug)
    header, claims = header_and_claims(token, jwks_keyset(brand.jwks_url))
    assert header == {"alg": "RS256", "kid": rsa_key.kid, "typ": "JWT"}
    assert {"iss", "sub", "aud", "iat", "nbf", "exp", "jti"} <= set(claims)
    assert claims["aud"] == messenger.audience and claims["sub"] == customer.customer_id
    assert isinstance(claims["accountBalance"], str)  # money: a decimal string
    assert sandbox_verdict(messenger.slug, token)["valid"] is True
