"""The session's user and device are read on every request (``accounts.auth``):
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


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["customer", "staff", "inactive", "unknown", "not_a_number"])
def test_the_backend_returns_the_user_djangos_backend_returns(customer, staff_user, case):
    from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
    from django.forms.models import model_to_dict

    from accounts.auth import ModelBackend

    user_id = {"customer": customer.user_id, "staff": staff_user.pk, "unknown": 10**9}.get(
        case, customer.user_id
    )
    if case == "inactive":
        type(customer.user).objects.filter(pk=user_id).update(is_active=False)
    if case == "not_a_number":
        user_id = "not-a-number"

    plain = DjangoModelBackend().get_user(user_id) if case != "not_a_number" else None
    ours = ModelBackend().get_user(user_id)

    assert (ours is None) == (plain is None)
    if plain is not None:
        assert model_to_dict(ours) == model_to_dict(plain)
        assert getattr(ours, "customer", None) == getattr(plain, "customer", None)
