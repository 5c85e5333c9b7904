"""Writes of brands (token issuers)."""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from brands.errors import BrandsError
from brands.models import Brand, SigningKey

logger = logging.getLogger(__name__)

State = SigningKey.State


def brand_create(*, slug: str, name: str, issuer: str = "", is_active: bool = True) -> Brand:
    """Create a brand (a token issuer). Raises ``BrandsError`` ``invalid_brand``."""
    brand = Brand(slug=(slug or "").strip(), name=(name or "").strip(), issuer=issuer or "")
    brand.is_active = is_active
    try:
        brand.full_clean()
    except ValidationError as exc:
        raise BrandsError.from_validation(exc, "invalid_brand") from exc
    with transaction.atomic():
        try:
            brand.save()
        except IntegrityError as exc:
            raise BrandsError(f"Brand {slug!r} already exists.", code="invalid_brand") from exc
    return brand
