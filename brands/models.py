"""Brands: each brand is a token issuer (like a Keycloak realm)."""

from django.conf import settings
from django.db import models


class Brand(models.Model):
    """A brand whose customers chat with its contact center; it issues their tokens."""

    slug = models.SlugField(
        max_length=50, unique=True, help_text="Stable identifier used in URLs and commands."
    )
    name = models.CharField(max_length=120, help_text="Display name shown to customers.")
    issuer = models.URLField(
        max_length=300,
        blank=True,
        help_text="The exact `iss` claim. Empty means <PUBLIC_BASE_URL>/brands/<slug>.",
    )
    is_active = models.BooleanField(
        default=True, help_text="Inactive brands issue no tokens and publish no discovery."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def issuer_url(self) -> str:
        return self.issuer or f"{settings.PUBLIC_BASE_URL}/brands/{self.slug}"
