"""Sandbox vendor credentials: sealed under the key-encryption keys, rotated with them, and
never written while the sandbox is off; the demo's backup codes cannot be computed.

The attacks: (1) read ``sandbox_vendorcredential`` and decrypt the Genesys client secret or a
Zendesk/Intercom HS256 secret with a key derived from ``SECRET_KEY`` (a demo server's
``SECRET_KEY`` is often the public development one); (2) rotate the key-encryption key and
find the sandbox's rows left behind; (3) run ``seed_demo`` on a server with the sandbox off
and find the table filled anyway; (4) compute the demo admin's backup code as
HMAC(SECRET_KEY, "demo:admin").
"""

import base64
import hashlib
import hmac
import io
import re

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from sandbox.credentials import credential_get, credential_set
from sandbox.models import VendorCredential

pytestmark = pytest.mark.django_db

SECRET = "genesys-client-secret-" + "k" * 30
NEW_KEK = Fernet.generate_key().decode()


def _secret_key_fernet(secret_key: str) -> Fernet:
    """The key the sandbox used to derive from SECRET_KEY: what an attacker would compute."""
    digest = hashlib.sha256(b"sandbox-vendor-credentials:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _ciphertext(messenger: str) -> str:
    return VendorCredential.objects.get(messenger=messenger).secret_ciphertext


def test_a_stored_secret_does_not_open_with_a_key_derived_from_secret_key(settings):
    # given a Genesys client secret entered into the sandbox
    credential_set(messenger="acme-genesys", secret=SECRET, client_id="c1")
    stored = _ciphertext("acme-genesys")
    # when someone holding the table and SECRET_KEY derives the old key
    with pytest.raises(InvalidToken):
        _secret_key_fernet(settings.SECRET_KEY).decrypt(stored.removeprefix("kek1:").encode())
    # then nothing opens it; and it opens only while its key-encryption key is configured
    assert SECRET not in stored
    assert credential_get("acme-genesys").secret == SECRET
    settings.KEY_ENCRYPTION_KEYS = [NEW_KEK]
    assert credential_get("acme-genesys") is None


def test_a_sealed_secret_copied_onto_another_messenger_does_not_open():
    credential_set(messenger="acme-zendesk", secret=SECRET, key_id="app_1")
    credential_set(messenger="evil-zendesk", secret="another-secret", key_id="app_2")
    VendorCredential.objects.filter(messenger="evil-zendesk").update(
        secret_ciphertext=_ciphertext("acme-zendesk")
    )
    assert credential_get("evil-zendesk") is None


def test_reencrypt_moves_every_credential_to_the_new_key_encryption_key(settings):
    # given one credential under the current KEK and one left from the SECRET_KEY scheme
    old_kek = list(settings.KEY_ENCRYPTION_KEYS)
    credential_set(messenger="acme-intercom", secret=SECRET)
    legacy = _secret_key_fernet(settings.SECRET_KEY).encrypt(b"legacy-secret").decode()
    VendorCredential.objects.create(
        messenger="acme-genesys", client_id="c1", secret_ciphertext=legacy, secret_fingerprint="x"
    )
    assert credential_get("acme-genesys") is None  # SECRET_KEY no longer opens anything
    # when the operator puts a new KEK first and runs the command
    settings.KEY_ENCRYPTION_KEYS = [NEW_KEK, *old_kek]
    out = io.StringIO()
    call_command("reencrypt_sandbox_credentials", stdout=out)
    # then both rows open under the new KEK alone
    assert "Re-sealed 2 sandbox credential(s)." in out.getvalue()
    settings.KEY_ENCRYPTION_KEYS = [NEW_KEK]
    assert credential_get("acme-intercom").secret == SECRET
    assert credential_get("acme-genesys").secret == "legacy-secret"
    with pytest.raises(InvalidToken):
        _secret_key_fernet(settings.SECRET_KEY).decrypt(
            _ciphertext("acme-genesys").removeprefix("kek1:").encode()
        )


def test_reencrypt_lists_a_credential_no_key_opens_and_exits_1(settings):
    credential_set(messenger="acme-intercom", secret=SECRET)
    settings.KEY_ENCRYPTION_KEYS = [NEW_KEK]
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("reencrypt_sandbox_credentials", stdout=io.StringIO(), stderr=err)
    assert exc.value.returncode == 1
    assert "acme-intercom" in err.getvalue() and SECRET not in err.getvalue()


def test_with_the_sandbox_off_nothing_is_written(settings):
    settings.SANDBOX_ENABLED = False
    settings.DEBUG = True
    # when the demo is seeded, or a credential entered by hand
    output = io.StringIO()
    call_command("seed_demo", stdout=output)
    with pytest.raises(CommandError) as exc:
        call_command("sandbox_credential", "m", "--secret-stdin", stdin=io.StringIO(SECRET + "\n"))
    # then the sandbox's table stays empty and the command says why (exit 2)
    assert exc.value.returncode == 2 and "SANDBOX_ENABLED" in str(exc.value)
    assert not VendorCredential.objects.exists()
    assert "sandbox off, secret not handed over" in output.getvalue()


def test_with_the_sandbox_on_the_demo_hands_its_secrets_over(settings):
    settings.SANDBOX_ENABLED = True
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    stored = set(VendorCredential.objects.values_list("messenger", flat=True))
    assert {"northwind-genesys", "northwind-zendesk", "northwind-intercom"} <= stored


def _admin_code(output: str) -> str:
    line = next(x for x in output.splitlines() if x.strip().startswith("admin "))
    return re.search(r"backup code (\w+)", line).group(1)


def test_the_demo_admins_backup_code_is_random_and_cannot_be_computed(settings):
    settings.DEBUG = True
    first, second = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    code, again = _admin_code(first.getvalue()), _admin_code(second.getvalue())
    # the code the old scheme printed, computable from the (public) development SECRET_KEY
    mac = hmac.new(settings.SECRET_KEY.encode(), b"demo:admin", "sha256").digest()
    computed = base64.b32encode(mac[:5]).decode().lower()
    assert code != computed and again != computed and code != again
    # the latest code logs in; the one printed before no longer does
    assert _verify("admin", again).status_code == 302
    assert _verify("admin", code).status_code == 400


def _verify(username: str, code: str):
    client = Client()
    client.post(
        reverse("accounts:login"), {"username": username, "password": "demo-password-2026"}
    )
    return client.post(reverse("accounts:verify"), {"code": code})
