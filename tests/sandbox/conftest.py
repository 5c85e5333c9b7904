import pytest

from sandbox.verifier import KeySet, StaticKeys, Verifier, reset_jwks_clients
from tests.sandbox import helpers


@pytest.fixture(scope="session")
def rsa_key():
    return helpers.new_rsa()


@pytest.fixture(scope="session")
def ec_key():
    return helpers.new_ec()


@pytest.fixture(scope="session")
def ed_key():
    return helpers.new_ed()


@pytest.fixture(scope="session")
def attacker_key():
    return helpers.new_rsa(kid="rsa-1")  # same kid as ours, different material


@pytest.fixture(scope="session")
def jwks(rsa_key, ec_key, ed_key):
    return {"keys": [k.public_jwk() for k in (rsa_key, ec_key, ed_key)]}


@pytest.fixture
def make_verifier(jwks):
    def factory(**options):
        options.setdefault("issuer", helpers.ISSUER)
        options.setdefault("audience", helpers.AUDIENCE)
        options.setdefault("keys", StaticKeys(KeySet.from_jwks(jwks)))
        return Verifier(**options)

    return factory


@pytest.fixture
def verifier(make_verifier):
    return make_verifier()


@pytest.fixture(autouse=True)
def _fresh_jwks_clients():
    reset_jwks_clients()
    yield
    reset_jwks_clients()
