"""Passkeys (WebAuthn) as a second factor, on django-otp-webauthn's device model.

A passkey is a ``django_otp_webauthn.WebAuthnCredential``: a django-otp ``Device`` like the
TOTP authenticator and the backup codes, so ``otp_login``, ``is_verified()`` and
``accounts.permissions.IsVerifiedUser`` treat it the same way. The package's JSON views are not
used: the portal's own views (``accounts.passkey_views``) call the services below, which

- require user verification (PIN or biometric) in both ceremonies, so a passkey proves
  possession *and* the user (RFC 8176 ``hwk``/``swk`` + ``user``);
- never log in without a password first (``OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN`` off);
- turn every failure (malformed JSON, a wrong origin or RP id, an unknown credential, a sign
  counter that did not increase, a challenge used twice) into ``PasskeyError`` with a stable
  code, logged on ``accounts.passkeys``, never a 500;
- save the credential and its attestation in one transaction: nothing is enrolled half-way.

The challenge of a ceremony lives in the session and is popped before it is checked, so it is
single use. Settings: ``OTP_WEBAUTHN_RP_ID`` (the portal's domain) and
``OTP_WEBAUTHN_ALLOWED_ORIGINS`` (``PUBLIC_BASE_URL``), see config/settings.py.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers import exceptions as webauthn_exceptions
from webauthn.helpers import parse_authentication_credential_json, parse_authenticator_data
from webauthn.helpers.structs import UserVerificationRequirement

from accounts import conf
from accounts.models import User
from config import throttling
from config.errors import DomainError

logger = logging.getLogger(__name__)

REGISTER_STATE_KEY = "accounts_passkey_register"
AUTHENTICATE_STATE_KEY = "accounts_passkey_authenticate"
NAME_MAX = 64


class PasskeyError(DomainError):
    """A passkey ceremony or change refused; ``code`` says why, ``detail`` is for the page."""

    http_status = 400


class PasskeyHelper(WebAuthnHelper):
    """django-otp-webauthn's helper with user verification required in both ceremonies."""

    def get_generate_registration_options_kwargs(self, *, user):
        options = super().get_generate_registration_options_kwargs(user=user)
        options["authenticator_selection"].user_verification = UserVerificationRequirement.REQUIRED
        return options

    def get_generate_authentication_options_kwargs(self, *, user=None, require_user_verification):
        return super().get_generate_authentication_options_kwargs(
            user=user, require_user_verification=True
        )


def _helper(request) -> PasskeyHelper:
    return PasskeyHelper(request=request)


def _refuse(code: str, detail: str, *, user: User, exc: Exception | None = None):
    logger.warning(
        "passkey refused user=%s code=%s reason=%s",
        user.pk,
        code,
        type(exc).__name__ if exc else code,
    )
    return PasskeyError(detail, code=code)


def _pop_state(request, key: str, user: User) -> dict:
    state = request.session.pop(key, None)
    request.session.save()  # a failed attempt must not leave the challenge usable
    if not isinstance(state, dict) or not state.get("challenge"):
        raise _refuse(
            "passkey_no_challenge",
            "This passkey request has expired or was already used. Please try again.",
            user=user,
        )
    return state


# Anything the WebAuthn library or the JSON parsing can raise on hostile input.
_BAD_INPUT = (webauthn_exceptions.WebAuthnException, ValueError, TypeError, KeyError, IndexError)
# What a customer reads when a passkey's answer is refused, by code.
_ANSWER_REFUSED = {
    "passkey_replayed": "That passkey answer was refused: its signature counter went backwards, "
    "which happens with a copied authenticator or a replayed answer.",
    "passkey_invalid": "Your passkey could not be verified "
    "(wrong site, expired request or damaged data).",
}


# --- registration -----------------------------------------------------------------------------


def passkey_registration_begin(*, request, user: User) -> dict:
    """Creation options for ``navigator.credentials.create``; the challenge goes to the session."""
    options, state = _helper(request).register_begin(user=user)
    request.session[REGISTER_STATE_KEY] = state
    return options


def passkey_registration_complete(
    *, request, user: User, data, name: str = ""
) -> WebAuthnCredential:
    """Verify the authenticator's attestation and save the passkey (with its attestation).

    Checks the challenge, origin, RP id, user presence and verification, and the algorithm.
    Raises ``PasskeyError`` (``passkey_no_challenge``, ``passkey_invalid``,
    ``passkey_already_registered``); on any error nothing is saved.
    """
    state = _pop_state(request, REGISTER_STATE_KEY, user)
    if not isinstance(data, dict):
        raise _refuse("passkey_invalid", "The passkey response was not understood.", user=user)
    helper = _helper(request)
    name = _clean_name(name) or _default_name(user)
    try:
        with transaction.atomic():
            device = helper.register_complete(user=user, state=state, data=data)
            device.name = name
            device.confirmed = True
            device.save(update_fields=["name", "confirmed"])
    except _BAD_INPUT as exc:
        raise _refuse(
            "passkey_invalid",
            "Your passkey could not be registered: the browser's answer did not check out "
            "(wrong site, expired request or damaged data). Nothing was saved.",
            user=user,
            exc=exc,
        ) from exc
    except IntegrityError as exc:  # the same credential id registered twice
        raise _refuse(
            "passkey_already_registered", "This passkey is already registered.", user=user, exc=exc
        ) from exc
    logger.info("passkey registered user=%s device=%s", user.pk, device.pk)
    return device


