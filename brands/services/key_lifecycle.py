"""The signing-key life cycle after creation: activate, retire, revoke (and destroy in the
HSM), renew the certificate; and the brand-then-keys lock every key service takes."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from brands import conf, keymaterial, keyset, keystores
from brands.algorithms import ASYMMETRIC
from brands.errors import (
    InvalidKeyMaterial,
    InvalidTransition,
    KeyDecryptionFailed,
    KeystoreUnavailable,
)
from brands.models import Brand, KeyStore, SigningKey

logger = logging.getLogger(__name__)

State = SigningKey.State


def lock_brand_keys(brand_id: int, algorithm: str | None = None) -> list[SigningKey]:
    """Lock the brand row, then its keys (of ``algorithm``) in id order."""
    Brand.objects.select_for_update().filter(pk=brand_id).first()
    qs = SigningKey.objects.select_for_update().filter(brand_id=brand_id).order_by("id")
    if algorithm is not None:
        qs = qs.filter(algorithm=algorithm)
    return list(qs)


def certify(row: SigningKey, key, *, brand: Brand, now: datetime) -> None:
    """Give ``row`` (not saved here) a self-signed certificate of ``key`` valid for
    BRANDS_CERTIFICATE_VALIDITY, published as ``x5c``."""
    cert = keymaterial.self_signed_certificate(
        key,
        common_name=f"{brand.slug} signing key {row.kid[:16]}",
        now=now,
        validity=conf.get("CERTIFICATE_VALIDITY"),
    )
    row.certificate_pem = keymaterial.certificate_pem(cert)
    row.certificate_not_after = cert.not_valid_after_utc


def locked_row(keys: list[SigningKey], key: SigningKey) -> SigningKey:
    """The row of ``key`` among ``keys`` (from ``lock_brand_keys``), as locked now. Raises
    ``InvalidTransition`` ``unknown_key`` when it is gone."""
    for row in keys:
        if row.pk == key.pk:
            return row
    raise InvalidTransition("This key no longer exists.", code="unknown_key")


def signing_key_activate(
    *, key: SigningKey, force: bool = False, now: datetime | None = None
) -> SigningKey:
    """Make a pending ``key`` sign; the brand's previous active key of the same algorithm
    becomes retired, in the same transaction (at most one active key, also a DB constraint).

    In a rotation (another key is active) an asymmetric key must have been published for
    BRANDS_PREPUBLICATION_PERIOD, or platforms that cached the JWKS reject its tokens;
    ``force`` skips that wait (emergency). Raises ``InvalidTransition`` with ``key_revoked``,
    ``key_retired``, ``already_active``, ``key_unusable`` or ``not_prepublished``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        keys = lock_brand_keys(key.brand_id, key.algorithm)
        row = locked_row(keys, key)
        if row.state == State.REVOKED:
            raise InvalidTransition(
                f"Key {row.kid} is revoked and can never sign again.", code="key_revoked"
            )
        if row.state == State.RETIRED:
            raise InvalidTransition(
                f"Key {row.kid} is retired; generate a new key instead.", code="key_retired"
            )
        if row.state == State.ACTIVE:
            raise InvalidTransition(f"Key {row.kid} is already active.", code="already_active")
        if not row.is_usable:
            raise InvalidTransition(
                f"Key {row.kid} is unusable: {row.unusable_reason or 'no private key'}",
                code="key_unusable",
            )
        previous = [k for k in keys if k.state == State.ACTIVE]
        ready_at = row.created_at + conf.get("PREPUBLICATION_PERIOD")
        if previous and not row.is_symmetric and not force and now < ready_at:
            raise InvalidTransition(
                f"Key {row.kid} has been published since {row.created_at:%Y-%m-%d %H:%M:%S} "
                f"UTC; it may sign from {ready_at:%Y-%m-%d %H:%M:%S} UTC, once every platform "
                "has refreshed its JWKS cache.",
                code="not_prepublished",
            )
        for old in previous:
            old.state = State.RETIRED
            old.retired_at = now
            old.save(update_fields=["state", "retired_at", "updated_at"])
        row.state = State.ACTIVE
        row.activated_at = now
        row.save(update_fields=["state", "activated_at", "updated_at"])
        keyset.changed()
    logger.info("Activated key %s (retired: %s)", row.kid, [k.kid for k in previous] or "none")
    return row


