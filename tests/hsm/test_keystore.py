"""The HSM key store against a real PKCS#11 token (SoftHSM2): keys are generated in the token,
cannot leave it, publish their public half, and follow the same life cycle as database keys;
purging destroys them in the token.

PKCS#11 attributes: OASIS PKCS#11 Base Specification v3.1, section 4.9 (private key objects:
CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE) and 4.4
(CKA_LOCAL: generated on the token),
https://docs.oasis-open.org/pkcs11/pkcs11-spec/v3.1/os/pkcs11-spec-v3.1-os.html
"""

import base64
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command
from django.test import Client
from jwcrypto import jwk

from brands import conf, keycache, services
from brands.errors import (
    InvalidKeyMaterial,
    InvalidTransition,
    KeystoreUnavailable,
    NoSigningKey,
)
from brands.keystores import pkcs11
from brands.models import SigningKey

pytestmark = pytest.mark.django_db
State = SigningKey.State
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _jwks(brand) -> dict:
    return json.loads(Client().get(f"/brands/{brand.slug}/.well-known/jwks.json").content)


def test_an_rs256_3072_key_is_generated_in_the_token_and_cannot_leave_it(hsm_brand, settings):
    settings.BRANDS_RSA_KEY_SIZE = 3072  # the default size, as staff get it

    key = services.signing_key_generate(brand=hsm_brand, algorithm="RS256")

    assert key.store == "pkcs11" and key.key_size == 3072
    assert key.private_key_ciphertext == ""  # nothing of the private key in the database
    assert len(key.store_handle) == 32 and pkcs11.objects(handle=key.store_handle) == 2
    assert pkcs11.attributes(handle=key.store_handle) == {
        "sensitive": True,
        "extractable": False,
        "always_sensitive": True,
        "never_extractable": True,
        "local": True,  # generated on the token, not imported into it
    }
    in_token = pkcs11.load(handle=key.store_handle, algorithm="RS256", public_jwk=key.public_jwk)
    with pytest.raises(TypeError):
        in_token.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


