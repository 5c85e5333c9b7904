"""The portal's Chat with support panel: brand choice, no token in the page, exact CSP."""

import pytest
from django.test import Client

from brands import services as brand_services
from tests import factories
from tests.conftest import login_verified


@pytest.mark.django_db
def test_home_offers_the_customers_messenger_without_any_token(verified_client, messenger):
    page = verified_client.get("/").content.decode()
    assert 'id="chat-button"' in page and messenger.slug in page
    assert "eyJ" not in page  # no JWT is ever rendered into the page
    assert "messaging/chat.js" in page


@pytest.mark.django_db
def test_a_customer_of_two_brands_chooses_the_brand(customer, totp_device, messenger, other_brand):
    factories.MembershipFactory(customer=customer, brand=other_brand)
    brand_services.messenger_create(brand=other_brand, slug="globex-web", platform="generic")
    client = login_verified(Client(), customer.user, totp_device)
    page = client.get("/").content.decode()
    assert '<select id="chat-messenger"' in page
    assert '<option value="acme-web">Acme Bank</option>' in page
    assert '<option value="globex-web">Globex Insurance</option>' in page


@pytest.mark.django_db
def test_a_brand_with_several_chats_names_each_so_the_customer_can_tell_them_apart(
    verified_client, brand, messenger
):
    # given a second generic chat with a name for customers, and a third with none
    brand_services.messenger_create(
        brand=brand, slug="acme-private", platform="generic", label="Private banking"
    )
    brand_services.messenger_create(brand=brand, slug="acme-web-2", platform="generic")
    brand_services.messenger_create(
        brand=brand,
        slug="acme-zendesk",
        platform="zendesk",
        vendor_settings={"snippet_key": "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9", "subdomain": "a"},
    )
    page = verified_client.get("/").content.decode()
    # then every option reads differently: the name, the platform, else the slug as well
    assert '<option value="acme-private">Acme Bank · Private banking</option>' in page
    assert '<option value="acme-zendesk">Acme Bank · Zendesk</option>' in page
    assert '<option value="acme-web">Acme Bank · web chat (acme-web)</option>' in page
    assert '<option value="acme-web-2">Acme Bank · web chat (acme-web-2)</option>' in page


@pytest.mark.django_db
def test_csp_allows_exactly_the_widget_origins_of_the_customers_messengers(
    verified_client, brand, signing_key, other_brand
):
    brand_services.messenger_create(
        brand=brand,
        slug="acme-vendor",
        platform="generic",
        allowed_origins=["https://widget.vendor.example"],
    )
    brand_services.messenger_create(
        brand=other_brand,
        slug="globex-vendor",
        platform="generic",
        allowed_origins=["https://other.vendor.example"],
    )
    csp = verified_client.get("/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "https://widget.vendor.example" in directives["script-src"]
    assert "https://widget.vendor.example" in directives["connect-src"]
    assert "https://other.vendor.example" not in csp  # not this customer's brand
    assert directives["frame-ancestors"] == "'none'"
    # the login page carries the baseline policy only
    assert "vendor.example" not in Client().get("/login/")["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_messenger_setup_names_the_brand_and_its_colour_for_the_chat_header(
    client, messenger, brand
):
    brand.primary_color = "#0e6e63"
    brand.save()
    setup = client.get(f"/api/v1/messaging/messengers/{messenger.slug}/setup").json()
    assert setup["brand_name"] == "Acme Bank"
    assert setup["brand_color"] == "#0e6e63"


@pytest.mark.django_db
def test_a_brand_logo_on_another_site_is_allowed_as_an_image_only(verified_client, brand):
    brand.logo_url = "https://cdn.acme.example/logo.svg"
    brand.save()
    response = verified_client.get("/")
    directives = dict(
        d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";")
    )
    assert "https://cdn.acme.example" in directives["img-src"]
    assert "cdn.acme.example" not in directives["script-src"]
    assert 'src="https://cdn.acme.example/logo.svg"' in response.content.decode()
