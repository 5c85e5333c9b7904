"""The admin behind django-otp: customers are searchable and filterable, device secrets hidden."""

import pytest
from django.test import Client

from tests import factories


@pytest.mark.django_db
def test_customer_admin_searches_and_filters(staff_client, customer):
    other = factories.CustomerFactory(
        tier=factories.TierFactory(code="platinum", rank=30), is_vip=True
    )
    found = staff_client.get("/admin/accounts/customer/", {"q": customer.user.last_name})
    assert customer.customer_id in found.content.decode()
    vip = staff_client.get("/admin/accounts/customer/", {"is_vip__exact": "1"}).content.decode()
    assert other.customer_id in vip and customer.customer_id not in vip
    by_tier = staff_client.get("/admin/accounts/customer/", {"tier__id__exact": customer.tier.pk})
    assert customer.customer_id in by_tier.content.decode()


@pytest.mark.django_db
def test_totp_device_secrets_are_never_shown_in_the_admin(staff_client, totp_device):
    page = staff_client.get(f"/admin/otp_totp/totpdevice/{totp_device.pk}/change/")
    assert page.status_code == 200
    assert totp_device.key not in page.content.decode()
    qr = staff_client.get(f"/admin/otp_totp/totpdevice/{totp_device.pk}/config/")
    assert qr.status_code == 403  # OTP_ADMIN_HIDE_SENSITIVE_DATA: no QR code, no key


@pytest.mark.django_db
def test_staff_without_a_verified_device_cannot_open_the_admin(staff_user):
    client = Client()
    client.force_login(staff_user)
    response = client.get("/admin/accounts/customer/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_the_admin_index_names_the_second_factors_and_oidc_grants_plainly(staff_client):
    index = staff_client.get("/admin/")
    headings = index.content.decode()
    assert "Second factor: backup codes" in headings
    assert "Second factor: authenticator apps" in headings
    assert "OIDC grants" in headings
    assert "Otp_Static" not in headings and "Oidc grants" not in headings
