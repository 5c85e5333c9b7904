"""The only module that reads the process environment.

Every variable is documented in ``.env.example`` and in the README's configuration table.
Outside DEBUG a missing secret stops start-up with a message naming the variable
(Zulip's ``get_mandatory_secret`` habit); in DEBUG development values are derived and one
line on stderr says so (``make demo`` writes a ``.env`` with ``DEBUG=true``, so the README's
commands run as written on a fresh machine).
"""

import base64
import hashlib
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG: bool = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-development-only-never-use-in-production"


# Variables that got a development value; announced once, in one line, at the end.
_DEVELOPMENT_VALUES: list[str] = []


def mandatory(name: str, dev_default: str) -> str:
    """Return the variable ``name``; outside DEBUG refuse to start without it."""
    value = env.str(name, default="").strip()
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(
            f"{name} is not set. It is required when DEBUG is off; see .env.example."
        )
    _DEVELOPMENT_VALUES.append(name)
    return dev_default


SECRET_KEY: str = mandatory("SECRET_KEY", _DEV_SECRET_KEY)
ALLOWED_HOSTS: list[str] = [
    h.strip()
    for h in mandatory("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
PUBLIC_BASE_URL: str = mandatory("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if not PUBLIC_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("PUBLIC_BASE_URL must start with https:// or http://")


def _dev_key_encryption_key() -> str:
    digest = hashlib.sha256(b"key-encryption-key:" + SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


KEY_ENCRYPTION_KEYS: list[str] = [
    k.strip()
    for k in mandatory("KEY_ENCRYPTION_KEYS", _dev_key_encryption_key()).split(",")
    if k.strip()
]

DATABASE_URL: str = env.str("DATABASE_URL", default="")
# PostgreSQL: bind parameters on the server and prepare statements a connection repeats
# (the plan of each request's lookups is made once per connection, not per request). Turn
# off behind a pooler in transaction mode that cannot keep prepared statements.
DATABASE_PREPARED_STATEMENTS: bool = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
REDIS_URL: str = env.str("REDIS_URL", default="")
SQLITE_PATH: str = env.str("SQLITE_PATH", default="") or str(BASE_DIR / "db.sqlite3")
CACHE_KEY_PREFIX: str = env.str("CACHE_KEY_PREFIX", default="") or "portal"
# HTTPS features (redirect, HSTS, secure cookies) follow the public URL's scheme.
HTTPS: bool = PUBLIC_BASE_URL.startswith("https://")
# WebAuthn (passkeys): the relying-party id is the portal's domain (a passkey is bound to it;
# changing it orphans every passkey) and the only accepted origin is PUBLIC_BASE_URL. Browsers
# allow passkeys only on https or on http://localhost, and an IP address is never an RP id: a
# plain-http development URL (http://127.0.0.1:8000) falls back to localhost on the same port
# (open the demo as http://localhost:8000 to use passkeys).
_public_host = PUBLIC_BASE_URL.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
WEBAUTHN_RP_ID: str = env.str("WEBAUTHN_RP_ID", default="") or (
    _public_host if HTTPS else "localhost"
)
WEBAUTHN_ORIGINS: list[str] = [
    o.strip().rstrip("/")
    for o in (
        env.str("WEBAUTHN_ORIGINS", default="")
        or PUBLIC_BASE_URL.replace(f"//{_public_host}", f"//{WEBAUTHN_RP_ID}", 1)
    ).split(",")
    if o.strip()
]
SECURE_SSL_REDIRECT: bool = (
    env.bool("SECURE_SSL_REDIRECT") if env.str("SECURE_SSL_REDIRECT", "") else HTTPS
)
HSTS_SECONDS: int = (
    env.int("HSTS_SECONDS") if env.str("HSTS_SECONDS", "") else (31536000 if HTTPS else 0)
)
# Number of reverse proxies in front of the app whose X-Forwarded-For entries are trusted.
TRUSTED_PROXY_COUNT: int = int(env.str("TRUSTED_PROXY_COUNT", default="") or 0)
LOG_LEVEL: str = env.str("LOG_LEVEL", default="") or "INFO"
# "json" (one object per line, for log shippers) or "text" (for a person at a terminal);
# json unless DEBUG is on, so the demo's commands stay readable.
LOG_FORMAT: str = env.str("LOG_FORMAT", default="") or ("text" if DEBUG else "json")
# The built-in sandbox platform (chat window, agent console, verify endpoint). On for the
# demo (DEBUG) and the tests; off in production unless an operator opts in.
SANDBOX_ENABLED: bool = env.bool("SANDBOX_ENABLED") if env.str("SANDBOX_ENABLED", "") else DEBUG
# Bearer token of the Prometheus endpoint ``/metrics`` (reports); unset: the endpoint is off.
REPORTS_METRICS_TOKEN: str = env.str("REPORTS_METRICS_TOKEN", default="").strip()
# Bearer token that unlocks ``/readyz``'s per-check detail for a remote caller (load balancer,
# monitoring); unset: only a direct loopback request (no proxy header) sees the detail.
READYZ_TOKEN: str = env.str("READYZ_TOKEN", default="").strip()

# Signing keys in an HSM (brands.keystores.pkcs11): the PKCS#11 module (a shared library
# path), the token's label and the user PIN. Unset module: no HSM; brands whose key store is
# "pkcs11" then cannot sign (503 keystore_unavailable). PKCS11_PIN_FILE (a file holding the
# PIN, e.g. a mounted secret) is read instead of PKCS11_PIN when set.
PKCS11_MODULE: str = env.str("PKCS11_MODULE", default="").strip()
PKCS11_TOKEN_LABEL: str = env.str("PKCS11_TOKEN_LABEL", default="").strip()
_pin_file = env.str("PKCS11_PIN_FILE", default="").strip()
PKCS11_PIN: str = (
    Path(_pin_file).read_text().strip() if _pin_file else env.str("PKCS11_PIN", default="")
)

if _DEVELOPMENT_VALUES and env.str("RUN_MAIN", default="") != "true":
    # One line per process (runserver's reloading child stays quiet): development only.
    print(
        f"Development mode (DEBUG=true): development values for "
        f"{', '.join(_DEVELOPMENT_VALUES)}; never run production like this.",
        file=sys.stderr,
    )
