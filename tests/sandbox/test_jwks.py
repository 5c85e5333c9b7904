"""JWKS client behaviour against a loopback http.server (docs/security.md item 14)."""

import secrets
import threading

import pytest

from sandbox.fetch import check_url, is_loopback_host
from sandbox.verifier import JWKSClient, Verifier
from sandbox.verifier.jwks import parse_max_age
from tests.sandbox import helpers
from tests.sandbox.helpers import mint
from tests.sandbox.jwks_server import JWKSServer


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def server(jwks):
    with JWKSServer() as srv:
        srv.document = jwks
        yield srv


@pytest.fixture
def clock():
    return Clock()


def _client(server, clock, **options):
    options.setdefault("cooldown", 30)
    return JWKSClient(server.url, clock=clock, **options)


def _verifier(client):
    return Verifier(issuer=helpers.ISSUER, audience=helpers.AUDIENCE, keys=client)


def test_fetches_once_and_caches(server, clock, rsa_key):
    v = _verifier(_client(server, clock))
    for _ in range(5):
        assert v.verify(mint(rsa_key)).valid
    assert server.count() == 1


def test_1000_random_unknown_kids_cause_at_most_one_fetch_per_cooldown(server, clock, rsa_key):
    client = _client(server, clock)
    v = _verifier(client)
    assert v.verify(mint(rsa_key)).valid  # first fetch
    clock.now += 31  # cooldown over: one refetch allowed
    for _ in range(1000):
        kid = secrets.token_hex(8)
        assert v.verify(mint(rsa_key, kid=kid)).reason == "unknown_key"
    assert server.count() == 2
    clock.now += 31
    for _ in range(1000):
        v.verify(mint(rsa_key, kid=secrets.token_hex(8)))
    assert server.count() == 3


