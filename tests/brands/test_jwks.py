"""JWKS and discovery: content field by field, headers, ETag and 304, invalidation."""

import base64
import json

import pytest
from cryptography import x509
from django.test import Client
from django.urls import reverse

from brands import keymaterial, services
from brands.models import SigningKey

pytestmark = pytest.mark.django_db

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}
JWKS = reverse("brands:jwks")


def brand_jwks(slug: str) -> str:
    return reverse("brands:brand-jwks", args=[slug])


def discovery(slug: str) -> str:
    return reverse("brands:brand-openid-configuration", args=[slug])


def _keys(response) -> list[dict]:
    assert response.status_code == 200
    return json.loads(response.content)["keys"]


def test_urls_are_the_public_contract():
    assert JWKS == "/.well-known/jwks.json"
    assert brand_jwks("acme") == "/brands/acme/.well-known/jwks.json"
    assert discovery("acme") == "/brands/acme/.well-known/openid-configuration"


def test_an_rsa_key_is_published_with_public_members_only(client, brand):
    key = services.signing_key_generate(brand=brand)
    private = key  # the pool key behind it
    [entry] = _keys(client.get(brand_jwks("acme")))
    assert entry["kty"] == "RSA"
    assert entry["kid"] == key.kid
    assert entry["alg"] == "RS256"
    assert entry["use"] == "sig"
    assert entry["e"] == "AQAB"
    n = int.from_bytes(base64.urlsafe_b64decode(entry["n"] + "=" * (-len(entry["n"]) % 4)))
    assert n.bit_length() == private.key_size == 2048
    assert entry["kid"] == keymaterial.jwk_thumbprint(entry)
    assert set(entry) == {"kty", "kid", "alg", "use", "n", "e", "x5c", "x5t#S256"}
    assert not PRIVATE_MEMBERS & set(entry)


def test_x5c_is_a_self_signed_certificate_of_the_same_public_key(client, brand):
    services.signing_key_generate(brand=brand)
    [entry] = _keys(client.get(brand_jwks("acme")))
    cert = x509.load_der_x509_certificate(base64.b64decode(entry["x5c"][0]))
    numbers = cert.public_key().public_numbers()
    assert keymaterial._int_b64(numbers.n) == entry["n"]
    assert cert.issuer == cert.subject
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days >= 10
    digest = keymaterial.b64url(cert.fingerprint(cert.signature_hash_algorithm))
    assert entry["x5t#S256"] == digest


def test_a_key_without_certificate_has_no_x5c(client, brand):
    services.signing_key_generate(brand=brand, certificate=False)
    [entry] = _keys(client.get(brand_jwks("acme")))
    assert "x5c" not in entry and "x5t#S256" not in entry


def test_ec_and_okp_keys_are_published_with_their_members(client, brand):
    services.signing_key_generate(brand=brand, algorithm="ES256")
    services.signing_key_generate(brand=brand, algorithm="EdDSA")
    entries = {e["alg"]: e for e in _keys(client.get(brand_jwks("acme")))}
    es, ed = entries["ES256"], entries["EdDSA"]
    assert (es["kty"], es["crv"]) == ("EC", "P-256")
    assert len(base64.urlsafe_b64decode(es["x"] + "=")) == 32
    assert len(base64.urlsafe_b64decode(es["y"] + "=")) == 32
    assert (ed["kty"], ed["crv"]) == ("OKP", "Ed25519")
    assert "y" not in ed
    for entry in (es, ed):
        assert entry["use"] == "sig" and not PRIVATE_MEMBERS & set(entry)


def test_pending_active_and_retired_keys_are_published_revoked_and_hs256_are_not(client, brand):
    retired = services.signing_key_generate(brand=brand, activate=True)
    active = services.signing_key_generate(brand=brand)
    services.signing_key_activate(key=active, force=True)
    pending = services.signing_key_generate(brand=brand)
    revoked = services.signing_key_generate(brand=brand)
    services.signing_key_revoke(key=revoked)
    secret = services.signing_key_generate(brand=brand, algorithm="HS256", activate=True)
    kids = [e["kid"] for e in _keys(client.get(brand_jwks("acme")))]
    assert sorted(kids) == sorted([retired.kid, active.kid, pending.kid])
    assert revoked.kid not in kids and secret.kid not in kids
    body = client.get(JWKS).content.decode()
    assert secret.kid not in body and revoked.kid not in body


