"""Login: password step, second factor (TOTP or backup code), throttling, session rotation."""

import time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp

from tests import factories
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")
HOME = reverse("accounts:home")


def _totp_now(device, offset_steps: int = 0) -> str:
    value = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset_steps
    )
    return f"{value:0{device.digits}d}"


def _password_step(client: Client, username: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.mark.django_db
def test_login_with_password_then_totp_reaches_home(customer, totp_device, messenger):
    client = Client()
    # when
    first = _password_step(client, customer.user.username)
    second = client.post(VERIFY, {"code": _totp_now(totp_device)})
    home = client.get(HOME)
    # then
    assert first.status_code == 302 and first["Location"] == VERIFY
    assert second.status_code == 302 and second["Location"] == HOME
    assert home.status_code == 200
    assert customer.user.first_name in home.content.decode()
    assert "Chat with support" in home.content.decode()


@pytest.mark.django_db
def test_wrong_password_gives_a_generic_error(customer):
    client = Client()
    response = _password_step(client, customer.user.username, "wrong-password")
    unknown = _password_step(client, "nobody-by-that-name", "wrong-password")
    assert response.status_code == 400
    assert "Invalid username or password." in response.content.decode()
    # the same words for an unknown username: no user enumeration
    assert "Invalid username or password." in unknown.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_wrong_totp_code_is_refused(customer, totp_device):
    client = Client()
    _password_step(client, customer.user.username)
    wrong = f"{(int(_totp_now(totp_device)) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 400
    assert "That code is not valid." in response.content.decode()
    assert client.get(HOME)["Location"] == VERIFY


@pytest.mark.django_db
def test_expired_totp_code_is_refused(customer, totp_device):
    client = Client()
    _password_step(client, customer.user.username)
    # a code from ten steps (five minutes) ago is outside the tolerance
    response = client.post(VERIFY, {"code": _totp_now(totp_device, offset_steps=-10)})
    assert response.status_code == 400
    assert client.get(HOME).status_code == 302


@pytest.mark.django_db
def test_reused_totp_code_is_refused(customer, totp_device):
    code = _totp_now(totp_device)
    first = Client()
    _password_step(first, customer.user.username)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    second = Client()
    _password_step(second, customer.user.username)
    response = second.post(VERIFY, {"code": code})
    assert response.status_code == 400
    assert second.get(HOME).status_code == 302


@pytest.mark.django_db
def test_backup_code_works_once(customer):
    factories.backup_device(customer.user, codes=("abcd2345",))
    first = Client()
    _password_step(first, customer.user.username)
    assert first.post(VERIFY, {"code": "abcd2345"})["Location"] == HOME
    second = Client()
    _password_step(second, customer.user.username)
    response = second.post(VERIFY, {"code": "abcd2345"})
    assert response.status_code == 400
    assert second.get(HOME)["Location"] == VERIFY


@pytest.mark.django_db
def test_password_only_session_cannot_reach_home_or_admin(password_only_client, customer):
    customer.user.is_staff = True
    customer.user.save()
    assert password_only_client.get(HOME)["Location"] == VERIFY
    admin = password_only_client.get("/admin/")
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]


@pytest.mark.django_db
def test_anonymous_is_sent_to_login():
    assert Client().get(HOME)["Location"] == LOGIN


@pytest.mark.django_db
def test_session_key_rotates_at_login_and_after_mfa(customer, totp_device):
    client = Client()
    client.get(LOGIN)
    client.cookies["sessionid"] = "x"  # a fixated session id planted before login
    _password_step(client, customer.user.username)
    after_password = client.cookies["sessionid"].value
    client.post(VERIFY, {"code": _totp_now(totp_device)})
    after_mfa = client.cookies["sessionid"].value
    assert after_password not in ("x", "")
    assert after_mfa != after_password
    assert client.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id


@pytest.mark.django_db
def test_login_throttles_per_username_and_recovers_after_the_window(
    customer, totp_device, settings
):
    import time_machine

    settings.ACCOUNTS_LOGIN_FAILURES_PER_USERNAME = 3
    client = Client()
    with time_machine.travel(time.time(), tick=False) as clock:
        for _ in range(3):
            assert _password_step(client, customer.user.username, "nope").status_code == 400
        # the right password is now refused with a generic "try again later"
        throttled = _password_step(client, customer.user.username)
        assert throttled.status_code == 429
        assert "Too many attempts" in throttled.content.decode()
        clock.shift(16 * 60)
        # the window has passed: the customer gets in again, never locked out for good
        assert _password_step(client, customer.user.username)["Location"] == VERIFY


@pytest.mark.django_db
def test_login_throttles_per_client_address(settings, customer, totp_device):
    settings.ACCOUNTS_LOGIN_FAILURES_PER_ADDRESS = 4
    client = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(4):
        _password_step(client, f"guess{i}", "nope")
    response = _password_step(client, customer.user.username)
    assert response.status_code == 429
    # another address is not affected
    assert (
        _password_step(Client(REMOTE_ADDR="198.51.100.7"), customer.user.username).status_code
        == 302
    )


@pytest.mark.django_db
def test_totp_failures_are_throttled(customer, totp_device):
    client = Client()
    _password_step(client, customer.user.username)
    # time stands still: on a loaded machine a second between requests ends the back-off
    with time_machine.travel(time.time(), tick=False):
        for _ in range(3):
            wrong = "000000" if _totp_now(totp_device) != "000000" else "111111"
            client.post(VERIFY, {"code": wrong})
        response = client.post(VERIFY, {"code": _totp_now(totp_device)})
    # django-otp's exponential back-off refuses even the right code for a while
    assert response.status_code == 429
    assert "Too many attempts. Try again in" in response.content.decode()


@pytest.mark.django_db
def test_logout_ends_the_session(verified_client):
    assert verified_client.get(HOME).status_code == 200
    verified_client.post(reverse("accounts:logout"))
    assert verified_client.get(HOME)["Location"] == LOGIN


@pytest.mark.django_db
def test_next_survives_both_steps_and_never_leaves_the_site(customer, totp_device):
    client = Client()
    first = client.post(
        LOGIN + "?next=/admin/?a=1%26b=2",
        {"username": customer.user.username, "password": PASSWORD, "next": "/admin/?a=1&b=2"},
    )
    assert first["Location"] == VERIFY + "?next=%2Fadmin%2F%3Fa%3D1%26b%3D2"
    done = client.post(first["Location"], {"code": _totp_now(totp_device)})
    assert done["Location"] == "/admin/?a=1&b=2"
    # an off-site target is dropped
    other = Client()
    step = other.post(
        LOGIN,
        {
            "username": customer.user.username,
            "password": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert step["Location"] == VERIFY
