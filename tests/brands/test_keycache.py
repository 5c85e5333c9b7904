"""Decrypted keys are cached per process and version; undecryptable keys give 503, not 500;
private material is never stored in clear; key-encryption keys rotate."""

import base64
import io
import json

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.db import connection

from brands import encryption, keycache, keymaterial, keyset, services
from brands.errors import NoSigningKey
from brands.models import SigningKey
from tests.keys import private_pem

pytestmark = pytest.mark.django_db

OLD_KEK = "p6Rz0lRW2hB1bqbWzX0Vv6wXr3Xw8CkN3Wcq5sQe3mE="  # pyproject's test value
NEW_KEK = Fernet.generate_key().decode()


def _verify(token: str, key: SigningKey) -> dict:
    public = jwt.PyJWK({**key.public_jwk, "alg": key.algorithm, "kid": key.kid}).key
    return jwt.decode(token, public, algorithms=[key.algorithm], options={"verify_aud": False})


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA"])
def test_a_loaded_key_signs_tokens_that_verify_with_the_published_key(brand, algorithm):
    key = services.signing_key_generate(brand=brand, algorithm=algorithm, activate=True)
    loaded = keycache.signing_key(brand=brand, algorithm=algorithm)
    token = jwt.encode(
        {"sub": "c1"}, loaded.key, algorithm=loaded.algorithm, headers={"kid": loaded.kid}
    )
    assert (loaded.kid, loaded.algorithm) == (key.kid, algorithm)
    assert jwt.get_unverified_header(token)["kid"] == key.kid
    assert _verify(token, key) == {"sub": "c1"}


def test_hs256_loads_the_shared_secret_as_bytes(brand):
    services.signing_key_generate(brand=brand, algorithm="HS256", activate=True)
    loaded = keycache.signing_key(brand=brand, algorithm="HS256")
    assert isinstance(loaded.key, bytes) and len(loaded.key) == 32
    token = jwt.encode({"sub": "c1"}, loaded.key, algorithm="HS256", headers={"kid": loaded.kid})
    assert jwt.decode(token, loaded.key, algorithms=["HS256"]) == {"sub": "c1"}


def test_the_repr_of_a_loaded_key_hides_the_key(brand, active_key):
    loaded = keycache.signing_key(brand=brand, algorithm="RS256")
    assert "key=" not in repr(loaded) and active_key.kid in repr(loaded)


@pytest.mark.django_db(transaction=True)
def test_a_key_is_decrypted_once_per_process_and_version(
    brand, active_key, monkeypatch, django_assert_num_queries
):
    calls = []
    original = keymaterial.load_private_bytes
    monkeypatch.setattr(
        keymaterial, "load_private_bytes", lambda *a: calls.append(1) or original(*a)
    )
    first = keycache.signing_key(brand=brand, algorithm="RS256")
    # no key row is read; without Redis each call reads only the one-row key-set version
    reads_per_call = 1 if keyset.cache_is_process_local() else 0
    with django_assert_num_queries(5 * reads_per_call):
        for _ in range(5):
            assert keycache.signing_key(brand=brand, algorithm="RS256") is first
    assert len(calls) == 1


def test_a_rotation_is_seen_at_the_next_signature(brand, active_key):
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == active_key.kid
    new = services.signing_key_generate(brand=brand)
    services.signing_key_activate(key=new, force=True)
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == new.kid


@pytest.mark.parametrize("state_change", ["none", "pending", "retired", "revoked"])
def test_no_active_key_is_no_signing_key(brand, state_change):
    if state_change != "none":
        key = services.signing_key_generate(brand=brand, activate=state_change != "pending")
        if state_change == "retired":
            services.signing_key_retire(key=key)
        if state_change == "revoked":
            services.signing_key_revoke(key=key)
    with pytest.raises(NoSigningKey) as caught:
        keycache.signing_key(brand=brand, algorithm="RS256")
    assert (caught.value.code, caught.value.http_status) == ("no_signing_key", 503)


def test_a_ciphertext_that_no_longer_decrypts_flags_the_key_unusable(brand, active_key, settings):
    # given the key-encryption key was replaced without re-encrypting
    settings.KEY_ENCRYPTION_KEYS = [NEW_KEK]
    keycache.clear()
    # when
    with pytest.raises(NoSigningKey) as caught:
        keycache.signing_key(brand=brand, algorithm="RS256")
    # then
    assert caught.value.code == "no_signing_key"
    active_key.refresh_from_db()
    assert "does not decrypt" in active_key.unusable_reason
    assert not active_key.is_usable
    with pytest.raises(NoSigningKey):
        keycache.signing_key(brand=brand, algorithm="RS256")


