import pytest

from sandbox.verifier import KeySet, StaticKeys, Verifier, reset_jwks_clients
from tests.sandbox import helpers
from tests.sandbox.jwks_server import JWKSServer


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


def messenger_setup(srv, *, algorithms=("RS256",)) -> dict:
    """The portal's public setup document for the test messenger ``acme-web``."""
    return {
        "messenger": "acme-web",
        "brand": "acme",
        "platform": "generic",
        "issuer": helpers.ISSUER,
        "audience": helpers.AUDIENCE,
        "jwks_uri": srv.url,
        "algorithms": list(algorithms),
        "token_type": "JWT",
        "token_lifetime": 300,
    }


@pytest.fixture
def stub_portal(jwks, settings):
    """The portal as the sandbox sees it: the messenger setup and the JWKS, on loopback."""
    with JWKSServer() as srv:
        srv.document = jwks
        srv.setup["acme-web"] = (200, messenger_setup(srv))
        settings.SANDBOX_PORTAL_URL = srv.base
        yield srv
