"""The admin, as a verified staff user: brands with messengers, keys generated, imported,
activated, rotated and revoked through actions, the rotation timeline, no secret shown."""

import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import Client
from django.urls import reverse

from brands import services
from brands.models import Brand, Messenger, SigningKey
from tests import factories
from tests.admin import (
    KEY_ADD,
    KEY_LIST,
    MESSENGER_ADD,
    key_add_payload,
    messages_of,
    messenger_add_payload,
    run_action,
)
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


def test_brand_action_generates_a_key(staff_client, brand):
    response = run_action(
        staff_client, reverse("admin:brands_brand_changelist"), "generate_rs256_key", brand
    )
    assert response.status_code == 302
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


def test_rotation_timeline_shows_states_dates_and_the_published_jwks(staff_client, brand):
    retired = services.signing_key_generate(brand=brand, activate=True)
    active = services.signing_key_generate(brand=brand)
    services.signing_key_activate(key=active, force=True)
    revoked = services.signing_key_generate(brand=brand)
    services.signing_key_revoke(key=revoked)
    change = staff_client.get(reverse("admin:brands_brand_change", args=[brand.pk]))
    url = reverse("admin:brands_brand_rotation", args=[brand.pk])
    assert url in change.content.decode()
    page = staff_client.get(url).content.decode()
    for key in (retired, active, revoked):
        assert key.kid in page
    published = re.search(r'<pre id="published-jwks">(.*?)</pre>', page, re.S).group(1)
    assert retired.kid in published and active.kid in published
    assert revoked.kid not in published
    assert "leaves the JWKS" in page and "rotation due" in page


def test_rotation_timeline_of_an_unknown_brand_redirects(staff_client):
    response = staff_client.get(reverse("admin:brands_brand_rotation", args=[999]))
    assert response.status_code == 302


def test_messenger_admin_fills_json_defaults(staff_client, brand):
    response = staff_client.post(MESSENGER_ADD, messenger_add_payload(brand, "web"))
    assert response.status_code == 302
    messenger = Messenger.objects.get()
    assert (messenger.attributes, messenger.allowed_origins, messenger.vendor_settings) == (
        [],
        [],
        {},
    )


