"""The sandbox's copy of vendor-console credentials (client secrets, shared secrets).

A real platform holds these in its own cloud after an administrator pastes them into its
console; the sandbox holds them in ``VendorCredential``, and only while the sandbox is on
(``SANDBOX_ENABLED``): with it off, ``credential_set`` refuses and nothing is written.

Secrets are sealed under the deployment's key-encryption keys (``KEY_ENCRYPTION_KEYS``, read
through ``sandbox.conf``; the sandbox may not import the portal's encryption module): each
key-encryption key gives, through HKDF-SHA256 with a sandbox-only label, a Fernet key, the
newest encrypts and every one decrypts, and each plaintext is bound to its messenger slug so
a ciphertext copied onto another row does not open. ``credentials_reencrypt`` (command
``reencrypt_sandbox_credentials``) re-seals every row under the newest key, and moves rows
written before this scheme (a key derived from ``SECRET_KEY``, which every holder of the
settings or of the public development key could compute) to it.

``secret`` is only ever read back in memory to sign a code exchange or to verify an HS256
token; it never reaches a template, log or error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction

from . import conf
from .models import VendorCredential

logger = logging.getLogger(__name__)

MAX_SECRET_LENGTH = 512
SEALED_PREFIX = "kek1:"
_SEPARATOR = b"\x00"
_HKDF_INFO = b"sandbox:vendor-credentials:v1"


class CredentialError(ValueError):
    """Bad input for a credential, or the sandbox is off; ``str()`` is safe to show."""


@dataclass(frozen=True)
class Credential:
    messenger: str
    client_id: str
    key_id: str
    secret: str

    def __repr__(self) -> str:
        return f"Credential(messenger={self.messenger!r}, client_id={self.client_id!r})"


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise CredentialError("KEY_ENCRYPTION_KEYS is empty: no key to seal the secret.")
    fernets = []
    for key in keys:
        try:
            raw = base64.urlsafe_b64decode(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError) as exc:
            raise CredentialError("KEY_ENCRYPTION_KEYS holds a value that is not a key.") from exc
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            raw
        )
        fernets.append(Fernet(base64.urlsafe_b64encode(derived)))
    return MultiFernet(fernets)


def _seal(secret: str, *, messenger: str) -> str:
    fernet = _multifernet(conf.key_encryption_keys())
    token = fernet.encrypt(messenger.encode() + _SEPARATOR + secret.encode())
    return SEALED_PREFIX + token.decode("ascii")


def _open(ciphertext: str, *, messenger: str) -> str | None:
    """The secret of a sealed value, or None (another key, another row, an old format)."""
    if not ciphertext.startswith(SEALED_PREFIX):
        return None
    try:
        data = _multifernet(conf.key_encryption_keys()).decrypt(
            ciphertext[len(SEALED_PREFIX) :].encode("ascii")
        )
    except (InvalidToken, UnicodeEncodeError, CredentialError):
        return None
    bound, sep, secret = data.partition(_SEPARATOR)
    if not sep or not hmac.compare_digest(bound, messenger.encode()):
        return None
    return secret.decode()


def _open_legacy(ciphertext: str) -> str | None:
    """A row written before the key-encryption keys (a Fernet key derived from SECRET_KEY)."""
    digest = hashlib.sha256(b"sandbox-vendor-credentials:" + settings.SECRET_KEY.encode()).digest()
    try:
        return Fernet(base64.urlsafe_b64encode(digest)).decrypt(ciphertext.encode()).decode()
    except (InvalidToken, UnicodeError):
        return None


MIN_FINGERPRINT_HEX = 16
_HEX = frozenset("0123456789abcdef")


def secret_fingerprints(secret: str) -> tuple[str, str]:
    """The two fingerprints the portal's admin shows for a secret, as lowercase hex: a client
    secret's (SHA-256 of the secret) and a shared secret's (SHA-256 of ``hs256-secret:`` and
    the secret, shown as colon-separated pairs)."""
    return (
        hashlib.sha256(secret.encode()).hexdigest(),
        hashlib.sha256(b"hs256-secret:" + secret.encode()).hexdigest(),
    )


def fingerprint_matches(secret: str, fingerprint: str) -> bool:
    """Whether ``fingerprint`` (as the portal shows it, colons and case ignored, at least 16
    hex digits) starts either fingerprint of ``secret``. Raises CredentialError if it is not
    a fingerprint at all."""
    wanted = fingerprint.replace(":", "").strip().lower()
    if len(wanted) < MIN_FINGERPRINT_HEX or len(wanted) > 64 or not set(wanted) <= _HEX:
        raise CredentialError(
            "The fingerprint must be at least 16 hex digits, as the portal's admin shows it "
            "(e.g. 6363cc7a32751375 or 9F:2A:…)."
        )
    return any(
        hmac.compare_digest(full[: len(wanted)], wanted) for full in secret_fingerprints(secret)
    )


def credential_set(
    *,
    messenger: str,
    secret: str,
    client_id: str = "",
    key_id: str = "",
    fingerprint: str = "",
) -> VendorCredential:
    """Store (or replace) the credential of ``messenger``. Raises CredentialError.

    With ``fingerprint`` (what the portal's admin shows for the secret), a secret whose
    fingerprint differs is refused and nothing is written: a mistyped or stale secret would
    only show later, as every chat of the messenger failing its signature check.
    """
    if not conf.enabled():
        raise CredentialError(
            "The sandbox platform is off (SANDBOX_ENABLED): it stores no vendor credential."
        )
    if not messenger or len(messenger) > 100:
        raise CredentialError("A messenger slug is required.")
    if not secret or len(secret) > MAX_SECRET_LENGTH or secret != secret.strip():
        raise CredentialError("The secret must be 1 to 512 characters without surrounding spaces.")
    if "\x00" in messenger + secret + client_id + key_id:
        raise CredentialError("The credential may not contain a NUL character.")
    if len(client_id) > 300 or len(key_id) > 255:
        raise CredentialError("The client id or key id is too long.")
    as_client_secret, as_shared_secret = secret_fingerprints(secret)
    if fingerprint and not fingerprint_matches(secret, fingerprint):
        raise CredentialError(
            f"The secret does not match the fingerprint {fingerprint[:100]!r}: its fingerprint "
            f"is {as_client_secret[:16]} (client secret) or "
            f"{_pairs(as_shared_secret[:16])} (shared secret). Nothing was stored."
        )
    row, _ = VendorCredential.objects.update_or_create(
        messenger=messenger,
        defaults={
            "client_id": client_id,
            "key_id": key_id,
            "secret_ciphertext": _seal(secret, messenger=messenger),
            "secret_fingerprint": as_client_secret[:16],
        },
    )
    return row


def _pairs(hex_digits: str) -> str:
    return ":".join(hex_digits[i : i + 2] for i in range(0, len(hex_digits), 2)).upper()


def credential_get(messenger: str) -> Credential | None:
    """The credential entered for ``messenger``, or None (also when it cannot be decrypted)."""
    row = VendorCredential.objects.filter(messenger=messenger).first()
    if row is None:
        return None
    secret = _open(row.secret_ciphertext, messenger=row.messenger)
    if secret is None:
        logger.warning(
            "sandbox credential of %s does not open under KEY_ENCRYPTION_KEYS%s",
            row.messenger,
            ""
            if row.secret_ciphertext.startswith(SEALED_PREFIX)
            else " (stored before them: run reencrypt_sandbox_credentials)",
        )
        return None
    return Credential(
        messenger=row.messenger, client_id=row.client_id, key_id=row.key_id, secret=secret
    )


@dataclass
class CredentialReencryption:
    resealed: int = 0
    failed: list[str] = field(default_factory=list)


def credentials_reencrypt() -> CredentialReencryption:
    """Re-seal every stored secret under the newest key-encryption key.

    Rows of the SECRET_KEY-derived scheme are moved too. Rows that open under no configured
    key are listed in ``failed`` and left unchanged (enter them again). Each row is locked
    while it is re-sealed, one short transaction per row.
    """
    result = CredentialReencryption()
    for row_id in VendorCredential.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            row = VendorCredential.objects.select_for_update().filter(pk=row_id).first()
            if row is None:
                continue
            secret = _open(row.secret_ciphertext, messenger=row.messenger)
            if secret is None and not row.secret_ciphertext.startswith(SEALED_PREFIX):
                secret = _open_legacy(row.secret_ciphertext)
            if secret is None:
                result.failed.append(row.messenger)
                continue
            row.secret_ciphertext = _seal(secret, messenger=row.messenger)
            row.save(update_fields=["secret_ciphertext", "updated_at"])
            result.resealed += 1
    return result
