"""Brands (token issuers), their signing keys and their messengers."""

import contextlib
import hashlib
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.html import escape

from brands import conf
from brands.algorithms import Algorithm
from brands.keymaterial import certificate_x5c, certificate_x5t_s256
from brands.platforms import PlatformsWhere, platform_choices, platform_get, vendor_settings_clean

# --- brand colours: validated so that every page stays readable (WCAG 2.2 AA) ---

_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_PRIMARY_COLOR = "#0b5fff"
DEFAULT_HEADER_COLOR = "#101828"
MIN_TEXT_CONTRAST = 4.5


def relative_luminance(color: str) -> float:
    """WCAG 2.x relative luminance of ``#RRGGBB``."""
    channels = []
    for i in (1, 3, 5):
        c = int(color[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_text_color(background: str) -> str:
    """``#ffffff`` or ``#111111``, whichever contrasts more with ``background``."""
    white, black = "#ffffff", "#111111"
    if contrast_ratio(background, white) >= contrast_ratio(background, black):
        return white
    return black


def validate_hex_color(value: str) -> None:
    if value and not _HEX_COLOR.fullmatch(value):
        raise ValidationError(
            "Enter a colour as # and six hexadecimal digits, e.g. #0b5fff.", code="bad_color"
        )


def validate_primary_color(value: str) -> None:
    """A hex colour that white button text and links on white can both be read against."""
    validate_hex_color(value)
    if value and (ratio := contrast_ratio(value, "#ffffff")) < MIN_TEXT_CONTRAST:
        raise ValidationError(
            "This colour has a contrast of %(ratio).1f:1 against white; buttons and links "
            "need at least 4.5:1 (WCAG AA). Choose a darker shade.",
            code="low_contrast",
            params={"ratio": ratio},
        )


def validate_logo_url(value: str) -> None:
    """A path on this site or an https:// address; nothing that could run script."""
    if not value:
        return
    parts = urlsplit(value)
    if value.startswith("/") and not value.startswith("//") and not parts.scheme:
        return
    if parts.scheme == "https" and parts.netloc:
        return
    raise ValidationError(
        "Enter a path on this site (starting with /) or an https:// address.", code="bad_logo"
    )


class KeyStore(models.TextChoices):
    """Where a private signing key lives (``brands.keystores``)."""

    DATABASE = "database", "database (encrypted with KEY_ENCRYPTION_KEYS)"
    PKCS11 = "pkcs11", "HSM (PKCS#11 token, non-extractable)"


class Brand(models.Model):
    """A brand whose customers chat with its contact center; it issues their tokens."""

    slug = models.SlugField(
        max_length=50, unique=True, help_text="Stable identifier used in URLs and commands."
    )
    name = models.CharField(max_length=120, help_text="Display name shown to customers.")
    issuer = models.URLField(
        max_length=300,
        blank=True,
        # help texts are HTML in forms (Django renders them unescaped): escape the placeholders
        help_text=escape("The exact `iss` claim. Empty means <PUBLIC_BASE_URL>/brands/<slug>."),
    )
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Inactive brands issue no tokens and publish no discovery.",
    )
    # --- what customers see (portal pages, the chat header) ---
    logo_url = models.CharField(
        max_length=300,
        blank=True,
        validators=[validate_logo_url],
        help_text="The logo in the portal's top bar: a path on this site (/static/...) or an "
        "https:// address. Empty shows the brand's initial.",
    )
    primary_color = models.CharField(
        max_length=7,
        blank=True,
        validators=[validate_primary_color],
        help_text="Buttons and links, as #RRGGBB. Must reach 4.5:1 contrast against white "
        "(WCAG AA). Empty uses the portal's blue.",
    )
    header_color = models.CharField(
        max_length=7,
        blank=True,
        validators=[validate_hex_color],
        help_text="Top bar background, as #RRGGBB; its text turns white or black, whichever "
        "contrasts more. Empty uses the portal's dark blue.",
    )
    support_phone = models.CharField(
        max_length=40, blank=True, help_text="Support phone number shown in the page footer."
    )
    support_email = models.EmailField(
        blank=True, help_text="Support e-mail address shown in the page footer."
    )
    support_url = models.URLField(
        max_length=300, blank=True, help_text="Help centre page linked from the page footer."
    )
    support_hours = models.CharField(
        max_length=120, blank=True, help_text='Opening hours, e.g. "Mon-Fri 8:00-20:00".'
    )
    key_store = models.CharField(
        max_length=10,
        choices=KeyStore.choices,
        default=KeyStore.DATABASE,
        help_text="Where new signing keys of this brand are generated (generation and "
        "rotation). HSM: RS256, PS256 and ES256 keys are generated in the PKCS#11 token "
        "(PKCS11_MODULE) and never leave it; PEM imports are refused. Existing keys stay "
        "where they are; shared secrets (HS256) stay in the database.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def header_text_color(self) -> str:
        """White or near-black: whichever contrasts more with ``header_color``."""
        return readable_text_color(self.header_color or DEFAULT_HEADER_COLOR)

    @property
    def initial(self) -> str:
        return (self.name.strip()[:1] or self.slug[:1]).upper()

    @property
    def has_support(self) -> bool:
        return bool(
            self.support_phone or self.support_email or self.support_url or self.support_hours
        )

    @property
    def issuer_url(self) -> str:
        return self.issuer or f"{settings.PUBLIC_BASE_URL}/brands/{self.slug}"

    @property
    def jwks_url(self) -> str:
        """Absolute URL of this brand's JWKS (what platforms are configured with)."""
        return f"{settings.PUBLIC_BASE_URL}/brands/{self.slug}/.well-known/jwks.json"

    @property
    def discovery_url(self) -> str:
        return f"{settings.PUBLIC_BASE_URL}/brands/{self.slug}/.well-known/openid-configuration"


class SigningKey(models.Model):
    """One key of a brand, with its life cycle.

    ``pending`` keys are published in the JWKS but do not sign; ``active`` keys sign (at most
    one per brand and algorithm, a database constraint); ``retired`` keys are still published
    so tokens they signed keep verifying; ``revoked`` keys are unpublished for good and their
    private material is erased. A ``kid`` is never reused: rows are never deleted.
    HS256 keys are shared secrets: never published, given to the platform out of band.
    """

    Algorithm = Algorithm

    class State(models.TextChoices):
        PENDING = "pending", "pending (published, not signing)"
        ACTIVE = "active", "active (signing)"
        RETIRED = "retired", "retired (published, not signing)"
        REVOKED = "revoked", "revoked (unpublished)"

    class Origin(models.TextChoices):
        GENERATED = "generated", "generated here"
        IMPORTED = "imported", "imported from PEM"

    PUBLISHED_STATES = (State.PENDING, State.ACTIVE, State.RETIRED)

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="signing_keys")
    kid = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        help_text="Key id in the JWT header: the RFC 7638 thumbprint (random for HS256). "
        "Unique forever.",
    )
    algorithm = models.CharField(
        max_length=8,
        choices=Algorithm.choices,
        default=Algorithm.RS256,
        help_text="The only algorithm this key signs with.",
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.GENERATED)
    store = models.CharField(
        max_length=10,
        choices=KeyStore.choices,
        default=KeyStore.DATABASE,
        editable=False,
        help_text="Where the private key lives: encrypted in this database, or in the HSM.",
    )
    store_handle = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="HSM keys: the key pair's CKA_ID in the token (hex), an identifier, not "
        "a secret. Emptied once the key has been destroyed in the token.",
    )
    key_size = models.PositiveIntegerField(help_text="Bits (RSA modulus, curve or secret size).")
    fingerprint = models.CharField(
        max_length=100,
        editable=False,
        help_text="SHA-256 of the public key (or of the shared secret): identifies, "
        "never reveals.",
    )
    public_jwk = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Public members only (kty, n/e or crv/x/y). Empty for HS256.",
    )
    private_key_ciphertext = models.TextField(
        blank=True,
        editable=False,
        help_text="PKCS#8 DER (or the HS256 secret) encrypted with KEY_ENCRYPTION_KEYS. "
        "Erased when the key is revoked. Empty for HSM keys.",
    )
    certificate_pem = models.TextField(
        blank=True,
        editable=False,
        help_text="Optional self-signed X.509 certificate, published as x5c.",
    )
    certificate_not_after = models.DateTimeField(null=True, blank=True, editable=False)
    unusable_reason = models.TextField(
        blank=True,
        help_text="Why this key cannot sign (e.g. its private key no longer decrypts). "
        "Empty when usable.",
    )
    unusable_code = models.CharField(
        max_length=32,
        blank=True,
        editable=False,
        help_text="Stable code of the unusable reason (brands.errors); empty when usable.",
    )
    revocation_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(
        auto_now_add=True, help_text="Created, hence pending and published, at this time."
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(
        null=True, blank=True, help_text="Revoked by policy once the retention had passed."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "algorithm"],
                condition=Q(state="active"),
                name="brands_signingkey_one_active_per_brand_algorithm",
                violation_error_message="This brand already has an active key for the algorithm.",
            ),
            models.CheckConstraint(
                condition=Q(state="pending")
                | Q(state="active", activated_at__isnull=False)
                | Q(state="retired", retired_at__isnull=False)
                | Q(state="revoked", revoked_at__isnull=False),
                name="brands_signingkey_state_has_timestamp",
            ),
            models.CheckConstraint(
                condition=Q(algorithm__in=Algorithm.values),
                name="brands_signingkey_algorithm_valid",
            ),
        ]
        indexes = [models.Index(fields=["brand", "state"], name="brands_key_brand_state")]

    def __str__(self) -> str:
        return f"{self.kid} ({self.algorithm}, {self.state})"

    @property
    def is_symmetric(self) -> bool:
        return self.algorithm == self.Algorithm.HS256

    @property
    def is_published(self) -> bool:
        return not self.is_symmetric and self.state in self.PUBLISHED_STATES

    @property
    def in_hsm(self) -> bool:
        return self.store == KeyStore.PKCS11

    @property
    def is_usable(self) -> bool:
        if self.unusable_reason or self.state == self.State.REVOKED:
            return False
        return bool(self.store_handle if self.in_hsm else self.private_key_ciphertext)

    @property
    def purge_due_at(self):
        if self.state != self.State.RETIRED or self.retired_at is None:
            return None
        return self.retired_at + conf.get("RETENTION")

    @property
    def activatable_at(self):
        """When a rotation may promote this pending key (published long enough)."""
        return self.created_at + conf.get("PREPUBLICATION_PERIOD") if self.created_at else None

    def jwk(self) -> dict:
        """The JWKS entry: public members, kid, alg, use, and x5c when there is a certificate."""
        entry = {**self.public_jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}
        if self.certificate_pem:
            entry["x5c"] = certificate_x5c(self.certificate_pem)
            entry["x5t#S256"] = certificate_x5t_s256(self.certificate_pem)
        return entry


