"""The messenger screens, as a verified staff user: JSON defaults and validation, fixed slugs,
the vendor setup panel, and only the sections the messenger's platform uses."""

import json

import pytest
from django.urls import reverse

from brands import services
from brands.models import Messenger
from tests.admin import MESSENGER_ADD, messenger_add_payload

pytestmark = pytest.mark.django_db


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


def test_slugs_are_fixed_after_creation(staff_client, brand):
    messenger = services.messenger_create(brand=brand, slug="web")
    brand_page = staff_client.get(reverse("admin:brands_brand_change", args=[brand.pk]))
    messenger_page = staff_client.get(
        reverse("admin:brands_messenger_change", args=[messenger.pk])
    )
    assert 'name="slug"' not in brand_page.content.decode()
    assert 'name="slug"' not in messenger_page.content.decode()
    assert 'name="brand"' not in messenger_page.content.decode()


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