def signing_key_retire(*, key: SigningKey, now: datetime | None = None) -> SigningKey:
    """Stop an active ``key`` from signing; it stays published for BRANDS_RETENTION.

    Without another active key the brand cannot sign (503 ``no_signing_key``) until one is
    activated. Raises ``InvalidTransition`` ``not_active``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = locked_row(lock_brand_keys(key.brand_id, key.algorithm), key)
        if row.state != State.ACTIVE:
            raise InvalidTransition(
                f"Only an active key can be retired; {row.kid} is {row.state}"
                + (" (revoke a pending key instead)." if row.state == State.PENDING else "."),
                code="not_active",
            )
        row.state = State.RETIRED
        row.retired_at = now
        row.save(update_fields=["state", "retired_at", "updated_at"])
        keyset.changed()
    logger.info("Retired key %s", row.kid)
    return row


def revoke_row(row: SigningKey, *, now: datetime, reason: str, purged: bool = False) -> None:
    row.state = State.REVOKED
    row.revoked_at = now
    row.revocation_reason = reason[:300]
    row.private_key_ciphertext = ""  # a revoked key never signs again: forget the secret
    fields = ["state", "revoked_at", "revocation_reason", "private_key_ciphertext", "updated_at"]
    if purged:
        row.purged_at = now
        fields.append("purged_at")
    row.save(update_fields=fields)
    if row.in_hsm and row.store_handle:
        # Destroyed in the token once the revocation has committed (destruction cannot roll
        # back); a token out of reach leaves the handle for the next rotation run to retry.
        key_id, handle = row.pk, row.store_handle
        transaction.on_commit(lambda: _destroy_in_store(key_id, handle), robust=True)


def _destroy_in_store(key_id: int, handle: str) -> bool:
    """Destroy a revoked key's pair in its HSM and forget its handle; ``False`` when the
    token cannot be reached now (logged; retried by ``signing_keys_destroy_revoked``)."""
    try:
        keystores.get(KeyStore.PKCS11).destroy(handle=handle)
    except KeystoreUnavailable as exc:
        logger.error("Revoked key #%s not yet destroyed in the HSM: %s", key_id, exc.detail)
        return False
    SigningKey.objects.filter(
        pk=key_id, state=State.REVOKED, store=KeyStore.PKCS11, store_handle=handle
    ).update(store_handle="", updated_at=timezone.now())
    logger.info("Revoked key #%s destroyed in the HSM", key_id)
    return True


def signing_keys_destroy_revoked() -> list[str]:
    """Destroy in the HSM the pairs of revoked keys whose destruction could not run at
    revocation (token out of reach then). Returns the kids destroyed now. Run by every
    rotation (``signing_keys_rotate``)."""
    destroyed = []
    for row in (
        SigningKey.objects.filter(state=State.REVOKED, store=KeyStore.PKCS11)
        .exclude(store_handle="")
        .order_by("id")
    ):
        if _destroy_in_store(row.pk, row.store_handle):
            destroyed.append(row.kid)
    return destroyed


def signing_key_revoke(
    *, key: SigningKey, reason: str = "", now: datetime | None = None
) -> SigningKey:
    """Unpublish ``key`` at once and erase its private material, whatever its state.

    Tokens it signed stop verifying when platforms refresh the JWKS. Revoking the active key
    leaves the brand unable to sign until another key is activated. Raises
    ``InvalidTransition`` ``key_revoked`` when already revoked.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = locked_row(lock_brand_keys(key.brand_id, key.algorithm), key)
        if row.state == State.REVOKED:
            raise InvalidTransition(f"Key {row.kid} is already revoked.", code="key_revoked")
        revoke_row(row, now=now, reason=reason or "revoked by staff")
        keyset.changed()
    logger.warning("Revoked key %s: %s", row.kid, row.revocation_reason)
    return row


def purge_retired(
    *, brand_id: int, now: datetime, only: SigningKey | None = None
) -> list[SigningKey]:
    """Under the brand's locks, unpublish its retired keys (or just ``only``) whose retention
    is over: they become ``revoked`` with ``purged_at`` set. The one place that purges."""
    purged = []
    with transaction.atomic():
        for row in lock_brand_keys(brand_id):
            if (only is None or row.pk == only.pk) and _retention_over(row, now=now):
                revoke_row(row, now=now, reason="retention over", purged=True)
                purged.append(row)
        if purged:
            keyset.changed()
    return purged


def _retention_over(key: SigningKey, *, now: datetime) -> bool:
    """A retired key whose retention (BRANDS_RETENTION after retirement) is over."""
    return (
        key.state == State.RETIRED
        and key.retired_at is not None
        and key.retired_at <= now - conf.get("RETENTION")
    )


def signing_key_certificate_renew(*, key: SigningKey, now: datetime | None = None) -> SigningKey:
    """Give a published asymmetric ``key`` a fresh self-signed certificate (``x5c``) valid for
    BRANDS_CERTIFICATE_VALIDITY. Same key, same ``kid``: only the certificate changes, and the
    JWKS publishes it at once. Raises ``InvalidTransition`` ``key_revoked`` /
    ``key_unusable`` or ``InvalidKeyMaterial`` ``unsupported_algorithm`` (HS256).
    """
    now = now or timezone.now()
    if key.algorithm not in ASYMMETRIC:
        raise InvalidKeyMaterial(
            "Shared secrets have no certificate.", code="unsupported_algorithm"
        )
    with transaction.atomic():
        row = locked_row(lock_brand_keys(key.brand_id, key.algorithm), key)
        if row.state == State.REVOKED:
            raise InvalidTransition(f"Key {row.kid} is revoked.", code="key_revoked")
        try:
            private = keystores.get(row.store).load(row=row)
        except KeyDecryptionFailed as exc:
            raise InvalidTransition(
                f"Key {row.kid} is unusable: {exc.detail}", code="key_unusable"
            ) from exc
        certify(row, private, brand=row.brand, now=now)
        row.save(update_fields=["certificate_pem", "certificate_not_after", "updated_at"])
        keyset.changed()
    logger.info("Renewed the certificate of key %s until %s", row.kid, row.certificate_not_after)
    return row
