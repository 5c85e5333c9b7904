"""Writes of messengers: creation, OpenID Connect client secrets, vendor-issued shared
secrets."""

import logging
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from brands import encryption, keymaterial
from brands.algorithms import Algorithm
from brands.errors import BrandsError, InvalidKeyMaterial
from brands.models import (
    Brand,
    ClientSecret,
    Messenger,
    SigningKey,
    client_secret_hash,
    default_attributes,
)
from brands.platforms import platform_get

logger = logging.getLogger(__name__)

State = SigningKey.State


MAX_CLIENT_SECRET_GRACE = timedelta(days=7)


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
        raise BrandsError.from_validation(exc, "invalid_messenger") from exc
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