def test_a_ciphertext_moved_to_another_key_does_not_decrypt(brand, active_key):
    other = services.signing_key_generate(brand=brand, algorithm="ES256", activate=True)
    SigningKey.objects.filter(pk=other.pk).update(
        private_key_ciphertext=active_key.private_key_ciphertext
    )
    with pytest.raises(NoSigningKey):
        keycache.signing_key(brand=brand, algorithm="ES256")
    other.refresh_from_db()
    assert "another kid" in other.unusable_reason


def test_damaged_ciphertext_is_a_503_not_a_500(brand, active_key):
    SigningKey.objects.filter(pk=active_key.pk).update(private_key_ciphertext="not-fernet!")
    with pytest.raises(NoSigningKey):
        keycache.signing_key(brand=brand, algorithm="RS256")
    active_key.refresh_from_db()
    assert active_key.unusable_reason


def test_an_unusable_key_cannot_be_activated(brand):
    key = services.signing_key_generate(brand=brand)
    SigningKey.objects.filter(pk=key.pk).update(unusable_reason="does not decrypt")
    from brands.errors import InvalidTransition

    with pytest.raises(InvalidTransition) as caught:
        services.signing_key_activate(key=key)
    assert caught.value.code == "key_unusable"


def _raw_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM brands_signingkey")
        return json.dumps([[str(v) for v in row] for row in cursor.fetchall()])


def test_the_database_never_holds_private_material_in_clear(brand, rsa_pool):
    keys = [
        services.signing_key_generate(brand=brand, algorithm=a)
        for a in ("RS256", "ES256", "EdDSA", "HS256")
    ]
    keys.append(
        services.signing_key_import(brand=brand, pem=private_pem(rsa_pool[5], traditional=True))
    )
    dump = _raw_rows()
    assert "PRIVATE KEY" not in dump
    for key in keys:
        plain = encryption.decrypt(key.private_key_ciphertext, kid=key.kid)
        for form in (
            plain,
            base64.b64encode(plain),
            base64.urlsafe_b64encode(plain),
            base64.urlsafe_b64encode(plain).rstrip(b"="),
            plain.hex().encode(),
        ):
            assert form[:24].decode("latin-1") not in dump
        if not key.is_symmetric:
            private = serialization.load_der_private_key(plain, None)
            if hasattr(private, "private_numbers") and hasattr(private.private_numbers(), "d"):
                d = private.private_numbers().d
                assert keymaterial._int_b64(d) not in dump
                assert str(d) not in dump


def test_reencrypt_moves_every_key_to_the_new_key_encryption_key(brand, settings):
    # given keys encrypted under the old KEK
    active = services.signing_key_generate(brand=brand, activate=True)
    pending = services.signing_key_generate(brand=brand, algorithm="HS256")
    before = {k.pk: k.private_key_ciphertext for k in SigningKey.objects.all()}
    # when the new KEK is put first and the command runs
    settings.KEY_ENCRYPTION_KEYS = [NEW_KEK, OLD_KEK]
    call_command("reencrypt_signing_keys", stdout=io.StringIO())
    # then only the new KEK is needed
    settings.KEY_ENCRYPTION_KEYS = [NEW_KEK]
    keycache.clear()
    for key in (active, pending):
        key.refresh_from_db()
        assert key.private_key_ciphertext != before[key.pk]
        assert encryption.decrypt(key.private_key_ciphertext, kid=key.kid)
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == active.kid


def test_reencrypt_flags_keys_it_cannot_open_and_exits_1(brand, active_key, settings):
    from django.core.management.base import CommandError

    settings.KEY_ENCRYPTION_KEYS = [NEW_KEK]
    with pytest.raises(CommandError) as caught:
        call_command("reencrypt_signing_keys", stdout=io.StringIO(), stderr=io.StringIO())
    assert caught.value.returncode == 1
    active_key.refresh_from_db()
    assert "does not decrypt" in active_key.unusable_reason


def test_restoring_the_old_kek_makes_a_flagged_key_usable_again(brand, active_key, settings):
    settings.KEY_ENCRYPTION_KEYS = [NEW_KEK]
    with pytest.raises(NoSigningKey):
        keycache.signing_key(brand=brand, algorithm="RS256")
    settings.KEY_ENCRYPTION_KEYS = [NEW_KEK, OLD_KEK]
    call_command("reencrypt_signing_keys", stdout=io.StringIO())
    active_key.refresh_from_db()
    assert active_key.unusable_reason == ""
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == active_key.kid


@pytest.mark.parametrize(
    ("code", "repaired"),
    [("not_decryptable", True), ("wrong_binding", True), ("load_failed", False)],
)
def test_reencryption_repairs_a_key_by_its_code_not_by_the_wording(
    brand, active_key, code, repaired
):
    # the same wording for every case: only the code decides
    SigningKey.objects.filter(pk=active_key.pk).update(
        unusable_reason="The private key does not decrypt (reworded later)", unusable_code=code
    )
    services.signing_keys_reencrypt()
    active_key.refresh_from_db()
    assert (active_key.unusable_reason == "") is repaired
    assert (active_key.unusable_code == "") is repaired
