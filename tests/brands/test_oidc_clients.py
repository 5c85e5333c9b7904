"""Genesys messengers as OpenID Connect clients: commands and admin, secrets shown once."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from brands.models import ClientSecret, Messenger
from brands.selectors import oidc_client_authenticate
from tests.admin import MESSENGER_ADD, messenger_add_payload, run_action
from tests.conftest import GENESYS_REDIRECT, GENESYS_SETTINGS

pytestmark = pytest.mark.django_db


def _create(*args) -> str:
    if "--platform=genesys" in args:
        args = (*args, f"--vendor-settings={json.dumps(GENESYS_SETTINGS)}")
    out = io.StringIO()
    call_command("create_messenger", "acme", "acme-genesys", *args, stdout=out)
    return out.getvalue()


def _lines(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_create_messenger_prints_the_client_id_and_secret_on_their_own_lines(brand):
    printed = _lines(_create("--platform=genesys", f"--redirect-uri={GENESYS_REDIRECT}"))
    messenger = Messenger.objects.get(slug="acme-genesys")
    assert printed["client_id"] == messenger.audience == messenger.client_id
    assert len(printed["client_secret"]) >= 43  # 256 random bits, base64url
    assert printed["discovery_uri"].endswith("/brands/acme/.well-known/openid-configuration")
    assert messenger.redirect_uris == [GENESYS_REDIRECT]
    # stored hashed: the secret itself is nowhere in the row
    row = ClientSecret.objects.get(messenger=messenger)
    assert printed["client_secret"] not in json.dumps(
        list(ClientSecret.objects.values()), default=str
    )
    assert (
        oidc_client_authenticate(client_id=printed["client_id"], secret=printed["client_secret"])
        == messenger
    )
    assert row.fingerprint not in printed["client_secret"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--platform=genesys"], "redirect URI"),
        (["--platform=genesys", "--redirect-uri=http://evil.example/cb"], "https"),
        (["--platform=genesys", "--redirect-uri=https://a.example/cb#frag"], "fragment"),
        (["--platform=generic", f"--redirect-uri={GENESYS_REDIRECT}"], "OpenID Connect"),
    ],
)
def test_bad_client_registrations_exit_2_and_save_nothing(brand, args, message):
    with pytest.raises(CommandError, match=message) as exc:
        _create(*args)
    assert exc.value.returncode == 2
    assert not Messenger.objects.exists() and not ClientSecret.objects.exists()


def test_rotate_client_secret_prints_a_new_secret_and_the_old_one_stops(brand):
    old = _lines(_create("--platform=genesys", f"--redirect-uri={GENESYS_REDIRECT}"))
    out = io.StringIO()
    call_command("rotate_client_secret", "acme-genesys", stdout=out)
    new = _lines(out.getvalue())
    assert new["client_secret"] != old["client_secret"]
    assert (
        oidc_client_authenticate(client_id=old["client_id"], secret=old["client_secret"]) is None
    )
    assert oidc_client_authenticate(client_id=old["client_id"], secret=new["client_secret"])


def test_rotate_client_secret_with_grace_keeps_the_old_one_for_a_while(brand):
    old = _lines(_create("--platform=genesys", f"--redirect-uri={GENESYS_REDIRECT}"))
    call_command("rotate_client_secret", "acme-genesys", "--grace", "1h", stdout=io.StringIO())
    assert oidc_client_authenticate(client_id=old["client_id"], secret=old["client_secret"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "nobody"),
        (["acme-web"], "OpenID Connect"),
        (["acme-genesys", "--grace", "soon"], "duration"),
        (["acme-genesys", "--grace", "30d"], "7 days"),
    ],
)
def test_rotate_client_secret_bad_input_exits_2(brand, messenger, args, message):
    _create("--platform=genesys", f"--redirect-uri={GENESYS_REDIRECT}")
    with pytest.raises(CommandError, match=message) as exc:
        call_command("rotate_client_secret", *args, stdout=io.StringIO())
    assert exc.value.returncode == 2


def _genesys_payload(brand, **fields) -> dict:
    return messenger_add_payload(
        brand, "acme-genesys", "genesys", vendor_settings=json.dumps(GENESYS_SETTINGS), **fields
    )


def test_the_admin_shows_a_new_secret_once_and_never_again(staff_client, brand):
    response = staff_client.post(
        MESSENGER_ADD,
        _genesys_payload(
            brand,
            attributes='["names", "tier"]',
            redirect_uris=json.dumps([GENESYS_REDIRECT]),
        ),
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secrets"][0]["secret"]
    assert secret in response.content.decode()
    messenger = Messenger.objects.get(slug="acme-genesys")
    assert oidc_client_authenticate(client_id=messenger.client_id, secret=secret) == messenger
    page = staff_client.get(reverse("admin:brands_messenger_change", args=[messenger.pk]))
    html = page.content.decode()
    assert secret not in html
    assert "Discovery URI" in html and messenger.client_id in html
    assert ClientSecret.objects.get().fingerprint in html
    # rotation through the action shows the next one, once
    rotated = run_action(
        staff_client,
        reverse("admin:brands_messenger_changelist"),
        "rotate_client_secret",
        messenger,
    )
    new = rotated.context["secrets"][0]["secret"]
    assert new != secret and new in rotated.content.decode()
    assert oidc_client_authenticate(client_id=messenger.client_id, secret=secret) is None


def test_a_genesys_messenger_needs_a_redirect_uri_in_the_admin(staff_client, brand):
    response = staff_client.post(MESSENGER_ADD, _genesys_payload(brand, redirect_uris=""))
    assert response.status_code == 200
    assert "needs at least one redirect URI" in response.content.decode()
    assert not Messenger.objects.exists()
