"""Django settings. Values that vary by deployment come from ``config.env`` only."""

import os
import tempfile

import platforms
from config import env as E

BASE_DIR = E.BASE_DIR
DEBUG = E.DEBUG
SECRET_KEY = E.SECRET_KEY
ALLOWED_HOSTS = E.ALLOWED_HOSTS
PUBLIC_BASE_URL = E.PUBLIC_BASE_URL
KEY_ENCRYPTION_KEYS = E.KEY_ENCRYPTION_KEYS
PKCS11_MODULE = E.PKCS11_MODULE
PKCS11_TOKEN_LABEL = E.PKCS11_TOKEN_LABEL
# "SECRET" in the name: Django's error reports (SafeExceptionReporterFilter) mask the value.
PKCS11_PIN_SECRET = E.PKCS11_PIN

INSTALLED_APPS = [
    "config.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "accounts.apps.AuthenticatorAppsConfig",  # django_otp.plugins.otp_totp
    "accounts.apps.BackupCodesConfig",  # django_otp.plugins.otp_static
    "django_otp_webauthn",
    "accounts",
    "brands",
    "messaging",
    "sandbox",
    "reports",
]

MIDDLEWARE = [
    # X-Request-ID in and out, and on every log line (config.request_id)
    "config.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # API paths: body cap (413) and JSON errors for unexpected failures (config.api_guard)
    "config.api_guard.ApiGuardMiddleware",
    # a NUL in the path, query, headers, cookies or body: a clear 400 (config.text_guard)
    "config.text_guard.InvalidTextMiddleware",
    # pages: 503 instead of 500 while PostgreSQL or Redis is unreachable (config.outage)
    "config.outage.OutageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's middleware, its device read compiled once (accounts.auth)
    "accounts.auth.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    # DEBUG: the plain 404.html instead of Django's URL list (config.error_pages); last, so
    # the policy and the other headers above apply to the page it renders
    "config.error_pages.PlainNotFoundMiddleware",
]

# Django's ModelBackend with the per-request user read compiled once (accounts.auth)
AUTHENTICATION_BACKENDS = ["accounts.auth.ModelBackend"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if E.DATABASE_URL:
    DATABASES = {"default": E.env.db_url_config(E.DATABASE_URL)}
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    if E.DATABASE_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Server-side binding, and psycopg prepares a statement at its 2nd use on a
        # connection: the token API's lookups and audit INSERT are planned once per
        # connection instead of per request (docs/benchmarks.md).
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=2
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": E.SQLITE_PATH,
            # The threaded dev server and the browser tests' live server write from several
            # threads: WAL lets readers go on beside a writer, and IMMEDIATE transactions wait
            # for the write lock (up to the timeout) instead of failing on a lock upgrade.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Tests on a file too: the in-memory shared-cache database has table locks that
            # fail at once ("database table is locked") when the live server's thread and
            # the test's overlap. One file per test process.
            "TEST": {"NAME": os.path.join(tempfile.gettempdir(), f"portal-test-{os.getpid()}.db")},
        }
    }
    # The events' covering index (INCLUDE columns) is a PostgreSQL optimisation; SQLite
    # ignores the extra columns, which needs no warning on every command of the demo.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

if E.REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": E.REDIS_URL,
            "KEY_PREFIX": E.CACHE_KEY_PREFIX,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal",
            "KEY_PREFIX": E.CACHE_KEY_PREFIX,
        }
    }

# Sessions: with Redis, read from the cache and written through to the database
# ("cached_db"): no database read per request, and a Redis restart logs nobody out. Django's
# cached_db falls back to the database when the cache cannot be read.
if E.REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Each platform package's browser adapter, served as messaging/adapters/<name>/adapter.js
STATICFILES_DIRS = [BASE_DIR / "static", *platforms.static_dirs()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names once `collectstatic` has run (production images);
        # plain names straight from the app folders otherwise (first run, tests).
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if (STATIC_ROOT / "staticfiles.json").is_file()
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Tests and first runs serve straight from the finders; production runs collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# --- HTTP security (check --deploy clean when PUBLIC_BASE_URL is https) ---
SECURE_SSL_REDIRECT = E.SECURE_SSL_REDIRECT
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if E.HTTPS else None
SECURE_HSTS_SECONDS = E.HSTS_SECONDS
SECURE_HSTS_INCLUDE_SUBDOMAINS = E.HTTPS
SECURE_HSTS_PRELOAD = E.HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = E.HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
CSRF_COOKIE_SECURE = E.HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = [PUBLIC_BASE_URL]
X_FRAME_OPTIONS = "DENY"
# Baseline policy; views add the vendor widget origins a messenger needs
# (see config.security.csp_allow).
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}
TRUSTED_PROXY_COUNT = E.TRUSTED_PROXY_COUNT
REPORTS_METRICS_TOKEN = E.REPORTS_METRICS_TOKEN
READYZ_TOKEN = E.READYZ_TOKEN
SANDBOX_ENABLED = E.SANDBOX_ENABLED

# --- django-otp ---
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_TOTP_ISSUER = "Verified Chat Portal"
# --- passkeys (django-otp-webauthn; accounts/passkeys.py). Production: RP id = the portal's
# domain, origin = PUBLIC_BASE_URL (config/env.py derives both; WEBAUTHN_RP_ID and
# WEBAUTHN_ORIGINS override). Passkeys are a second factor only, never passwordless. ---
OTP_WEBAUTHN_RP_ID = E.WEBAUTHN_RP_ID
OTP_WEBAUTHN_RP_NAME = "Verified Chat Portal"
OTP_WEBAUTHN_ALLOWED_ORIGINS = E.WEBAUTHN_ORIGINS
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "accounts.passkeys.PasskeyHelper"
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "accounts.passkeys"

# --- Django REST framework ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api_guard.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Verified chat identity portal API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["config.schema.portal_endpoints_only"],
}

# One JSON object per line on stderr, each with the request id (config.logs, config.request_id).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "text" if E.LOG_FORMAT == "text" else "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": E.LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Authlib logs every issued access and refresh token at DEBUG ("Issue token {...}"):
        # never below INFO, whatever LOG_LEVEL says, so tokens cannot reach the logs.
        "authlib": {"level": "INFO"},
        # Django's own handlers would print these a second time, in plain text
        "django": {"handlers": ["console"], "level": E.LOG_LEVEL, "propagate": False},
    },
}
