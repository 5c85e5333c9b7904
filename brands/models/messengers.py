"""Messengers (a brand's chat deployments on a platform) and their OpenID Connect client
secrets."""

import contextlib
import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.html import escape

from brands.algorithms import Algorithm
from brands.models.brand import Brand
from brands.models.messenger_fields import (
    ATTRIBUTE_CHOICES,
    MAX_TOKEN_TTL,
    MIN_TOKEN_TTL,
    default_attributes,
    normalize_origin,
    validate_attributes,
    validate_origins,
    validate_redirect_uris,
    validate_token_ttl,
    validate_vendor_settings,
)
from brands.platforms import PlatformsWhere, platform_choices, platform_get, vendor_settings_clean

# Platforms whose tokens are obtained through the OpenID Connect code flow (the messenger is
# an OIDC client with a client secret and redirect URIs).
OIDC_PLATFORMS = PlatformsWhere("oidc")
# Platforms whose servers may read certified attributes with the messenger's client id and
# secret (HTTP Basic): the OpenID Connect clients and those whose profile says so.
ATTRIBUTE_API_PLATFORMS = PlatformsWhere("attributes_api")


def default_audience(brand_slug: str, slug: str) -> str:
    """The audience a messenger gets when none is given: a URL under the public base URL."""
    return f"{settings.PUBLIC_BASE_URL}/brands/{brand_slug}/messengers/{slug}"


