"""``/healthz`` is pure liveness; ``/readyz`` checks the database, the cache and a usable key
for every active brand, and names what failed (docs/decisions/readiness.md)."""

import pytest
from django.core.cache import cache

from tests import factories


def test_healthz_answers_without_touching_the_database(client):
    # no django_db mark: any database access would raise
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_when_every_active_brand_has_a_usable_key(client, signing_key):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "signing_keys": "ok"},
    }
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_readyz_names_the_brand_without_a_usable_key(client, signing_key):
    factories.BrandFactory(slug="keyless", name="Keyless Bank")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "not_ready"
    assert body["failed"] == ["signing_keys"]
    assert "keyless" in body["checks"]["signing_keys"]
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_ignores_inactive_brands(client, signing_key):
    factories.BrandFactory(slug="closed", name="Closed Bank", is_active=False)
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_names_the_cache_when_it_fails(client, signing_key, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
    assert response.json()["checks"]["cache"] == "failed: ConnectionError"


@pytest.mark.django_db
def test_readyz_names_a_key_that_no_longer_decrypts(client, signing_key):
    from brands import keycache

    keycache.clear()
    signing_key.private_key_ciphertext = "gAAAAA-not-a-token"
    signing_key.save()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["signing_keys"]
    assert "acme" in response.json()["checks"]["signing_keys"]


# --- the attack trial: /readyz named a brand with a broken key to anyone ---------------------

PUBLIC = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "caller",
    [
        PUBLIC,
        # relayed by the reverse proxy on the same host: loopback, but not a direct probe
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
        {"REMOTE_ADDR": "::1", "HTTP_FORWARDED": "for=203.0.113.9"},
        {**PUBLIC, "HTTP_AUTHORIZATION": "Bearer wrong-token"},
    ],
)
def test_readyz_tells_a_remote_caller_only_the_bare_status(client, signing_key, settings, caller):
    settings.READYZ_TOKEN = "probe-token-0123456789"
    factories.BrandFactory(slug="broken-bank", name="Broken Bank")
    response = client.get("/readyz", **caller)
    assert response.status_code == 503
    assert response.json() == {"error": "not_ready", "detail": "Not ready."}
    assert b"broken-bank" not in response.content


@pytest.mark.django_db
def test_readyz_when_ready_tells_a_remote_caller_no_checks(client, signing_key):
    assert client.get("/readyz", **PUBLIC).json() == {"status": "ready"}


@pytest.mark.django_db
def test_readyz_detail_for_the_bearer_token_and_a_direct_loopback_probe(
    client, signing_key, settings
):
    settings.READYZ_TOKEN = "probe-token-0123456789"
    factories.BrandFactory(slug="broken-bank", name="Broken Bank")
    for caller in (
        {**PUBLIC, "HTTP_AUTHORIZATION": "Bearer probe-token-0123456789"},
        {"REMOTE_ADDR": "127.0.0.1"},
    ):
        body = client.get("/readyz", **caller).json()
        assert body["failed"] == ["signing_keys"] and "broken-bank" in str(body["checks"])
