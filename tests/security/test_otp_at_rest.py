"""TOTP seeds sealed under the key-encryption keys, backup codes hashed."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp

from accounts import services
from accounts.models import AuthenticatorDevice
from tests import factories
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")
SEED_HEX = "3132333435363738393031323334353637383930"  # RFC 6238's test seed


def _code(seed: bytes) -> str:
    return f"{totp(seed):06d}"


def _raw_columns(device_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device_id])
        return cursor.fetchone()[0]


def _raw_backup_tokens() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM otp_static_statictoken")
        return [row[0] for row in cursor.fetchall()]


def _log_in(username: str, code: str) -> str:
    client = Client()
    client.post(LOGIN, {"username": username, "password": PASSWORD})
    return client.post(VERIFY, {"code": code}).get("Location", "")


@pytest.mark.django_db
def test_enrollment_stores_neither_the_seed_nor_the_backup_codes_in_clear(customer):
    # given a customer who enrolls an authenticator
    device = services.totp_enrollment_start(user=customer.user)
    seed = device.bin_key
    enrollment = services.totp_enrollment_confirm(user=customer.user, code=_code(seed))
    # then the database holds a sealed seed and digests only
    stored = _raw_columns(device.pk)
    assert stored.startswith("enc1:") and seed.hex() not in stored and len(stored) <= 80
    tokens = _raw_backup_tokens()
    assert len(tokens) == 10 and not set(tokens) & set(enrollment.backup_codes)
    # and both factors still log in
    assert _log_in(customer.user.username, enrollment.backup_codes[0]) == "/"


@pytest.mark.django_db
def test_a_sealed_seed_copied_to_another_user_does_not_open(customer, tier):
    device = factories.TOTPDeviceFactory(user=customer.user)
    other = factories.CustomerFactory(tier=tier).user
    stolen = factories.TOTPDeviceFactory(user=other)
    AuthenticatorDevice.objects.filter(pk=stolen.pk).update(key=_raw_columns(device.pk))
    with pytest.raises(Exception, match="does not open"):
        AuthenticatorDevice.objects.get(pk=stolen.pk).bin_key  # noqa: B018


@pytest.mark.django_db(transaction=True)
def test_devices_created_before_the_migration_keep_working():
    executor = MigrationExecutor(connection)
    before = [("accounts", "0001_initial")]
    after = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    old = executor.loader.project_state(
        [*before, ("otp_totp", "0003_add_timestamps"), ("otp_static", "0003_add_timestamps")]
    ).apps
    try:
        # given a user whose devices were written by the old code: hex seed, clear backup code
        user = old.get_model("accounts", "User").objects.create(username="olduser")
        totp_device = old.get_model("otp_totp", "TOTPDevice").objects.create(
            user=user, name="authenticator", confirmed=True, key=SEED_HEX
        )
        backup = old.get_model("otp_static", "StaticDevice").objects.create(
            user=user, name="backup", confirmed=True
        )
        old.get_model("otp_static", "StaticToken").objects.create(device=backup, token="abcd2345")
    finally:
        # when the migration runs
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    from accounts.models import User

    user = User.objects.get(username="olduser")
    user.set_password(PASSWORD)
    user.save()
    # then nothing is left in clear
    assert _raw_columns(totp_device.pk).startswith("enc1:")
    assert "abcd2345" not in _raw_backup_tokens()
    # and the customer's app and backup code both still work
    assert _log_in("olduser", _code(bytes.fromhex(SEED_HEX))) == "/"
    assert _log_in("olduser", "abcd2345") == "/"


@pytest.mark.django_db
def test_reencrypt_otp_secrets_moves_seeds_to_a_new_key_encryption_key(customer, settings):
    old_kek = settings.KEY_ENCRYPTION_KEYS[0]
    device = factories.TOTPDeviceFactory(user=customer.user)
    seed = device.bin_key
    new_kek = Fernet.generate_key().decode()
    # given the new key first, the old one still configured
    settings.KEY_ENCRYPTION_KEYS = [new_kek, old_kek]
    before = _raw_columns(device.pk)
    out = io.StringIO()
    call_command("reencrypt_otp_secrets", stdout=out)
    assert "Re-sealed 1 authenticator seed(s)." in out.getvalue()
    assert _raw_columns(device.pk) != before
    # when the old key is removed, the device still opens
    settings.KEY_ENCRYPTION_KEYS = [new_kek]
    assert AuthenticatorDevice.objects.get(pk=device.pk).bin_key == seed


@pytest.mark.django_db
def test_reencrypt_otp_secrets_reports_seeds_that_no_key_opens(customer, settings):
    factories.TOTPDeviceFactory(user=customer.user)
    settings.KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    err = io.StringIO()
    with pytest.raises(Exception) as excinfo:
        call_command("reencrypt_otp_secrets", stdout=io.StringIO(), stderr=err)
    assert excinfo.value.returncode == 1
    assert "does not decrypt" in err.getvalue()


@pytest.mark.django_db
def test_add_backup_code_prints_a_code_that_works_and_stores_only_its_digest(customer):
    out = io.StringIO()
    call_command("add_backup_code", customer.user.username, stdout=out)
    code = out.getvalue().strip()
    assert code not in _raw_backup_tokens()
    assert _log_in(customer.user.username, code) == "/"


@pytest.mark.django_db
def test_add_backup_code_for_an_unknown_user_exits_2():
    with pytest.raises(Exception) as excinfo:
        call_command("add_backup_code", "nobody")
    assert excinfo.value.returncode == 2
