"""Passkey ceremonies on the server: what is accepted, what is refused and why, what is saved."""

import json
import logging

import pytest
from django.test import Client
from django_otp_webauthn.models import WebAuthnCredential

from accounts.assurance import ACR_PASSKEY
from accounts.services import second_factor_assurance
from tests.accounts.softkey import SoftAuthenticator, b64u, unb64u

ORIGIN = "http://localhost:8000"


@pytest.fixture(autouse=True)
def _relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def register(client, key, **kwargs):
    options = post(client, "/security/passkeys/register/begin/").json()
    return post(client, "/security/passkeys/register/complete/", key.create(options, **kwargs))


@pytest.fixture
def key():
    return SoftAuthenticator(origin=ORIGIN)


@pytest.fixture
def enrolled(verified_client, key, customer):
    response = register(verified_client, key)
    assert response.status_code == 200, response.content
    return key


@pytest.fixture
def password_client(customer):
    client = Client()
    client.force_login(customer.user)
    return client


def login_with(client, key, **kwargs):
    options = post(client, "/login/passkey/begin/").json()
    return post(client, "/login/passkey/complete/", key.get(options, **kwargs))


def test_a_verified_customer_registers_a_passkey(verified_client, key, customer):
    response = register(verified_client, key)
    assert response.status_code == 200
    device = WebAuthnCredential.objects.get(user=customer.user)
    assert device.confirmed and device.name == "Passkey 1"
    assert response.json()["redirect"] == "/security/"


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        ({"origin": "https://evil.example"}, "passkey_invalid"),
        ({"uv": False}, "passkey_invalid"),
    ],
)
def test_a_bad_registration_is_refused_logged_and_saves_nothing(
    verified_client, key, customer, caplog, tamper, code
):
    with caplog.at_level(logging.WARNING, logger="accounts.passkeys"):
        response = register(verified_client, key, **tamper)
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert "Nothing was saved" in response.json()["detail"]
    assert not WebAuthnCredential.objects.exists()
    assert f"code={code}" in caplog.text


