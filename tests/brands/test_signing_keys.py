"""The signing-key life cycle: pending -> active -> retired -> revoked, and its invariants."""

from datetime import UTC, datetime

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.db import IntegrityError, transaction
from django.utils import timezone

from brands import conf, keymaterial, services
from brands.errors import InvalidKeyMaterial, InvalidTransition
from brands.models import SigningKey
from tests.keys import private_pem

pytestmark = pytest.mark.django_db
State = SigningKey.State
PREPUB = conf.DEFAULTS["PREPUBLICATION_PERIOD"]


# RFC 7638 section 3.1 (the RSA key of RFC 7517 appendix A.1, with members that do not count)
# and RFC 8037 appendix A.3 (Ed25519): published inputs and thumbprints, not our own output.
RFC7638_RSA = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
    "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Q"
    "vzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6We"
    "Zu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC8037_ED25519 = {
    "kty": "OKP",
    "crv": "Ed25519",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}


@pytest.mark.parametrize(
    ("jwk", "thumbprint"),
    [
        (RFC7638_RSA, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"),
        (RFC8037_ED25519, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"),
    ],
    ids=["rfc7638-rsa", "rfc8037-ed25519"],
)
def test_kids_are_the_published_rfc_thumbprints(jwk, thumbprint):
    assert keymaterial.jwk_thumbprint(jwk) == thumbprint


def test_a_generated_key_is_pending_with_a_thumbprint_kid(brand):
    key = services.signing_key_generate(brand=brand)
    assert key.state == State.PENDING
    assert key.algorithm == "RS256"
    assert key.kid == keymaterial.jwk_thumbprint(key.public_jwk)
    assert key.created_at is not None and key.activated_at is None
    assert key.public_jwk["kty"] == "RSA" and set(key.public_jwk) == {"kty", "n", "e"}
    assert key.certificate_pem.startswith("-----BEGIN CERTIFICATE-----")
    assert key.kid not in str(key.private_key_ciphertext)


def test_the_first_key_activates_at_once(brand):
    key = services.signing_key_generate(brand=brand)
    activated = services.signing_key_activate(key=key)
    assert activated.state == State.ACTIVE and activated.activated_at is not None


def test_activating_a_new_key_retires_the_previous_one_atomically(brand):
    with time_machine.travel("2026-01-01 00:00Z", tick=False):
        old = services.signing_key_generate(brand=brand, activate=True)
        new = services.signing_key_generate(brand=brand)
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC) + PREPUB):
        services.signing_key_activate(key=new)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.state, new.state) == (State.RETIRED, State.ACTIVE)
    assert old.retired_at == new.activated_at
    assert SigningKey.objects.filter(brand=brand, state=State.ACTIVE).count() == 1


def test_a_rotation_waits_for_the_prepublication_period(brand):
    services.signing_key_generate(brand=brand, activate=True)
    new = services.signing_key_generate(brand=brand)
    with pytest.raises(InvalidTransition) as caught:
        services.signing_key_activate(key=new)
    assert caught.value.code == "not_prepublished"
    new.refresh_from_db()
    assert new.state == State.PENDING


def test_force_activates_before_the_prepublication_period(brand, active_key):
    new = services.signing_key_generate(brand=brand)
    services.signing_key_activate(key=new, force=True)
    active_key.refresh_from_db()
    assert active_key.state == State.RETIRED


def test_keys_of_different_algorithms_are_active_side_by_side(brand, active_key):
    es = services.signing_key_generate(brand=brand, algorithm="ES256", activate=True)
    assert es.state == State.ACTIVE
    active_key.refresh_from_db()
    assert active_key.state == State.ACTIVE


def test_activating_a_revoked_key_is_a_clear_domain_error(brand):
    key = services.signing_key_generate(brand=brand)
    services.signing_key_revoke(key=key, reason="compromised")
    with pytest.raises(InvalidTransition) as caught:
        services.signing_key_activate(key=key)
    assert caught.value.code == "key_revoked"
    assert "revoked" in caught.value.detail


def test_activating_a_retired_or_active_key_is_refused(brand, active_key):
    with pytest.raises(InvalidTransition) as caught:
        services.signing_key_activate(key=active_key)
    assert caught.value.code == "already_active"
    services.signing_key_retire(key=active_key)
    with pytest.raises(InvalidTransition) as caught:
        services.signing_key_activate(key=active_key)
    assert caught.value.code == "key_retired"


