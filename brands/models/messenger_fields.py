"""What a messenger's fields accept: attribute choices and defaults, lifetime bounds, and the
validators of its origins, vendor settings and redirect URIs (referenced by migrations as
``brands.models.<name>``, which re-exports them)."""

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from brands import conf

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
