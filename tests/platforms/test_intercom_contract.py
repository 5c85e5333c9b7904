"""Intercom Messenger security, as Intercom documents it.

Source: https://developers.intercom.com/installing-intercom/web/identity-verification
(HS256 with the Messenger API secret; ``user_id`` required; signed attributes such as
``email`` and ``name``; "Token Expiration: Set token expiration times that match your app's
session length"). The secret comes from Intercom's settings: nothing is published.
Widget command shapes (``Intercom("boot", {app_id, intercom_user_jwt})``, ``update`` with a
fresh token before expiry, ``shutdown`` at logout): tests/browser/test_adapter_intercom.py.
"""

import pytest
from django.conf import settings

from tests.platforms.conftest import (
    SHARED_SECRET,
    header_and_claims,
    issue,
    make_messenger,
    oct_key,
    sandbox_verdict,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_jwt_carries_user_id_and_lasts_the_app_session(
    portal, session, brand, rsa_key, customer
):
    messenger = make_messenger(brand, "intercom", secret=SHARED_SECRET)
    token = issue(session, messenger.slug)

    header, claims = header_and_claims(token, oct_key(SHARED_SECRET))
    assert header["alg"] == "HS256" and header["typ"] == "JWT"
    assert claims["user_id"] == customer.customer_id and isinstance(claims["user_id"], str)
    assert claims["email"] == customer.email
    # the app session (SESSION_COOKIE_AGE, 8 hours) capped at the longest token lifetime
    lifetime = claims["exp"] - claims["iat"]
    assert lifetime == min(settings.SESSION_COOKIE_AGE, 3600)
    assert lifetime > int(messenger.token_ttl.total_seconds())
    assert sandbox_verdict(messenger.slug, token)["valid"] is True
