"""Shared fixtures: nouns built on the factories of ``tests/factories.py``.

Two settings of the test run only (never seen by a server, a command or ``check --deploy``,
which load ``config.settings`` as it is):

- passwords are hashed with MD5 (``FAST_PASSWORD_HASHERS``): every test user is a password
  hash, and the production PBKDF2 costs about 0.5 s each. A test about password checking
  itself asks for ``production_password_hasher``.
- under pytest-xdist, each worker's Redis keys carry its own prefix, and clearing the cache
  deletes that prefix only (``_redis_per_worker``): the workers share the Redis db of
  ``REDIS_URL`` and never see or flush each other's keys.
"""

import io
import json
import os
import threading

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from brands import keycache, keymaterial, keyset
from brands import services as brand_services
from brands.models import Messenger
from sandbox.verifier.jwks import reset_jwks_clients
from tests import factories

FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PRODUCTION_PASSWORD_HASHERS = list(django_settings.PASSWORD_HASHERS)


def _password_hashers(hashers: list[str]) -> None:
    django_settings.PASSWORD_HASHERS = hashers
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


def _redis_per_worker() -> None:
    """Under xdist, this worker's own key prefix, and ``clear()`` of that prefix only.

    Django's ``RedisCache.clear()`` is ``FLUSHDB``: one worker's ``_clear_cache`` would empty
    the throttles, sessions and key-set versions of a test running in the other. Subprocesses
    a test starts read ``CACHE_KEY_PREFIX`` and share the prefix."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    default = django_settings.CACHES["default"]
    if not worker or "redis" not in default["BACKEND"].lower():
        return
    import redis
    from django.utils.module_loading import import_string

    prefix = f"{default.get('KEY_PREFIX') or 'test'}-{worker}"
    default["KEY_PREFIX"] = os.environ["CACHE_KEY_PREFIX"] = prefix
    location = default["LOCATION"]

    def clear(self) -> None:
        client = redis.Redis.from_url(location)
        try:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    import_string(default["BACKEND"]).clear = clear


def pytest_configure(config):
    _password_hashers(FAST_PASSWORD_HASHERS)
    _redis_per_worker()


# Folders whose tests share something outside their worker process, so that under
# ``--dist loadgroup`` they all run on one worker: the PKCS#11 token that ``.ci/run`` names
# (one SoftHSM2 token for the whole run). The fault tests mark themselves (one deployment).
ONE_WORKER_FOLDERS = {"tests/hsm/": "hsm"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        for folder, group in ONE_WORKER_FOLDERS.items():
            if item.nodeid.startswith(folder):
                item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture
def production_password_hasher():
    """Passwords hashed as in production (PBKDF2), for a test of password checking itself."""
    _password_hashers(PRODUCTION_PASSWORD_HASHERS)
    yield
    _password_hashers(FAST_PASSWORD_HASHERS)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty shared cache and a platform that has fetched nothing."""
    cache.clear()
    keyset.forget_recent()
    reset_jwks_clients()
    yield
    cache.clear()
    keyset.forget_recent()
    reset_jwks_clients()


# RSA keys: the test run keeps the keys it generated, by size, for the next tests (generating
# one costs 0.1 s at 2048 bits and about 1 s at 3072, the default; tests/brands has its own).
_RSA_KEYS: dict[int, list] = {}
_RSA_KEYS_LOCK = threading.Lock()


@pytest.fixture(autouse=True)
def fast_rsa(monkeypatch):
    """RSA keys ``brands.keymaterial`` generates are taken from the run's keys of that size:
    within one test every key is a distinct key of the size asked for (a new one is generated
    when a test needs more than earlier tests did). Other algorithms are generated as usual.
    Yields the real generator."""
    original = keymaterial.generate_private_key
    taken: dict[int, int] = {}

    def generate(algorithm, key_size=None):
        size = keymaterial.generation_size(algorithm, key_size)  # refuses as the real one does
        if size is None:
            return original(algorithm, key_size)
        with _RSA_KEYS_LOCK:
            keys = _RSA_KEYS.setdefault(size, [])
            index = taken[size] = taken.get(size, -1) + 1
            if index == len(keys):
                keys.append(original(algorithm, size))
            return keys[index]

    monkeypatch.setattr(keymaterial, "generate_private_key", generate)
    keycache.clear()
    yield original
    keycache.clear()


@pytest.fixture
def tier(db):
    return factories.TierFactory(code="gold", name="Gold", rank=20)


