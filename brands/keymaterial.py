"""Key material: generate, parse and describe signing keys. Pure functions, no database.

Asymmetric keys travel as cryptography private-key objects; HS256 keys are 32 random bytes.
Nothing here logs or returns private material in text form except ``private_bytes``, whose
output goes straight to ``brands.encryption``.
"""

import base64
import hashlib
import json
import re
import secrets
from datetime import datetime, timedelta

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from brands import conf
from brands.algorithms import ASYMMETRIC, RSA_ALGORITHMS, SYMMETRIC, Algorithm
from brands.errors import InvalidKeyMaterial

HS256_SECRET_BYTES = 32
MAX_PEM_BYTES = 64 * 1024

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int, length: int | None = None) -> str:
    length = length or max(1, (value.bit_length() + 7) // 8)
    return b64url(value.to_bytes(length, "big"))


def generation_size(algorithm: str, key_size: int | None) -> int | None:
    """The RSA modulus size to generate (``key_size``, default BRANDS_RSA_KEY_SIZE); ``None``
    for fixed-size algorithms. Raises ``InvalidKeyMaterial`` ``weak_key`` /
    ``invalid_key_size``."""
    if algorithm in RSA_ALGORITHMS:
        size = key_size or int(conf.get("RSA_KEY_SIZE"))
        if size not in conf.RSA_KEY_SIZES:
            raise InvalidKeyMaterial(
                f"RSA keys are {', '.join(map(str, conf.RSA_KEY_SIZES))} bits, not {size}.",
                code="weak_key" if size < conf.RSA_MIN_KEY_SIZE else "invalid_key_size",
            )
        return size
    if key_size is not None:
        raise InvalidKeyMaterial(
            f"{algorithm} keys have a fixed size; --size applies to RSA only.",
            code="invalid_key_size",
        )
    return None


def generate_private_key(algorithm: str, key_size: int | None = None) -> PrivateKey | bytes:
    """A fresh key for ``algorithm``; RSA uses ``key_size`` bits (default BRANDS_RSA_KEY_SIZE)."""
    size = generation_size(algorithm, key_size)
    if algorithm in RSA_ALGORITHMS:
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    if algorithm == Algorithm.ES256:
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == Algorithm.EDDSA:
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == Algorithm.HS256:
        return secrets.token_bytes(HS256_SECRET_BYTES)
    raise InvalidKeyMaterial(f"Unsupported algorithm {algorithm!r}.", code="unsupported_algorithm")


def check_key(key: object, algorithm: str) -> None:
    """Refuse a key that does not fit ``algorithm`` or is too weak (``InvalidKeyMaterial``)."""
    if algorithm not in ASYMMETRIC:
        raise InvalidKeyMaterial(
            f"{algorithm} keys cannot be imported from PEM.", code="unsupported_algorithm"
        )
    if algorithm in RSA_ALGORITHMS:
        if not isinstance(key, rsa.RSAPrivateKey):
            raise InvalidKeyMaterial(
                f"{algorithm} needs an RSA private key, not {_kind(key)}.", code="wrong_key_type"
            )
        if key.key_size < conf.RSA_MIN_KEY_SIZE:
            raise InvalidKeyMaterial(
                f"RSA key of {key.key_size} bits refused: the minimum is {conf.RSA_MIN_KEY_SIZE}.",
                code="weak_key",
            )
        if key.key_size > conf.RSA_MAX_KEY_SIZE:
            raise InvalidKeyMaterial(
                f"RSA key of {key.key_size} bits refused: the maximum is {conf.RSA_MAX_KEY_SIZE}.",
                code="invalid_key_size",
            )
        e = key.public_key().public_numbers().e
        if e < 65537 or e % 2 == 0:
            raise InvalidKeyMaterial(
                f"RSA public exponent {e} refused: use 65537.", code="weak_key"
            )
    elif algorithm == Algorithm.ES256:
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise InvalidKeyMaterial(
                f"ES256 needs an EC P-256 private key, not {_kind(key)}.", code="wrong_key_type"
            )
        if not isinstance(key.curve, ec.SECP256R1):
            raise InvalidKeyMaterial(
                f"ES256 needs the P-256 curve, not {key.curve.name}.", code="wrong_key_type"
            )
    elif algorithm == Algorithm.EDDSA and not isinstance(key, ed25519.Ed25519PrivateKey):
        raise InvalidKeyMaterial(
            f"EdDSA needs an Ed25519 private key, not {_kind(key)}.", code="wrong_key_type"
        )


def _kind(key: object) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return f"an RSA key ({key.key_size} bits)"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"an EC key ({key.curve.name})"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "an Ed25519 key"
    return f"a {type(key).__name__.replace('_', '')}"


def load_private_key_pem(pem: bytes | str, *, password: bytes | str | None, algorithm: str):
    """Parse a PEM private key and check it suits ``algorithm``.

    Raises ``InvalidKeyMaterial`` with ``invalid_key``, ``encrypted_key``, ``wrong_key_type``,
    ``weak_key`` or ``unsupported_algorithm``; never echoes the material in the message.
    """
    if algorithm not in ASYMMETRIC:
        raise InvalidKeyMaterial(
            f"{algorithm} keys cannot be imported from PEM.", code="unsupported_algorithm"
        )
    data = pem.encode() if isinstance(pem, str) else bytes(pem)
    if isinstance(password, str):
        password = password.encode()
    if not data.strip() or len(data) > MAX_PEM_BYTES or b"-----BEGIN" not in data:
        raise InvalidKeyMaterial("This is not a PEM private key.", code="invalid_key")
    if b"PRIVATE KEY-----" not in data:
        raise InvalidKeyMaterial(
            "This PEM holds no private key (a public key or a certificate?).", code="invalid_key"
        )
    try:
        key = serialization.load_pem_private_key(data, password=password or None)
    except TypeError as exc:
        # cryptography: "Password was not given but private key is encrypted" (or the reverse)
        if password:
            raise InvalidKeyMaterial(
                "A password was given but the key is not encrypted.", code="invalid_key"
            ) from exc
        raise InvalidKeyMaterial(
            "The key is encrypted: give its password.", code="encrypted_key"
        ) from exc
    except ValueError as exc:
        if password or b"ENCRYPTED" in data:
            raise InvalidKeyMaterial(
                "The key could not be decrypted: wrong password or damaged PEM.",
                code="encrypted_key",
            ) from exc
        raise InvalidKeyMaterial(
            "The PEM private key could not be parsed.", code="invalid_key"
        ) from exc
    except Exception as exc:  # unsupported key types and library edge cases
        raise InvalidKeyMaterial(
            "The PEM private key is not supported.", code="invalid_key"
        ) from exc
    check_key(key, algorithm)
    return key


def private_bytes(key: PrivateKey | bytes) -> bytes:
    """Serialised private material to encrypt: PKCS#8 DER, or the raw HS256 secret."""
    if isinstance(key, bytes):
        return key
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_bytes(data: bytes, algorithm: str) -> PrivateKey | bytes:
    """Inverse of ``private_bytes`` (the slow step: about 27 ms for RSA 2048)."""
    if algorithm in SYMMETRIC:
        return bytes(data)
    key = serialization.load_der_private_key(data, password=None)
    check_key(key, algorithm)
    return key


def public_jwk(key: PrivateKey, algorithm: str) -> dict:
    """The public JWK members of ``key`` (no ``kid``, ``alg`` or ``use``)."""
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        return {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        numbers = key.public_key().public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _int_b64(numbers.x, 32),
            "y": _int_b64(numbers.y, 32),
        }
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    raise InvalidKeyMaterial(f"No public JWK for {algorithm} keys.", code="unsupported_algorithm")


def public_key_pem(jwk: dict) -> bytes:
    """The SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``) of a public JWK."""
    public = jwt.PyJWK(jwk).key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


_THUMBPRINT_MEMBERS = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
}


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url: the same material always gets the same kid."""
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64url(hashlib.sha256(canonical).digest())


def random_kid() -> str:
    """A random kid for shared secrets: a thumbprint would be a hash of the secret."""
    return "hs-" + secrets.token_urlsafe(18)


def fingerprint(key: PrivateKey | bytes) -> str:
    """SHA-256 of the public key (SubjectPublicKeyInfo DER), or of the shared secret, in hex.

    Safe to display: it identifies material without revealing it (a 256-bit random secret
    cannot be recovered from its hash).
    """
    if isinstance(key, bytes):
        digest = hashlib.sha256(b"hs256-secret:" + key).hexdigest()
    else:
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = hashlib.sha256(spki).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2)).upper()


def key_size(key: PrivateKey | bytes) -> int:
    if isinstance(key, bytes):
        return len(key) * 8
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key.key_size
    return 256


def self_signed_certificate(
    key: PrivateKey, *, common_name: str, now: datetime, validity: timedelta
) -> x509.Certificate:
    """A self-signed certificate of ``key`` so the JWKS can carry ``x5c`` (Salesforce)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    if getattr(key, "in_token", False):
        return _sign_in_token(builder, key)
    return builder.sign(key, algorithm)


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _der_element(data: bytes, offset: int) -> tuple[int, int]:
    """(start of content, end) of the DER element at ``offset``."""
    first = data[offset + 1]
    if first < 0x80:
        return offset + 2, offset + 2 + first
    count = first & 0x7F
    length = int.from_bytes(data[offset + 2 : offset + 2 + count], "big")
    start = offset + 2 + count
    return start, start + length


