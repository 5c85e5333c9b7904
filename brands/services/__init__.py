"""Writes of the brands app: brands, messengers and the signing-key life cycle.

Every service is keyword-only, runs in one transaction, locks the rows it changes (the brand
row first, then its keys by id: one stable order, so concurrent changes serialise instead of
deadlocking; ``key_lifecycle.lock_brand_keys``) and raises a ``brands.errors`` domain error
with a stable code. Every key change is recorded with ``keyset.changed()``: the key-set version
moves once when the transaction commits, so every process drops its cached keys and documents
(brand rows: ``signals.py``).

One module per concern, all re-exported here (callers use ``brands.services.<name>``):

- ``brand``: brand_create
- ``messengers``: messenger_create, client_secret_rotate, messenger_secret_check / _set
- ``key_creation``: signing_key_generate, signing_key_import(_secret) and their ``*_check``
- ``key_lifecycle``: signing_key_activate / _retire / _revoke / _certificate_renew,
  signing_keys_destroy_revoked
- ``reencryption``: signing_keys_reencrypt (after a new key-encryption key is put first)
- ``rotation``: the planner (signing_keys_plan) and its runner (signing_keys_rotate)
"""

from brands.services.brand import brand_create
from brands.services.key_creation import (
    signing_key_generate,
    signing_key_import,
    signing_key_import_check,
    signing_key_import_secret,
    signing_key_import_secret_check,
)
from brands.services.key_lifecycle import (
    signing_key_activate,
    signing_key_certificate_renew,
    signing_key_retire,
    signing_key_revoke,
    signing_keys_destroy_revoked,
)
from brands.services.messengers import (
    MAX_CLIENT_SECRET_GRACE,
    MAX_SHARED_SECRET_CHARS,
    MIN_SHARED_SECRET_CHARS,
    client_secret_rotate,
    messenger_create,
    messenger_secret_check,
    messenger_secret_set,
)
from brands.services.reencryption import ReencryptResult, signing_keys_reencrypt
from brands.services.rotation import (
    CERTIFICATE_MIN_REMAINING,
    RotationAction,
    RotationStep,
    signing_keys_plan,
    signing_keys_rotate,
)

__all__ = [
    "CERTIFICATE_MIN_REMAINING",
    "MAX_CLIENT_SECRET_GRACE",
    "MAX_SHARED_SECRET_CHARS",
    "MIN_SHARED_SECRET_CHARS",
    "ReencryptResult",
    "RotationAction",
    "RotationStep",
    "brand_create",
    "client_secret_rotate",
    "messenger_create",
    "messenger_secret_check",
    "messenger_secret_set",
    "signing_key_activate",
    "signing_key_certificate_renew",
    "signing_key_generate",
    "signing_key_import",
    "signing_key_import_check",
    "signing_key_import_secret",
    "signing_key_import_secret_check",
    "signing_key_retire",
    "signing_key_revoke",
    "signing_keys_destroy_revoked",
    "signing_keys_plan",
    "signing_keys_reencrypt",
    "signing_keys_rotate",
]
