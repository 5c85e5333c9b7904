"""Passkeys in Chromium with a virtual authenticator (CDP ``WebAuthn.addVirtualAuthenticator``).

WebAuthn needs a secure context and a domain RP id: the live server is reached as
``http://localhost:<port>`` and the RP id is ``localhost``.
"""

import logging

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from tests.browser.a11y import assert_accessible
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def passkey_portal(portal, settings):
    url = portal.url.replace("127.0.0.1", "localhost")
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [url]
    settings.PUBLIC_BASE_URL = url
    settings.CSRF_TRUSTED_ORIGINS = [url]
    return url


def virtual_authenticator(page, *, user_verified: bool = True) -> tuple:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    result = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": user_verified,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, result["authenticatorId"]


@pytest.fixture
def passkey_page(browser, passkey_portal):
    context = browser.new_context(base_url=passkey_portal)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def password_step(page, user):
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")


def test_a_customer_adds_a_passkey_on_the_security_page_and_logs_in_with_it(
    passkey_page, customer, totp_device
):
    page = passkey_page
    virtual_authenticator(page)
    # given a customer logged in with password and TOTP
    password_step(page, customer.user)
    page.wait_for_selector("#id_code")
    page.fill("#id_code", _totp(totp_device))
    page.click("main form button[type=submit]")
    page.wait_for_selector("#customer-name")
    # when they add a named passkey from the security page
    page.click("#security-link")
    page.fill("#passkey-name", "Work laptop")
    page.click("#passkey-register")
    page.wait_for_selector("#passkey-list")
    # then it is listed, and stored as a confirmed django-otp device
    assert "Work laptop" in page.inner_text("#passkey-list")
    assert_accessible(page)
    assert WebAuthnCredential.objects.filter(user=customer.user, confirmed=True).count() == 1
    # when they log out and log in again with password + passkey
    page.click("button:has-text('Log out')")
    password_step(page, customer.user)
    page.wait_for_selector("#passkey-login")
    assert_accessible(page)
    page.click("#passkey-login")
    page.wait_for_selector("#customer-name")
    # then the session is verified by the passkey
    page.goto("/security/")
    assert "passkey" in page.inner_text("#current-assurance")
    assert WebAuthnCredential.objects.get(user=customer.user).last_used_at is not None


def test_a_new_customer_chooses_a_passkey_as_first_second_factor_and_gets_backup_codes(
    passkey_page, customer
):
    page = passkey_page
    virtual_authenticator(page)
    password_step(page, customer.user)
    page.wait_for_url("**/login/enroll/")
    page.click("#passkey-register")
    page.wait_for_selector("#backup-codes")
    assert len(page.query_selector_all("#backup-codes li")) == 10
    # the same codes page as the authenticator path: shown until the customer saved them
    page.goto("/")
    page.wait_for_selector("#backup-codes")
    page.check("#id_saved")
    page.click("text=Continue to the portal")
    assert page.inner_text("#customer-name").startswith("Ada")


def test_a_passkey_without_user_verification_is_refused_and_nothing_is_enrolled(
    passkey_page, customer, caplog
):
    page = passkey_page
    virtual_authenticator(page, user_verified=False)
    password_step(page, customer.user)
    page.wait_for_url("**/login/enroll/")
    with caplog.at_level(logging.WARNING, logger="accounts.passkeys"):
        page.click("#passkey-register")
        status = page.wait_for_selector("[data-passkey-status]:not([hidden])")
    assert status.inner_text()
    assert not WebAuthnCredential.objects.filter(user=customer.user).exists()


def test_staff_can_add_a_passkey_too(passkey_page, staff_user):
    from tests.factories import TOTPDeviceFactory

    device = TOTPDeviceFactory(user=staff_user)
    page = passkey_page
    virtual_authenticator(page)
    password_step(page, staff_user)
    page.fill("#id_code", _totp(device))
    page.click("main form button[type=submit]")
    page.goto("/security/")
    page.click("#passkey-register")
    page.wait_for_selector("#passkey-list")
    assert WebAuthnCredential.objects.filter(user=staff_user).count() == 1


def _totp(device) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