def test_no_key_in_any_state_leaks_a_private_member(client, brand):
    for algorithm in ("RS256", "PS256", "ES256", "EdDSA", "HS256"):
        key = services.signing_key_generate(brand=brand, algorithm=algorithm, activate=True)
        services.signing_key_generate(brand=brand, algorithm=algorithm)
        services.signing_key_retire(key=key)
    for entry in _keys(client.get(JWKS)):
        assert not PRIVATE_MEMBERS & set(entry), entry
        assert entry["alg"] != "HS256" and entry["kty"] != "oct"


def test_the_global_jwks_has_every_active_brand(client, brand, keyless_brand):
    a = services.signing_key_generate(brand=brand)
    b = services.signing_key_generate(brand=keyless_brand)
    assert {e["kid"] for e in _keys(client.get(JWKS))} == {a.kid, b.kid}
    assert [e["kid"] for e in _keys(client.get(brand_jwks("globex")))] == [b.kid]


def test_an_inactive_brand_publishes_nothing(client, brand, keyless_brand):
    services.signing_key_generate(brand=brand)
    kept = services.signing_key_generate(brand=keyless_brand)
    brand.is_active = False
    brand.save()
    assert [e["kid"] for e in _keys(client.get(JWKS))] == [kept.kid]
    response = client.get(brand_jwks("acme"))
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_brand"


def test_an_empty_brand_publishes_an_empty_set(client, brand):
    assert _keys(client.get(brand_jwks("acme"))) == []


def test_headers_content_type_cache_control_etag_and_cors(client, brand):
    services.signing_key_generate(brand=brand)
    response = client.get(brand_jwks("acme"))
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert "Set-Cookie" not in response