# --- messengers ------------------------------------------------------------------------------

ATTRIBUTE_CHOICES = ("tier", "vip", "balance", "email", "names", "customer_since")
DEFAULT_ATTRIBUTES = ("names", "tier", "vip", "balance")


def default_attributes() -> list[str]:
    """What an agent needs to greet and serve: names, tier, VIP flag and balance."""
    return list(DEFAULT_ATTRIBUTES)


MIN_TOKEN_TTL = timedelta(seconds=60)
MAX_TOKEN_TTL = timedelta(hours=1)
MAX_VENDOR_SETTINGS_BYTES = 16 * 1024
_SECRET_NAME = re.compile(
    r"secret|password|passwd|private[_-]?key|api[_-]?key|(access|refresh|bearer)[_-]?token",
    re.IGNORECASE,
)
_LOOPBACK = {"localhost", "127.0.0.1", "[::1]", "::1"}


def validate_token_ttl(value: timedelta) -> None:
    upper = min(MAX_TOKEN_TTL, conf.get("MAX_TOKEN_LIFETIME"))
    if value is None or value < MIN_TOKEN_TTL or value > upper:
        raise ValidationError(
            "Token lifetime must be between %(low)s and %(high)s seconds.",
            code="invalid_token_ttl",
            params={"low": int(MIN_TOKEN_TTL.total_seconds()), "high": int(upper.total_seconds())},
        )


