"""Re-encryption of every stored secret under the newest key-encryption key."""

import logging
from dataclasses import dataclass, field

from django.db import transaction

from brands import encryption, keyset
from brands.errors import REPAIRABLE_BY_KEK, KeyDecryptionFailed
from brands.models import Messenger, SigningKey

logger = logging.getLogger(__name__)

State = SigningKey.State


@dataclass
class ReencryptResult:
    """Kids re-encrypted under the newest key-encryption key, and kids that did not decrypt;
    the same for messengers' shared secrets (by messenger slug)."""

    reencrypted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    secrets_reencrypted: list[str] = field(default_factory=list)
    secrets_failed: list[str] = field(default_factory=list)


def _locked_one_by_one(model, ciphertext_field: str):
    """Each row of ``model`` that holds ciphertext in ``ciphertext_field``, in id order, each
    locked in a transaction of its own while the caller's loop body runs."""
    ids = (
        model.objects.exclude(**{ciphertext_field: ""}).order_by("id").values_list("id", flat=True)
    )
    for row_id in list(ids):
        with transaction.atomic():
            row = model.objects.select_for_update().filter(pk=row_id).first()
            if row is not None and getattr(row, ciphertext_field):
                yield row


def signing_keys_reencrypt() -> ReencryptResult:
    """Re-encrypt every stored private key and every messenger's shared secret under the
    first KEY_ENCRYPTION_KEYS entry.

    Keys that no longer decrypt are marked unusable (and counted), never raised. A key marked
    unusable only because it did not decrypt becomes usable again when it now decrypts.
    A shared secret that no longer decrypts is counted (the token API answers 503 for its
    messenger until the secret is set again).
    """
    result = ReencryptResult()
    for row in _locked_one_by_one(SigningKey, "private_key_ciphertext"):
        try:
            row.private_key_ciphertext = encryption.reencrypt(
                row.private_key_ciphertext, kid=row.kid
            )
        except KeyDecryptionFailed as exc:
            if not row.unusable_reason:
                row.unusable_reason, row.unusable_code = exc.detail, exc.code
                row.save(update_fields=["unusable_reason", "unusable_code", "updated_at"])
            result.failed.append(row.kid)
        else:
            fields = ["private_key_ciphertext", "updated_at"]
            if row.unusable_code in REPAIRABLE_BY_KEK:
                row.unusable_reason, row.unusable_code = "", ""
                fields += ["unusable_reason", "unusable_code"]
            row.save(update_fields=fields)
            result.reencrypted.append(row.kid)
        keyset.changed()
    for row in _locked_one_by_one(Messenger, "shared_secret_ciphertext"):
        try:
            row.shared_secret_ciphertext = encryption.reencrypt(
                row.shared_secret_ciphertext, kid=row.shared_secret_binding
            )
        except KeyDecryptionFailed:
            result.secrets_failed.append(row.slug)
        else:
            row.save(update_fields=["shared_secret_ciphertext", "updated_at"])
            result.secrets_reencrypted.append(row.slug)
    return result
