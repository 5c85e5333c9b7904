"""Sandbox settings, read lazily from ``django.conf.settings`` with the defaults below.

Every name is ``SANDBOX_<NAME>`` in settings. Nothing here is read at import time.
"""

from django.conf import settings

DEFAULTS: dict[str, object] = {
    # The portal the sandbox asks for a messenger's public setup (None: PUBLIC_BASE_URL).
    "PORTAL_URL": None,
    # Plain http:// for non-loopback hosts (None: follow DEBUG).
    "ALLOW_INSECURE_HTTP": None,
    "HTTP_TIMEOUT": 5.0,  # seconds, JWKS and setup fetches
    "JWKS_MAX_BYTES": 256 * 1024,
    "JWKS_DEFAULT_TTL": 300,  # seconds, when the JWKS response names no max-age
    "JWKS_MIN_TTL": 60,
    "JWKS_MAX_TTL": 24 * 3600,
    "JWKS_COOLDOWN": 30,  # at most one fetch per cooldown (unknown kid, failures)
    "SETUP_MAX_BYTES": 64 * 1024,
    "SETUP_CACHE_SECONDS": 60,
    "MAX_TOKEN_BYTES": 8192,
    "LEEWAY": 30,
    "MAX_LEEWAY": 300,
}


def get(name: str):
    return getattr(settings, f"SANDBOX_{name}", DEFAULTS[name])


def portal_url() -> str:
    return str(get("PORTAL_URL") or settings.PUBLIC_BASE_URL).rstrip("/")


def allow_insecure_http() -> bool:
    value = get("ALLOW_INSECURE_HTTP")
    return bool(settings.DEBUG) if value is None else bool(value)
