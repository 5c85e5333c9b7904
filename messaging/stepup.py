"""Step-up: does the session's proof meet the messenger's assurance policy?

One function decides, ``step_up_check``; the token service and the auth-code service call it
before they sign or mint anything. The policy lives on the messenger (``min_acr``,
``max_auth_age``, ``vip_requires_passkey``; editable in the admin); the proof is the session's
``accounts.assurance.Assurance``. A refusal is 403 ``step_up_required`` in the API's JSON error
shape, with what is needed:

    {"error": "step_up_required", "detail": "...", "acr": "urn:portal:acr:passkey",
     "max_age": 900, "methods": ["passkey"], "has_passkey": false,
     "verify_url": "/login/stepup/", "enroll_url": "/security/"}

The chat glue (messaging/static/messaging/stepup.js) shows the customer how to verify again in
place and asks once more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from accounts.assurance import ACR_OTP, ACR_PASSKEY, acr_level
from accounts.selectors import user_has_passkey
from config.errors import DomainError


class StepUpRequired(DomainError):
    """The session's second factor is too weak or too old for this messenger."""

    code = "step_up_required"
    http_status = 403

    def __init__(self, detail: str, *, requirement: Requirement, has_passkey: bool):
        super().__init__(detail)
        self.requirement = requirement
        self.extra = {
            "acr": requirement.acr,
            "max_age": requirement.max_age_seconds,
            "methods": ["passkey"] if requirement.acr == ACR_PASSKEY else ["passkey", "otp"],
            "has_passkey": has_passkey,
            "verify_url": reverse("accounts:stepup"),
            "enroll_url": reverse("accounts:security"),
        }


@dataclass(frozen=True)
class Requirement:
    acr: str
    max_age_seconds: int | None


def requirement_for(*, messenger, customer) -> Requirement:
    """What ``messenger`` asks of ``customer``'s second factor."""
    acr = messenger.min_acr or ACR_OTP
    if messenger.vip_requires_passkey and customer is not None and customer.is_vip:
        acr = ACR_PASSKEY
    age = messenger.max_auth_age
    return Requirement(acr=acr, max_age_seconds=int(age.total_seconds()) if age else None)


def step_up_check(*, messenger, customer, assurance, now: datetime | None = None) -> None:
    """Raise ``StepUpRequired`` unless ``assurance`` meets ``messenger``'s policy.

    ``assurance`` None (no recorded proof) meets only a messenger without any policy.
    """
    requirement = requirement_for(messenger=messenger, customer=customer)
    if requirement.acr == ACR_OTP and requirement.max_age_seconds is None:
        return  # every verified session has at least a one-time code
    now = now or timezone.now()
    too_weak = assurance is None or acr_level(assurance.acr) < acr_level(requirement.acr)
    too_old = requirement.max_age_seconds is not None and (
        assurance is None
        or (now - assurance.auth_time).total_seconds() > requirement.max_age_seconds
    )
    if not (too_weak or too_old):
        return
    what = "a passkey" if requirement.acr == ACR_PASSKEY else "your second factor"
    when = ""
    if requirement.max_age_seconds is not None:
        minutes = max(1, requirement.max_age_seconds // 60)
        when = f", proven within the last {minutes} minute{'s' * (minutes != 1)}"
    has_passkey = customer is not None and user_has_passkey(customer.user)
    detail = f"This chat needs {what}{when}."
    if requirement.acr == ACR_PASSKEY and not has_passkey:
        detail += " Add a passkey to your account first."
    raise StepUpRequired(detail, requirement=requirement, has_passkey=has_passkey)
