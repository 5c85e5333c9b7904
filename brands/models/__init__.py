"""The brands app's models, one module per concern: the brand (``brand``), its signing keys
and the key-set version (``keys``), its messengers and their client secrets (``messengers``,
with what their fields accept in ``messenger_fields``). The brand's colours and logo rules are
``brands.look``.

Everything is re-exported here: code outside the app, and the migrations (which name the
field validators ``brands.models.<name>``), import from ``brands.models``.
"""

from brands.look import (
    DEFAULT_HEADER_COLOR,
    DEFAULT_PRIMARY_COLOR,
    validate_hex_color,
    validate_logo_url,
    validate_primary_color,
)
from brands.models.brand import Brand, KeyStore
from brands.models.keys import KeySetVersion, SigningKey
from brands.models.messenger_fields import (
    ATTRIBUTE_CHOICES,
    DEFAULT_ATTRIBUTES,
    default_attributes,
    validate_attributes,
    validate_origins,
    validate_redirect_uris,
    validate_token_ttl,
    validate_vendor_settings,
)
from brands.models.messengers import (
    ATTRIBUTE_API_PLATFORMS,
    OIDC_PLATFORMS,
    ClientSecret,
    Messenger,
    client_secret_hash,
)

__all__ = [
    "ATTRIBUTE_API_PLATFORMS",
    "ATTRIBUTE_CHOICES",
    "DEFAULT_ATTRIBUTES",
    "DEFAULT_HEADER_COLOR",
    "DEFAULT_PRIMARY_COLOR",
    "OIDC_PLATFORMS",
    "Brand",
    "ClientSecret",
    "KeySetVersion",
    "KeyStore",
    "Messenger",
    "SigningKey",
    "client_secret_hash",
    "default_attributes",
    "validate_attributes",
    "validate_hex_color",
    "validate_logo_url",
    "validate_origins",
    "validate_primary_color",
    "validate_redirect_uris",
    "validate_token_ttl",
    "validate_vendor_settings",
]
