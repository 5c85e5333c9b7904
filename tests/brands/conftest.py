"""Fixtures of the brands tests. RSA generation is slow (about 50 ms for 2048 bits and
several hundred for 3072), so RSA keys come from a pool generated once per session."""

import itertools

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from brands import keycache, keymaterial, services

POOL_SIZE = 10


@pytest.fixture(scope="session")
def rsa_pool() -> list[rsa.RSAPrivateKey]:
    return [
        rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(POOL_SIZE)
    ]


@pytest.fixture(autouse=True)
def fast_rsa(monkeypatch, rsa_pool):
    """Generated RSA keys are distinct 2048-bit keys from the pool (fresh order per test)."""
    original = keymaterial.generate_private_key
    pool = itertools.cycle(rsa_pool)

    def generate(algorithm, key_size=None):
        if algorithm in ("RS256", "PS256") and key_size in (None, 2048, 3072):
            return next(pool)
        return original(algorithm, key_size)

    monkeypatch.setattr(keymaterial, "generate_private_key", generate)
    keycache.clear()
    yield original
    keycache.clear()


@pytest.fixture
def real_keygen(monkeypatch, fast_rsa):
    monkeypatch.setattr(keymaterial, "generate_private_key", fast_rsa)


@pytest.fixture
def active_key(brand):
    return services.signing_key_generate(brand=brand, activate=True)


@pytest.fixture
def keyless_brand(db):
    """A second brand with no key yet (the root ``other_brand`` has an active key)."""
    return services.brand_create(slug="globex", name="Globex Bank")