class Messenger(models.Model):
    """The mapping of a brand to one chat deployment on a platform (a widget, a channel).

    Tokens for it carry its ``audience`` and the customer attributes it may receive, live for
    ``token_ttl`` and are signed with the brand's active key for ``algorithm``.
    """

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="messengers")
    slug = models.SlugField(
        max_length=50,
        help_text="Globally unique: the token API is called with this slug only.",
    )
    label = models.CharField(
        "name shown to customers",
        max_length=60,
        blank=True,
        help_text="In the portal's chat picker when the brand has several chats, e.g. "
        "'Private banking'. Empty: the platform's name ('web chat' for a generic one).",
    )
    platform = models.CharField(
        max_length=16,
        choices=platform_choices,
        default="generic",
        help_text="The chat platform; only platforms with a registered claim profile.",
    )
    audience = models.CharField(
        max_length=300,
        blank=True,
        help_text=escape(
            "The `aud` claim, unique across messengers. Empty means "
            "<PUBLIC_BASE_URL>/brands/<brand>/messengers/<slug>, fixed at creation."
        ),
    )
    algorithm = models.CharField(
        max_length=8,
        choices=Algorithm.choices,
        default=Algorithm.RS256,
        help_text="Signing algorithm; HS256 only for platforms that demand a shared secret.",
    )
    token_ttl = models.DurationField(
        default=timedelta(minutes=5),
        validators=[validate_token_ttl],
        help_text="Token lifetime, between 60 seconds and 1 hour (and BRANDS_MAX_TOKEN_LIFETIME).",
    )
    attributes = models.JSONField(
        default=default_attributes,
        blank=True,
        validators=[validate_attributes],
        help_text=f"Customer attributes tokens may carry: {', '.join(ATTRIBUTE_CHOICES)}.",
    )
    allowed_origins = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_origins],
        help_text='Widget origins, e.g. ["https://widget.vendor.example"] (https only).',
    )
    vendor_settings = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_vendor_settings],
        help_text="Platform-specific settings (a JSON object, no secrets).",
    )
    redirect_uris = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_redirect_uris],
        help_text="OpenID Connect clients (Genesys): the exact redirect URIs the platform may "
        'send with a code, e.g. ["https://www.example.com/support"]. The first one is given '
        "to the page's AuthProvider plugin.",
    )
    require_pkce = models.BooleanField(
        default=False,
        help_text="OpenID Connect clients: every code must carry a PKCE S256 challenge; the "
        "auth-code API then also returns the code verifier for the platform.",
    )

    # Assurance policy: enforced by messaging.stepup before any token or code. The
    # values are the portal's acr scale, accounts/assurance.py (brands imports no accounts).
    min_acr = models.CharField(
        "minimum assurance (acr)",
        max_length=60,
        blank=True,
        choices=[
            ("urn:portal:acr:otp", "One-time code (TOTP or backup code)"),
            ("urn:portal:acr:passkey", "Passkey with user verification"),
        ],
        help_text="The weakest second factor a token for this messenger may rest on; blank: "
        "any (a one-time code).",
    )
    max_auth_age = models.DurationField(
        "maximum age of the second factor",
        null=True,
        blank=True,
        help_text="A token is refused (step_up_required) when the second factor was proven "
        "longer ago than this, e.g. 00:15:00; blank: as old as the portal session.",
    )
    vip_requires_passkey = models.BooleanField(
        "passkey required for VIP customers",
        default=False,
        help_text="VIP customers need passkey assurance on this messenger, whatever the minimum.",
    )

    shared_secret_ciphertext = models.TextField(
        blank=True,
        editable=False,
        help_text="The vendor-issued HS256 secret (Zendesk, Intercom) encrypted with "
        "KEY_ENCRYPTION_KEYS. Write-only: set and replaced through messenger_secret_set.",
    )
    shared_secret_key_id = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="The key id that goes with the secret, sent as the JWT header kid (Zendesk: "
        "the signing key's id, app_...; otherwise generated).",
    )
    shared_secret_fingerprint = models.CharField(
        max_length=100,
        blank=True,
        editable=False,
        help_text="SHA-256 of the shared secret: identifies it, never reveals it.",
    )
    shared_secret_set_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive messengers get no tokens."
    )
    in_chat_picker = models.BooleanField(
        "in chat picker",
        default=True,
        help_text="Listed in the portal's chat picker. Off: the messenger still issues tokens "
        "and opens from a link (/?chat=<slug>), e.g. a vendor integration under test.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"],
                name="brands_messenger_slug_unique",
                violation_error_message="A messenger with this slug already exists.",
            ),
            models.UniqueConstraint(
                fields=["audience"],
                name="brands_messenger_audience_unique",
                violation_error_message="Another messenger already uses this audience.",
            ),
            models.CheckConstraint(
                condition=Q(token_ttl__gte=MIN_TOKEN_TTL, token_ttl__lte=MAX_TOKEN_TTL),
                name="brands_messenger_token_ttl_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slug} ({self.get_platform_display()})"

    def save(self, *args, **kwargs):
        self._fill_default_audience()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # blank JSON values ([], {}, "") skip field validators: check the types here
        for name, kind, empty in (
            ("attributes", list, list),
            ("allowed_origins", list, list),
            ("vendor_settings", dict, dict),
            ("redirect_uris", list, list),
        ):
            value = getattr(self, name)
            if value is None:
                setattr(self, name, empty())
            elif not isinstance(value, kind):
                raise ValidationError(
                    {name: f"Must be a JSON {'list' if kind is list else 'object'}."},
                    code="invalid",
                )
        self._fill_default_audience()
        spec = platform_get(self.platform)
        if spec is None:
            raise ValidationError(
                {"platform": f"No claim profile is registered for platform {self.platform!r}."},
                code="invalid",
            )
        if not self.algorithm:
            self.algorithm = spec.algorithms[0]
        if self.algorithm not in spec.algorithms:
            hint = (
                " HS256 (a shared secret) is only for platforms that demand one."
                if self.algorithm == Algorithm.HS256
                else ""
            )
            raise ValidationError(
                {
                    "algorithm": f"{spec.label} tokens are signed with "
                    f"{' or '.join(spec.algorithms)}, not {self.algorithm}.{hint}"
                },
                code="invalid",
            )

        if isinstance(self.vendor_settings, dict):
            try:
                self.vendor_settings = vendor_settings_clean(spec, self.vendor_settings)
            except ValidationError as exc:
                raise ValidationError(
                    {"vendor_settings": [m for ms in exc.message_dict.values() for m in ms]},
                    code="invalid_vendor_settings",
                ) from exc
        if self.platform in OIDC_PLATFORMS and not self.redirect_uris:
            raise ValidationError(
                {"redirect_uris": "An OpenID Connect client needs at least one redirect URI."},
                code="invalid_redirect_uri",
            )
        if isinstance(self.allowed_origins, list):
            with contextlib.suppress(ValidationError):  # reported by the field validator
                self.allowed_origins = [normalize_origin(o) for o in self.allowed_origins]

    @property
    def shared_secret_binding(self) -> str:
        """What the secret's ciphertext is bound to: a copy on another row does not decrypt."""
        return f"messenger:{self.pk}:{self.slug}"

    @property
    def has_shared_secret(self) -> bool:
        return bool(self.shared_secret_ciphertext)

    def shared_secret_status(self) -> str:
        """What may be shown about the secret: when it was set and its fingerprint."""
        if not self.shared_secret_ciphertext or self.shared_secret_set_at is None:
            return "not set"
        return (
            f"set on {self.shared_secret_set_at:%Y-%m-%d %H:%M} UTC, "
            f"fingerprint {self.shared_secret_fingerprint[:23]}"
        )

    def _fill_default_audience(self) -> None:
        brand = self.brand if (self.brand_id or Messenger.brand.is_cached(self)) else None
        if not self.audience and self.slug and brand is not None and brand.slug:
            self.audience = default_audience(brand.slug, self.slug)

    @property
    def issuer(self) -> str:
        return self.brand.issuer_url

    @property
    def jwks_url(self) -> str:
        return self.brand.jwks_url

    @property
    def public_key_url(self) -> str:
        """This messenger's keys in its vendor's own format (platforms whose profile has a
        ``key_format`` other than ``"jwks"``, e.g. Dynamics 365's PEM / kid array)."""
        return (
            f"{settings.PUBLIC_BASE_URL}/brands/{self.brand.slug}/messengers/{self.slug}"
            "/public-key"
        )

    @property
    def is_oidc_client(self) -> bool:
        return self.platform in OIDC_PLATFORMS

    @property
    def has_client_credentials(self) -> bool:
        """A client id and secret: OpenID Connect clients, and platforms whose servers call
        the certified-attributes API (the profile's ``attributes_api``, e.g. Salesforce)."""
        return self.is_oidc_client or self.platform in ATTRIBUTE_API_PLATFORMS

    @property
    def client_id(self) -> str:
        """An OpenID Connect client's id is its audience (the id_token's ``aud``)."""
        return self.audience


def client_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ClientSecret(models.Model):
    """One client secret of an OpenID Connect messenger (Genesys), stored as a SHA-256 hash.

    The secret is 256 random bits shown once at creation or rotation and never again; a
    fast hash is enough for a secret of that entropy (no dictionary to guess from) and keeps
    the token endpoint cheap. A rotated secret may live on until ``expires_at`` (a grace
    period while the platform's administrator pastes the new one); ``None`` = no end.
    """

    messenger = models.ForeignKey(
        Messenger, on_delete=models.CASCADE, related_name="client_secrets"
    )
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    fingerprint = models.CharField(
        max_length=16,
        editable=False,
        help_text="First hex digits of the hash, to tell secrets apart.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When this secret stops working (set at rotation)."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"client secret {self.fingerprint} of {self.messenger_id}"
