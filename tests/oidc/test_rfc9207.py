"""RFC 9207 (authorization server issuer identification), checked as a relying party would.

https://www.rfc-editor.org/rfc/rfc9207
"""

import json

import pytest
from django.urls import reverse

from tests.oidc.relying_party import query_of, sign_in

pytestmark = pytest.mark.django_db


def test_3_discovery_announces_the_iss_parameter(rp):
    assert rp.metadata["authorization_response_iss_parameter_supported"] is True


def test_2_a_successful_authorization_response_names_the_issuer(rp, browser):
    _session, answer, _remembered = sign_in(rp, browser)
    # 2.4: the client compares iss with the issuer of the discovery document
    assert query_of(answer["Location"])["iss"] == rp.metadata["issuer"]


def test_2_an_error_response_names_the_issuer_too(rp, client):
    _session, answer, _remembered = sign_in(rp, client, prompt="none")
    query = query_of(answer["Location"])
    assert query["error"] == "login_required" and query["iss"] == rp.metadata["issuer"]


def test_2_the_auth_code_api_hands_the_plugin_the_issuer(rp, browser, genesys_client):
    # Genesys's AuthProvider plugin resolves getAuthCode with {authCode, redirectUri, nonce, iss}
    messenger, _secret = genesys_client
    response = browser.post(
        reverse("messaging:auth-code"),
        json.dumps({"messenger": messenger.slug}),
        content_type="application/json",
        secure=True,
    )
    body = response.json()
    assert {"authCode", "redirectUri", "nonce"} <= set(body)
    assert body["iss"] == rp.metadata["issuer"]
