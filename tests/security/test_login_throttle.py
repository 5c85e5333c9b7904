"""One throttled two-step login for everyone, atomic under load."""

import threading
import time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp

from accounts import services as accounts_services
from tests import factories
from tests.factories import PASSWORD
from tests.security.helpers import Browser, PasswordCheckCounter

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")


def _code(device) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def _wrong_code(device) -> str:
    return "000000" if _code(device) != "000000" else "111111"


@pytest.fixture
def staff_with_device(db):
    staff = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    return staff, factories.TOTPDeviceFactory(user=staff)


# --- staff use the portal's two steps --------------------------------------------


def test_admin_login_redirects_to_the_portal_login_keeping_next(db):
    response = Client().get("/admin/login/?next=/admin/brands/brand/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN + "?next=%2Fadmin%2Fbrands%2Fbrand%2F"


def test_admin_login_drops_an_off_site_next(db):
    response = Client().get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == LOGIN + "?next=%2Fadmin%2F"


def test_the_admin_sends_a_password_only_staff_session_to_the_second_step(staff_with_device):
    staff, _device = staff_with_device
    client = Client()
    client.force_login(staff)
    first = client.get("/admin/")
    second = client.get(first["Location"])
    assert second["Location"] == VERIFY + "?next=%2Fadmin%2F"


def test_staff_reach_the_admin_through_password_and_totp(staff_with_device):
    staff, device = staff_with_device
    client = Client()
    # when staff follow the admin's redirect and pass both portal steps
    entry = client.get(client.get("/admin/")["Location"])
    step = client.post(
        entry["Location"], {"username": staff.username, "password": PASSWORD, "next": "/admin/"}
    )
    done = client.post(step["Location"], {"code": _code(device)})
    # then they land on the admin index, signed in
    assert done["Location"] == "/admin/"
    page = client.get("/admin/")
    assert (
        page.status_code == 200
        and "Brands, keys, messengers and customers" in page.content.decode()
    )
    assert "otp_device" not in page.content.decode()


def test_password_guesses_posted_to_the_admin_login_check_no_password(
    staff_with_device, monkeypatch
):
    # given an attacker posting straight to django's admin login form
    checks = PasswordCheckCounter(monkeypatch)
    client = Client()
    statuses = {
        client.post(
            "/admin/login/", {"username": "root", "password": f"guess-{i}", "otp_device": ""}
        ).status_code
        for i in range(20)
    }
    # then no password was ever checked there: everyone goes through the portal's throttle
    assert checks.count == 0
    assert statuses == {302}


def test_staff_guesses_through_the_portal_are_throttled_with_the_wait(
    staff_with_device, monkeypatch, settings
):
    settings.ACCOUNTS_LOGIN_FAILURES_PER_USERNAME = 5
    checks = PasswordCheckCounter(monkeypatch)
    client = Client()
    statuses = [
        client.post(
            LOGIN + "?next=/admin/", {"username": "root", "password": f"guess-{i}"}
        ).status_code
        for i in range(12)
    ]
    last = client.post(LOGIN, {"username": "root", "password": PASSWORD})
    assert checks.count == 5
    assert statuses == [400] * 5 + [429] * 7
    assert last.status_code == 429
    assert "Try again in 15 minutes." in last.content.decode()


# --- the waits are told, also after wrong one-time codes --------------------------


def test_wrong_one_time_codes_are_throttled_with_the_wait(customer, totp_device, settings):
    settings.ACCOUNTS_MFA_FAILURES_PER_USER = 3
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's own back-off aside
    client = Client()
    client.post(LOGIN, {"username": customer.user.username, "password": PASSWORD})
    with time_machine.travel(time.time(), tick=False) as clock:
        for _ in range(3):
            assert client.post(VERIFY, {"code": _wrong_code(totp_device)}).status_code == 400
        refused = client.post(VERIFY, {"code": _code(totp_device)})
        assert refused.status_code == 429
        assert "Too many attempts. Try again in 15 minutes." in refused.content.decode()
        clock.shift(14 * 60 + 30)
        later = client.post(VERIFY, {"code": _code(totp_device)})
        assert "Try again in 30 seconds." in later.content.decode()
        clock.shift(31)
        assert client.post(VERIFY, {"code": _code(totp_device)})["Location"] == "/"


def test_wrong_backup_codes_count_in_the_same_throttle(customer, settings):
    settings.ACCOUNTS_MFA_FAILURES_PER_USER = 2
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # django-otp's own back-off aside
    factories.backup_device(customer.user, codes=("abcd2345",))
    client = Client()
    client.post(LOGIN, {"username": customer.user.username, "password": PASSWORD})
    assert client.post(VERIFY, {"code": "zzzz2222"}).status_code == 400
    assert client.post(VERIFY, {"code": "zzzz3333"}).status_code == 400
    assert client.post(VERIFY, {"code": "abcd2345"}).status_code == 429


# --- atomic under concurrency -----------------------------------------------------


def _parallel_guesses(base_url: str, username: str, count: int) -> list[int]:
    browsers = [Browser(base_url) for _ in range(count)]
    tokens = [b.form_token(LOGIN) for b in browsers]
    start = threading.Barrier(count)
    statuses: list[int] = [0] * count

    def guess(index: int) -> None:
        start.wait()
        statuses[index], _ = browsers[index].post_form(
            LOGIN, {"username": username, "password": f"guess-{index}"}, tokens[index]
        )

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_forty_parallel_guesses_check_at_most_the_limit(
    live_server, monkeypatch, settings, production_password_hasher
):
    # given a customer and a limit of 5 failures per username; the production hasher, so each
    # password check takes as long as in production and the guesses overlap as they would
    settings.ACCOUNTS_LOGIN_FAILURES_PER_USERNAME = 5
    target = factories.UserFactory(username="target")
    assert target.password.startswith("pbkdf2_sha256$")
    checks = PasswordCheckCounter(monkeypatch)
    # when 40 guesses arrive at the same moment on the threaded live server
    statuses = _parallel_guesses(live_server.url, "target", 40)
    # then at most 5 passwords were checked; every other guess was refused unchecked
    assert checks.count <= 5
    assert statuses.count(429) >= 35
    assert set(statuses) <= {400, 429}


@pytest.mark.django_db(transaction=True)
def test_forty_parallel_wrong_codes_check_at_most_the_limit(live_server, monkeypatch, settings):
    # given a session of a customer that passed the password step
    settings.ACCOUNTS_MFA_FAILURES_PER_USER = 5
    user = factories.UserFactory(username="coded")
    factories.TOTPDeviceFactory(user=user)
    checked = []
    original = accounts_services.verify_token
    monkeypatch.setattr(
        accounts_services,
        "verify_token",
        lambda *args: checked.append(1) or original(*args),
    )
    browser = Browser(live_server.url)
    token = browser.form_token(LOGIN)
    status, _ = browser.post_form(LOGIN, {"username": "coded", "password": PASSWORD}, token)
    assert status == 302
    token = browser.form_token(VERIFY)
    # when it sends 40 codes at the same moment
    start = threading.Barrier(40)
    statuses = [0] * 40

    def guess(index: int) -> None:
        start.wait()
        statuses[index], _ = browser.post_form(
            VERIFY, {"code": f"{index * 7919 % 1_000_000:06d}"}, token
        )

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then at most 5 codes were checked
    assert len(checked) <= 5
    assert statuses.count(429) >= 35
