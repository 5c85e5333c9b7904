"""Zendesk messaging: end-user authentication with a JWT, as Zendesk documents it.

Sources:
- https://developer.zendesk.com/documentation/zendesk-web-widget-sdks/sdks/web/enabling_auth_visitors/
  and https://docs.smooch.io/guide/authenticating-users (HS256 with the signing key's shared
  secret; header ``kid`` = the key id ``app_...``; payload ``scope: "user"``, ``external_id``
  a STRING, optional ``name``, ``email``, ``email_verified``);
- https://support.zendesk.com/hc/en-us/articles/4411666638746 (the key id and secret come
  from Admin Center: nothing is published).
Widget command shapes (``zE("messenger", "loginUser", jwtCallback, loginCallback)`` at every
page load of a logged-in customer, ``logoutUser``): tests/browser/test_adapter_zendesk.py.
"""

import pytest

from tests.platforms.conftest import (
    SHARED_SECRET,
    fetch,
    header_and_claims,
    issue,
    make_messenger,
    oct_key,
    sandbox_verdict,
)

pytestmark = pytest.mark.django_db(transaction=True)

KEY_ID = "app_64f1c8e2a3b4d4e5f8a9b0c1"


def test_the_jwt_is_hs256_with_the_key_id_and_a_string_external_id(
    portal, session, brand, rsa_key, customer
):
    messenger = make_messenger(brand, "zendesk", secret=SHARED_SECRET, key_id=KEY_ID)
    token = issue(session, messenger.slug)

    header, claims = header_and_claims(token, oct_key(SHARED_SECRET))
    assert header == {"alg": "HS256", "kid": KEY_ID, "typ": "JWT"}
    assert claims["scope"] == "user"
    assert claims["external_id"] == customer.customer_id
    assert isinstance(claims["external_id"], str)  # a number is an error at Zendesk
    assert isinstance(claims.get("name", ""), str) and isinstance(claims.get("email", ""), str)
    assert sandbox_verdict(messenger.slug, token)["valid"] is True
    # the shared secret is never published
    assert all(key.get("kty") != "oct" for key in fetch(brand.jwks_url).json()["keys"])
