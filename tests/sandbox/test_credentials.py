"""The sandbox's vendor-console credentials: stored encrypted, entered from stdin only."""

import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sandbox.credentials import credential_get, credential_set
from sandbox.models import VendorCredential

pytestmark = pytest.mark.django_db

SECRET = "s3cret-" + "x" * 40


def test_a_credential_entered_on_stdin_is_read_back_and_stored_encrypted():
    out = io.StringIO()
    call_command(
        "sandbox_credential",
        "acme-genesys",
        "--client-id",
        "client-1",
        "--secret-stdin",
        stdin=io.StringIO(SECRET + "\n"),
        stdout=out,
    )
    credential = credential_get("acme-genesys")
    assert (credential.client_id, credential.secret) == ("client-1", SECRET)
    row = VendorCredential.objects.get(messenger="acme-genesys")
    assert SECRET not in row.secret_ciphertext
    assert SECRET not in out.getvalue()
    assert SECRET not in str(row) and SECRET not in repr(credential)


def test_entering_a_credential_again_replaces_it():
    credential_set(messenger="m", secret="first-secret")
    credential_set(messenger="m", secret="second-secret", key_id="app_1")
    assert credential_get("m").secret == "second-secret"
    assert credential_get("m").key_id == "app_1"


@pytest.mark.parametrize("stdin", ["", "   \n"])
def test_an_empty_secret_exits_2_with_a_message(stdin):
    with pytest.raises(CommandError, match="secret") as exc:
        call_command("sandbox_credential", "m", "--secret-stdin", stdin=io.StringIO(stdin))
    assert exc.value.returncode == 2
    assert credential_get("m") is None


def test_the_secret_is_never_taken_from_the_command_line():
    with pytest.raises(CommandError, match="--secret-stdin") as exc:
        call_command("sandbox_credential", "m")
    assert exc.value.returncode == 2


def test_an_unknown_messenger_has_no_credential():
    assert credential_get("nobody") is None


def _enter(messenger: str, secret: str, *options: str) -> str:
    out = io.StringIO()
    call_command(
        "sandbox_credential",
        messenger,
        *options,
        "--secret-stdin",
        stdin=io.StringIO(secret + "\n"),
        stdout=out,
    )
    return out.getvalue()


def test_a_client_secret_matching_the_fingerprint_the_admin_shows_is_stored(genesys_client):
    # given a Genesys client secret the portal issued, and the fingerprint its admin lists
    messenger, secret = genesys_client
    shown = messenger.client_secrets.get().fingerprint
    # when the vendor's admin enters it with that fingerprint, then it is stored
    _enter("acme-genesys", secret, "--client-id", "c-1", "--fingerprint", shown)
    assert credential_get("acme-genesys").secret == secret


def test_a_shared_secret_matching_the_fingerprint_the_admin_shows_is_stored(brand):
    # given a Zendesk shared secret set in the portal; its admin shows "fingerprint AB:CD:…"
    from brands import services

    messenger = services.messenger_create(
        brand=brand,
        slug="acme-zendesk",
        platform="zendesk",
        vendor_settings={"snippet_key": "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9", "subdomain": "a"},
    )
    secret = "z" * 40
    services.messenger_secret_set(messenger=messenger, secret=secret, key_id="app_1")
    messenger.refresh_from_db()
    shown = messenger.shared_secret_status().split("fingerprint ")[1]
    _enter("acme-zendesk", secret, "--key-id", "app_1", "--fingerprint", shown)
    assert credential_get("acme-zendesk").key_id == "app_1"


def test_a_secret_whose_fingerprint_does_not_match_exits_2_and_stores_nothing():
    # given the secret that was set before, and the fingerprint of another one
    credential_set(messenger="acme-genesys", secret=SECRET)
    wrong = hashlib.sha256(b"another secret").hexdigest()[:16]
    # when the admin enters a new secret with a fingerprint it does not have
    with pytest.raises(CommandError) as raised:
        _enter("acme-genesys", "mistyped-" + "y" * 40, "--fingerprint", wrong)
    # then the command exits 2, says so, never prints the secret, and keeps the old one
    assert raised.value.returncode == 2
    assert f"does not match the fingerprint '{wrong}'" in str(raised.value)
    assert "Nothing was stored" in str(raised.value)
    assert "mistyped" not in str(raised.value)
    assert credential_get("acme-genesys").secret == SECRET


def test_a_fingerprint_that_is_not_one_exits_2():
    with pytest.raises(CommandError) as raised:
        _enter("acme-genesys", SECRET, "--fingerprint", "abc")
    assert raised.value.returncode == 2
    assert "at least 16 hex digits" in str(raised.value)
    assert not VendorCredential.objects.exists()