# --- authentication ---------------------------------------------------------------------------


def _mfa_bucket(user: User) -> throttling.Bucket:
    window = int(conf.get("LOGIN_THROTTLE_WINDOW").total_seconds())
    return throttling.Bucket(
        key=f"login-fail:mfa:{user.pk}", limit=conf.get("MFA_FAILURES_PER_USER"), window=window
    )


def passkey_authentication_begin(*, request, user: User) -> dict:
    """Request options for ``navigator.credentials.get`` listing ``user``'s passkeys."""
    if not passkeys_of(user).exists():
        raise _refuse("passkey_none", "This account has no passkey yet.", user=user)
    options, state = _helper(request).authenticate_begin(user=user, require_user_verification=True)
    request.session[AUTHENTICATE_STATE_KEY] = state
    return options


def passkey_authentication_complete(*, request, user: User, data) -> WebAuthnCredential:
    """Verify an assertion by one of ``user``'s passkeys; return the passkey that signed it.

    Shares the second-step throttle with codes (``ACCOUNTS_MFA_FAILURES_PER_USER``). Refuses
    another user's or an unknown credential, a wrong origin or RP id, a missing user
    verification, and a sign counter that did not grow (a cloned authenticator or a replay).
    Raises ``PasskeyError`` (``passkey_no_challenge``, ``passkey_unknown``,
    ``passkey_invalid``, ``passkey_replayed``) or ``accounts.services.LoginThrottled``.
    """
    from accounts.services import LoginThrottled

    bucket = _mfa_bucket(user)
    try:
        throttling.reserve([bucket])
    except throttling.Throttled as exc:
        raise LoginThrottled(exc.retry_after, code="mfa_throttled") from exc
    state = _pop_state(request, AUTHENTICATE_STATE_KEY, user)
    if not isinstance(data, dict):
        raise _refuse("passkey_invalid", "The passkey response was not understood.", user=user)
    helper = _helper(request)
    from django_otp_webauthn import exceptions as package_exceptions

    try:
        with transaction.atomic():
            device = helper.authenticate_complete(user=user, state=state, data=data)
    except (package_exceptions.CredentialNotFound, package_exceptions.CredentialUserMismatch) as e:
        raise _refuse(
            "passkey_unknown",
            "That passkey is not registered to this account.",
            user=user,
            exc=e,
        ) from e
    except _BAD_INPUT as exc:
        replayed = isinstance(
            exc, webauthn_exceptions.InvalidAuthenticationResponse
        ) and _counter_went_back(data)
        code = "passkey_replayed" if replayed else "passkey_invalid"
        raise _refuse(code, _ANSWER_REFUSED[code], user=user, exc=exc) from exc
    if not device.confirmed:
        raise _refuse("passkey_unknown", "That passkey is disabled.", user=user)
    throttling.reset([bucket])
    return device


def _counter_went_back(data: dict) -> bool:
    """Whether the assertion's signature counter is not above the stored one (WebAuthn 7.2
    step 21): the sign of a cloned authenticator or a replayed answer."""
    try:
        credential = parse_authentication_credential_json(data)
        device = WebAuthnCredential.get_by_credential_id(credential.raw_id)
        new = parse_authenticator_data(credential.response.authenticator_data).sign_count
    except Exception:
        return False
    return (new > 0 or device.sign_count > 0) and new <= device.sign_count


# --- managing passkeys ------------------------------------------------------------------------


def passkeys_of(user: User):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")


def _clean_name(name: str) -> str:
    return " ".join((name or "").split())[:NAME_MAX]


def _default_name(user: User) -> str:
    return f"Passkey {passkeys_of(user).count() + 1}"


def passkey_rename(*, user: User, passkey_id: int, name: str) -> WebAuthnCredential:
    """Give one of ``user``'s passkeys a new name. Raises ``PasskeyError`` (``passkey_unknown``,
    ``bad_name``)."""
    clean = _clean_name(name)
    if not clean:
        raise PasskeyError("Give the passkey a name.", code="bad_name")
    with transaction.atomic():
        device = passkeys_of(user).select_for_update().filter(pk=passkey_id).first()
        if device is None:
            raise PasskeyError("No such passkey.", code="passkey_unknown", http_status=404)
        device.name = clean
        device.save(update_fields=["name"])
    return device


def passkey_remove(*, user: User, passkey_id: int) -> None:
    """Delete one of ``user``'s passkeys, unless it is their last second factor.

    Raises ``PasskeyError`` (``passkey_unknown``, ``last_factor``).
    """
    from accounts.services import user_second_factors

    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        device = passkeys_of(user).filter(pk=passkey_id).first()
        if device is None:
            raise PasskeyError("No such passkey.", code="passkey_unknown", http_status=404)
        others = [d for d in user_second_factors(user) if d.persistent_id != device.persistent_id]
        if not others:
            raise PasskeyError(
                "This is your only second factor; add another one before removing it.",
                code="last_factor",
            )
        device.delete()
    logger.info("passkey removed user=%s device=%s", user.pk, passkey_id)


def passkey_first_factor_backup_codes(*, user: User) -> list[str]:
    """Backup codes for a user whose first second factor is a passkey (none exist yet)."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from accounts.services import backup_codes_store

    with transaction.atomic():
        if StaticDevice.objects.filter(user=user, confirmed=True).exists():
            return []
        backup = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(conf.get("BACKUP_CODE_COUNT"))]
        backup_codes_store(device=backup, codes=codes)
    return codes