def test_messenger_admin_validates(staff_client, brand):
    response = staff_client.post(
        MESSENGER_ADD,
        messenger_add_payload(
            brand,
            "web",
            token_ttl="00:00:10",
            attributes='["tier"]',
            allowed_origins='["http://evil.example"]',
            vendor_settings="[]",
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Token lifetime must be between" in page
    assert "must use https" in page
    assert "Must be a JSON object" in page
    assert not Messenger.objects.exists()


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


def test_slugs_are_fixed_after_creation(staff_client, brand):
    messenger = services.messenger_create(brand=brand, slug="web")
    brand_page = staff_client.get(reverse("admin:brands_brand_change", args=[brand.pk]))
    messenger_page = staff_client.get(
        reverse("admin:brands_messenger_change", args=[messenger.pk])
    )
    assert 'name="slug"' not in brand_page.content.decode()
    assert 'name="slug"' not in messenger_page.content.decode()
    assert 'name="brand"' not in messenger_page.content.decode()


def test_the_timeline_links_to_adding_a_key_for_the_brand(staff_client, brand):
    page = staff_client.get(reverse("admin:brands_brand_rotation", args=[brand.pk])).content
    add_url = f"{KEY_ADD}?brand={brand.pk}"
    assert add_url.encode() in page
    form = staff_client.get(add_url).content.decode()
    assert f'<option value="{brand.pk}" selected>' in form


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


@pytest.mark.django_db
def test_messenger_page_shows_the_vendor_setup_panel(staff_client, messenger):
    page = staff_client.get(f"/admin/brands/messenger/{messenger.pk}/change/").content.decode()
    assert "Vendor setup: what the chat platform must be given" in page
    for value in (
        messenger.issuer,
        messenger.audience,
        messenger.jwks_url,
        messenger.brand.discovery_url,
        "RS256",
        "300 seconds",
    ):
        assert f"<code>{value}</code>" in page
    assert "PRIVATE KEY" not in page


def test_help_texts_show_their_placeholders(staff_client):
    page = staff_client.get(BRAND_ADD).content.decode()
    # escaped once in the HTML, so the browser shows <PUBLIC_BASE_URL>/brands/<slug>
    assert "Empty means &lt;PUBLIC_BASE_URL&gt;/brands/&lt;slug&gt;." in page


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


def test_the_rotation_timeline_says_why_each_step_is_due(staff_client, brand):
    services.signing_key_generate(brand=brand, activate=True)
    page = staff_client.get(reverse("admin:brands_brand_rotation", args=[brand.pk]))
    html = page.content.decode()
    assert '<td class="reason">no pending key is published: a next key must be published' in html


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


def test_the_messengers_list_names_algorithm_and_lifetime_briefly(staff_client, messenger):
    page = staff_client.get(reverse("admin:brands_messenger_changelist")).content.decode()
    row = page[page.index(">acme-web<") :]
    assert '<td class="field-algorithm_code">RS256</td>' in row
    assert '<td class="field-lifetime">5 min</td>' in row
    assert "column-audience" not in page  # on the messenger's page, and searchable
    assert "RSA PKCS#1 v1.5, SHA-256" not in row[: row.index("</tr>")]


def _change_page(staff_client, messenger) -> str:
    return staff_client.get(f"/admin/brands/messenger/{messenger.pk}/change/").content.decode()


def test_a_messenger_page_shows_only_the_sections_its_platform_uses(
    staff_client, messenger, genesys_client
):
    generic = _change_page(staff_client, messenger)
    assert (
        "Client credentials (OpenID Connect: Genesys" not in generic
        and 'name="redirect_uris"' not in generic
    )
    assert "Shared secret (Zendesk, Intercom" not in generic
    assert "Nothing to copy back from the Generic JWT console" in generic
    assert 'name="label"' in generic  # the name customers see in the chat picker
    genesys = _change_page(staff_client, genesys_client[0])
    assert (
        "Client credentials (OpenID Connect: Genesys" in genesys
        and 'name="redirect_uris"' in genesys
    )
    assert "Shared secret (Zendesk, Intercom" not in genesys
    assert "From the Genesys Cloud console, kept here" in genesys
    add = staff_client.get(MESSENGER_ADD).content.decode()  # platform not chosen yet
    assert (
        "Client credentials (OpenID Connect: Genesys" in add
        and "Shared secret (Zendesk, Intercom" in add
    )


def test_saving_a_messenger_keeps_what_its_hidden_sections_hold(staff_client, genesys_client):
    messenger = genesys_client[0]
    uris = list(messenger.redirect_uris)
    payload = messenger_add_payload(messenger.brand, messenger.slug, "generic", label="Web")
    payload["vendor_settings"] = json.dumps(messenger.vendor_settings)
    # a Genesys client turned into a generic messenger: the form no longer carries its URIs
    assert (
        staff_client.post(f"/admin/brands/messenger/{messenger.pk}/change/", payload).status_code
        == 302
    )
    messenger.refresh_from_db()
    assert (messenger.platform, messenger.label, messenger.redirect_uris) == (
        "generic",
        "Web",
        uris,
    )
    # and back: its page shows the OpenID Connect section again, the URIs as they were
    assert 'name="redirect_uris"' not in _change_page(staff_client, messenger)
    payload["platform"] = "genesys"
    response = staff_client.post(f"/admin/brands/messenger/{messenger.pk}/change/", payload)
    assert response.status_code == 302, response.content.decode()
    messenger.refresh_from_db()
    assert messenger.platform == "genesys" and messenger.redirect_uris == uris
    assert 'name="redirect_uris"' in _change_page(staff_client, messenger)


def test_the_brand_page_lists_its_messengers_one_line_each_with_fixed_slugs(
    staff_client, messenger
):
    page = staff_client.get(f"/admin/brands/brand/{messenger.brand.pk}/change/").content.decode()
    slug_input = re.search(r'<input[^>]*name="messengers-0-slug"[^>]*>', page).group(0)
    assert f'value="{messenger.slug}"' in slug_input and "disabled" in slug_input
    assert 'name="messengers-0-label"' in page and 'name="messengers-0-platform"' in page
    # the rest is on the messenger's own page, linked from its line
    assert 'name="messengers-0-vendor_settings"' not in page
    assert f"/admin/brands/messenger/{messenger.pk}/change/" in page
    # a new line's slug can be typed
    assert "disabled" not in re.search(
        r'<input[^>]*name="messengers-__prefix__-slug"[^>]*>', page
    ).group(0)
