"""Shared secrets belong to their messenger (Zendesk, Intercom): entered from stdin or a
write-only admin field, encrypted at rest, replaceable, and never shown, logged or published."""

import io
import json
import logging

import jwt
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from brands import keycache, services
from brands.errors import BrandsError
from brands.models import Messenger
from brands.platforms import vendor_settings_example
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db
SECRET = "zd-SECRET-d41d8cd98f00b204e9800998ecf8427e"
OTHER = "zd-OTHER-0cc175b9c0f1b6a831c399e269772661"
OLD_KEK = "p6Rz0lRW2hB1bqbWzX0Vv6wXr3Xw8CkN3Wcq5sQe3mE="  # pyproject's test value
ZENDESK = json.dumps(vendor_settings_example("zendesk"))


def _create(*args, secret=SECRET, **kw):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_messenger", *args, stdin=io.StringIO(secret + "\n"), stdout=out, stderr=err, **kw
    )
    return out.getvalue() + err.getvalue()


def _zendesk(brand, secret=SECRET) -> tuple[Messenger, str]:
    out = _create(
        "acme",
        "acme-zen",
        "--platform",
        "zendesk",
        "--key-id",
        "app_42",
        "--secret-stdin",
        "--vendor-settings",
        ZENDESK,
        secret=secret,
    )
    return Messenger.objects.get(slug="acme-zen"), out


def test_create_messenger_reads_the_secret_from_stdin_and_prints_only_its_fingerprint(
    brand, caplog
):
    caplog.set_level(logging.DEBUG)
    messenger, out = _zendesk(brand)
    assert "app_42" in out and "fingerprint" in out
    assert SECRET not in out
    assert SECRET not in caplog.text
    assert messenger.algorithm == "HS256"
    assert messenger.shared_secret_key_id == "app_42"
    # encrypted at rest with the key-encryption keys, bound to this messenger
    assert SECRET not in messenger.shared_secret_ciphertext
    assert SECRET.encode() not in messenger.shared_secret_ciphertext.encode()
    assert keycache.messenger_secret(messenger=messenger).key == SECRET.encode()
    assert SECRET not in str(messenger) and SECRET not in repr(messenger)


@pytest.mark.parametrize(
    ("args", "secret", "message"),
    [
        (["--platform", "zendesk", "--key-id", "app_1", "--secret-stdin"], "short", "at least 32"),
        (["--platform", "zendesk", "--secret-stdin"], SECRET, "--key-id"),
        (["--platform", "zendesk", "--key-id", "app_1"], SECRET, "--secret-stdin"),
        (["--platform", "intercom"], SECRET, "--secret-stdin"),
        (["--platform", "salesforce", "--secret-stdin"], SECRET, "apply to zendesk and intercom"),
        (["--platform", "zendesk", "--key-id", "bad kid!", "--secret-stdin"], SECRET, "Key id"),
    ],
    ids=["short", "no key id", "no stdin flag", "intercom no stdin", "rsa platform", "bad kid"],
)
def test_bad_secret_input_exits_2_saves_nothing_and_never_echoes(brand, args, secret, message):
    settings = vendor_settings_example(args[1])
    with pytest.raises(CommandError) as caught:
        _create("acme", "m1", *args, "--vendor-settings", json.dumps(settings), secret=secret)
    assert caught.value.returncode == 2
    assert message in str(caught.value)
    assert secret not in str(caught.value) or secret == "short"
    assert not Messenger.objects.exists()


def test_a_replaced_secret_signs_at_once_and_the_old_one_no_longer_verifies(brand):
    messenger, _ = _zendesk(brand)
    first = keycache.messenger_secret(messenger=messenger)
    services.messenger_secret_set(messenger=messenger, secret=OTHER, key_id="app_43")
    messenger.refresh_from_db()
    second = keycache.messenger_secret(messenger=messenger)
    assert (first.kid, second.kid) == ("app_42", "app_43")
    token = jwt.encode({"x": 1}, second.key, algorithm="HS256")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET, algorithms=["HS256"])


def test_secrets_are_only_for_shared_secret_platforms(brand):
    messenger = services.messenger_create(
        brand=brand,
        slug="sf",
        platform="salesforce",
        vendor_settings=vendor_settings_example("salesforce"),
    )
    with pytest.raises(BrandsError) as caught:
        services.messenger_secret_set(messenger=messenger, secret=SECRET)
    assert caught.value.code == "invalid_secret"


def test_a_ciphertext_copied_onto_another_messenger_does_not_decrypt(brand):
    from brands.errors import NoSigningKey

    messenger, _ = _zendesk(brand)
    other = services.messenger_create(
        brand=brand,
        slug="acme-zen2",
        platform="zendesk",
        vendor_settings=vendor_settings_example("zendesk"),
    )
    Messenger.objects.filter(pk=other.pk).update(
        shared_secret_ciphertext=messenger.shared_secret_ciphertext,
        shared_secret_fingerprint="copied",
    )
    other.refresh_from_db()
    with pytest.raises(NoSigningKey):
        keycache.messenger_secret(messenger=other)


def test_reencrypt_moves_shared_secrets_to_the_new_key_encryption_key(brand, settings):
    messenger, _ = _zendesk(brand)
    before = messenger.shared_secret_ciphertext
    new_kek = Fernet.generate_key().decode()
    settings.KEY_ENCRYPTION_KEYS = [new_kek, OLD_KEK]
    out = io.StringIO()
    call_command("reencrypt_signing_keys", stdout=out)
    assert "Re-encrypted 1 messenger shared secret(s)." in out.getvalue()
    settings.KEY_ENCRYPTION_KEYS = [new_kek]  # the old KEK is gone
    keycache.clear()
    messenger.refresh_from_db()
    assert messenger.shared_secret_ciphertext != before
    assert keycache.messenger_secret(messenger=messenger).key == SECRET.encode()


