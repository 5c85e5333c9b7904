"""Small helpers of the OpenID Connect tests: what a relying party does over HTTP."""

import base64
import json
from urllib.parse import quote, urlencode

import jwt
from django.test import Client
from django.urls import reverse

from tests.conftest import GENESYS_REDIRECT


def auth_code(client: Client, messenger_slug: str):
    """POST /api/v1/messaging/auth-code as the page plugin does."""
    return client.post(
        reverse("messaging:auth-code"),
        json.dumps({"messenger": messenger_slug}),
        content_type="application/json",
    )


def basic(client_id: str, secret: str) -> str:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def token_request(client: Client, brand_slug: str, form: dict, *, auth: tuple | None = None):
    headers = {"HTTP_AUTHORIZATION": basic(*auth)} if auth else {}
    return client.post(
        reverse("messaging:oidc-token", args=[brand_slug]),
        urlencode(form),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def exchange(client: Client, messenger, secret: str, code: str, **extra):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": messenger.redirect_uris[0],
        **extra,
    }
    return token_request(client, messenger.brand.slug, form, auth=(messenger.client_id, secret))


def authorize_request(client: Client, messenger, **params):
    """GET the browser authorize endpoint of ``acme`` as the Genesys client would send it."""
    query = {
        "response_type": "code",
        "client_id": messenger.client_id,
        "redirect_uri": GENESYS_REDIRECT,
        "scope": "openid profile",
        "state": "st-1",
        "nonce": "n-1",
        **params,
    }
    return client.get(reverse("messaging:oidc-authorize", args=["acme"]) + "?" + urlencode(query))


def refresh_request(client: Client, messenger, secret: str, refresh_token: str, **extra):
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return token_request(client, messenger.brand.slug, form, auth=(messenger.client_id, secret))


def userinfo_request(client: Client, brand, access_token: str, method: str = "get"):
    url = reverse("messaging:oidc-userinfo", args=[brand.slug])
    return getattr(client, method)(url, HTTP_AUTHORIZATION=f"Bearer {access_token}")


def verify_id_token(client: Client, brand, id_token: str, audience: str) -> dict:
    """Check the id_token as a relying party would: the brand's published JWKS, iss, aud."""
    jwks = client.get(reverse("brands:brand-jwks", args=[brand.slug])).json()
    kid = jwt.get_unverified_header(id_token)["kid"]
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    return jwt.decode(
        id_token,
        jwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        audience=audience,
        issuer=brand.issuer_url,
        options={"require": ["iss", "sub", "aud", "exp", "iat", "auth_time"]},
    )
