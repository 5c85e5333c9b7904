"""Private keys at rest: Fernet (AES-128-CBC + HMAC-SHA256) under key-encryption keys.

``settings.KEY_ENCRYPTION_KEYS`` is a list of Fernet keys, newest first: the first encrypts,
every one decrypts (MultiFernet), so a new key-encryption key can be introduced, everything
re-encrypted (``reencrypt_signing_keys``) and the old key removed. Each plaintext is bound to
its ``kid`` so a ciphertext copied onto another key row does not decrypt.
"""

import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from brands.errors import KeyDecryptionFailed

_SEPARATOR = b"\x00"


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise KeyDecryptionFailed("KEY_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise KeyDecryptionFailed(
            "KEY_ENCRYPTION_KEYS holds a value that is not a Fernet key."
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
        raise KeyDecryptionFailed("No private material is stored for this key.")
    try:
        data = _fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise KeyDecryptionFailed(
            "The private key does not decrypt under any configured key-encryption key."
        ) from exc
    bound, sep, plaintext = data.partition(_SEPARATOR)
    if not sep or not hmac.compare_digest(bound, kid.encode()):
        raise KeyDecryptionFailed("The stored private key belongs to another kid.")
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