def test_if_none_match_answers_304_without_a_body(client, brand):
    services.signing_key_generate(brand=brand)
    etag = client.get(brand_jwks("acme"))["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get(brand_jwks("acme"), HTTP_IF_NONE_MATCH=header)
        assert response.status_code == 304, header
        assert response.content == b""
        assert response["ETag"] == etag
        assert response["Cache-Control"] == "public, max-age=300"
    assert client.get(brand_jwks("acme"), HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_the_etag_changes_with_the_key_set_and_only_then(client, brand):
    first = client.get(JWKS)["ETag"]
    assert client.get(JWKS)["ETag"] == first
    key = services.signing_key_generate(brand=brand)
    second = client.get(JWKS)
    assert second["ETag"] != first and key.kid in second.content.decode()
    services.signing_key_revoke(key=key)
    third = client.get(JWKS)
    assert key.kid not in third.content.decode()
    assert third["ETag"] == first  # same document, same strong validator


def test_max_age_follows_the_setting(client, brand, settings):
    from datetime import timedelta

    settings.BRANDS_JWKS_MAX_AGE = timedelta(seconds=120)
    assert client.get(JWKS)["Cache-Control"] == "public, max-age=120"


def test_head_and_options_are_answered(client, brand):
    head = client.head(JWKS)
    assert head.status_code == 200 and head["ETag"]
    options = client.options(JWKS)
    assert options.status_code == 204
    assert options["Access-Control-Allow-Origin"] == "*"


def test_writes_are_refused_with_json_405(client, brand):
    response = Client(enforce_csrf_checks=True).post(JWKS)
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert "GET" in response["Allow"]


@pytest.mark.parametrize("slug", ["nobody", "a" * 300, "ACME%20X", "..", "acme'--"])
def test_an_unknown_brand_is_a_json_404(client, brand, slug):
    for url in (
        f"/brands/{slug}/.well-known/jwks.json",
        f"/brands/{slug}/.well-known/openid-configuration",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"] == "unknown_brand"


def test_an_unexpected_failure_is_a_json_503_not_a_500(client, brand, monkeypatch):
    from brands import selectors

    def broken(**kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(selectors, "jwks_document", broken)
    response = client.get(JWKS)
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert "database" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_document_is_served_from_memory_until_the_key_set_changes(client, brand):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from brands import keyset

    services.signing_key_generate(brand=brand)
    client.get(brand_jwks("acme"))
    client.get(JWKS)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(brand_jwks("acme")).status_code == 200
        assert client.get(JWKS).status_code == 200
    # no key is read; without Redis each request reads only the one-row key-set version
    expected = ["brands_keysetversion"] * 2 if keyset.cache_is_process_local() else []
    assert [
        "brands_keysetversion" if "brands_keysetversion" in q["sql"] else q["sql"]
        for q in queries.captured_queries
    ] == expected


def test_discovery_publishes_issuer_and_jwks_uri(client, brand):
    services.signing_key_generate(brand=brand, activate=True)
    services.signing_key_generate(brand=brand, algorithm="ES256", activate=True)
    response = client.get(discovery("acme"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert {
        k: body[k] for k in ("issuer", "jwks_uri", "id_token_signing_alg_values_supported")
    } == {
        "issuer": "http://testserver/brands/acme",
        "jwks_uri": "http://testserver/brands/acme/.well-known/jwks.json",
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
    }
    assert body["subject_types_supported"] == ["public"]
    # the OpenID Connect endpoints come from the messaging app (tests/messaging/test_oidc_*.py)
    assert body["token_endpoint"] == "http://testserver/brands/acme/oidc/token"


def test_discovery_uses_a_configured_issuer(client, db):
    services.brand_create(slug="custom", name="Custom", issuer="https://id.custom.example")
    body = client.get(discovery("custom")).json()
    assert body["issuer"] == "https://id.custom.example"
    assert body["id_token_signing_alg_values_supported"] == ["RS256"]


def test_a_cached_document_is_dropped_when_another_process_bumps_the_version(client, brand):
    """Every process reads the version from the shared store: a bump elsewhere is seen here."""
    from brands import keyset

    before = client.get(JWKS)["ETag"]
    key = services.signing_key_generate(brand=brand)
    # simulate: the write happened in another process and only the shared version moved
    keyset.store().set("from-another-process")
    after = client.get(JWKS)
    assert after["ETag"] != before and key.kid in after.content.decode()
    assert SigningKey.objects.count() == 1


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA"])
def test_tokens_verify_from_the_published_document_alone(client, brand, algorithm):
    """A platform knows only the JWKS URL: PyJWT and jwcrypto both accept the document and
    verify a token signed with the cached key."""
    import jwt
    from jwcrypto import jwk as jwcrypto_jwk
    from jwcrypto import jwt as jwcrypto_jwt

    from brands import keycache

    services.signing_key_generate(brand=brand, algorithm=algorithm, activate=True)
    loaded = keycache.signing_key(brand=brand, algorithm=algorithm)
    token = jwt.encode(
        {"sub": "c1", "aud": "web"}, loaded.key, algorithm=algorithm, headers={"kid": loaded.kid}
    )
    body = client.get(brand_jwks("acme")).content
    pyjwt_key = jwt.PyJWKSet.from_json(body.decode())[loaded.kid]
    claims = jwt.decode(
        token, pyjwt_key.key, algorithms=[pyjwt_key.algorithm_name], audience="web"
    )
    assert claims["sub"] == "c1"
    keyset = jwcrypto_jwk.JWKSet.from_json(body)
    verified = jwcrypto_jwt.JWT(jwt=token, key=keyset, algs=[algorithm], expected_type="JWS")
    assert json.loads(verified.claims)["sub"] == "c1"


@pytest.mark.django_db(transaction=True)  # committed keys: the copy is kept per version
def test_a_jwks_copy_due_for_its_re_read_is_served_while_the_database_is_unreachable(
    client, signing_key, monkeypatch
):
    # given this process served the brand's JWKS (its copy is kept per key-set version)
    from django.db import OperationalError

    from brands import keyset, selectors

    url = f"/brands/{signing_key.brand.slug}/.well-known/jwks.json"
    served = client.get(url)
    assert served.status_code == 200
    # when the copy is due for its periodic re-read and the database does not answer
    later = keyset.MAX_STALENESS_SECONDS + 1
    real_monotonic = selectors.time.monotonic
    monkeypatch.setattr(selectors.time, "monotonic", lambda: real_monotonic() + later)

    def unreachable(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "published_keys", unreachable)
    # then the same document is served (stale-if-error), not a 503
    again = client.get(url)
    assert again.status_code == 200
    assert again.content == served.content
