"""What a customer sees on the portal's own pages: brand, logout, second step, backup codes."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP

from accounts import services
from accounts.models import Membership
from brands.models import Brand
from tests import factories
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
HOME = reverse("accounts:home")
LOGOUT = reverse("accounts:logout")
CODES = reverse("accounts:backup-codes")


def _topbar(response) -> str:
    html = response.content.decode()
    return html[html.index('<header class="topbar">') : html.index("</header>")]


@pytest.fixture
def branded(brand):
    brand.primary_color = "#0e6e63"
    brand.header_color = "#0b2545"
    brand.support_phone = "+44 20 7946 0000"
    brand.support_email = "help@acme.example"
    brand.save()
    return brand


# --- brand-aware pages ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_customer_of_one_brand_sees_its_name_colours_and_support_footer(
    verified_client, branded
):
    page = verified_client.get(HOME)
    html = page.content.decode()
    assert "<title>Home · Acme Bank</title>" in html
    assert "Verified Chat Portal" not in html
    assert "Acme Bank" in _topbar(page)
    assert reverse("accounts:brand-theme", args=["acme"]) in html
    assert 'href="tel:+442079460000"' in html and "help@acme.example" in html


@pytest.mark.django_db
def test_a_customer_of_two_brands_sees_the_neutral_portal(verified_client, customer, branded):
    Membership.objects.create(customer=customer, brand=factories.BrandFactory(slug="globex"))
    html = verified_client.get(HOME).content.decode()
    assert "<title>Home · Customer portal</title>" in html
    assert "/theme/" not in html and "help@acme.example" not in html


@pytest.mark.django_db
def test_the_login_page_is_neutral_and_names_no_brand(branded):
    html = Client().get(LOGIN).content.decode()
    assert "Customer portal" in html and "Acme Bank" not in html


@pytest.mark.django_db
def test_brand_texts_are_escaped(verified_client, branded):
    branded.name = '<script>alert("x")</script>'
    branded.support_hours = "<b>24/7</b>"
    branded.save()
    html = verified_client.get(HOME).content.decode()
    assert "<script>alert" not in html and "<b>24/7</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;24/7&lt;/b&gt;" in html


@pytest.mark.django_db
def test_the_brand_theme_is_a_stylesheet_of_its_colours(client, branded):
    response = client.get(reverse("accounts:brand-theme", args=["acme"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    css = response.content.decode()
    assert "--accent: #0e6e63" in css and "--topbar-bg: #0b2545" in css
    assert "--topbar-fg: #ffffff" in css  # white reads best on a dark top bar
    assert client.get(reverse("accounts:brand-theme", args=["nope"])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("primary_color", "#ffd700", "contrast of 1.4:1 against white"),
        ("primary_color", "red; } body { display:none", "six hexadecimal digits"),
        ("header_color", "#12345", "six hexadecimal digits"),
        ("logo_url", "javascript:alert(1)", "path on this site"),
        ("logo_url", "http://logo.example/l.png", "path on this site"),
    ],
)
def test_the_admin_refuses_unreadable_or_unsafe_branding(brand, field, value, message):
    setattr(brand, field, value)
    with pytest.raises(ValidationError) as refused:
        brand.full_clean()
    assert message in " ".join(refused.value.message_dict[field])


@pytest.mark.django_db
def test_the_brand_admin_has_the_branding_fields(staff_client, branded):
    page = staff_client.get(reverse("admin:brands_brand_change", args=[branded.pk]))
    html = page.content.decode()
    assert "What customers see" in html
    for field in ("logo_url", "primary_color", "header_color", "support_phone"):
        assert f'name="{field}"' in html
    assert Brand.objects.get(pk=branded.pk).primary_color == "#0e6e63"


# --- the second step and logging out -------------------------------------------------------


@pytest.mark.django_db
def test_the_second_step_shows_neither_the_name_nor_log_out(password_only_client, customer):
    page = password_only_client.get(reverse("accounts:verify"))
    topbar = _topbar(page)
    assert customer.user.first_name not in topbar and customer.user.last_name not in topbar
    assert "Log out" not in topbar
    assert "Start again" in page.content.decode()  # the way back is in the page itself


@pytest.mark.django_db
def test_get_logout_asks_for_confirmation_and_post_logs_out(verified_client):
    page = verified_client.get(LOGOUT)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<form method="post" action="{LOGOUT}"' in html and "Log out?" in html
    assert verified_client.get(HOME).status_code == 200  # GET changed nothing
    assert verified_client.post(LOGOUT)["Location"] == "/logged-out/"
    assert verified_client.get(HOME)["Location"] == LOGIN


@pytest.mark.django_db
def test_get_logout_without_a_session_goes_to_the_login(client):
    assert client.get(LOGOUT)["Location"] == LOGIN


@pytest.mark.django_db
def test_login_keeps_next_through_both_steps(customer, totp_device):
    client = Client()
    response = client.post(
        f"{LOGIN}?next=/%3Fchat%3Dacme-web",
        {"username": customer.user.username, "password": PASSWORD, "next": "/?chat=acme-web"},
    )
    assert response["Location"] == f"{reverse('accounts:verify')}?next=%2F%3Fchat%3Dacme-web"
    done = client.post(
        response["Location"],
        {"code": f"{TOTP(totp_device.bin_key).token():06d}", "next": "/?chat=acme-web"},
    )
    assert done["Location"] == "/?chat=acme-web"


# --- backup codes --------------------------------------------------------------------------


def _enrolled(customer) -> tuple[Client, list[str]]:
    client = Client()
    client.post(LOGIN, {"username": customer.user.username, "password": PASSWORD})
    device = services.totp_enrollment_start(user=customer.user)
    client.post(reverse("accounts:enroll"), {"code": f"{TOTP(device.bin_key).token():06d}"})
    html = client.get(CODES).content.decode()
    return client, re.findall(r"<li><code>([a-z0-9]+)</code></li>", html)


@pytest.mark.django_db
def test_backup_codes_need_an_explicit_i_have_saved_them(customer):
    client, codes = _enrolled(customer)
    assert len(codes) == 10
    page = client.get(CODES).content.decode()
    for control in ('id="copy-codes"', 'id="download-codes"', 'id="print-codes"'):
        assert control in page
    # the portal waits for the confirmation, and a reload shows the same codes again
    assert client.get(HOME)["Location"] == CODES
    refused = client.post(CODES, {})
    assert refused.status_code == 400
    assert "Tick the box once your backup codes are saved." in refused.content.decode()
    assert re.findall(r"<li><code>([a-z0-9]+)</code></li>", refused.content.decode()) == codes
    # once confirmed, the portal opens and the codes are gone for good
    assert client.post(CODES, {"saved": "on"})["Location"] == HOME
    assert client.get(HOME).status_code == 200
    assert client.get(CODES)["Location"] == HOME


@pytest.mark.django_db
def test_unsaved_backup_codes_are_not_in_the_session_store_in_clear(customer):
    _, codes = _enrolled(customer)
    stored = " ".join(Session.objects.values_list("session_data", flat=True))
    decoded = " ".join(str(s.get_decoded()) for s in Session.objects.all())
    assert codes and not any(code in stored or code in decoded for code in codes)
