"""Second factors at rest: TOTP seeds sealed under the key-encryption keys, backup codes hashed.

TOTP seeds: django-otp's ``TOTPDevice.key`` holds the seed as hex in a CharField(max_length=80)
of a third-party table. We keep that table and django-otp's ``verify_token`` (which locks the
row, refuses a reused step and throttles) and store ``brands.encryption.seal(seed,
context="totp:<user id>")`` in the same column instead ("enc1:" + 64 characters for the
20-byte seeds we create). ``accounts.models.AuthenticatorDevice``, a proxy of ``TOTPDevice``,
seals on save and opens in ``bin_key``; every caller uses the proxy. The command
``reencrypt_otp_secrets`` re-seals under the newest key-encryption key.

Backup codes: django-otp's ``StaticDevice.verify_token`` looks the code up by equality in
``StaticToken.token`` (max 16 characters) and deletes it, under a row lock. We store
``"h" + 15 base32 characters`` of PBKDF2-HMAC-SHA256(code, salt = the device's id) and pass
the same digest of what the user typed, so the lookup, the lock and the single use stay
django-otp's. The codes themselves exist only when shown to the user. PBKDF2 (not a keyed
hash under the KEKs) so backup codes survive a key-encryption-key rotation; the salt is
per device, and online guessing is throttled (accounts.services).
"""

import base64
import hashlib
from binascii import unhexlify

from brands import encryption
from brands.errors import KeyDecryptionFailed

BACKUP_DIGEST_PREFIX = "h"
BACKUP_DIGEST_ITERATIONS = 50_000


def seed_context(user_id: int) -> str:
    return f"totp:{user_id}"


def seed_seal(key: str, *, user_id: int) -> str:
    """A hex seed (django-otp's form) sealed for the column; sealed values pass through."""
    if encryption.is_sealed(key):
        return key
    return encryption.seal(unhexlify(key.encode()), context=seed_context(user_id))


def seed_open(key: str, *, user_id: int) -> bytes:
    """The binary seed of a column value, sealed or (before the migration) hex."""
    if encryption.is_sealed(key):
        return encryption.unseal(key, context=seed_context(user_id))
    return unhexlify(key.encode())


def backup_code_normalise(code: str) -> str:
    return "".join(code.split()).lower()


def backup_code_digest(code: str, *, device_id: int) -> str:
    """What ``StaticToken.token`` holds for ``code`` on the device ``device_id``."""
    raw = hashlib.pbkdf2_hmac(
        "sha256",
        backup_code_normalise(code).encode(),
        f"portal-backup-code:{device_id}".encode(),
        BACKUP_DIGEST_ITERATIONS,
        dklen=10,
    )
    return BACKUP_DIGEST_PREFIX + base64.b32encode(raw).decode("ascii").lower()[:15]


def is_backup_digest(token: str) -> bool:
    return len(token) == 16 and token.startswith(BACKUP_DIGEST_PREFIX)


def unsaved_codes_seal(codes: list[str], *, user_id: int) -> str:
    """New backup codes sealed for the session, until the customer says they saved them.

    The codes page can then be reloaded (or re-shown after a missing confirmation) without
    the codes ever being stored in clear, in the session table or anywhere else.
    """
    return encryption.seal(" ".join(codes).encode(), context=f"unsaved-codes:{user_id}")


def unsaved_codes_open(sealed: str, *, user_id: int) -> list[str]:
    """The codes of ``unsaved_codes_seal``; an empty list when they no longer open."""
    try:
        return encryption.unseal(sealed, context=f"unsaved-codes:{user_id}").decode().split()
    except (KeyDecryptionFailed, UnicodeDecodeError):  # a retired KEK, a damaged value
        return []
