"""The session's user and device are read on every request (``accounts.auth``, one query):
what changes in the database applies at the next request, as with Django's own classes."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

TOKEN_API = "/api/v1/messaging/token"


def _post(client, messenger):
    return client.post(TOKEN_API, {"messenger": messenger.slug}, content_type="application/json")


@pytest.mark.django_db
def test_a_deactivated_user_is_logged_out_at_the_next_request(
    verified_client, messenger, customer
):
    assert _post(verified_client, messenger).status_code == 200
    customer.user.is_active = False
    customer.user.save()
    response = _post(verified_client, messenger)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.django_db
def test_a_changed_password_ends_the_session(verified_client, messenger, customer):
    customer.user.set_password("a whole new passphrase 42")
    customer.user.save()
    assert _post(verified_client, messenger).json()["error"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["delete", "unconfirm"])
def test_a_removed_or_unconfirmed_device_is_no_second_factor(
    verified_client, messenger, totp_device, change
):
    assert _post(verified_client, messenger).status_code == 200
    if change == "delete":
        totp_device.delete()
    else:
        TOTPDevice.objects.filter(pk=totp_device.pk).update(confirmed=False)
    response = _post(verified_client, messenger)
    assert response.status_code == 403
    assert response.json()["error"] == "mfa_required"


@pytest.mark.django_db
def test_a_device_of_another_user_is_no_second_factor(verified_client, messenger, totp_device):
    from tests import factories

    other = factories.CustomerFactory().user
    TOTPDevice.objects.filter(pk=totp_device.pk).update(user=other)
    assert _post(verified_client, messenger).json()["error"] == "mfa_required"
