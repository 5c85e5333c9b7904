"""``/healthz`` is pure liveness; ``/readyz`` checks the database, the cache and a usable key
for every active brand, and names what failed (issue 12, point 5)."""

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