def validate_attributes(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Attributes must be a list of names.", code="invalid_attributes")
    unknown = sorted(set(value) - set(ATTRIBUTE_CHOICES))
    if unknown:
        raise ValidationError(
            "Unknown attribute(s): %(unknown)s. Allowed: %(allowed)s.",
            code="invalid_attributes",
            params={"unknown": ", ".join(unknown), "allowed": ", ".join(ATTRIBUTE_CHOICES)},
        )
    if len(set(value)) != len(value):
        raise ValidationError("Attributes must not repeat.", code="invalid_attributes")


def normalize_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, or ``ValidationError``.

    https only; plain http is accepted for loopback hosts (local development and the sandbox).
    """
    if not isinstance(origin, str) or not origin or origin != origin.strip():
        raise ValidationError("An origin must be a non-empty string.", code="invalid_origin")
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(
            "%(origin)s is not an origin.", code="invalid_origin", params={"origin": origin}
        ) from exc
    host = (parts.hostname or "").lower()
    if (
        parts.scheme not in ("https", "http")
        or not host
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "*" in host
    ):
        raise ValidationError(
            "%(origin)s is not an origin (scheme://host[:port], no path, no wildcard).",
            code="invalid_origin",
            params={"origin": origin},
        )
    if parts.scheme == "http" and host not in _LOOPBACK:
        raise ValidationError(
            "%(origin)s must use https.", code="invalid_origin", params={"origin": origin}
        )
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}{f':{port}' if port else ''}"


def validate_origins(value) -> None:
    if not isinstance(value, list):
        raise ValidationError("Allowed origins must be a list.", code="invalid_origin")
    for origin in value:
        normalize_origin(origin)


def validate_vendor_settings(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError(
            "Vendor settings must be a JSON object.", code="invalid_vendor_settings"
        )
    if len(json.dumps(value)) > MAX_VENDOR_SETTINGS_BYTES:
        raise ValidationError("Vendor settings are too large.", code="invalid_vendor_settings")

    def walk(node, path=""):
        if isinstance(node, dict):
            for key, child in node.items():
                if _SECRET_NAME.search(str(key)):
                    raise ValidationError(
                        "Vendor settings hold no secrets (%(key)s): secrets are stored "
                        "encrypted, not in JSON.",
                        code="invalid_vendor_settings",
                        params={"key": f"{path}{key}"},
                    )
                walk(child, f"{path}{key}.")
        elif isinstance(node, list):
            for child in node:
                walk(child, path)

    walk(value)


MAX_REDIRECT_URIS = 10


def validate_redirect_uris(value) -> None:
    """Absolute https URIs (http only for loopback hosts), no fragment (RFC 6749 3.1.2)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Redirect URIs must be a list of URLs.", code="invalid_redirect_uri")
    if len(value) > MAX_REDIRECT_URIS:
        raise ValidationError(
            "At most %(n)s redirect URIs.",
            code="invalid_redirect_uri",
            params={"n": MAX_REDIRECT_URIS},
        )
    for uri in value:
        try:
            parts = urlsplit(uri)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise ValidationError(
                "%(uri)s is not a URL.", code="invalid_redirect_uri", params={"uri": uri}
            ) from exc
        host = (parts.hostname or "").lower()
        if (
            len(uri) > 2000
            or uri != uri.strip()
            or parts.scheme not in ("https", "http")
            or not host
            or parts.fragment
            or "#" in uri
            or parts.username is not None
            or (parts.scheme == "http" and host not in _LOOPBACK)
        ):
            raise ValidationError(
                "%(uri)s must be an absolute https URL without a fragment "
                "(plain http only for localhost).",
                code="invalid_redirect_uri",
                params={"uri": uri},
            )
    if len(set(value)) != len(value):
        raise ValidationError("Redirect URIs must not repeat.", code="invalid_redirect_uri")


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
        choices=SigningKey.Algorithm.choices,
        default=SigningKey.Algorithm.RS256,
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

    # Assurance policy (issue 15): enforced by messaging.stepup before any token or code. The
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
        "offered to customers",
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
                if self.algorithm == SigningKey.Algorithm.HS256
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


class KeySetVersion(models.Model):
    """The key-set version (``brands.keyset``) when no shared cache is configured.

    One row. On the embedded default (no ``REDIS_URL``, an in-process cache) the version must
    still be seen by every process of the deployment (``manage.py`` commands, cron, other
    workers) at once, so it lives in the database they share.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.CharField(max_length=32, help_text="Random; replaced on every key change.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="brands_keysetversion_single_row")
        ]

    def __str__(self) -> str:
        return "key-set version"
