"""The sandbox's copy of vendor-console credentials (client secrets, shared secrets).

A real platform holds these in its own cloud after an administrator pastes them into its
console; the sandbox holds them in ``VendorCredential``. Secrets are encrypted with a Fernet
key derived from ``SECRET_KEY`` (the sandbox may not use the portal's key-encryption keys:
it shares no code with the portal). ``secret`` is only ever read back in memory to sign a
code exchange or to verify an HS256 token; it never reaches a template, log or error.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from .models import VendorCredential

MAX_SECRET_LENGTH = 512


class CredentialError(ValueError):
    """Bad input for a credential; ``str()`` is safe to show."""


@dataclass(frozen=True)
class Credential:
    messenger: str
    client_id: str
    key_id: str
    secret: str

    def __repr__(self) -> str:
        return f"Credential(messenger={self.messenger!r}, client_id={self.client_id!r})"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"sandbox-vendor-credentials:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def credential_set(
    *, messenger: str, secret: str, client_id: str = "", key_id: str = ""
) -> VendorCredential:
    """Store (or replace) the credential of ``messenger``. Raises CredentialError."""
    if not messenger or len(messenger) > 100:
        raise CredentialError("A messenger slug is required.")
    if not secret or len(secret) > MAX_SECRET_LENGTH or secret != secret.strip():
        raise CredentialError("The secret must be 1 to 512 characters without surrounding spaces.")
    if len(client_id) > 300 or len(key_id) > 255:
        raise CredentialError("The client id or key id is too long.")
    row, _ = VendorCredential.objects.update_or_create(
        messenger=messenger,
        defaults={
            "client_id": client_id,
            "key_id": key_id,
            "secret_ciphertext": _fernet().encrypt(secret.encode()).decode(),
            "secret_fingerprint": hashlib.sha256(secret.encode()).hexdigest()[:16],
        },
    )
    return row


def credential_get(messenger: str) -> Credential | None:
    """The credential entered for ``messenger``, or None (also when it cannot be decrypted)."""
    row = VendorCredential.objects.filter(messenger=messenger).first()
    if row is None:
        return None
    try:
        secret = _fernet().decrypt(row.secret_ciphertext.encode()).decode()
    except InvalidToken:
        return None
    return Credential(
        messenger=row.messenger, client_id=row.client_id, key_id=row.key_id, secret=secret
    )