def test_retire_needs_an_active_key(brand):
    key = services.signing_key_generate(brand=brand)
    with pytest.raises(InvalidTransition) as caught:
        services.signing_key_retire(key=key)
    assert caught.value.code == "not_active"


def test_revoke_unpublishes_and_erases_the_private_key(brand, active_key):
    revoked = services.signing_key_revoke(key=active_key, reason="leaked")
    revoked.refresh_from_db()
    assert revoked.state == State.REVOKED
    assert revoked.revoked_at is not None and revoked.revocation_reason == "leaked"
    assert revoked.private_key_ciphertext == ""
    with pytest.raises(InvalidTransition) as caught:
        services.signing_key_revoke(key=revoked)
    assert caught.value.code == "key_revoked"


def test_the_database_refuses_two_active_keys_for_one_algorithm(brand, active_key):
    other = services.signing_key_generate(brand=brand)
    with pytest.raises(IntegrityError), transaction.atomic():
        SigningKey.objects.filter(pk=other.pk).update(
            state=State.ACTIVE, activated_at=timezone.now()
        )


def test_the_database_refuses_a_state_without_its_timestamp(brand):
    key = services.signing_key_generate(brand=brand)
    with pytest.raises(IntegrityError), transaction.atomic():
        SigningKey.objects.filter(pk=key.pk).update(state=State.RETIRED)


@pytest.mark.parametrize(
    ("algorithm", "kty", "members"),
    [
        ("PS256", "RSA", {"kty", "n", "e"}),
        ("ES256", "EC", {"kty", "crv", "x", "y"}),
        ("EdDSA", "OKP", {"kty", "crv", "x"}),
    ],
)
def test_each_asymmetric_algorithm_can_be_generated(brand, algorithm, kty, members):
    key = services.signing_key_generate(brand=brand, algorithm=algorithm)
    assert key.public_jwk["kty"] == kty and set(key.public_jwk) == members
    assert key.certificate_pem


def test_hs256_keys_are_random_shared_secrets_without_public_material(brand):
    key = services.signing_key_generate(brand=brand, algorithm="HS256", activate=True)
    assert key.public_jwk == {} and key.certificate_pem == ""
    assert key.key_size == 256
    assert key.kid.startswith("hs-")
    assert not key.is_published


def test_rsa_3072_keys_are_offered(brand, real_keygen):
    key = services.signing_key_generate(brand=brand, key_size=3072)
    assert key.key_size == 3072


@pytest.mark.parametrize("size", [1024, 1536, 2047, 5000])
def test_unusual_or_weak_rsa_sizes_are_refused(brand, size):
    with pytest.raises(InvalidKeyMaterial) as caught:
        services.signing_key_generate(brand=brand, key_size=size)
    assert caught.value.code in ("weak_key", "invalid_key_size")
    assert not SigningKey.objects.exists()


def test_an_unknown_algorithm_is_refused(brand):
    with pytest.raises(InvalidKeyMaterial) as caught:
        services.signing_key_generate(brand=brand, algorithm="none")
    assert caught.value.code == "unsupported_algorithm"


# --- import ----------------------------------------------------------------------------------


def test_import_of_a_pem_private_key(brand, rsa_pool):
    key = services.signing_key_import(brand=brand, pem=private_pem(rsa_pool[0]))
    assert key.origin == SigningKey.Origin.IMPORTED and key.state == State.PENDING
    assert key.key_size == 2048


def test_import_of_an_encrypted_pem_with_its_password(brand, rsa_pool):
    pem = private_pem(rsa_pool[1], b"correct horse")
    key = services.signing_key_import(brand=brand, pem=pem, password="correct horse")
    assert key.state == State.PENDING


def test_import_of_an_es256_and_an_ed25519_key(brand):
    es = services.signing_key_import(
        brand=brand, pem=private_pem(ec.generate_private_key(ec.SECP256R1())), algorithm="ES256"
    )
    ed = services.signing_key_import(
        brand=brand, pem=private_pem(ed25519.Ed25519PrivateKey.generate()), algorithm="EdDSA"
    )
    assert (es.algorithm, ed.algorithm) == ("ES256", "EdDSA")


