"""The signing-key screens, as a verified staff user: keys generated, imported, activated,
rotated and revoked through actions; write-only material, never shown; emergency actions
confirmed first."""

import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import Client
from django.urls import reverse

from brands import services
from brands.models import Brand, Messenger, SigningKey
from tests import factories
from tests.admin import KEY_ADD, KEY_LIST, key_add_payload, messages_of, run_action
from tests.keys import private_pem

pytestmark = pytest.mark.django_db

BRAND_ADD = reverse("admin:brands_brand_add")


def _jwks_kids(slug: str) -> set[str]:
    body = Client().get(f"/brands/{slug}/.well-known/jwks.json").content
    return {k["kid"] for k in json.loads(body)["keys"]}


def _action(client, action: str, *keys, **extra) -> list[str]:
    response = run_action(client, KEY_LIST, action, *keys, follow=True, **extra)
    assert response.status_code == 200
    return messages_of(response)


def _generate(client, brand, algorithm="RS256") -> SigningKey:
    before = set(SigningKey.objects.values_list("pk", flat=True))
    response = client.post(
        KEY_ADD, key_add_payload(brand, algorithm=algorithm, key_size="2048", certificate="on")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [new] = SigningKey.objects.exclude(pk__in=before)
    assert response["Location"] == KEY_LIST
    added = client.get(KEY_LIST)  # shows (and consumes) the "was added" message
    assert new.kid in added.content.decode()
    return new


def test_the_admin_requires_a_verified_otp_device(brand):
    staff = factories.UserFactory(username="nootp", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    response = client.get(KEY_LIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_done_when_staff_runs_a_whole_rotation_in_the_admin(staff_client):
    # create a brand with a messenger (inline)
    response = staff_client.post(
        BRAND_ADD,
        {
            "slug": "initech",
            "name": "Initech",
            "issuer": "",
            "is_active": "on",
            "key_store": "database",  # the select's default, as a browser posts it
            "messengers-TOTAL_FORMS": "1",
            "messengers-INITIAL_FORMS": "0",
            "messengers-MIN_NUM_FORMS": "0",
            "messengers-MAX_NUM_FORMS": "1000",
            "messengers-0-slug": "initech-web",
            "messengers-0-platform": "generic",
            "messengers-0-is_active": "on",
            "messengers-0-audience": "",
            "messengers-0-algorithm": "RS256",
            "messengers-0-token_ttl": "00:05:00",
            "messengers-0-attributes": '["tier", "vip"]',
            "messengers-0-allowed_origins": '["https://chat.initech.example"]',
            "messengers-0-vendor_settings": "{}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    staff_client.get(response["Location"])
    brand = Brand.objects.get(slug="initech")
    messenger = Messenger.objects.get(slug="initech-web")
    assert messenger.brand == brand
    assert messenger.audience == "http://testserver/brands/initech/messengers/initech-web"

    # generate a key: pending and published
    first = _generate(staff_client, brand)
    assert first.state == "pending" and _jwks_kids("initech") == {first.kid}

    # activate it
    assert _action(staff_client, "activate", first) == [f"Key {first.kid}: activated."]
    first.refresh_from_db()
    assert first.state == "active"

    # rotate: a second key, refused before the pre-publication period, forced now
    second = _generate(staff_client, brand)
    assert _jwks_kids("initech") == {first.kid, second.kid}
    [refused] = _action(staff_client, "activate", second)
    assert "not_prepublished" in refused
    assert _action(staff_client, "activate_now", second, confirmed="yes") == [
        f"Key {second.kid}: activated."
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("retired", "active")
    assert _jwks_kids("initech") == {first.kid, second.kid}

    # revoke the old one: gone from the JWKS at once
    assert _action(staff_client, "revoke", first, confirmed="yes") == [
        f"Key {first.kid}: revoked."
    ]
    assert _jwks_kids("initech") == {second.kid}

    # activating the revoked key is a clear error
    [error] = _action(staff_client, "activate", first)
    assert "revoked" in error and "key_revoked" in error


def test_retire_and_generate_successor_actions(staff_client, brand):
    key = services.signing_key_generate(brand=brand, activate=True)
    assert _action(staff_client, "retire", key) == [f"Key {key.kid}: retired."]
    [message] = _action(staff_client, "generate_successor", key)
    assert "generated pending RS256 key" in message
    assert SigningKey.objects.filter(brand=brand, state="pending").count() == 1


def test_import_of_a_pem_through_the_add_form(staff_client, brand, rsa_pool):
    pem = private_pem(rsa_pool[4], b"pw")
    response = staff_client.post(
        KEY_ADD, key_add_payload(brand, source="import", pem=pem, password="pw", key_size="3072")
    )
    assert response.status_code == 302
    key = SigningKey.objects.get()
    assert key.origin == "imported" and key.state == "pending"


@pytest.fixture(scope="module")
def bad_pems():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return {
        "weak": (private_pem(weak), "", "RS256", "weak_key"),
        "encrypted": (None, "", "RS256", "encrypted_key"),
        "garbage": (
            "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----",
            "",
            "RS256",
            "invalid_key",
        ),
        "ec for rs256": (
            private_pem(ec.generate_private_key(ec.SECP256R1())),
            "",
            "RS256",
            "wrong_key_type",
        ),
        "empty": ("", "", "RS256", "Paste the PEM"),
    }


@pytest.mark.parametrize("case", ["weak", "encrypted", "garbage", "ec for rs256", "empty"])
def test_bad_imports_are_form_errors_and_the_pem_is_not_echoed(
    staff_client, brand, rsa_pool, bad_pems, case
):
    pem, password, algorithm, expected = bad_pems[case]
    if pem is None:
        pem = private_pem(rsa_pool[6], b"secret")
    response = staff_client.post(
        KEY_ADD,
        key_add_payload(brand, source="import", algorithm=algorithm, pem=pem, password=password),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert expected in page
    assert "PRIVATE KEY" not in page and (not pem or pem.splitlines()[1] not in page)
    assert not SigningKey.objects.exists()


def test_pages_never_show_private_material(staff_client, brand):
    key = services.signing_key_generate(brand=brand, activate=True)
    secret = services.signing_key_generate(brand=brand, algorithm="HS256")
    pages = [
        staff_client.get(KEY_LIST),
        staff_client.get(reverse("admin:brands_signingkey_change", args=[key.pk])),
        staff_client.get(reverse("admin:brands_signingkey_change", args=[secret.pk])),
        staff_client.get(reverse("admin:brands_brand_rotation", args=[brand.pk])),
        staff_client.get(KEY_ADD),
    ]
    for response in pages:
        page = response.content.decode()
        assert response.status_code == 200
        assert key.private_key_ciphertext[:40] not in page
        assert secret.private_key_ciphertext[:40] not in page
        assert "private_key_ciphertext" not in page
        assert not re.search(r'"(d|p|q|dp|dq|qi|k)":', page)
    change = pages[1].content.decode()
    assert key.kid in change and key.fingerprint in change
    assert "shared secret: never published" in pages[2].content.decode()


def test_keys_cannot_be_deleted(staff_client, brand):
    key = services.signing_key_generate(brand=brand)
    response = staff_client.get(reverse("admin:brands_signingkey_delete", args=[key.pk]))
    assert response.status_code == 403


def test_an_unusable_key_shows_its_reason(staff_client, brand):
    key = services.signing_key_generate(brand=brand, activate=True)
    SigningKey.objects.filter(pk=key.pk).update(unusable_reason="does not decrypt under any KEK")
    page = staff_client.get(reverse("admin:brands_signingkey_change", args=[key.pk])).content
    assert b"does not decrypt under any KEK" in page


def test_a_shared_secret_is_imported_write_only(staff_client, brand):
    secret = "zendesk-issued-secret-0123456789abcdef"
    response = staff_client.post(
        KEY_ADD,
        key_add_payload(
            brand, source="secret", algorithm="HS256", secret=secret, secret_kid="app_42"
        ),
    )
    assert response.status_code == 302
    key = SigningKey.objects.get()
    assert key.kid == "app_42" and key.algorithm == "HS256"
    page = staff_client.get(reverse("admin:brands_signingkey_change", args=[key.pk]))
    assert secret not in page.content.decode()


def test_a_short_shared_secret_is_a_form_error_not_echoed(staff_client, brand):
    response = staff_client.post(
        KEY_ADD, key_add_payload(brand, source="secret", algorithm="HS256", secret="tooShort1")
    )
    assert response.status_code == 200
    assert "weak_key" in response.content.decode()
    assert "tooShort1" not in response.content.decode()
    assert not SigningKey.objects.exists()


def test_view_only_staff_cannot_run_life_cycle_actions(brand):
    from django.contrib.auth.models import Permission

    key = services.signing_key_generate(brand=brand)
    viewer = factories.UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_signingkey"))
    device = factories.TOTPDeviceFactory(user=viewer)
    from tests.conftest import login_verified

    client = login_verified(Client(), viewer, device)
    page = client.get(KEY_LIST)
    assert page.status_code == 200 and key.kid in page.content.decode()
    assert 'value="activate"' not in page.content.decode()
    run_action(client, KEY_LIST, "activate", key)
    key.refresh_from_db()
    assert key.state == "pending"


def test_the_key_page_has_no_save_button(staff_client, brand):
    key = services.signing_key_generate(brand=brand)
    page = staff_client.get(reverse("admin:brands_signingkey_change", args=[key.pk]))
    assert 'name="_save"' not in page.content.decode()


def test_messages_keep_the_case_of_a_kid(staff_client, brand):
    key = services.signing_key_generate(brand=brand)
    SigningKey.objects.filter(pk=key.pk).update(kid="cJ5QPlowercase-first")
    response = run_action(staff_client, KEY_LIST, "activate", key, follow=True)
    assert "Key cJ5QPlowercase-first: activated." in response.content.decode()


@pytest.mark.parametrize("action", ["activate_now", "revoke"])
def test_an_emergency_action_asks_for_confirmation_first(staff_client, brand, action):
    services.signing_key_generate(brand=brand, activate=True)
    key = services.signing_key_generate(brand=brand)
    response = run_action(staff_client, KEY_LIST, action, key)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="confirm-warning"' in page and key.kid in page
    assert 'name="confirmed" value="yes"' in page
    key.refresh_from_db()
    assert key.state == "pending"  # nothing happened yet
    assert _action(staff_client, action, key, confirmed="yes") == [
        f"Key {key.kid}: {'activated' if action == 'activate_now' else 'revoked'}."
    ]
    key.refresh_from_db()
    assert key.state == ("active" if action == "activate_now" else "revoked")


def test_a_revocation_keeps_the_reason_staff_gave(staff_client, brand):
    key = services.signing_key_generate(brand=brand)
    _action(staff_client, "revoke", key, confirmed="yes", reason="laptop stolen")
    key.refresh_from_db()
    assert key.revocation_reason == "revoked in the admin by staff: laptop stolen"


def test_the_add_form_validates_without_creating_anything(brand, rsa_pool, rf, staff_user):
    from django.contrib import admin

    request = rf.get(KEY_ADD)
    request.user = staff_user
    form_class = admin.site.get_model_admin(SigningKey).get_form(request, None)
    for data in (
        key_add_payload(brand),
        key_add_payload(brand, source="import", pem=private_pem(rsa_pool[4])),
        key_add_payload(brand, source="secret", algorithm="HS256", secret="s" * 40),
    ):
        assert form_class(data=data).is_valid()
    assert not SigningKey.objects.exists()


def test_a_key_refused_at_save_time_is_an_error_message_not_a_500(
    staff_client, brand, monkeypatch
):
    from brands.errors import InvalidKeyMaterial

    def refuse(**kwargs):
        raise InvalidKeyMaterial("This key is already known.", code="duplicate_key")

    monkeypatch.setattr(services, "signing_key_generate", refuse)
    response = staff_client.post(KEY_ADD, key_add_payload(brand), follow=True)
    assert response.status_code == 200
    assert messages_of(response) == [
        "No key was created: This key is already known. (duplicate_key)"
    ]
    assert not SigningKey.objects.exists()


def test_the_change_lists_fit_their_columns(staff_client, brand):
    key = services.signing_key_generate(brand=brand)
    keys = staff_client.get(KEY_LIST).content.decode()
    assert f'<code title="{key.kid}">{key.kid[:12]}…</code>' in keys
    assert "column-activated_at" not in keys and "column-short_state" in keys
    brands = staff_client.get(reverse("admin:brands_brand_changelist")).content.decode()
    assert "column-issuer_display" not in brands and "column-created_at" in brands
