"""Dynamics 365 Contact Center authenticated chat: RS256 from the configured public key URL.

Keys: Omnichannel fetches the authentication setting's "Public key URL", which answers ONE PEM
public key (``-----BEGIN PUBLIC KEY-----``), or a JSON array of ``{"kid", "publicKey" (the PEM,
base64), "expiry"}`` for several keys, the token's header ``kid`` picking one. An RFC 7517
JWKS is neither, so a URL serving one finds no key (``jwks_unavailable``). With one PEM the
header ``kid`` does not matter; with the array it must name a key whose ``expiry`` has not
passed. Keys are RSA (Microsoft: "generated using the RSA256 algorithm"), 2048 bits or more.
Claims: ``iss`` exact; ``sub``, ``iat``, ``exp`` and ``nbf`` required (Microsoft's payload has
all four); no ``aud``. ``lwicontexts``, when present, must be a STRING holding a JSON object
of primitive values (the serialized custom context), else ``invalid_claim``.
Sources:
https://learn.microsoft.com/dynamics365/customer-service/administer/create-chat-auth-settings
("Setup for custom portals", steps 1-3)
https://learn.microsoft.com/dynamics365/customer-service/develop/send-auth-token-starting-chat
https://learn.microsoft.com/dynamics365/customer-service/develop/reference/methods/setauthtokenprovider
"""

import base64
import binascii
import json
import time

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from sandbox.fetch import FetchError
from sandbox.verifier.encoding import DecodeError, strict_json_loads
from sandbox.verifier.keys import (
    MIN_RSA_BITS,
    KeySet,
    KeySetError,
    VerificationKey,
    has_roca_fingerprint,
)
from sandbox.verifier.profiles.base import Profile
from sandbox.verifier.rules import json_object_string

PEM_HEADER = b"-----BEGIN PUBLIC KEY-----"


def _rsa_key(pem: bytes) -> rsa.RSAPublicKey:
    try:
        key = load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise ValueError("not a PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA key")
    if key.key_size < MIN_RSA_BITS:
        raise ValueError(f"RSA key of {key.key_size} bits is too small")
    if has_roca_fingerprint(key.public_numbers().n):
        raise ValueError("RSA key has the ROCA fingerprint")
    return key


def public_key_document(body: bytes, content_type: str, default_alg: str | None) -> KeySet:
    """The keys of a Dynamics public key URL: one PEM, or the kid/publicKey/expiry array."""
    if body.strip().startswith(PEM_HEADER):
        try:
            key = _rsa_key(body.strip())
        except ValueError as exc:
            raise KeySetError(f"public key: {exc}") from None
        return KeySet(keys={}, only=VerificationKey(None, "RS256", "RSA", key))
    try:
        entries = strict_json_loads(body)
    except DecodeError:
        raise FetchError("neither a PEM public key nor a JSON array of keys") from None
    if not isinstance(entries, list) or not entries:
        raise KeySetError('not a [{"kid", "publicKey", "expiry"}] array')
    kids = [e.get("kid") for e in entries if isinstance(e, dict)]
    if len(kids) != len(set(map(str, kids))):
        raise KeySetError("duplicate 'kid' in key array")
    result = KeySet(keys={})
    now = time.time()
    for entry in entries:
        kid = entry.get("kid") if isinstance(entry, dict) else None
        if not isinstance(kid, str) or not kid:
            result.ignored.append((None, "entry without a string 'kid'"))
            continue
        expiry = entry.get("expiry")
        if isinstance(expiry, bool) or not isinstance(expiry, int):
            result.ignored.append((kid, "'expiry' is not a NumericDate"))
            continue
        if expiry <= now:
            result.ignored.append((kid, "expired"))
            continue
        try:
            pem = base64.b64decode(entry.get("publicKey") or "", validate=True)
            key = _rsa_key(pem)
        except (binascii.Error, ValueError, TypeError) as exc:
            result.ignored.append((kid, f"publicKey: {exc}"))
            continue
        result.keys[kid] = VerificationKey(kid, "RS256", "RSA", key)
    return result


def certified_view(claims: dict) -> dict:
    """sub, and the custom context (msdyn_isvip, tier, balance, ...) of lwicontexts."""
    try:
        context = json.loads(claims.get("lwicontexts") or "{}")
    except ValueError:
        context = {}
    vip = context.get("msdyn_isvip")
    return {
        "sub": claims.get("sub"),
        "iss": claims.get("iss"),
        "firstName": context.get("firstname"),
        "lastName": context.get("lastname"),
        "accountTier": context.get("tier"),
        "isVip": {"true": True, "false": False, True: True, False: False}.get(vip),
        "accountBalance": context.get("balance"),
        "currency": context.get("currency"),
    }


PROFILE = Profile(
    name="d365",
    algorithms=("RS256",),
    typ="JWT",
    required_claims=("iss", "sub", "iat", "exp", "nbf"),
    claim_checks=(json_object_string("lwicontexts"),),
    certified_view=certified_view,
    key_document=public_key_document,
)
