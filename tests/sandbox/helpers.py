"""Token minting for the sandbox tests: full control over header and payload bytes."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from sandbox.verifier.encoding import b64url_encode
from sandbox.verifier.keys import ALGORITHMS

ISSUER = "https://portal.example/brands/acme"
AUDIENCE = "sandbox-messenger-aud"


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any

    def public_jwk(self) -> dict:
        public = self.private.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
        jwk.update(kid=self.kid, alg=self.alg, use="sig")
        return jwk


def new_rsa(kid="rsa-1", alg="RS256", bits=2048) -> SigningKey:
    return SigningKey(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=bits))


def new_ec(kid="ec-1") -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


def new_ed(kid="ed-1") -> SigningKey:
    return SigningKey(kid, "EdDSA", ed25519.Ed25519PrivateKey.generate())


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "cust-7f3a",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "accountTier": "gold",
        "isVip": True,
        "accountBalance": "1234.56",
        "currency": "EUR",
    }
    for name, value in overrides.items():
        if value is DROP:
            base.pop(name, None)
        else:
            base[name] = value
    return base


DROP = object()


def _segment(value: dict | str | bytes) -> str:
    if isinstance(value, dict):
        value = json.dumps(value, separators=(",", ":"))
    if isinstance(value, str):
        value = value.encode()
    return b64url_encode(value)


def sign_raw(header: dict | str | bytes, payload: dict | str | bytes, key, alg: str) -> str:
    """Compact JWS over exactly these header/payload bytes, signed with ``key`` as ``alg``."""
    signing_input = f"{_segment(header)}.{_segment(payload)}"
    impl = ALGORITHMS[alg].impl
    signature = impl.sign(signing_input.encode(), key)
    return f"{signing_input}.{b64url_encode(signature)}"


def mint(signer: SigningKey, payload: dict | str | bytes | None = None, **header) -> str:
    hdr = {"alg": signer.alg, "kid": signer.kid, "typ": "JWT"}
    for name, value in header.items():
        if value is DROP:
            hdr.pop(name, None)
        else:
            hdr[name] = value
    return sign_raw(hdr, claims() if payload is None else payload, signer.private, signer.alg)