@pytest.fixture
def brand(db):
    return factories.BrandFactory(slug="acme", name="Acme Bank")


@pytest.fixture
def customer(db, tier, brand):
    customer = factories.CustomerFactory(tier=tier)
    factories.MembershipFactory(customer=customer, brand=brand)
    return customer


@pytest.fixture
def totp_device(customer):
    return factories.TOTPDeviceFactory(user=customer.user)


def login_verified(client: Client, user, device) -> Client:
    """Log ``client`` in as ``user`` with ``device`` verified, as the MFA step does."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def verified_client(customer, totp_device):
    """A browser session of ``customer`` that passed password and TOTP."""
    return login_verified(Client(), customer.user, totp_device)


@pytest.fixture
def password_only_client(customer, totp_device):
    """A session of ``customer`` that passed the password step only."""
    client = Client()
    client.force_login(customer.user)
    return client


@pytest.fixture
def staff_user(db):
    return factories.UserFactory(
        username="staff", is_staff=True, is_superuser=True, first_name="Sam", last_name="Staff"
    )


@pytest.fixture
def staff_client(staff_user):
    """An admin session of a superuser with a verified TOTP device."""
    device = factories.TOTPDeviceFactory(user=staff_user)
    return login_verified(Client(), staff_user, device)


# --- brands: keys and messengers ---


def _active_key(brand):
    return brand_services.signing_key_generate(
        brand=brand, algorithm="RS256", key_size=2048, certificate=False, activate=True
    )


def _messenger(brand, slug, **extra) -> Messenger:
    return brand_services.messenger_create(brand=brand, slug=slug, platform="generic", **extra)


@pytest.fixture
def signing_key(brand):
    return _active_key(brand)


@pytest.fixture
def messenger(brand, signing_key):
    return _messenger(brand, "acme-web", attributes=["names", "tier", "vip", "balance"])


@pytest.fixture
def other_brand(db):
    brand = factories.BrandFactory(slug="globex", name="Globex Insurance")
    _active_key(brand)
    return brand


@pytest.fixture
def other_messenger(other_brand):
    return _messenger(other_brand, "globex-web")


@pytest.fixture
def messenger_without_key(brand):
    """A messenger of the customer's brand, which has no key yet."""
    return _messenger(brand, "acme-keyless")


# --- OpenID Connect (Genesys) ---

GENESYS_REDIRECT = "https://contact.acme.example/support"
# What a Genesys messenger must declare (its Messenger deployment), as the admin would copy it.
GENESYS_SETTINGS = {
    "deployment_id": "3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b",
    "environment": "prod-euw1",
    "domain": "mypurecloud.ie",
}


def genesys_client_create(brand, slug: str) -> tuple[Messenger, str]:
    """A Genesys messenger (an OpenID Connect client) of ``brand`` and its secret, shown once."""
    messenger = brand_services.messenger_create(
        brand=brand,
        slug=slug,
        platform="genesys",
        attributes=["names", "tier", "vip", "balance"],
        redirect_uris=[GENESYS_REDIRECT],
        vendor_settings=GENESYS_SETTINGS,
    )
    return messenger, brand_services.client_secret_rotate(messenger=messenger)


@pytest.fixture
def genesys_client(brand, signing_key):
    """A Genesys messenger of ``brand`` (an OIDC client) and its client secret, shown once."""
    return genesys_client_create(brand, "acme-genesys")


@pytest.fixture
def genesys_in_sandbox(settings, live_server, brand, signing_key) -> dict[str, str]:
    """``acme-genesys`` created by the command, its credentials entered into the sandbox's
    "Genesys console", and the portal at the live server. Returns what the command printed."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["*"]
    out = io.StringIO()
    call_command(
        "create_messenger",
        brand.slug,
        "acme-genesys",
        "--platform=genesys",
        f"--redirect-uri={GENESYS_REDIRECT}",
        "--attributes=names,tier,vip,balance",
        f"--vendor-settings={json.dumps(GENESYS_SETTINGS)}",
        stdout=out,
    )
    printed = dict(line.split("=", 1) for line in out.getvalue().splitlines() if "=" in line)
    call_command(
        "sandbox_credential",
        "acme-genesys",
        f"--client-id={printed['client_id']}",
        "--secret-stdin",
        stdin=io.StringIO(printed["client_secret"]),
        stdout=io.StringIO(),
    )
    return printed
