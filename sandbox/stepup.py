"""Assurance and agent-initiated step-up in the sandbox platform.

What the agent sees about the proof behind a conversation comes only from verified tokens: the
standard claims ``auth_time``, ``amr`` and ``acr`` of the token that opened the conversation,
then of each fresh token the chat window hands over after a step-up. The sandbox verifies that
token exactly as it verified the first one (public keys only, one-time use) and requires the
same subject.

Flow: the agent asks (``stepup_request``); the chat window sees the request when it polls,
the customer verifies again on the portal, the glue fetches a fresh token and the window posts
it (``assurance_refresh``); a token whose ``auth_time`` is not older than the request clears it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from . import genesys
from .models import Conversation
from .platform import PlatformConfig, PlatformUnavailable, resolve_messenger
from .verifier import VerificationResult

METHOD_LABELS = {"hwk": "passkey", "swk": "passkey", "otp": "one-time code"}
ACR_LABELS = {"urn:portal:acr:passkey": "passkey", "urn:portal:acr:otp": "one-time code"}


def assurance_fields(claims: dict) -> dict:
    """The Conversation fields for the assurance claims of a verified token (absent: empty)."""
    auth_time = claims.get("auth_time")
    amr = claims.get("amr")
    acr = claims.get("acr")
    valid_time = isinstance(auth_time, int) and not isinstance(auth_time, bool) and auth_time > 0
    return {
        "auth_time": datetime.fromtimestamp(auth_time, tz=UTC) if valid_time else None,
        "amr": [str(m)[:16] for m in amr[:8]] if isinstance(amr, list) else [],
        "acr": str(acr)[:64] if isinstance(acr, str) else "",
    }


def method_label(conversation: Conversation) -> str:
    """``passkey`` / ``one-time code`` / ``unknown``, from acr, else from amr."""
    if conversation.acr in ACR_LABELS:
        return ACR_LABELS[conversation.acr]
    for method in conversation.amr or []:
        if method in METHOD_LABELS:
            return METHOD_LABELS[method]
    return "unknown"


def minutes_ago(when: datetime | None, now: datetime | None = None) -> int | None:
    if when is None:
        return None
    return max(0, int(((now or timezone.now()) - when).total_seconds() // 60))


def assurance_view(conversation: Conversation) -> dict:
    """What the console and the chat window show about the proof (JSON-ready)."""
    return {
        "method": method_label(conversation),
        "acr": conversation.acr,
        "amr": conversation.amr,
        "authTime": conversation.auth_time.isoformat() if conversation.auth_time else None,
        "minutesAgo": minutes_ago(conversation.auth_time),
        "verifiedAt": (
            conversation.assurance_verified_at.isoformat()
            if conversation.assurance_verified_at
            else None
        ),
        "stepupRequestedAt": (
            conversation.stepup_requested_at.isoformat()
            if conversation.stepup_requested_at
            else None
        ),
    }


def stepup_request(*, conversation: Conversation) -> Conversation:
    """The agent asks the customer to prove the second factor again (now)."""
    Conversation.objects.filter(pk=conversation.pk).update(stepup_requested_at=timezone.now())
    conversation.refresh_from_db()
    return conversation


def credential_verify(config: PlatformConfig, *, token: object, auth_code: object):
    """Verify what the customer's page handed over, as the vendor would: a Genesys auth code
    through the OpenID Connect sign-in, any other platform's token against the published keys.
    One-time: a token or code is consumed, so a replay proves nothing."""
    try:
        if config.verifier_profile().code_flow:
            return genesys.sign_in(config, auth_code)
        return config.verifier(one_time=True).verify(token)
    except PlatformUnavailable as exc:
        return VerificationResult(False, reason="jwks_unavailable", detail=str(exc)[:255])


@dataclass(frozen=True)
class Refresh:
    result: VerificationResult
    conversation: Conversation


def assurance_refresh(
    *, conversation: Conversation, token: object = None, auth_code: object = None
) -> Refresh:
    """Verify a fresh token (or Genesys auth code) for ``conversation`` and take its assurance.

    The token must verify for the conversation's messenger (one-time) and name the same
    subject; otherwise the result is invalid (reason ``invalid_claim`` for another subject)
    and nothing changes.
    """
    try:
        config = resolve_messenger(conversation.messenger)
    except PlatformUnavailable as exc:
        result = VerificationResult(False, reason="jwks_unavailable", detail=str(exc)[:255])
    else:
        result = credential_verify(config, token=token, auth_code=auth_code)
    if not result.valid:
        return Refresh(result, conversation)
    view = config.verifier_profile().certified(result.claims)
    if str(view.get("sub")) != conversation.subject:
        refused = VerificationResult(
            False, reason="invalid_claim", detail="the token names another customer"
        )
        return Refresh(refused, conversation)
    fields = assurance_fields(result.claims)
    now = timezone.now()
    with transaction.atomic():
        row = Conversation.objects.select_for_update().get(pk=conversation.pk)
        for name, value in fields.items():
            setattr(row, name, value)
        row.assurance_verified_at = now
        if (
            row.stepup_requested_at
            and fields["auth_time"]
            # NumericDates have whole seconds: compare at that precision
            and fields["auth_time"] >= row.stepup_requested_at.replace(microsecond=0)
        ):
            row.stepup_requested_at = None
        row.save(
            update_fields=[
                "auth_time",
                "amr",
                "acr",
                "assurance_verified_at",
                "stepup_requested_at",
            ]
        )
    return Refresh(result, row)