def test_concurrent_unknown_kids_share_one_fetch(server, clock, rsa_key):
    client = _client(server, clock)
    v = _verifier(client)
    assert v.verify(mint(rsa_key)).valid
    clock.now += 31
    tokens = [mint(rsa_key, kid=secrets.token_hex(8)) for _ in range(40)]
    barrier = threading.Barrier(len(tokens))
    reasons = []

    def run(token):
        barrier.wait()
        reasons.append(v.verify(token).reason)

    threads = [threading.Thread(target=run, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert reasons == ["unknown_key"] * len(tokens)
    assert server.count() == 2


def test_unknown_kid_refetch_finds_a_newly_published_key(server, clock, rsa_key, jwks):
    client = _client(server, clock)
    v = _verifier(client)
    assert v.verify(mint(rsa_key)).valid
    new = helpers.new_ec(kid="ec-new")
    server.document = {"keys": [*jwks["keys"], new.public_jwk()]}
    assert v.verify(mint(new)).reason == "unknown_key"  # inside the cooldown
    clock.now += 31
    assert v.verify(mint(new)).valid


def test_failing_fetch_keeps_the_last_good_set(server, clock, rsa_key):
    client = _client(server, clock)
    v = _verifier(client)
    assert v.verify(mint(rsa_key)).valid
    server.status = 500
    clock.now += 301  # cache expired: refetch fails
    assert v.verify(mint(rsa_key)).valid
    assert server.count() == 2
    server.document = b"not json"
    server.status = 200
    clock.now += 31
    assert v.verify(mint(rsa_key)).valid
    server.document = {"keys": [rsa_key.public_jwk(), rsa_key.public_jwk()]}  # duplicate kid
    clock.now += 31
    assert v.verify(mint(rsa_key)).valid
    assert server.count() == 4


def test_no_set_at_all_is_jwks_unavailable(server, clock, rsa_key):
    server.status = 500
    client = _client(server, clock)
    v = _verifier(client)
    assert v.verify(mint(rsa_key)).reason == "jwks_unavailable"
    assert v.verify(mint(rsa_key)).reason == "jwks_unavailable"
    assert server.count() == 1  # failures are rate-limited too
    server.status = 200
    clock.now += 31
    assert v.verify(mint(rsa_key)).valid


def test_redirect_is_refused(server, clock, rsa_key):
    client = JWKSClient(f"{server.base}/redirect", clock=clock)
    assert _verifier(client).verify(mint(rsa_key)).reason == "jwks_unavailable"
    assert server.count("/redirect") == 1
    assert server.count("/jwks") == 0


def test_response_size_cap(server, clock, rsa_key):
    client = _client(server, clock, max_bytes=200)
    assert _verifier(client).verify(mint(rsa_key)).reason == "jwks_unavailable"


def test_wrong_content_type_is_refused(server, clock, rsa_key):
    server.content_type = "text/html"
    assert _verifier(_client(server, clock)).verify(mint(rsa_key)).reason == "jwks_unavailable"


def test_duplicate_kid_refuses_the_set(server, clock, rsa_key, ec_key):
    other = {**ec_key.public_jwk(), "kid": "rsa-1"}
    server.document = {"keys": [rsa_key.public_jwk(), other]}
    assert _verifier(_client(server, clock)).verify(mint(rsa_key)).reason == "jwks_unavailable"


def test_enc_keys_in_the_set_are_ignored(server, clock, rsa_key):
    server.document = {"keys": [{**rsa_key.public_jwk(), "use": "enc"}]}
    assert _verifier(_client(server, clock)).verify(mint(rsa_key)).reason == "unknown_key"


def test_cache_control_max_age_is_honoured_within_bounds(server, clock, rsa_key):
    server.cache_control = "public, max-age=100"
    v = _verifier(_client(server, clock, min_ttl=60, max_ttl=3600))
    v.verify(mint(rsa_key))
    clock.now += 99
    v.verify(mint(rsa_key))
    assert server.count() == 1
    clock.now += 2
    v.verify(mint(rsa_key))
    assert server.count() == 2


def test_etag_revalidation(server, clock, rsa_key):
    server.etag = '"v1"'
    v = _verifier(_client(server, clock))
    v.verify(mint(rsa_key))
    clock.now += 301
    assert v.verify(mint(rsa_key)).valid
    assert server.requests[-1][1].get("If-None-Match") == '"v1"'
    assert server.count() == 2


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (None, 300),
        (["public, max-age=600"], 600),
        (["max-age=5"], 60),
        (["max-age=99999999"], 86400),
        (["no-store"], 60),
        (["max-age=10, max-age=20"], 300),
        (["max-age=abc"], 300),
        (["public", "max-age=120"], 120),
    ],
)
def test_parse_max_age(values, expected):
    assert parse_max_age(values, default=300, lo=60, hi=86400) == expected


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback_host(host) is loopback


def test_https_only_outside_loopback_and_debug(settings):
    settings.DEBUG = False
    check_url("https://portal.example/jwks")
    check_url("http://127.0.0.1:8000/jwks")
    check_url("http://localhost/jwks")
    for bad in (
        "http://portal.example/jwks",
        "ftp://x/jwks",
        "file:///etc/passwd",
        "https://user:pw@portal.example/",
        "https:///nohost",
    ):
        with pytest.raises(ValueError):
            check_url(bad)
    settings.DEBUG = True
    check_url("http://portal.example/jwks")


def test_plain_http_to_a_remote_host_is_unavailable(settings, rsa_key):
    settings.DEBUG = False
    v = Verifier(
        issuer=helpers.ISSUER, audience=helpers.AUDIENCE, jwks_url="http://portal.example/jwks"
    )
    assert v.verify(mint(rsa_key)).reason == "jwks_unavailable"


def test_verifier_with_jwks_url_shares_the_process_client(server, rsa_key):
    for _ in range(3):
        v = Verifier(issuer=helpers.ISSUER, audience=helpers.AUDIENCE, jwks_url=server.url)
        assert v.verify(mint(rsa_key)).valid
    assert server.count() == 1


def test_settings_apply_to_live_clients_and_changes_reset_the_cache(server, settings, rsa_key):
    from sandbox.verifier import get_jwks_client

    settings.SANDBOX_JWKS_COOLDOWN = 0
    client = get_jwks_client(server.url)
    assert client.cooldown == 0
    settings.SANDBOX_JWKS_COOLDOWN = 7
    assert get_jwks_client(server.url) is not client  # the change dropped cached clients
    assert get_jwks_client(server.url).cooldown == 7
