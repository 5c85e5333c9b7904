"""Private keys at rest: Fernet (AES-128-CBC + HMAC-SHA256) under key-encryption keys.

``settings.KEY_ENCRYPTION_KEYS`` is a list of Fernet keys, newest first: the first encrypts,
every one decrypts (MultiFernet), so a new key-encryption key can be introduced, everything
re-encrypted (``reencrypt_signing_keys``) and the old key removed. Each plaintext is bound to
its ``kid`` so a ciphertext copied onto another key row does not decrypt.
"""

import base64
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from brands.errors import KeyDecryptionFailed

_SEPARATOR = b"\x00"


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise KeyDecryptionFailed("KEY_ENCRYPTION_KEYS is empty.", code="kek_missing")
    try:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise KeyDecryptionFailed(
            "KEY_ENCRYPTION_KEYS holds a value that is not a Fernet key.", code="kek_invalid"
        ) from exc


def _fernet() -> MultiFernet:
    """Built from the settings on each call (cheap: memoised per key list)."""
    return _multifernet(tuple(settings.KEY_ENCRYPTION_KEYS))


def encrypt(plaintext: bytes, *, kid: str) -> str:
    """Encrypt private material for the key ``kid`` under the newest key-encryption key."""
    return _fernet().encrypt(kid.encode() + _SEPARATOR + plaintext).decode("ascii")


def decrypt(token: str, *, kid: str) -> bytes:
    """Private material of ``kid``; ``KeyDecryptionFailed`` if no configured key opens it."""
    if not token:
        raise KeyDecryptionFailed(
            "No private material is stored for this key.", code="no_material"
        )
    try:
        data = _fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise KeyDecryptionFailed(
            "The private key does not decrypt under any configured key-encryption key.",
            code="not_decryptable",
        ) from exc
    bound, sep, plaintext = data.partition(_SEPARATOR)
    if not sep or not hmac.compare_digest(bound, kid.encode()):
        raise KeyDecryptionFailed(
            "The stored private key belongs to another kid.", code="wrong_binding"
        )
    return plaintext


def reencrypt(token: str, *, kid: str) -> str:
    """The same material encrypted under the newest key-encryption key (checks the binding)."""
    plaintext = decrypt(token, kid=kid)
    return encrypt(plaintext, kid=kid)


def validate_keys(keys) -> list[str]:
    """Problems with a KEY_ENCRYPTION_KEYS value (for the system checks); empty when fine."""
    problems = []
    if not keys:
        problems.append("KEY_ENCRYPTION_KEYS is empty.")
    for index, key in enumerate(keys or ()):
        try:
            Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError):
            problems.append(
                f"KEY_ENCRYPTION_KEYS entry #{index + 1} is not a Fernet key "
                "(32 bytes, url-safe base64)."
            )
    return problems


# --- compact sealing for short secrets kept in fixed-width columns -------------------------
#
# A Fernet token of a 20-byte secret is about 120 characters; django-otp's TOTPDevice.key is
# a CharField(max_length=80) of a third-party app we do not migrate. ``seal`` therefore uses
# AES-256-GCM (96-bit random nonce, 128-bit tag) under a key derived with HKDF-SHA256 from
# each key-encryption key, and binds the plaintext to ``context`` as associated data: a
# 20-byte secret becomes "enc1:" + 64 characters. The same KEKs, newest first, the same
# rotation (``accounts.services.otp_secrets_reencrypt`` after putting a new KEK first).

SEALED_PREFIX = "enc1:"
_NONCE_BYTES = 12


@lru_cache(maxsize=4)
def _seal_keys(keys: tuple[str, ...]) -> tuple[bytes, ...]:
    if not keys:
        raise KeyDecryptionFailed("KEY_ENCRYPTION_KEYS is empty.", code="kek_missing")
    derived = []
    for key in keys:
        try:
            raw = base64.urlsafe_b64decode(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError) as exc:
            raise KeyDecryptionFailed(
                "KEY_ENCRYPTION_KEYS holds a value that is not a key.", code="kek_invalid"
            ) from exc
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"portal:seal:v1")
        derived.append(hkdf.derive(raw))
    return tuple(derived)


def is_sealed(value: str) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def seal(plaintext: bytes, *, context: str) -> str:
    """``plaintext`` encrypted under the newest KEK, bound to ``context`` (e.g. "totp:12")."""
    key = _seal_keys(tuple(settings.KEY_ENCRYPTION_KEYS))[0]
    nonce = os.urandom(_NONCE_BYTES)
    sealed = nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode())
    return SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")


def unseal(token: str, *, context: str) -> bytes:
    """The plaintext of ``seal``; ``KeyDecryptionFailed`` if no KEK opens it for ``context``."""
    if not is_sealed(token):
        raise KeyDecryptionFailed("The value is not sealed.", code="not_sealed")
    body = token[len(SEALED_PREFIX) :]
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as exc:
        raise KeyDecryptionFailed("The sealed value is damaged.", code="damaged") from exc
    nonce, ciphertext = data[:_NONCE_BYTES], data[_NONCE_BYTES:]
    for key in _seal_keys(tuple(settings.KEY_ENCRYPTION_KEYS)):
        try:
            return AESGCM(key).decrypt(nonce, ciphertext, context.encode())
        except InvalidTag:
            continue
    raise KeyDecryptionFailed(
        "The sealed value does not open under any configured key-encryption key.",
        code="not_decryptable",
    )
