"""How strongly a session's customer proved who they are: ``amr``, ``acr`` and ``auth_time``.

The portal's assurance scale (``acr``, lowest first; documented in docs/assurance.md):

=============================  =====  ==================================================
``urn:portal:acr:otp``           1    password + a one-time code (TOTP or a backup code)
``urn:portal:acr:passkey``       2    password + a passkey with user verification
                                      (phishing-resistant: bound to the portal's origin)
=============================  =====  ==================================================

``amr`` uses RFC 8176 values: ``pwd`` (the password step), ``otp`` (TOTP or backup code),
``hwk`` (a device-bound passkey: security key, platform authenticator) or ``swk`` (a synced
passkey, backup-eligible), ``user`` (user verification: PIN or biometric). ``mfa`` is left
out: the pair of methods already says it.

The session stores the method and the ``amr`` when the second factor is proven
(``accounts.services.second_factor_login``); sessions from before that (or tests that set the
device directly) are read from the session's verified device.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import models
from django_otp import DEVICE_ID_SESSION_KEY

ACR_OTP = "urn:portal:acr:otp"
ACR_PASSKEY = "urn:portal:acr:passkey"
ACR_LEVELS = {ACR_OTP: 1, ACR_PASSKEY: 2}

METHOD_SESSION_KEY = "accounts_mfa_method"
AMR_SESSION_KEY = "accounts_mfa_amr"
MFA_AT_SESSION_KEY = "accounts_mfa_at"


class Method(models.TextChoices):
    TOTP = "totp", "authenticator code"
    BACKUP_CODE = "backup_code", "backup code"
    PASSKEY = "passkey", "passkey"


@dataclass(frozen=True)
class Assurance:
    """What a token says about the proof behind it."""

    method: str
    amr: list[str]
    acr: str
    auth_time: datetime

    @property
    def level(self) -> int:
        return ACR_LEVELS.get(self.acr, 0)

    @property
    def method_label(self) -> str:
        return Method(self.method).label if self.method in Method.values else self.method


def acr_level(acr: str) -> int:
    return ACR_LEVELS.get(acr, 0)


def method_of(device) -> str:
    """The method a django-otp device stands for."""
    label = type(device)._meta.label_lower
    if label == "django_otp_webauthn.webauthncredential":
        return Method.PASSKEY
    if label == "otp_static.staticdevice":
        return Method.BACKUP_CODE
    return Method.TOTP


def amr_of(device) -> list[str]:
    """RFC 8176 ``amr`` for a password followed by ``device``."""
    method = method_of(device)
    if method == Method.PASSKEY:
        key = "swk" if getattr(device, "backup_eligible", False) else "hwk"
        return ["pwd", key, "user"]
    return ["pwd", "otp"]


def acr_of(method: str) -> str:
    return ACR_PASSKEY if method == Method.PASSKEY else ACR_OTP


def session_record(session, device, at: datetime) -> None:
    """Note in ``session`` that ``device`` was proven at ``at`` (method, amr, time)."""
    session[MFA_AT_SESSION_KEY] = int(at.timestamp())
    session[METHOD_SESSION_KEY] = method_of(device)
    session[AMR_SESSION_KEY] = amr_of(device)


def _session_device(session):
    from django_otp.models import Device

    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    return Device.from_persistent_id(persistent_id) if persistent_id else None


def session_assurance(session, user, *, auth_time: datetime) -> Assurance | None:
    """The assurance of a verified session, or None when it proved no second factor."""
    method = session.get(METHOD_SESSION_KEY)
    amr = session.get(AMR_SESSION_KEY)
    if method not in Method.values or not isinstance(amr, list):
        # OTPMiddleware already loaded the session's device onto the user: no second read.
        device = getattr(user, "otp_device", None) or _session_device(session)
        if device is None or device.user_id != user.pk:
            return None
        method, amr = method_of(device), amr_of(device)
    return Assurance(method=method, amr=list(amr), acr=acr_of(method), auth_time=auth_time)


def from_timestamp(value) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, tz=UTC)
    return None
