"""What an authentication request asks of the customer's proof, and what to do about it.

OIDC Core 3.1.2.1 lets the relying party ask for a new authentication (``prompt=login``), a
recent one (``max_age``), a strong enough one (``acr_values``), or none at all
(``prompt=none``: answer without interaction or say why not). The messenger adds its own
step-up policy (``messaging.stepup``). ``authentication_verdict`` weighs them all for the
authorize endpoint: proceed, send the customer to prove the second factor again, or answer
the relying party with an error.

``prompt=login`` and a proof older than ``max_age`` both mean "authenticate again". The way
back carries a signed tag of the session that asked; the portal rotates the session key at
every login and every proof of the second factor (``accounts.services.second_factor_login``),
so only a session that authenticated since gets through: dropping the parameter on the way
back does not skip it, and the clock's one-second resolution cannot loop it (``max_age=0``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.core import signing
from django.http import HttpRequest

from accounts.assurance import ACR_LEVELS, Assurance, acr_level
from messaging import stepup

REAUTH_PARAM = "reauth"  # our own parameter on the way back (signed)
_SALT = "messaging.oidc.reauth"
_MARKER_MAX_AGE = 600  # seconds a customer may take to authenticate again


@dataclass(frozen=True)
class Verdict:
    """``proceed``; ``reauthenticate`` (at ``next_url``, after the second factor); or
    ``error`` with an OIDC Core 3.1.2.6 code for the relying party."""

    action: str
    error: str = ""
    description: str = ""
    next_url: str = ""


PROCEED = Verdict("proceed")


def max_age_of(params) -> int | None:
    """``max_age`` in seconds, or None; ``ValueError`` when it is not a non-negative integer."""
    raw = params.get("max_age")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise ValueError(raw)
    return int(raw)


def acr_wanted(params) -> str | None:
    """The first ``acr_values`` entry the portal knows, in the relying party's order of
    preference; unknown values are ignored (a voluntary claim, OIDC Core 5.5.1.1)."""
    for value in (params.get("acr_values") or "").split():
        if value in ACR_LEVELS:
            return value
    return None


def _session_tag(request: HttpRequest) -> str:
    key = request.session.session_key or ""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _reauthenticated(request: HttpRequest, params) -> bool:
    value = params.get(REAUTH_PARAM)
    if not value:
        return False
    try:
        asked_by = signing.loads(value, salt=_SALT, max_age=_MARKER_MAX_AGE)
    except signing.BadSignature:
        return False
    return asked_by != _session_tag(request)


def return_url(request: HttpRequest, params, *, reauthenticate: bool = False) -> str:
    """This authorize request again. With ``reauthenticate``: without ``prompt=login`` but
    with the signed tag of this session, so only a new authentication gets through."""
    changes: dict[str, str | None] = {}
    if reauthenticate:
        prompts = (params.get("prompt") or "").split()
        changes["prompt"] = " ".join(p for p in prompts if p != "login") or None
        changes[REAUTH_PARAM] = signing.dumps(_session_tag(request), salt=_SALT)
    query = [(k, v) for k, v in params.items() if k not in changes]
    query += [(k, v) for k, v in changes.items() if v is not None]
    return request.path + "?" + urlencode(query)


def authentication_verdict(
    *,
    request: HttpRequest,
    params,
    messenger,
    customer,
    assurance: Assurance | None,
    auth_time: datetime,
    now: datetime,
) -> Verdict:
    """What the authorize endpoint does for a verified customer of the brand (``params`` are
    the request's, ``max_age`` already validated)."""
    prompts = (params.get("prompt") or "").split()
    silent = "none" in prompts
    max_age = max_age_of(params)
    too_old = max_age is not None and (now - auth_time).total_seconds() > max_age
    must_login = "login" in prompts or bool(params.get(REAUTH_PARAM)) or too_old
    if must_login and not _reauthenticated(request, params):
        if silent:
            return Verdict("error", "login_required", "The customer must authenticate again.")
        return Verdict("reauthenticate", next_url=return_url(request, params, reauthenticate=True))
    wanted = acr_wanted(params)
    if wanted and (assurance is None or assurance.level < acr_level(wanted)):
        if silent:
            return Verdict("error", "login_required", "A stronger authentication is needed.")
        return Verdict("reauthenticate", next_url=return_url(request, params))
    try:
        stepup.step_up_check(messenger=messenger, customer=customer, assurance=assurance)
    except stepup.StepUpRequired:
        if silent:
            return Verdict(
                "error", "interaction_required", "The messenger needs a fresher or stronger proof."
            )
        return Verdict("reauthenticate", next_url=return_url(request, params))
    return PROCEED
