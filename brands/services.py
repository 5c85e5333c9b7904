"""Writes of the brands app: brands, messengers and the signing-key life cycle.

Every service is keyword-only, runs in one transaction, locks the rows it changes (the brand
row first, then its keys by id: one stable order, so concurrent changes serialise instead of
deadlocking) and raises a ``brands.errors`` domain error with a stable code. Every key change
is recorded with ``keyset.changed()``: the key-set version moves once when the transaction
commits, so every process drops its cached keys and documents (brand rows: ``signals.py``).
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from brands import conf, encryption, keymaterial, keyset, keystores
from brands.algorithms import ASYMMETRIC, RSA_ALGORITHMS, SYMMETRIC, Algorithm
from brands.errors import (
    REPAIRABLE_BY_KEK,
    BrandsError,
    InvalidKeyMaterial,
    InvalidTransition,
    KeyDecryptionFailed,
    KeystoreUnavailable,
)
from brands.models import (
    Brand,
    ClientSecret,
    KeyStore,
    Messenger,
    SigningKey,
    client_secret_hash,
    default_attributes,
)
from brands.platforms import PlatformsWhere, platform_get

logger = logging.getLogger(__name__)

MAX_CLIENT_SECRET_GRACE = timedelta(days=7)

State = SigningKey.State


def _validation_error(exc: ValidationError, code: str = "invalid") -> BrandsError:
    if hasattr(exc, "error_dict"):
        detail = "; ".join(
            f"{name}: {' '.join(m for e in errors for m in e.messages)}"
            for name, errors in exc.error_dict.items()
        )
    else:
        detail = " ".join(exc.messages)
    return BrandsError(detail, code=code)


# --- brands -----------------------------------------------------------------------------------


def brand_create(*, slug: str, name: str, issuer: str = "", is_active: bool = True) -> Brand:
    """Create a brand (a token issuer). Raises ``BrandsError`` ``invalid_brand``."""
    brand = Brand(slug=(slug or "").strip(), name=(name or "").strip(), issuer=issuer or "")
    brand.is_active = is_active
    try:
        brand.full_clean()
    except ValidationError as exc:
        raise _validation_error(exc, "invalid_brand") from exc
    with transaction.atomic():
        try:
            brand.save()
        except IntegrityError as exc:
            raise BrandsError(f"Brand {slug!r} already exists.", code="invalid_brand") from exc
    return brand


# --- messengers -------------------------------------------------------------------------------


def messenger_create(
    *,
    brand: Brand,
    slug: str,
    platform: str = "generic",
    label: str = "",
    audience: str = "",
    algorithm: str = "",
    token_ttl: timedelta = timedelta(minutes=5),
    attributes: list[str] | None = None,
    allowed_origins: list[str] | None = None,
    vendor_settings: dict | None = None,
    redirect_uris: list[str] | None = None,
    require_pkce: bool = False,
    is_active: bool = True,
) -> Messenger:
    """Create a messenger of ``brand``. The audience defaults to
    ``<PUBLIC_BASE_URL>/brands/<brand>/messengers/<slug>``, the algorithm to the platform's
    first (HS256 for Zendesk and Intercom, RS256 otherwise). ``vendor_settings`` are validated
    by the platform's declarations (``brands.platforms``). A shared-secret platform's secret
    is set afterwards with ``messenger_secret_set`` (in the same transaction when wanted).

    Raises ``BrandsError`` ``invalid_messenger`` (duplicate slug or audience, lifetime out of
    bounds, unknown attribute, non-https origin, unknown platform, bad vendor settings...).
    """
    spec = platform_get(platform)
    if not algorithm and spec is not None:
        algorithm = spec.algorithms[0]
    messenger = Messenger(
        brand=brand,
        slug=(slug or "").strip(),
        label=(label or "").strip(),
        platform=platform,
        audience=(audience or "").strip(),
        algorithm=algorithm or Algorithm.RS256,
        token_ttl=token_ttl,
        # None means "the default selection" (brands.models.DEFAULT_ATTRIBUTES), as in the admin
        attributes=list(attributes) if attributes is not None else default_attributes(),
        allowed_origins=allowed_origins if allowed_origins is not None else [],
        vendor_settings=vendor_settings if vendor_settings is not None else {},
        redirect_uris=redirect_uris if redirect_uris is not None else [],
        require_pkce=require_pkce,
        is_active=is_active,
    )
    try:
        messenger.full_clean()
    except ValidationError as exc:
        raise _validation_error(exc, "invalid_messenger") from exc
    try:
        with transaction.atomic():
            messenger.save()
    except IntegrityError as exc:  # a concurrent create won the race
        raise BrandsError(
            "A messenger with this slug or audience already exists.",
            code="invalid_messenger",
        ) from exc
    return messenger


def client_secret_rotate(*, messenger: Messenger, grace: timedelta | None = None) -> str:
    """Give an OpenID Connect messenger a new client secret and return it (shown once).

    256 random bits, stored as a SHA-256 hash only. Secrets issued before stop working at
    once, or after ``grace`` (at most 7 days) so the platform's administrator can paste the
    new one first. Raises ``BrandsError`` ``not_an_oidc_client`` or ``invalid_grace``.
    """
    if not messenger.has_client_credentials:
        raise BrandsError(
            f"Messenger {messenger.slug!r} ({messenger.get_platform_display()}) is not an "
            "OpenID Connect client and its platform reads no certified attributes: it has no "
            "client secret.",
            code="not_an_oidc_client",
        )
    if grace is not None and (grace < timedelta(0) or grace > MAX_CLIENT_SECRET_GRACE):
        raise BrandsError("The grace period must be between 0 and 7 days.", code="invalid_grace")
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    ends = now + (grace or timedelta(0))
    with transaction.atomic():
        Messenger.objects.select_for_update().filter(pk=messenger.pk).first()
        messenger.client_secrets.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=ends)
        ).update(expires_at=ends)
        digest = client_secret_hash(secret)
        ClientSecret.objects.create(
            messenger=messenger, secret_hash=digest, fingerprint=digest[:16]
        )
    logger.info(
        "client secret rotated messenger=%s fingerprint=%s grace=%s",
        messenger.slug,
        digest[:16],
        grace,
    )
    return secret


MIN_SHARED_SECRET_CHARS = 32
MAX_SHARED_SECRET_CHARS = 512


def messenger_secret_check(*, platform: str, secret: str, key_id: str = "") -> None:
    """Refuse a shared secret (or key id) that ``messenger_secret_set`` would refuse.

    No side effect: forms call it while validating. Raises ``BrandsError`` ``invalid_secret``
    (wrong platform, empty, surrounding spaces, under 32 or over 512 characters, bad or missing
    key id). The secret never appears in a message.
    """
    spec = platform_get(platform)
    if spec is None or not spec.shared_secret:
        raise BrandsError(
            f"Platform {platform!r} verifies the brand's published keys; only shared-secret "
            "platforms (Zendesk, Intercom) take a secret.",
            code="invalid_secret",
        )
    if not isinstance(secret, str) or secret != secret.strip() or not secret:
        raise BrandsError(
            "The shared secret is empty or has surrounding spaces.", code="invalid_secret"
        )
    if len(secret) < MIN_SHARED_SECRET_CHARS:
        raise BrandsError(
            f"The shared secret must be at least {MIN_SHARED_SECRET_CHARS} characters "
            f"(got {len(secret)}).",
            code="invalid_secret",
        )
    if len(secret) > MAX_SHARED_SECRET_CHARS:
        raise BrandsError("The shared secret is too long.", code="invalid_secret")
    key_id = (key_id or "").strip()
    if spec.key_id_required and not key_id:
        raise BrandsError(
            f"{spec.label} needs the key id of its signing key (--key-id).", code="invalid_secret"
        )
    try:
        if key_id:
            keymaterial.check_kid(key_id)
    except InvalidKeyMaterial as exc:
        raise BrandsError(f"Key id: {exc.detail}", code="invalid_secret") from exc


def messenger_secret_set(
    *, messenger: Messenger, secret: str, key_id: str = "", now: datetime | None = None
) -> Messenger:
    """Set or replace the vendor-issued shared secret of ``messenger`` (Zendesk, Intercom).

    The secret is at least 32 characters (what the vendors issue; 256 bits for HS256, RFC 7518
    3.2), is stored encrypted with the key-encryption keys (bound to this messenger), and only
    its fingerprint and date are ever shown. ``key_id`` is the vendor's id of the key (Zendesk
    ``app_...``), sent as the header ``kid``; required where the platform says so, otherwise a
    random kid is made. The old secret stops signing at once. Raises ``BrandsError``
    ``invalid_secret`` (see ``messenger_secret_check``).
    """
    messenger_secret_check(platform=messenger.platform, secret=secret, key_id=key_id)
    key_id = (key_id or "").strip()
    now = now or timezone.now()
    data = secret.encode()
    with transaction.atomic():
        row = Messenger.objects.select_for_update().get(pk=messenger.pk)
        row.shared_secret_key_id = key_id or keymaterial.random_kid()
        row.shared_secret_ciphertext = encryption.encrypt(data, kid=row.shared_secret_binding)
        row.shared_secret_fingerprint = keymaterial.fingerprint(data)
        row.shared_secret_set_at = now
        row.save(update_fields=[*_SECRET_FIELDS, "updated_at"])
    for name in _SECRET_FIELDS:
        setattr(messenger, name, getattr(row, name))
    logger.info("Shared secret of messenger %s set (kid %s)", row.slug, row.shared_secret_key_id)
    return messenger


_SECRET_FIELDS = (
    "shared_secret_key_id",
    "shared_secret_ciphertext",
    "shared_secret_fingerprint",
    "shared_secret_set_at",
)


# --- signing keys -----------------------------------------------------------------------------


def _lock_brand_keys(brand_id: int, algorithm: str | None = None) -> list[SigningKey]:
    """Lock the brand row, then its keys (of ``algorithm``) in id order."""
    Brand.objects.select_for_update().filter(pk=brand_id).first()
    qs = SigningKey.objects.select_for_update().filter(brand_id=brand_id).order_by("id")
    if algorithm is not None:
        qs = qs.filter(algorithm=algorithm)
    return list(qs)


def _certify(row: SigningKey, key, *, brand: Brand, now: datetime) -> None:
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


_KNOWN_KEY = "This key is already known (same kid): a kid is never reused."


def _store_new_key(
    *,
    brand: Brand,
    algorithm: str,
    key,
    origin: str,
    certificate: bool,
    now: datetime,
    kid: str | None = None,
    store: str = KeyStore.DATABASE,
) -> SigningKey:
    """Save ``key`` as a pending key of ``brand``, under the brand's locks (call it inside a
    transaction), kept by ``store`` (``brands.keystores``). Raises ``InvalidKeyMaterial``
    ``duplicate_key`` for known material."""
    _lock_brand_keys(brand.pk, algorithm)
    if algorithm in SYMMETRIC:
        kid, jwk = kid or keymaterial.random_kid(), {}
    else:
        jwk = keymaterial.public_jwk(key, algorithm)
        kid = keymaterial.jwk_thumbprint(jwk)
    if SigningKey.objects.filter(kid=kid).exists():
        raise InvalidKeyMaterial(_KNOWN_KEY, code="duplicate_key")
    row = SigningKey(
        brand=brand,
        kid=kid,
        algorithm=algorithm,
        state=State.PENDING,
        origin=origin,
        key_size=keymaterial.key_size(key),
        fingerprint=keymaterial.fingerprint(key),
        public_jwk=jwk,
        store=store,
        **vars(keystores.get(store).stored(key=key, kid=kid)),
    )
    if certificate and algorithm in ASYMMETRIC:
        _certify(row, key, brand=brand, now=now)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        raise InvalidKeyMaterial(_KNOWN_KEY, code="duplicate_key") from exc
    keyset.changed()
    return row


def _check_algorithm(algorithm: str) -> None:
    if algorithm not in Algorithm.values:
        raise InvalidKeyMaterial(
            f"Unsupported algorithm {algorithm!r}; choose one of {', '.join(Algorithm.values)}.",
            code="unsupported_algorithm",
        )


def signing_key_generate(
    *,
    brand: Brand,
    algorithm: str = Algorithm.RS256,
    key_size: int | None = None,
    certificate: bool = True,
    activate: bool = False,
    force: bool = False,
    now: datetime | None = None,
    store: str | None = None,
) -> SigningKey:
    """Generate a pending key for ``brand`` (published at once unless HS256).

    RSA keys have ``key_size`` bits (default BRANDS_RSA_KEY_SIZE; 2048, 3072 or 4096).
    ``certificate`` adds a self-signed certificate (``x5c``). With ``activate`` the key is
    activated in the same transaction (see ``signing_key_activate`` for ``force``): on error
    nothing is saved. ``store`` (default: the brand's ``key_store``; HS256 secrets always in
    the database) is where the private key is made and kept: ``pkcs11`` generates it in the
    HSM, where it stays (RS256, PS256, ES256; a pair made for a row that is then not saved
    is destroyed again). Raises ``InvalidKeyMaterial``, ``InvalidTransition`` or
    ``KeystoreUnavailable`` (503 ``keystore_unavailable``: the HSM cannot be reached).
    """
    _check_algorithm(algorithm)
    now = now or timezone.now()
    if store is None:
        store = KeyStore.DATABASE if algorithm in SYMMETRIC else brand.key_store
    if store not in KeyStore.values:
        raise InvalidKeyMaterial(
            f"Unknown key store {store!r}; choose one of {', '.join(KeyStore.values)}.",
            code="unknown_store",
        )
    keeper = keystores.get(store)
    key = keeper.generate(
        algorithm=algorithm, key_size=key_size, label=f"portal {brand.slug} {algorithm}"
    )
    try:
        with transaction.atomic():
            row = _store_new_key(
                brand=brand,
                algorithm=algorithm,
                key=key,
                origin=SigningKey.Origin.GENERATED,
                certificate=certificate,
                now=now,
                store=store,
            )
            if activate:
                row = signing_key_activate(key=row, force=force, now=now)
    except BaseException:
        keeper.discard(key=key)
        raise
    logger.info("Generated %s key %s for brand %s in %s", algorithm, row.kid, brand.slug, store)
    return row


def signing_key_import_check(
    *, pem: bytes | str, password: bytes | str | None = None, algorithm: str = Algorithm.RS256
) -> None:
    """Refuse a PEM that ``signing_key_import`` would refuse (same codes), without side effect:
    forms call it while validating. Reads the database only to refuse known material."""
    _check_algorithm(algorithm)
    key = keymaterial.load_private_key_pem(pem, password=password, algorithm=algorithm)
    kid = keymaterial.jwk_thumbprint(keymaterial.public_jwk(key, algorithm))
    if SigningKey.objects.filter(kid=kid).exists():
        raise InvalidKeyMaterial(_KNOWN_KEY, code="duplicate_key")


def signing_key_import_secret_check(*, secret: bytes | str, kid: str = "") -> None:
    """Refuse a shared secret (or kid) that ``signing_key_import_secret`` would refuse (same
    codes), without side effect. The secret never appears in a message."""
    keymaterial.check_shared_secret(secret.encode() if isinstance(secret, str) else secret)
    if kid:
        keymaterial.check_kid(kid)
        if SigningKey.objects.filter(kid=kid).exists():
            raise InvalidKeyMaterial(_KNOWN_KEY, code="duplicate_key")


def _check_import_allowed(brand: Brand) -> None:
    """A brand whose keys are generated in its HSM takes no material made elsewhere."""
    if brand.key_store == KeyStore.PKCS11:
        raise InvalidKeyMaterial(
            f"Brand {brand.slug!r} keeps its signing keys in the HSM: they are generated "
            "there and never leave it, so a PEM key made elsewhere is refused. Generate one.",
            code="wrong_store",
        )


def signing_key_import(
    *,
    brand: Brand,
    pem: bytes | str,
    password: bytes | str | None = None,
    algorithm: str = Algorithm.RS256,
    certificate: bool = True,
    now: datetime | None = None,
) -> SigningKey:
    """Import a PEM private key as a pending key of ``brand``.

    Refuses (``InvalidKeyMaterial``) garbage (``invalid_key``), an encrypted PEM without its
    password (``encrypted_key``), a key of the wrong type for ``algorithm`` (``wrong_key_type``),
    RSA below 2048 bits or with a small exponent (``weak_key``), known material
    (``duplicate_key``), and any PEM for a brand whose keys live in its HSM (``wrong_store``).
    The PEM is never stored or logged: only its encryption.
    """
    _check_algorithm(algorithm)
    _check_import_allowed(brand)
    key = keymaterial.load_private_key_pem(pem, password=password, algorithm=algorithm)
    with transaction.atomic():
        row = _store_new_key(
            brand=brand,
            algorithm=algorithm,
            key=key,
            origin=SigningKey.Origin.IMPORTED,
            certificate=certificate,
            now=now or timezone.now(),
        )
    logger.info("Imported %s key %s for brand %s", algorithm, row.kid, brand.slug)
    return row


def signing_key_import_secret(
    *,
    brand: Brand,
    secret: bytes | str,
    kid: str = "",
    now: datetime | None = None,
) -> SigningKey:
    """Import a platform-issued HS256 shared secret (Zendesk and Intercom issue their own) as
    a pending key of ``brand``. ``kid`` is the key id the platform expects (random if empty).

    Raises ``InvalidKeyMaterial``: ``weak_key`` (under 256 bits), ``invalid_key``,
    ``invalid_kid``, ``duplicate_key``. The secret is stored encrypted, never logged.
    """
    data = secret.encode() if isinstance(secret, str) else bytes(secret)
    keymaterial.check_shared_secret(data)
    if kid:
        keymaterial.check_kid(kid)
    with transaction.atomic():
        row = _store_new_key(
            brand=brand,
            algorithm=Algorithm.HS256,
            key=data,
            origin=SigningKey.Origin.IMPORTED,
            certificate=False,
            now=now or timezone.now(),
            kid=kid or None,
        )
    logger.info("Imported HS256 secret %s for brand %s", row.kid, brand.slug)
    return row


def _locked(keys: list[SigningKey], key: SigningKey) -> SigningKey:
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
        keys = _lock_brand_keys(key.brand_id, key.algorithm)
        row = _locked(keys, key)
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
        row = _locked(_lock_brand_keys(key.brand_id, key.algorithm), key)
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


def _revoke(row: SigningKey, *, now: datetime, reason: str, purged: bool = False) -> None:
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
        row = _locked(_lock_brand_keys(key.brand_id, key.algorithm), key)
        if row.state == State.REVOKED:
            raise InvalidTransition(f"Key {row.kid} is already revoked.", code="key_revoked")
        _revoke(row, now=now, reason=reason or "revoked by staff")
        keyset.changed()
    logger.warning("Revoked key %s: %s", row.kid, row.revocation_reason)
    return row


def _purge_retired(
    *, brand_id: int, now: datetime, only: SigningKey | None = None
) -> list[SigningKey]:
    """Under the brand's locks, unpublish its retired keys (or just ``only``) whose retention
    is over: they become ``revoked`` with ``purged_at`` set. The one place that purges."""
    purged = []
    with transaction.atomic():
        for row in _lock_brand_keys(brand_id):
            if (only is None or row.pk == only.pk) and _retention_over(row, now=now):
                _revoke(row, now=now, reason="retention over", purged=True)
                purged.append(row)
        if purged:
            keyset.changed()
    return purged


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


# --- rotation by policy -------------------------------------------------------------------------


class RotationAction(StrEnum):
    """What one step of a rotation plan does."""

    GENERATE = "generate"
    ACTIVATE = "activate"
    PURGE = "purge"
    RENEW_CERTIFICATE = "renew_certificate"


@dataclass
class RotationStep:
    """One step of a rotation plan: ``action`` on ``key`` (none for ``generate``) and, in
    words for staff, ``reason``: why the policy asks for it now.

    ``activate`` (generate only) activates the new key in the same transaction; ``force``
    (generate with activate, and activate) skips the pre-publication wait, which the plan sets
    only when the brand has no usable active key (nothing signs: waiting helps nobody).
    Behaviour depends on these flags, never on the wording of ``reason``.
    """

    brand: Brand
    algorithm: str
    action: RotationAction
    reason: str
    key: SigningKey | None = None
    activate: bool = False
    force: bool = False
    done: bool = False
    result: str = ""
    error: str = ""

    @property
    def target(self) -> str:
        return "new key" if self.action == RotationAction.GENERATE else self.key.kid

    def describe(self) -> str:
        text = f"{self.brand.slug} {self.algorithm}: {self.action} {self.target} ({self.reason})"
        if self.error:
            return f"{text} -> FAILED {self.error}"
        if self.done:
            return f"{text} -> {self.result or 'done'}"
        return text


# Salesforce refuses certificates valid for less than 10 more days: rotate before that.
CERTIFICATE_MIN_REMAINING = timedelta(days=10)


def _managed_algorithms(brand: Brand) -> list[str]:
    algorithms = {Algorithm.RS256.value}
    algorithms |= set(
        brand.signing_keys.filter(state__in=[State.PENDING, State.ACTIVE]).values_list(
            "algorithm", flat=True
        )
    )
    algorithms |= set(brand.messengers.filter(is_active=True).values_list("algorithm", flat=True))
    return sorted(a for a in algorithms if a in ASYMMETRIC)


def _rotation_due(active: SigningKey, *, now: datetime) -> str:
    """Why the usable ``active`` key should be replaced now, or "" when it should not."""
    if active.activated_at is None:
        return "the active key has no activation date"
    if now >= active.activated_at + conf.get("ROTATION_PERIOD"):
        return (
            f"the active key {active.kid} has signed since "
            f"{active.activated_at:%Y-%m-%d %H:%M} UTC, longer than the rotation period "
            f"({conf.get('ROTATION_PERIOD')})"
        )
    if (
        active.certificate_not_after is not None
        and now >= active.certificate_not_after - CERTIFICATE_MIN_REMAINING
    ):
        return (
            f"the certificate of the active key {active.kid} expires "
            f"{active.certificate_not_after:%Y-%m-%d %H:%M} UTC (platforms refuse one with "
            "under 10 days left)"
        )
    return ""


def _publish_next_reason(after: str) -> str:
    return (
        f"{after}: a next key must be published at least the pre-publication period "
        f"({conf.get('PREPUBLICATION_PERIOD')}) before it may sign"
    )


def _key_steps(b: Brand, algorithm: str, *, now: datetime) -> list[RotationStep]:
    """Generate / activate steps for one brand and algorithm."""
    keys = list(b.signing_keys.filter(algorithm=algorithm).order_by("created_at", "id"))
    active = next((k for k in keys if k.state == State.ACTIVE), None)
    pending = next((k for k in keys if k.state == State.PENDING and k.is_usable), None)
    usable_active = active is not None and active.is_usable
    generate = RotationAction.GENERATE
    if pending is None:
        steps = []
        if not usable_active:
            why = "no active key" if active is None else f"the active key {active.kid} is unusable"
            steps.append(
                RotationStep(
                    b,
                    algorithm,
                    generate,
                    f"{why}: nothing signs, so a new key is activated at once",
                    activate=True,
                    force=True,
                )
            )
            after = "the new key signs now"
        else:
            after = "no pending key is published"
        return [*steps, RotationStep(b, algorithm, generate, _publish_next_reason(after))]
    if not usable_active:
        why = "no active key" if active is None else f"the active key {active.kid} is unusable"
        reason = f"{why}: the published next key signs at once"
        force = True
    else:
        reason = _rotation_due(active, now=now)
        ready_at = pending.created_at + conf.get("PREPUBLICATION_PERIOD")
        if not reason or now < ready_at:
            return []
        published = f"{pending.created_at:%Y-%m-%d %H:%M} UTC"
        reason += f"; {pending.kid} has been published since {published}"
        force = False
    return [
        RotationStep(b, algorithm, RotationAction.ACTIVATE, reason, key=pending, force=force),
        RotationStep(
            b, algorithm, generate, _publish_next_reason(f"{pending.kid} becomes active")
        ),
    ]


def _retention_over(key: SigningKey, *, now: datetime) -> bool:
    """A retired key whose retention (BRANDS_RETENTION after retirement) is over."""
    return (
        key.state == State.RETIRED
        and key.retired_at is not None
        and key.retired_at <= now - conf.get("RETENTION")
    )


def signing_keys_plan(
    *, brand: Brand | None = None, now: datetime | None = None
) -> list[RotationStep]:
    """What ``signing_keys_rotate`` would do now, without doing it; each step says why.

    Per active brand and asymmetric algorithm in use (RS256 always): keep one pending "next"
    key published; promote it once it has been published for the pre-publication period and
    the active key has signed for BRANDS_ROTATION_PERIOD (at once when nothing usable is
    active); purge retired keys past BRANDS_RETENTION; renew the certificate (``x5c``) of every
    published key whose certificate has less than BRANDS_CERTIFICATE_RENEWAL left, and certify
    uncertified published RSA keys of brands with an active Salesforce messenger (Salesforce
    refuses a key whose certificate has fewer than 10 days left).
    """
    now = now or timezone.now()
    brands = [brand] if brand else list(Brand.objects.filter(is_active=True).order_by("slug"))
    steps: list[RotationStep] = []
    for b in brands:
        for algorithm in _managed_algorithms(b):
            steps.extend(_key_steps(b, algorithm, now=now))
        purged = set()
        for key in b.signing_keys.filter(
            state=State.RETIRED, retired_at__lte=now - conf.get("RETENTION")
        ).order_by("retired_at", "id"):
            steps.append(
                RotationStep(
                    b,
                    key.algorithm,
                    RotationAction.PURGE,
                    f"retired {key.retired_at:%Y-%m-%d %H:%M} UTC, longer ago than the retention "
                    f"({conf.get('RETENTION')}): its last tokens have expired",
                    key=key,
                )
            )
            purged.add(key.pk)
        steps.extend(_certificate_steps(b, now=now, skip=purged))
    return steps


def _needs_x5c(brand: Brand) -> bool:
    """Brands with an active messenger of a platform that needs certificates (Salesforce
    uploads) must publish x5c on every RSA key."""
    return brand.messengers.filter(
        is_active=True, platform__in=list(PlatformsWhere("x5c_required"))
    ).exists()


def _certificate_steps(brand: Brand, *, now: datetime, skip: set[int]) -> list[RotationStep]:
    """Renew certificates of published keys that expire within BRANDS_CERTIFICATE_RENEWAL;
    certify uncertified published RSA keys of brands that serve Salesforce."""
    steps = []
    horizon = now + conf.get("CERTIFICATE_RENEWAL")
    with_x5c = None
    for key in brand.signing_keys.filter(state__in=list(SigningKey.PUBLISHED_STATES)).order_by(
        "created_at", "id"
    ):
        if key.is_symmetric or key.pk in skip or not key.is_usable:
            continue
        if key.certificate_pem:
            if key.certificate_not_after is not None and key.certificate_not_after <= horizon:
                steps.append(
                    RotationStep(
                        brand,
                        key.algorithm,
                        "renew_certificate",
                        f"certificate expires {key.certificate_not_after:%Y-%m-%d %H:%M} UTC",
                        key=key,
                    )
                )
        elif key.algorithm in RSA_ALGORITHMS:
            if with_x5c is None:
                with_x5c = _needs_x5c(brand)
            if with_x5c:
                steps.append(
                    RotationStep(
                        brand,
                        key.algorithm,
                        "renew_certificate",
                        "no certificate (x5c) and the brand serves Salesforce",
                        key=key,
                    )
                )
    return steps


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
        row = _locked(_lock_brand_keys(key.brand_id, key.algorithm), key)
        if row.state == State.REVOKED:
            raise InvalidTransition(f"Key {row.kid} is revoked.", code="key_revoked")
        try:
            private = keystores.get(row.store).load(row=row)
        except KeyDecryptionFailed as exc:
            raise InvalidTransition(
                f"Key {row.kid} is unusable: {exc.detail}", code="key_unusable"
            ) from exc
        _certify(row, private, brand=row.brand, now=now)
        row.save(update_fields=["certificate_pem", "certificate_not_after", "updated_at"])
        keyset.changed()
    logger.info("Renewed the certificate of key %s until %s", row.kid, row.certificate_not_after)
    return row


def signing_keys_rotate(
    *,
    plan: list[RotationStep],
    key_size: int | None = None,
    now: datetime | None = None,
) -> list[RotationStep]:
    """Carry out ``plan`` (from ``signing_keys_plan``); returns its steps with their results.

    Each step is re-checked under the locks by the service it calls (a key activated by hand
    since the plan was made is not retired by a key that was not published long enough). A
    failing step is recorded in its ``error`` and does not stop the others.
    """
    now = now or timezone.now()
    for step in plan:
        try:
            if step.action == RotationAction.GENERATE:
                row = signing_key_generate(
                    brand=step.brand,
                    algorithm=step.algorithm,
                    key_size=key_size if step.algorithm in RSA_ALGORITHMS else None,
                    activate=step.activate,
                    force=step.force,
                    now=now,
                )
                step.key = row
                step.result = f"{row.kid} {row.state}"
            elif step.action == RotationAction.ACTIVATE:
                signing_key_activate(key=step.key, force=step.force, now=now)
                step.result = "active"
            elif step.action == RotationAction.RENEW_CERTIFICATE:
                row = signing_key_certificate_renew(key=step.key, now=now)
                step.result = f"certificate valid until {row.certificate_not_after:%Y-%m-%d}"
            elif step.action == RotationAction.PURGE:
                purged = _purge_retired(brand_id=step.brand.pk, now=now, only=step.key)
                step.result = "unpublished" if purged else "no longer due"
            step.done = True
        except BrandsError as exc:
            step.error = f"{exc.code}: {exc.detail}"
            logger.error("Rotation step failed: %s", step.describe())
    signing_keys_destroy_revoked()
    return plan
