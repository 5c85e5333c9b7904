"""Genesys Cloud authenticated web messaging: the brand as its OpenID Connect provider.

Sources:
- https://help.mypurecloud.com/?p=253395 (OpenID Connect Messenger Configuration: a Discovery
  URI, client id and secret; keys found through the discovery document's ``jwks_uri``);
- https://developer.genesys.cloud/commdigital/digital/webmessaging/messengersdk/SDKCommandsEvents/authProviderPlugin
  (``getAuthCode`` resolves with ``{authCode, redirectUri, nonce?, maxAge?, codeVerifier?,
  iss?}``);
- OpenID Connect Discovery 1.0 section 3 and Core 1.0 section 3.1.3.7 (id_token checks);
- https://help.mypurecloud.com/articles/authenticated-web-messaging-attributes/ (``sub`` reaches
  Architect as ``Message.Message.senderAddressInfo.addressDisplayable``).
Widget command shapes (``registerPlugin('AuthProvider')``, ``getAuthCode``, ``reAuthenticate``):
tests/browser/test_adapter_genesys.py.
"""

import json

import pytest
import requests

from tests.conftest import genesys_client_create
from tests.platforms.conftest import fetch, header_and_claims, jwks_keyset

pytestmark = pytest.mark.django_db(transaction=True)


def test_discovery_code_exchange_and_id_token_are_what_genesys_consumes(
    portal, session, brand, rsa_key, customer
):
    messenger, secret = genesys_client_create(brand, f"{brand.slug}-genesys")
    discovery = fetch(brand.discovery_url).json()
    assert discovery["issuer"] == brand.issuer_url
    assert "code" in discovery["response_types_supported"]
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]
    assert {"client_secret_basic", "client_secret_post"} <= set(
        discovery["token_endpoint_auth_methods_supported"]
    )

    # what the page's AuthProvider plugin resolves getAuthCode with
    answer = session.post(
        "/api/v1/messaging/auth-code",
        json.dumps({"messenger": messenger.slug}),
        content_type="application/json",
    ).json()
    assert {"authCode", "redirectUri", "nonce"} <= set(answer)
    assert answer["redirectUri"] in messenger.redirect_uris
    if discovery.get("authorization_response_iss_parameter_supported"):
        assert answer["iss"] == brand.issuer_url  # RFC 9207: announced, so sent

    # Genesys's servers redeem it with the stored client secret (client_secret_basic)
    response = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": answer["authCode"],
            "redirect_uri": answer["redirectUri"],
        },
        auth=(messenger.client_id, secret),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    header, claims = header_and_claims(
        response.json()["id_token"], jwks_keyset(discovery["jwks_uri"])
    )
    assert header["alg"] == "RS256"
    assert claims["iss"] == brand.issuer_url
    assert claims["aud"] == messenger.client_id
    assert claims["sub"] == customer.customer_id
    assert claims["nonce"] == answer["nonce"]
    assert {"exp", "iat", "auth_time"} <= set(claims)