@pytest.mark.parametrize(
    ("algorithm", "kty"), [("RS256", "RSA"), ("PS256", "RSA"), ("ES256", "EC")]
)
def test_the_published_key_is_the_token_key_with_its_thumbprint_as_kid(hsm_brand, algorithm, kty):
    key = services.signing_key_generate(brand=hsm_brand, algorithm=algorithm)

    (published,) = _jwks(hsm_brand)["keys"]
    assert published["kid"] == key.kid and published["alg"] == algorithm
    assert published["kty"] == kty and published["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(published)
    # RFC 7638 thumbprint, computed by another library from the published members
    assert jwk.JWK(**published).thumbprint() == key.kid


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256"])
def test_the_x5c_certificate_is_signed_in_the_token_and_verifies(hsm_brand, algorithm):
    key = services.signing_key_generate(brand=hsm_brand, algorithm=algorithm)

    (published,) = _jwks(hsm_brand)["keys"]
    # x5c is standard base64 DER (RFC 7517 4.7); the certificate holds the published key
    cert = x509.load_der_x509_certificate(base64.b64decode(published["x5c"][0]))
    cert.verify_directly_issued_by(cert)  # its self-signature, made by the HSM, verifies
    assert jwk.JWK.from_pyca(cert.public_key()).thumbprint() == key.kid


def test_hs256_and_eddsa_are_not_generated_in_the_token(hsm_brand):
    for algorithm in ("EdDSA", "HS256"):
        with pytest.raises(InvalidKeyMaterial) as caught:
            services.signing_key_generate(brand=hsm_brand, algorithm=algorithm, store="pkcs11")
        assert caught.value.code == "unsupported_algorithm"


def test_a_brand_with_keys_in_the_hsm_refuses_a_pem_import(hsm_brand, rsa_pem):
    with pytest.raises(InvalidKeyMaterial) as caught:
        services.signing_key_import(brand=hsm_brand, pem=rsa_pem)
    assert caught.value.code == "wrong_store"
    assert not SigningKey.objects.filter(brand=hsm_brand).exists()


@pytest.fixture
def rsa_pem() -> bytes:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_a_pair_made_for_a_refused_key_is_destroyed_again(hsm_brand, hsm_key, monkeypatch):
    # given an active key, a fresh one may not sign before it has been published long enough
    before = set(SigningKey.objects.values_list("store_handle", flat=True))
    made = []
    original = pkcs11.generate

    def spy(**kwargs):
        made.append(original(**kwargs))
        return made[-1]

    monkeypatch.setattr(pkcs11, "generate", spy)
    with pytest.raises(InvalidTransition) as caught:
        services.signing_key_generate(brand=hsm_brand, algorithm="RS256", activate=True)

    assert caught.value.code == "not_prepublished"
    assert set(SigningKey.objects.values_list("store_handle", flat=True)) == before
    assert pkcs11.objects(handle=made[0].handle) == 0  # no orphan left in the token


def test_revoking_destroys_the_key_in_the_token(hsm_key, django_capture_on_commit_callbacks):
    handle = hsm_key.store_handle
    with django_capture_on_commit_callbacks(execute=True):
        services.signing_key_revoke(key=hsm_key, reason="compromise drill")

    hsm_key.refresh_from_db()
    assert hsm_key.state == State.REVOKED and hsm_key.store_handle == ""
    assert pkcs11.objects(handle=handle) == 0


def test_a_revocation_while_the_token_is_away_destroys_the_key_at_the_next_rotation(
    hsm, hsm_brand, hsm_key, settings, django_capture_on_commit_callbacks
):
    handle = hsm_key.store_handle
    settings.PKCS11_TOKEN_LABEL = "not-plugged-in"
    with django_capture_on_commit_callbacks(execute=True):
        services.signing_key_revoke(key=hsm_key)
    hsm_key.refresh_from_db()
    # revoked (unpublished, never signs) at once; the pair waits in the token
    assert hsm_key.state == State.REVOKED and hsm_key.store_handle == handle
    assert _jwks(hsm_brand)["keys"] == []

    settings.PKCS11_TOKEN_LABEL = hsm["PKCS11_TOKEN_LABEL"]  # the token is back
    assert services.signing_keys_destroy_revoked() == [hsm_key.kid]
    hsm_key.refresh_from_db()
    assert hsm_key.store_handle == "" and pkcs11.objects(handle=handle) == 0


def _rotate(*args) -> str:
    out = io.StringIO()
    call_command("rotate_signing_keys", *args, stdout=out)
    return out.getvalue()


def test_rotation_by_policy_generates_promotes_and_purges_in_the_token(
    hsm_brand, django_capture_on_commit_callbacks
):
    period, retention = conf.get("ROTATION_PERIOD"), conf.get("RETENTION")
    with time_machine.travel(T0, tick=False) as clock:
        _rotate("--brand", hsm_brand.slug)
        first = SigningKey.objects.get(brand=hsm_brand, state=State.ACTIVE)
        next_key = SigningKey.objects.get(brand=hsm_brand, state=State.PENDING)
        assert {first.store, next_key.store} == {"pkcs11"}
        assert {k["kid"] for k in _jwks(hsm_brand)["keys"]} == {first.kid, next_key.kid}
        assert keycache.signing_key(brand=hsm_brand, algorithm="RS256").kid == first.kid

        clock.move_to(T0 + period)
        _rotate()
        assert keycache.signing_key(brand=hsm_brand, algorithm="RS256").kid == next_key.kid

        clock.move_to(T0 + period + retention)
        with django_capture_on_commit_callbacks(execute=True):
            assert "purge" in _rotate()
        first.refresh_from_db()
        assert first.state == State.REVOKED and first.purged_at is not None
        assert first.store_handle == ""  # purge = destroyed in the token
        assert first.kid not in {k["kid"] for k in _jwks(hsm_brand)["keys"]}


def test_generate_signing_key_with_store_pkcs11_prints_the_kid(brand, hsm):
    out = io.StringIO()
    call_command(
        "generate_signing_key", brand.slug, "--store", "pkcs11", "--alg", "ES256", stdout=out
    )

    key = SigningKey.objects.get(kid=out.getvalue().strip())
    assert key.store == "pkcs11" and pkcs11.objects(handle=key.store_handle) == 2
    brand.refresh_from_db()
    assert brand.key_store == "database"  # a one-off choice; the brand's default is unchanged


def test_generate_signing_key_exits_2_when_the_hsm_cannot_be_reached(brand, hsm, settings):
    settings.PKCS11_PIN_SECRET = "00000000"
    with pytest.raises(CommandError) as caught:
        call_command("generate_signing_key", brand.slug, "--store", "pkcs11")
    assert caught.value.returncode == 2
    assert "keystore_unavailable" in str(caught.value) and "00000000" not in str(caught.value)
    assert not SigningKey.objects.filter(brand=brand).exists()


def test_without_a_configured_hsm_generation_fails_closed(hsm_brand, settings):
    settings.PKCS11_MODULE = ""
    with pytest.raises(KeystoreUnavailable) as caught:
        services.signing_key_generate(brand=hsm_brand)
    assert caught.value.code == "keystore_unavailable"
    assert not SigningKey.objects.filter(brand=hsm_brand).exists()


def test_a_token_object_holding_other_material_makes_the_key_unusable(hsm_brand, hsm_key):
    # given a row whose handle names another pair (a restore from the wrong backup)
    other = services.signing_key_generate(brand=hsm_brand, algorithm="RS256")
    SigningKey.objects.filter(pk=hsm_key.pk).update(store_handle=other.store_handle)
    keycache.clear()

    with pytest.raises(NoSigningKey):
        keycache.signing_key(brand=hsm_brand, algorithm="RS256")
    hsm_key.refresh_from_db()
    assert hsm_key.unusable_code == "key_mismatch"


def test_a_retired_hsm_key_stays_published_and_in_the_token_for_the_retention(hsm_key):
    retired = services.signing_key_retire(key=hsm_key)

    assert retired.state == State.RETIRED
    assert retired.purge_due_at == retired.retired_at + conf.get("RETENTION")
    assert hsm_key.kid in {k["kid"] for k in _jwks(hsm_key.brand)["keys"]}
    assert pkcs11.objects(handle=hsm_key.store_handle) == 2  # destroyed only when purged


def test_renewing_the_certificate_signs_the_new_one_in_the_token(hsm_key):
    old = x509.load_pem_x509_certificate(hsm_key.certificate_pem.encode())

    renewed = services.signing_key_certificate_renew(key=hsm_key, now=T0 + timedelta(days=300))

    cert = x509.load_pem_x509_certificate(renewed.certificate_pem.encode())
    assert cert.serial_number != old.serial_number and renewed.kid == hsm_key.kid
    cert.verify_directly_issued_by(cert)
    assert jwk.JWK.from_pyca(cert.public_key()).thumbprint() == hsm_key.kid


def test_system_checks_report_half_an_hsm_configuration(settings):
    from brands.checks import check_hsm_configuration

    settings.PKCS11_MODULE, settings.PKCS11_TOKEN_LABEL, settings.PKCS11_PIN_SECRET = "", "", ""
    assert check_hsm_configuration() == []  # no HSM: nothing to say
    settings.PKCS11_MODULE = "/usr/lib/no-such-module.so"
    assert [e.id for e in check_hsm_configuration()] == ["brands.E030", "brands.W031"]
    settings.PKCS11_TOKEN_LABEL, settings.PKCS11_PIN_SECRET = "portal", "secret-pin"
    [missing] = check_hsm_configuration()
    assert missing.id == "brands.W030" and "secret-pin" not in missing.msg


def test_the_pin_is_masked_in_django_error_reports(settings):
    # Django's debug pages and error mails list the settings through this filter
    # (https://docs.djangoproject.com/en/5.2/howto/error-reporting/#filtering-sensitive-information)
    from django.views.debug import SafeExceptionReporterFilter

    settings.PKCS11_PIN_SECRET = "483920"
    shown = SafeExceptionReporterFilter().get_safe_settings()

    assert shown["PKCS11_PIN_SECRET"] != "483920" and "483920" not in str(shown)
