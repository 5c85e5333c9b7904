"""Genesys Cloud's side of authenticated web messaging, as its servers run it.

The page's AuthProvider plugin hands Genesys ``{authCode, redirectUri, nonce, codeVerifier?}``.
Genesys then, from what its administrator entered (discovery URI, client id, client secret)
and nothing else:

1. reads the provider's discovery document (``discovery_uri`` of the public messenger setup);
2. redeems the code at ``token_endpoint`` with HTTP Basic client authentication;
3. verifies the id_token with the strict verifier (JWKS from the discovery's ``jwks_uri``,
   ``iss``, ``aud`` = client id, lifetimes) and checks the ``nonce``;
4. looks the certified attributes up through the brand's attributes API, as an Architect data
   action keyed by the verified ``sub`` would (page-side custom attributes are tamperable).

Sources:
- https://help.mypurecloud.com/?p=253395
- https://developer.genesys.cloud/commdigital/digital/webmessaging/messengersdk/
  SDKCommandsEvents/authProviderPlugin
- MyPureCloud/genesys-messenger-transport-mobile-sdk
  transport/uml/auth_flow/authorization_code_flow.puml
Every failure is a ``VerificationResult`` with a reason code, never an exception.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from urllib.parse import quote

from .certified import CERTIFIED
from .credentials import credential_get
from .fetch import FetchError, http_get, http_post_form
from .platform import PlatformConfig
from .verifier import VerificationResult
from .verifier.encoding import DecodeError, strict_json_object

MAX_DOCUMENT_BYTES = 64 * 1024


def _fail(reason: str, detail: str) -> VerificationResult:
    return VerificationResult(False, reason=reason, detail=detail[:255])


def _basic(client_id: str, secret: str) -> str:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def _json(response, what: str) -> dict:
    try:
        return strict_json_object(response.body)
    except DecodeError as exc:
        raise FetchError(f"{what} is not a JSON object: {exc}") from None


def sign_in(config: PlatformConfig, auth_code: object) -> VerificationResult:
    """Run Genesys's sign-in for ``auth_code``; the result's claims carry the attributes."""
    if not isinstance(auth_code, dict):
        return _fail("malformed", "auth_code must be an object")
    code, redirect_uri = auth_code.get("authCode"), auth_code.get("redirectUri")
    nonce, verifier = auth_code.get("nonce"), auth_code.get("codeVerifier")
    if not (isinstance(code, str) and code and isinstance(redirect_uri, str) and redirect_uri):
        return _fail("malformed", "authCode and redirectUri are required")
    if not config.discovery_uri:
        return _fail("jwks_unavailable", "the messenger setup names no discovery URI")
    credential = credential_get(config.messenger)
    if credential is None or not credential.client_id:
        return _fail("jwks_unavailable", "no client id and secret entered for this messenger")
    authorization = {"Authorization": _basic(credential.client_id, credential.secret)}
    try:
        discovery = _json(
            http_get(config.discovery_uri, max_bytes=MAX_DOCUMENT_BYTES), "discovery"
        )
        token_endpoint = discovery.get("token_endpoint")
        if discovery.get("issuer") != config.issuer or not isinstance(token_endpoint, str):
            return _fail("wrong_issuer", "the discovery document is for another issuer")
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if isinstance(verifier, str) and verifier:
            form["code_verifier"] = verifier
        response = http_post_form(
            token_endpoint, form, max_bytes=MAX_DOCUMENT_BYTES, headers=authorization
        )
        body = _json(response, "token response")
    except FetchError as exc:
        return _fail("jwks_unavailable", f"provider unreachable: {exc}")
    if response.status != 200:
        error = body.get("error") if isinstance(body.get("error"), str) else "error"
        return _fail(
            "bad_signature" if error == "invalid_client" else "invalid_claim",
            f"code exchange refused: {error[:40]}",
        )
    id_token = body.get("id_token")
    verifier_config = replace(config, audience=credential.client_id)
    result = verifier_config.verifier(jwks_url=discovery.get("jwks_uri")).verify(id_token)
    if not result.valid:
        return result
    if not isinstance(nonce, str) or result.claims.get("nonce") != nonce:
        return _fail("invalid_claim", "the id_token's nonce is not the one the page sent")
    attributes = _lookup_attributes(config, result.claims.get("sub"), authorization)
    if attributes is None:
        return _fail("jwks_unavailable", "the certified attributes could not be read")
    result.claims = {**result.claims, **attributes}
    return result


def _lookup_attributes(config: PlatformConfig, sub: object, authorization: dict) -> dict | None:
    """The Architect data action: certified attributes of ``sub`` (only the known keys)."""
    if not config.attributes_url:
        return {}
    if not isinstance(sub, str) or not sub:
        return None
    url = config.attributes_url.replace("{sub}", quote(sub, safe=""))
    try:
        response = http_get(url, max_bytes=MAX_DOCUMENT_BYTES, headers=authorization)
        body = _json(response, "attributes")
    except FetchError:
        return None
    if response.status != 200 or body.get("sub") != sub:
        return None
    return {k: body[k] for k in CERTIFIED if k in body}
