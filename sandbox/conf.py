"""Sandbox settings: ``conf.get("NAME")`` reads ``SANDBOX_<NAME>`` lazily (``config.appconf``,
so ``override_settings`` works) with the defaults below. Durations are timedeltas (an int
or float in settings is seconds). Nothing here is read at import time.
"""

from datetime import timedelta

from django.conf import settings

from config.appconf import AppSettings

DEFAULTS: dict[str, object] = {
    # The portal the sandbox asks for a messenger's public setup (None: PUBLIC_BASE_URL).
    "PORTAL_URL": None,
    # Plain http:// for non-loopback hosts (None: follow DEBUG).
    "ALLOW_INSECURE_HTTP": None,
    "HTTP_TIMEOUT": timedelta(seconds=5),  # JWKS and setup fetches
    "JWKS_MAX_BYTES": 256 * 1024,
    "JWKS_DEFAULT_TTL": timedelta(seconds=300),  # when the JWKS response names no max-age
    "JWKS_MIN_TTL": timedelta(seconds=60),
    "JWKS_MAX_TTL": timedelta(hours=24),
    "JWKS_COOLDOWN": timedelta(seconds=30),  # at most one fetch per cooldown (unknown kid...)
    "SETUP_MAX_BYTES": 64 * 1024,
    "SETUP_CACHE_SECONDS": timedelta(seconds=60),  # how long a messenger's setup is cached
    "MAX_TOKEN_BYTES": 8192,
    "LEEWAY": timedelta(seconds=30),
    "MAX_LEEWAY": timedelta(seconds=300),
}
DURATIONS = [name for name, value in DEFAULTS.items() if isinstance(value, timedelta)]

get = AppSettings("SANDBOX", DEFAULTS, durations=DURATIONS).get


def seconds(name: str) -> float:
    """A duration setting in seconds, for the verifier's clock arithmetic."""
    return get(name).total_seconds()


def portal_url() -> str:
    return str(get("PORTAL_URL") or settings.PUBLIC_BASE_URL).rstrip("/")


def allow_insecure_http() -> bool:
    value = get("ALLOW_INSECURE_HTTP")
    return bool(settings.DEBUG) if value is None else bool(value)


def enabled() -> bool:
    """Whether the sandbox platform is on (``SANDBOX_ENABLED``): when off it stores nothing."""
    return bool(getattr(settings, "SANDBOX_ENABLED", False))


def key_encryption_keys() -> tuple[str, ...]:
    """The deployment's key-encryption keys, newest first (``KEY_ENCRYPTION_KEYS``).

    The sandbox shares no code with the portal, but it runs in the same deployment and keeps
    its vendor-console secrets under the same operator-held keys (derived for its own use).
    """
    return tuple(getattr(settings, "KEY_ENCRYPTION_KEYS", ()) or ())
