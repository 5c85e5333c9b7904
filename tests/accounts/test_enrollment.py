"""A customer without a device sets up an authenticator and gets ten backup codes once."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken

from tests import factories
from tests.factories import PASSWORD


def _code_from_manual_key(key: str) -> str:
    import base64

    raw = base64.b32decode(key.replace(" ", "") + "=" * (-len(key.replace(" ", "")) % 8))
    return f"{TOTP(raw).token():06d}"


@pytest.mark.django_db
def test_enrollment_end_to_end(customer):
    client = Client()
    # given a customer who never set up a second factor
    response = client.post(
        reverse("accounts:login"), {"username": customer.user.username, "password": PASSWORD}
    )
    assert response["Location"] == reverse("accounts:enroll")
    # when they open the enrollment page
    page = client.get(reverse("accounts:enroll")).content.decode()
    assert "<svg" in page  # the QR code, inline
    key = re.search(r'id="manual-key">([A-Z2-7 ]+)<', page).group(1)
    # and confirm with a code computed from the shown key
    confirmed = client.post(reverse("accounts:enroll"), {"code": _code_from_manual_key(key)})
    assert confirmed["Location"] == reverse("accounts:backup-codes")
    done = client.get(reverse("accounts:backup-codes"))
    # then ten backup codes are shown, and the portal opens once they say they saved them
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "no-store" in done["Cache-Control"]
    assert client.get(reverse("accounts:home"))["Location"] == reverse("accounts:backup-codes")
    client.post(reverse("accounts:backup-codes"), {"saved": "on"})
    assert client.get(reverse("accounts:home")).status_code == 200
    assert client.get(reverse("accounts:backup-codes"))["Location"] == reverse("accounts:home")
    assert StaticToken.objects.filter(device__user=customer.user).count() == 10
    # and enrollment is closed now: the page sends them home instead of showing a new key
    assert client.get(reverse("accounts:enroll"))["Location"] == reverse("accounts:home")


@pytest.mark.django_db
def test_enrollment_rejects_a_wrong_code(customer):
    client = Client()
    client.post(
        reverse("accounts:login"), {"username": customer.user.username, "password": PASSWORD}
    )
    client.get(reverse("accounts:enroll"))
    response = client.post(reverse("accounts:enroll"), {"code": "12345"})
    assert response.status_code == 400
    assert "That code is not valid." in response.content.decode()
    assert client.get(reverse("accounts:home"))["Location"] == reverse("accounts:verify")


@pytest.mark.django_db
def test_password_alone_cannot_enroll_a_second_device(customer, totp_device):
    client = Client()
    client.post(
        reverse("accounts:login"), {"username": customer.user.username, "password": PASSWORD}
    )
    response = client.get(reverse("accounts:enroll"))
    assert response["Location"] == reverse("accounts:verify")
    assert customer.user.totpdevice_set.count() == 1
    assert factories.TOTPDeviceFactory._meta.model.objects.filter(confirmed=False).count() == 0
