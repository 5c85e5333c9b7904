"""System checks: the key policy must be consistent (``manage.py check --deploy`` reports it)."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from brands import conf, encryption, keyset


@register(Tags.security)
def check_key_policy(app_configs=None, **kwargs):
    errors = []
    values: dict[str, timedelta] = {}
    for name in conf.DURATIONS:
        try:
            value = conf.get(name)
        except ImproperlyConfigured as exc:
            errors.append(Error(str(exc), id="brands.E001"))
            continue
        if value <= timedelta(0):
            errors.append(Error(f"BRANDS_{name} must be positive.", id="brands.E001"))
        values[name] = value
    if len(values) != len(conf.DURATIONS):
        return errors
    max_age, margin = values["JWKS_MAX_AGE"], values["PUBLICATION_MARGIN"]
    if values["PREPUBLICATION_PERIOD"] < max_age + margin:
        errors.append(
            Error(
                "BRANDS_PREPUBLICATION_PERIOD is shorter than BRANDS_JWKS_MAX_AGE + "
                "BRANDS_PUBLICATION_MARGIN: platforms could see tokens signed by a key "
                "missing from their cached JWKS.",
                hint=f"Set it to at least {max_age + margin}.",
                id="brands.E002",
            )
        )
    needed = values["MAX_TOKEN_LIFETIME"] + values["LEEWAY"] + max_age
    if values["RETENTION"] < needed:
        errors.append(
            Error(
                "BRANDS_RETENTION is shorter than BRANDS_MAX_TOKEN_LIFETIME + BRANDS_LEEWAY + "
                "BRANDS_JWKS_MAX_AGE: tokens signed just before a retirement would stop "
                "verifying while still valid.",
                hint=f"Set it to at least {needed}.",
                id="brands.E003",
            )
        )
    if values["LEEWAY"] > timedelta(seconds=300):
        errors.append(Error("BRANDS_LEEWAY must not exceed 300 seconds.", id="brands.E004"))
    if values["MAX_TOKEN_LIFETIME"] > timedelta(hours=1):
        errors.append(
            Warning(
                "BRANDS_MAX_TOKEN_LIFETIME is above 1 hour; messenger tokens are capped "
                "at 1 hour.",
                id="brands.W001",
            )
        )
    if values["ROTATION_PERIOD"] < values["PREPUBLICATION_PERIOD"]:
        errors.append(
            Error(
                "BRANDS_ROTATION_PERIOD must not be shorter than BRANDS_PREPUBLICATION_PERIOD "
                "(the next key is published when the current one activates).",
                id="brands.E005",
            )
        )
    if values["CERTIFICATE_VALIDITY"] < values["ROTATION_PERIOD"] + timedelta(days=10):
        errors.append(
            Warning(
                "BRANDS_CERTIFICATE_VALIDITY is shorter than a rotation period plus 10 days: "
                "Salesforce refuses certificates valid for less than 10 more days.",
                id="brands.W002",
            )
        )
    renewal_floor = timedelta(days=10) + max_age + margin
    if values["CERTIFICATE_RENEWAL"] < renewal_floor:
        errors.append(
            Error(
                "BRANDS_CERTIFICATE_RENEWAL is shorter than 10 days + BRANDS_JWKS_MAX_AGE + "
                "BRANDS_PUBLICATION_MARGIN: Salesforce could see a certificate with fewer than "
                "10 days left before the renewed one reaches it.",
                hint=f"Set it to at least {renewal_floor} (default 30 days).",
                id="brands.E007",
            )
        )
    if values["CERTIFICATE_RENEWAL"] >= values["CERTIFICATE_VALIDITY"]:
        errors.append(
            Error(
                "BRANDS_CERTIFICATE_RENEWAL must be shorter than BRANDS_CERTIFICATE_VALIDITY, "
                "or every rotation run renews every certificate.",
                id="brands.E008",
            )
        )
    if int(conf.get("RSA_KEY_SIZE")) not in conf.RSA_KEY_SIZES:
        errors.append(
            Error(f"BRANDS_RSA_KEY_SIZE must be one of {conf.RSA_KEY_SIZES}.", id="brands.E006")
        )
    return errors


@register(Tags.security)
def check_key_encryption_keys(app_configs=None, **kwargs):
    return [
        Error(problem, hint="Generate one with Fernet.generate_key().", id="brands.E010")
        for problem in encryption.validate_keys(getattr(settings, "KEY_ENCRYPTION_KEYS", None))
    ]


@register(Tags.security)
def check_hsm_configuration(app_configs=None, **kwargs):
    """The HSM settings (``brands.keystores.pkcs11``) hang together; nothing is loaded."""
    module = getattr(settings, "PKCS11_MODULE", "") or ""
    label = getattr(settings, "PKCS11_TOKEN_LABEL", "") or ""
    if not module and not label:
        return []
    problems = []
    if not module or not label:
        problems.append(
            Error(
                "PKCS11_MODULE and PKCS11_TOKEN_LABEL go together: brands whose keys are in "
                "the HSM cannot sign with only one of them.",
                id="brands.E030",
            )
        )
    elif not Path(module).is_file():
        problems.append(
            Warning(
                f"PKCS11_MODULE {module} does not exist on this server: brands whose keys "
                "are in the HSM answer 503 keystore_unavailable here.",
                hint="Install the HSM vendor's client (docs/deployment.md, section 9).",
                id="brands.W030",
            )
        )
    if not getattr(settings, "PKCS11_PIN_SECRET", ""):
        problems.append(
            Warning(
                "PKCS11_PIN (or PKCS11_PIN_FILE) is empty: the token will refuse the login "
                "unless its module authenticates otherwise.",
                id="brands.W031",
            )
        )
    return problems


@register(Tags.caches, deploy=True)
def check_shared_state(app_configs=None, **kwargs):
    """Outside DEBUG, throttles and one-time marks need a cache every process shares.

    A deployment check (``check --deploy``), also enforced when ``config.wsgi`` loads, so a
    gunicorn server refuses to start; one-off ``manage.py`` commands still run."""
    if settings.DEBUG or not keyset.cache_is_process_local():
        return []
    return [
        Error(
            "The cache is process-local (REDIS_URL is empty) while DEBUG is off: login "
            "throttles, one-time codes and replay marks would not be shared between "
            "server processes, so each worker would allow its own full quota.",
            hint="Set REDIS_URL (e.g. redis://127.0.0.1:6379/0).",
            id="brands.E020",
        )
    ]


def startup_errors() -> list[str]:
    """The errors ``config.wsgi`` refuses to start with (gunicorn runs no system checks)."""
    return [f"{e.id}: {e.msg}" for e in check_shared_state() if e.is_serious()]
