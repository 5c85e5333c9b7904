"""The brand: a token issuer, how it looks to its customers and where its keys live."""

from django.conf import settings
from django.db import models
from django.utils.html import escape

from brands.look import (
    DEFAULT_HEADER_COLOR,
    readable_text_color,
    validate_hex_color,
    validate_logo_url,
    validate_primary_color,
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