def test_a_malformed_attestation_is_refused(verified_client, key):
    options = post(verified_client, "/security/passkeys/register/begin/").json()
    answer = key.create(options)
    answer["response"]["attestationObject"] = b64u(b"\xa1not cbor at all")
    response = post(verified_client, "/security/passkeys/register/complete/", answer)
    assert (response.status_code, response.json()["error"]) == (400, "passkey_invalid")
    assert not WebAuthnCredential.objects.exists()


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"id": 5}', b"{}"])
def test_garbage_instead_of_an_attestation_is_a_400_not_a_500(verified_client, body):
    post(verified_client, "/security/passkeys/register/begin/")
    response = verified_client.post(
        "/security/passkeys/register/complete/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "passkey_invalid"


def test_completing_without_beginning_is_refused(verified_client, key):
    response = post(verified_client, "/security/passkeys/register/complete/", {})
    assert response.json()["error"] == "passkey_no_challenge"


def test_a_password_alone_cannot_add_a_passkey_to_an_account_with_a_second_factor(
    password_only_client,
):
    response = post(password_only_client, "/security/passkeys/register/begin/")
    assert (response.status_code, response.json()["error"]) == (403, "mfa_required")


def test_the_passkey_is_a_second_login_step_and_sets_passkey_assurance(
    enrolled, password_client, customer
):
    assert password_client.get("/").status_code == 302  # not verified yet
    response = login_with(password_client, enrolled)
    assert response.status_code == 200, response.content
    assert password_client.get("/").status_code == 200
    session = password_client.session
    assurance = second_factor_assurance(session, customer.user)
    assert assurance.method == "passkey" and assurance.acr == ACR_PASSKEY
    assert assurance.amr == ["pwd", "hwk", "user"]


def test_an_assertion_for_another_rp_id_is_refused(enrolled, password_client):
    response = login_with(password_client, enrolled, rp_id="evil.example")
    assert (response.status_code, response.json()["error"]) == (400, "passkey_invalid")
    assert password_client.get("/").status_code == 302


def test_an_assertion_from_another_origin_is_refused(enrolled, password_client):
    response = login_with(password_client, enrolled, origin="https://evil.example")
    assert response.json()["error"] == "passkey_invalid"


def test_an_unknown_credential_is_refused(enrolled, password_client):
    stranger = SoftAuthenticator(origin=ORIGIN)
    response = login_with(password_client, stranger)
    assert (response.status_code, response.json()["error"]) == (400, "passkey_unknown")


def test_a_sign_counter_going_back_is_refused_as_a_clone(enrolled, password_client, customer):
    assert login_with(password_client, enrolled).status_code == 200
    stored = WebAuthnCredential.objects.get(user=customer.user).sign_count
    other = Client()
    other.force_login(customer.user)
    response = login_with(other, enrolled, counter=stored)
    assert (response.status_code, response.json()["error"]) == (400, "passkey_replayed")
    assert WebAuthnCredential.objects.get(user=customer.user).sign_count == stored
    assert other.get("/").status_code == 302


def test_a_replayed_assertion_is_refused(enrolled, password_client, customer):
    options = post(password_client, "/login/passkey/begin/").json()
    answer = enrolled.get(options)
    assert post(password_client, "/login/passkey/complete/", answer).status_code == 200
    other = Client()
    other.force_login(customer.user)
    post(other, "/login/passkey/begin/")
    response = post(other, "/login/passkey/complete/", answer)
    assert (response.status_code, response.json()["error"]) == (400, "passkey_replayed")
    assert other.get("/").status_code == 302


def test_a_malformed_assertion_is_a_clear_400(enrolled, password_client):
    options = post(password_client, "/login/passkey/begin/").json()
    answer = enrolled.get(options)
    answer["response"]["signature"] = b64u(unb64u(answer["response"]["signature"])[:-3])
    response = post(password_client, "/login/passkey/complete/", answer)
    assert (response.status_code, response.json()["error"]) == (400, "passkey_invalid")


def test_rename_and_remove_a_passkey(enrolled, verified_client, customer):
    device = WebAuthnCredential.objects.get(user=customer.user)
    verified_client.post(f"/security/passkeys/{device.pk}/rename/", {"name": "  Phone  "})
    assert WebAuthnCredential.objects.get(pk=device.pk).name == "Phone"
    page = verified_client.get("/security/")
    assert "Phone" in page.content.decode()
    verified_client.post(f"/security/passkeys/{device.pk}/remove/")
    assert not WebAuthnCredential.objects.exists()


def test_the_last_second_factor_cannot_be_removed(customer, key):
    from accounts.passkeys import PasskeyError, passkey_remove

    client = Client()
    client.force_login(customer.user)  # no factor yet: the passkey is the first one
    assert register(client, key).json()["redirect"] == "/login/backup-codes/"
    device = WebAuthnCredential.objects.get(user=customer.user)
    from django_otp.plugins.otp_static.models import StaticDevice

    StaticDevice.objects.filter(user=customer.user).delete()
    with pytest.raises(PasskeyError) as exc:
        passkey_remove(user=customer.user, passkey_id=device.pk)
    assert exc.value.code == "last_factor"


def test_another_customers_passkey_cannot_be_renamed(enrolled, customer, db):
    from tests.conftest import login_verified
    from tests.factories import CustomerFactory, TOTPDeviceFactory

    other = CustomerFactory()
    client = login_verified(Client(), other.user, TOTPDeviceFactory(user=other.user))
    device = WebAuthnCredential.objects.get(user=customer.user)
    client.post(f"/security/passkeys/{device.pk}/rename/", {"name": "mine"})
    assert WebAuthnCredential.objects.get(pk=device.pk).name != "mine"


def test_the_admin_lists_a_customers_second_factors_with_last_use(
    enrolled, password_client, staff_client, customer
):
    login_with(password_client, enrolled)
    device = WebAuthnCredential.objects.get(user=customer.user)
    page = staff_client.get(f"/admin/accounts/customer/{customer.pk}/change/").content.decode()
    assert "Second factors (last use)" in page
    assert "authenticator code" in page and "passkey" in page
    assert device.last_used_at.strftime("%Y-%m-%d %H:%M UTC") in page
    assert device.public_key.hex() not in page


def test_the_messenger_admin_edits_the_assurance_policy(staff_client, messenger):
    url = f"/admin/brands/messenger/{messenger.pk}/change/"
    page = staff_client.get(url).content.decode()
    assert "Assurance policy (step-up)" in page
    for name in ("min_acr", "max_auth_age", "vip_requires_passkey"):
        assert f'name="{name}"' in page
