"""An independent relying party (Authlib's client) completes the code flow against the live
server knowing only the discovery URL, a client id and a client secret (as Genesys).
"""

import io
import json

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken
from django.core.management import call_command

from tests.conftest import GENESYS_REDIRECT, GENESYS_SETTINGS
from tests.messaging.oidc_helpers import auth_code

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def portal(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["*"]
    return live_server


def _create_genesys_messenger() -> dict[str, str]:
    """What the portal's administrator gets from the command, line by line."""
    out = io.StringIO()
    call_command(
        "create_messenger",
        "acme",
        "acme-genesys",
        "--platform",
        "genesys",
        "--redirect-uri",
        GENESYS_REDIRECT,
        "--attributes",
        "names,tier,vip,balance",
        "--vendor-settings",
        json.dumps(GENESYS_SETTINGS),
        stdout=out,
    )
    return dict(line.split("=", 1) for line in out.getvalue().splitlines() if "=" in line)


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_a_relying_party_completes_the_code_flow_from_discovery_alone(
    portal, customer, signing_key, verified_client, auth_method
):
    printed = _create_genesys_messenger()
    discovery_url = f"{portal.url}/brands/acme/.well-known/openid-configuration"
    assert printed["discovery_uri"] == discovery_url
    client_id, client_secret = printed["client_id"], printed["client_secret"]

    # the page plugin's getAuthCode, in the customer's MFA-verified session
    plugin = auth_code(verified_client, "acme-genesys").json()

    # the relying party: discovery -> code exchange -> id_token -> userinfo -> attributes
    metadata = requests.get(discovery_url, timeout=5).json()
    session = OAuth2Session(
        client_id,
        client_secret,
        token_endpoint_auth_method=auth_method,
        redirect_uri=plugin["redirectUri"],
    )
    token = session.fetch_token(
        metadata["token_endpoint"],
        grant_type="authorization_code",
        code=plugin["authCode"],
    )
    jwks = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=5).json())
    claims = JsonWebToken(metadata["id_token_signing_alg_values_supported"]).decode(
        token["id_token"],
        jwks,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": metadata["issuer"]}},
        claims_params={"nonce": plugin["nonce"], "client_id": client_id},
    )
    claims.validate(leeway=5)
    assert claims["sub"] == customer.customer_id
    assert claims["aud"] == client_id

    userinfo = session.get(metadata["userinfo_endpoint"], timeout=5)
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == customer.customer_id
    assert userinfo.json()["given_name"] == customer.first_name

    attributes = requests.get(
        f"{portal.url}/api/v1/brands/acme/customers/{claims['sub']}/attributes",
        auth=(client_id, client_secret),
        timeout=5,
    )
    assert attributes.status_code == 200
    assert attributes.json()["accountTier"] == "gold"
    assert attributes.json()["accountBalance"] == "1234.56"

    # the refresh token rotates through the same client library
    refreshed = session.refresh_token(metadata["token_endpoint"])
    assert refreshed["refresh_token"] != token["refresh_token"]


def test_a_relying_party_with_the_wrong_secret_gets_invalid_client(
    portal, customer, signing_key, verified_client
):
    printed = _create_genesys_messenger()
    plugin = auth_code(verified_client, "acme-genesys").json()
    response = requests.post(
        f"{portal.url}/brands/acme/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": plugin["authCode"],
            "redirect_uri": plugin["redirectUri"],
        },
        auth=(printed["client_id"], printed["client_secret"] + "x"),
        timeout=5,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