@pytest.fixture(scope="module")
def weak_rsa_pem() -> bytes:
    return private_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))


BAD_IMPORTS = {
    "garbage": (lambda pool, weak: b"this is not a key", "RS256", None, "invalid_key"),
    "empty": (lambda pool, weak: b"", "RS256", None, "invalid_key"),
    "damaged pem": (
        lambda pool, weak: b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "RS256",
        None,
        "invalid_key",
    ),
    "1024-bit rsa": (lambda pool, weak: weak, "RS256", None, "weak_key"),
    "encrypted without password": (
        lambda pool, weak: private_pem(pool[2], b"secret"),
        "RS256",
        None,
        "encrypted_key",
    ),
    "encrypted with a wrong password": (
        lambda pool, weak: private_pem(pool[2], b"secret"),
        "RS256",
        "wrong",
        "encrypted_key",
    ),
    "ec key for rs256": (
        lambda pool, weak: private_pem(ec.generate_private_key(ec.SECP256R1())),
        "RS256",
        None,
        "wrong_key_type",
    ),
    "p-384 key for es256": (
        lambda pool, weak: private_pem(ec.generate_private_key(ec.SECP384R1())),
        "ES256",
        None,
        "wrong_key_type",
    ),
    "rsa key for eddsa": (
        lambda pool, weak: private_pem(pool[0]),
        "EdDSA",
        None,
        "wrong_key_type",
    ),
    "public key only": (
        lambda pool, weak: pool[0]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        "RS256",
        None,
        "invalid_key",
    ),
    "pem for hs256": (
        lambda pool, weak: private_pem(pool[0]),
        "HS256",
        None,
        "unsupported_algorithm",
    ),
}


@pytest.mark.parametrize("case", list(BAD_IMPORTS))
def test_bad_imports_are_refused_and_nothing_is_saved(brand, rsa_pool, weak_rsa_pem, case):
    make_pem, algorithm, password, code = BAD_IMPORTS[case]
    pem = make_pem(rsa_pool, weak_rsa_pem)
    with pytest.raises(InvalidKeyMaterial) as caught:
        services.signing_key_import(brand=brand, pem=pem, password=password, algorithm=algorithm)
    assert caught.value.code == code
    assert "PRIVATE KEY" not in caught.value.detail
    assert not SigningKey.objects.exists()


def test_importing_known_material_again_is_refused(brand, keyless_brand, rsa_pool):
    services.signing_key_import(brand=brand, pem=private_pem(rsa_pool[3]))
    with pytest.raises(InvalidKeyMaterial) as caught:
        services.signing_key_import(
            brand=keyless_brand, pem=private_pem(rsa_pool[3]), algorithm="PS256"
        )
    assert caught.value.code == "duplicate_key"
    assert SigningKey.objects.count() == 1


def test_str_never_shows_key_material(brand, active_key):
    assert str(active_key) == f"{active_key.kid} (RS256, active)"


def test_a_platform_issued_shared_secret_is_imported_with_its_kid(brand):
    from brands import keycache

    secret = "s" * 40
    key = services.signing_key_import_secret(brand=brand, secret=secret, kid="app_123")
    assert (key.kid, key.algorithm, key.origin) == ("app_123", "HS256", "imported")
    services.signing_key_activate(key=key)
    assert keycache.signing_key(brand=brand, algorithm="HS256").key == secret.encode()


@pytest.mark.parametrize(
    ("secret", "kid", "code"),
    [
        ("short", "", "weak_key"),
        ("s" * 40, "bad kid!", "invalid_kid"),
        ("s" * 600, "", "invalid_key"),
    ],
)
def test_bad_shared_secrets_are_refused(brand, secret, kid, code):
    with pytest.raises(InvalidKeyMaterial) as caught:
        services.signing_key_import_secret(brand=brand, secret=secret, kid=kid)
    assert caught.value.code == code
    assert secret not in caught.value.detail
    assert not SigningKey.objects.exists()


def test_a_kid_cannot_be_reused_for_a_new_secret(brand):
    services.signing_key_import_secret(brand=brand, secret="a" * 32, kid="app_1")
    with pytest.raises(InvalidKeyMaterial) as caught:
        services.signing_key_import_secret(brand=brand, secret="b" * 32, kid="app_1")
    assert caught.value.code == "duplicate_key"
