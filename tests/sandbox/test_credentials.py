"""The sandbox's vendor-console credentials: stored encrypted, entered from stdin only."""

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