def test_a_secret_that_no_longer_decrypts_is_reported_and_exits_1(brand, settings):
    _zendesk(brand)
    settings.KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("reencrypt_signing_keys", stdout=io.StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert "shared secret of messenger acme-zen does not decrypt" in err.getvalue()


def test_the_secret_never_reaches_the_admin_jwks_setup_document_or_token_errors(
    brand, staff_client, customer, totp_device, settings, caplog
):
    caplog.set_level(logging.DEBUG)
    messenger, _ = _zendesk(brand)
    pages = [
        staff_client.get(reverse("admin:brands_messenger_change", args=[messenger.pk])),
        staff_client.get(reverse("admin:brands_messenger_changelist")),
        staff_client.get(reverse("admin:brands_brand_change", args=[brand.pk])),
        Client().get("/.well-known/jwks.json"),
        Client().get(f"/brands/{brand.slug}/.well-known/jwks.json"),
        Client().get(f"/api/v1/messaging/messengers/{messenger.slug}/setup"),
    ]
    change = pages[0].content.decode()
    assert "set on" in change and messenger.shared_secret_fingerprint[:23] in change
    for page in pages:
        assert page.status_code == 200
        assert SECRET not in page.content.decode()
    for document in pages[3:5]:
        assert all(k["kty"] != "oct" for k in json.loads(document.content)["keys"])
    # an error body: the secret no longer decrypts -> 503 without a word of it
    settings.KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    keycache.clear()
    client = login_verified(Client(), customer.user, totp_device)
    response = client.post(
        "/api/v1/messaging/token",
        json.dumps({"messenger": messenger.slug}),
        content_type="application/json",
    )
    assert response.status_code == 503 and response.json()["error"] == "no_signing_key"
    assert SECRET not in response.content.decode()
    assert SECRET not in caplog.text


def test_staff_replace_the_secret_in_the_admin_without_ever_seeing_it(brand, staff_client):
    messenger, _ = _zendesk(brand)
    url = reverse("admin:brands_messenger_change", args=[messenger.pk])
    form = {
        "platform": "zendesk",
        "is_active": "on",
        "audience": messenger.audience,
        "algorithm": "HS256",
        "token_ttl": "00:05:00",
        "attributes": json.dumps(messenger.attributes),
        "allowed_origins": "[]",
        "vendor_settings": ZENDESK,
    }
    # a too-short secret: an error on the field, and the value is not rendered back
    short = "short-but-distinctive-value"
    response = staff_client.post(url, {**form, "new_shared_secret": short})
    assert response.status_code == 200
    page = response.content.decode()
    assert "at least 32 characters" in page and short not in page
    # a good one replaces the old secret
    response = staff_client.post(url, {**form, "new_shared_secret": OTHER})
    assert response.status_code == 302
    messenger.refresh_from_db()
    assert keycache.messenger_secret(messenger=messenger).key == OTHER.encode()
    assert messenger.shared_secret_key_id == "app_42"  # kept
    page = staff_client.get(url).content.decode()
    assert OTHER not in page and SECRET not in page


def test_the_vendor_setup_panel_lists_what_to_enter_in_the_console(brand, staff_client):
    sf = services.messenger_create(
        brand=brand,
        slug="acme-sf",
        platform="salesforce",
        vendor_settings=vendor_settings_example("salesforce"),
    )
    services.signing_key_generate(brand=brand, key_size=2048, activate=True)
    page = staff_client.get(reverse("admin:brands_messenger_change", args=[sf.pk]))
    text = page.content.decode()
    for expected in (
        "Keyset issuer",
        brand.issuer_url,
        brand.jwks_url,
        "x5c certificate valid until",
        "platforms/salesforce/guide.md",
        "00D5g000004abcdEAA",
    ):
        assert expected in text
    zen, _ = _zendesk(brand)
    text = staff_client.get(reverse("admin:brands_messenger_change", args=[zen.pk])).content
    assert b"Signing key id (JWT header kid)" in text and b"app_42" in text


PANELS = {
    "salesforce": ["Keyset issuer", "JWKS endpoint URL", "x5c", "RS256", "300 seconds"],
    "zendesk": ["Signing key id (JWT header kid)", "Shared secret", "HS256", "external_id"],
    "liveperson": ["JS method, method name lpGetAuthenticationToken", "Audience (aud)", "JWKS"],
    "d365": ["Public key URL", "/public-key", "setAuthTokenProvider", "msdyn_isvip"],
    "intercom": ["Messenger security secret", "HS256", "user_id"],
}


@pytest.mark.parametrize(("platform", "expected"), PANELS.items(), ids=PANELS.keys())
def test_each_platform_panel_shows_its_console_values_and_settings(
    brand, staff_client, platform, expected
):
    services.signing_key_generate(brand=brand, key_size=2048, activate=True)
    messenger = services.messenger_create(
        brand=brand,
        slug=f"acme-{platform}",
        platform=platform,
        vendor_settings=vendor_settings_example(platform),
    )
    page = staff_client.get(reverse("admin:brands_messenger_change", args=[messenger.pk]))
    text = page.content.decode()
    assert f"platforms/{platform}/guide.md" in text
    for value in expected:
        assert value in text, value
    for declared in vendor_settings_example(platform).values():
        assert declared in text  # the vendor settings it keeps, with their labels
