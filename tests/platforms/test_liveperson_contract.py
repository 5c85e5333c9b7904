"""LivePerson authenticated messaging, as LivePerson documents it.

Sources:
- https://developers.liveperson.com/messaging-window-api-tutorials-authentication.html
  (RS256; claims ``sub``, ``iss``, ``aud``, ``exp``, ``iat``; the JWT public key / JWKS);
- https://developers.liveperson.com/engagement-attributes-types-of-engagement-attributes.html
  (``ctmrinfo``: ``customerId``, ``ctype`` strings, ``balance`` a number (double),
  ``currency``; ``personal``: ``firstname``, ``lastname``, ``contacts``);
- https://developers.liveperson.com/consumer-authentication-detailed-api-authentication-implementation-guide.html
  (the identity function ``{iss, acr: "loa1", sub}`` on authenticated pages: its ``iss`` and
  ``sub`` must be the token's).
Widget command shapes (the Web Tag, ``lpTag.identities.push(fn)``, the JS method):
tests/browser/test_adapter_liveperson.py.
"""

import pytest

from messaging import profiles
from tests.platforms.conftest import (
    header_and_claims,
    issue,
    jwks_keyset,
    make_messenger,
    sandbox_verdict,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_jwt_and_its_sdes_have_liveperson_s_names_and_types(
    portal, session, brand, rsa_key, customer
):
    messenger = make_messenger(brand, "liveperson")
    token = issue(session, messenger.slug)

    header, claims = header_and_claims(token, jwks_keyset(brand.jwks_url))
    assert header == {"alg": "RS256", "kid": rsa_key.kid, "typ": "JWT"}
    assert {"sub", "iss", "aud", "exp", "iat"} <= set(claims)
    assert claims["aud"] == messenger.audience
    (ctmrinfo,) = [sde for sde in claims["lp_sdes"] if sde["type"] == "ctmrinfo"]
    info = ctmrinfo["info"]
    assert isinstance(info["balance"], float | int) and not isinstance(info["balance"], bool)
    assert f"{info['balance']:.2f}" == f"{customer.balance:.2f}"
    for name in ("customerId", "ctype", "currency"):
        assert isinstance(info[name], str)
    assert "cstatus" not in info
    (personal,) = [sde for sde in claims["lp_sdes"] if sde["type"] == "personal"]
    assert personal["personal"]["firstname"] == customer.first_name
    assert sandbox_verdict(messenger.slug, token)["valid"] is True

    # the page's identity function names the same issuer and subject as the token
    identity = profiles.get("liveperson").page_identity(customer=customer, messenger=messenger)
    assert identity == {"iss": claims["iss"], "acr": "loa1", "sub": claims["sub"]}