def _sign_in_token(builder: x509.CertificateBuilder, key) -> x509.Certificate:
    """Sign ``builder``'s certificate with a key that cannot leave its HSM.

    ``cryptography`` signs certificates only with keys in memory. The certificate is built and
    signed with a throwaway key of the same type (so the TBSCertificate names the right
    signature algorithm: sha256WithRSAEncryption or ecdsa-with-SHA256, RFC 5280 4.1.1.2),
    then its TBSCertificate is signed in the token and the certificate assembled again:
    SEQUENCE { tbsCertificate, signatureAlgorithm, BIT STRING signature }.
    """
    if isinstance(key, ec.EllipticCurvePrivateKey):
        throwaway, sign = ec.generate_private_key(ec.SECP256R1()), (ec.ECDSA(hashes.SHA256()),)
    else:
        throwaway = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        sign = (padding.PKCS1v15(), hashes.SHA256())
    draft = builder.sign(throwaway, hashes.SHA256())
    der = draft.public_bytes(serialization.Encoding.DER)
    tbs = draft.tbs_certificate_bytes
    start, _end = _der_element(der, 0)
    if der[start : start + len(tbs)] != tbs:  # not what RFC 5280 4.1 lays out: refuse
        raise ValueError("Unexpected certificate encoding.")
    algorithm_start = start + len(tbs)
    _content, algorithm_end = _der_element(der, algorithm_start)
    signature = key.sign(tbs, *sign)
    body = tbs + der[algorithm_start:algorithm_end] + _der(0x03, b"\x00" + signature)
    return x509.load_der_x509_certificate(_der(0x30, body))


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def check_shared_secret(secret: bytes) -> None:
    """A shared secret from a platform must be at least 256 bits (RFC 7518 section 3.2)."""
    if len(secret) < HS256_SECRET_BYTES:
        raise InvalidKeyMaterial(
            f"HS256 secrets need at least {HS256_SECRET_BYTES} bytes; got {len(secret)}.",
            code="weak_key",
        )
    if len(secret) > 512:
        raise InvalidKeyMaterial("This shared secret is too long.", code="invalid_key")


_KID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def check_kid(kid: str) -> None:
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise InvalidKeyMaterial("A kid is 1 to 64 letters, digits or . _ : -", code="invalid_kid")


def certificate_x5c(pem: str) -> list[str]:
    """The ``x5c`` member: standard base64 (not base64url) DER, one entry."""
    cert = x509.load_pem_x509_certificate(pem.encode())
    return [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")]


def certificate_x5t_s256(pem: str) -> str:
    cert = x509.load_pem_x509_certificate(pem.encode())
    return b64url(cert.fingerprint(hashes.SHA256()))
