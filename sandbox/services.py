"""What the sandbox platform does with a token: verify, then open a conversation or record
the rejection. Views stay thin; tests call these too."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .certified import CERTIFIED, IDENTIFYING
from .models import Conversation, Message, Rejection, hash_secret
from .platform import PlatformConfig, PlatformUnavailable, resolve_messenger
from .stepup import assurance_fields, credential_verify
from .verifier import VerificationResult

log = logging.getLogger("sandbox")

IDENTITY_CLAIMS = ("sub", "iss", "aud", "exp", "iat", "nbf", "jti", *CERTIFIED)
MAX_PAGE_ATTRIBUTES = 20
MAX_MESSAGE_LENGTH = 2000


# A conversation can be picked up again for this long after its last activity.
RESUME_WINDOW = timedelta(hours=8)


@dataclass
class SessionOutcome:
    conversation: Conversation | None
    secret: str | None
    result: VerificationResult
    rejection: Rejection | None = None
    resumed: bool = False


def parse_clicked_at(value: object) -> datetime | None:
    """Milliseconds since the epoch, or an ISO 8601 string; anything else is None."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        if isinstance(value, str) and len(value) <= 64:
            if value.strip().lstrip("-").isdigit():
                return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
            parsed = parse_datetime(value)
            if parsed is not None and timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, UTC)
            return parsed
    except (ValueError, OverflowError, OSError):
        return None
    return None


def clean_page_attributes(value: object) -> dict:
    """Keep a small, flat, scalar mapping; the content stays untrusted."""
    if not isinstance(value, dict):
        return {}
    cleaned: dict = {}
    for key, item in list(value.items())[:MAX_PAGE_ATTRIBUTES]:
        if not isinstance(key, str) or not key or len(key) > 64:
            continue
        if isinstance(item, str):
            cleaned[key] = item[:256]
        elif isinstance(item, bool | int | float) or item is None:
            cleaned[key] = item
    return cleaned


def _fingerprint(token: object) -> str:
    if isinstance(token, str):
        return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    return ""


def record_rejection(
    result: VerificationResult,
    *,
    token: object,
    config: PlatformConfig | None,
    messenger: str,
    client_address: str,
    clicked_at: datetime | None,
    page_attributes: dict,
) -> Rejection:
    alg = result.header.get("alg") if isinstance(result.header.get("alg"), str) else ""
    rejection = Rejection.objects.create(
        reason=result.reason or "malformed",
        detail=_fit(Rejection, "detail", result.detail),
        brand=_fit(Rejection, "brand", config.brand if config else ""),
        messenger=_fit(Rejection, "messenger", messenger),
        kid=_fit(Rejection, "kid", result.kid),
        alg=_fit(Rejection, "alg", alg),
        token_fingerprint=_fingerprint(token),
        client_address=_fit(Rejection, "client_address", client_address),
        clicked_at=clicked_at,
        page_attributes=page_attributes,
    )
    log.info(
        "sandbox token rejected reason=%s brand=%s messenger=%s kid=%s",
        rejection.reason,
        rejection.brand,
        rejection.messenger,
        rejection.kid[:64],
    )
    return rejection


def _timestamp(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def _fit(model, name: str, value: object) -> str:
    """``value`` as text cut to the ``max_length`` of ``model``'s field ``name``."""
    if value is None:
        return ""
    return str(value)[: model._meta.get_field(name).max_length]


def _stored(field: str, value: object):
    """A certified claim's value as its ``Conversation`` field stores it."""
    if isinstance(Conversation._meta.get_field(field), models.BooleanField):
        return value if isinstance(value, bool) else None
    return _fit(Conversation, field, value)


def open_session(
    *,
    messenger: str,
    token: object,
    clicked_at: object = None,
    page_attributes: object = None,
    client_address: str = "",
    auth_code: object = None,
    resume: object = None,
) -> SessionOutcome:
    """Verify ``token`` for ``messenger``; open a conversation or record the rejection.

    OpenID Connect platforms (Genesys) receive ``auth_code`` instead: the page plugin's
    ``{authCode, redirectUri, nonce, codeVerifier?}``, redeemed as ``sandbox.genesys`` says.
    ``resume``: the id of a conversation the chat window had open (a reload, a second Chat
    click). A conversation is picked up again, with a new secret, only when the freshly
    verified identity is the same customer on the same messenger and it was active within
    ``RESUME_WINDOW``: the named one, else the customer's latest open one on that messenger
    (another tab or device: one conversation per customer and messenger while it is open);
    otherwise a new conversation opens. The id alone proves nothing: the token does.
    Raises UnknownMessenger for a messenger the portal does not know.
    """
    received_at = timezone.now()
    clicked = parse_clicked_at(clicked_at)
    attributes = clean_page_attributes(page_attributes)
    config: PlatformConfig | None = None
    try:
        config = resolve_messenger(messenger)
    except PlatformUnavailable as exc:
        result = VerificationResult(False, reason="jwks_unavailable", detail=str(exc)[:255])
    else:
        result = credential_verify(config, token=token, auth_code=auth_code)
    if not result.valid:
        rejection = record_rejection(
            result,
            token=token,
            config=config,
            messenger=messenger,
            client_address=client_address,
            clicked_at=clicked,
            page_attributes=attributes,
        )
        return SessionOutcome(None, None, result, rejection)

    claims = result.claims
    # where this platform puts the customer id and attributes (Zendesk: external_id, ...)
    view = config.verifier_profile().certified(claims)
    verified_at = timezone.now()
    secret = Conversation.new_secret()
    previous = _resumable(
        resume, messenger=messenger, subject=_fit(Conversation, "subject", view.get("sub"))
    )
    if previous is not None:
        Conversation.objects.filter(pk=previous.pk).update(
            secret_hash=hash_secret(secret),
            kid=_fit(Conversation, "kid", result.kid),
            jti=_fit(Conversation, "jti", claims.get("jti")),
            token_issued_at=_timestamp(claims.get("iat")),
            token_expires_at=_timestamp(claims.get("exp")) or previous.token_expires_at,
        )
        previous.refresh_from_db()
        return SessionOutcome(previous, secret, result, resumed=True)
    with transaction.atomic():
        conversation = Conversation.objects.create(
            secret_hash=hash_secret(secret),
            messenger=messenger,
            brand=config.brand,
            platform=config.platform,
            **{
                field: _stored(field, view.get(claim))
                for claim, field in {**IDENTIFYING, **CERTIFIED}.items()
            },
            kid=_fit(Conversation, "kid", result.kid),
            alg=_fit(Conversation, "alg", result.header.get("alg")),
            jti=_fit(Conversation, "jti", claims.get("jti")),
            identity={
                **{k: claims[k] for k in IDENTITY_CLAIMS if k in claims},
                **{k: view[k] for k in IDENTITY_CLAIMS if view.get(k) is not None},
            },
            token_issued_at=_timestamp(claims.get("iat")),
            token_expires_at=_timestamp(claims.get("exp")),
            page_attributes=attributes,
            clicked_at=clicked,
            received_at=received_at,
            verified_at=verified_at,
            gap_ms=(int((received_at - clicked).total_seconds() * 1000) if clicked else None),
            client_address=_fit(Conversation, "client_address", client_address),
            **assurance_fields(claims),
            assurance_verified_at=verified_at,
        )
    return SessionOutcome(conversation, secret, result)


def _resumable(resume: object, *, messenger: str, subject: str) -> Conversation | None:
    """The conversation this customer has open on ``messenger``: the one the window names
    (``resume``) when it is theirs and open, else their most recently active open one.

    Open means active within ``RESUME_WINDOW``. Joining it rather than opening another keeps
    the agent's queue at one line per customer and messenger, whichever tab, device or login
    the Chat click came from.
    """
    if not subject:
        return None
    mine = Conversation.objects.filter(messenger=messenger, subject=subject)
    named = None
    if isinstance(resume, str):
        try:
            named = mine.filter(pk=uuid.UUID(resume)).first()
        except ValueError:
            named = None
    if named is not None and _is_open(named):
        return named
    since = timezone.now() - RESUME_WINDOW
    latest = (
        mine.filter(models.Q(last_message_at__gte=since) | models.Q(created_at__gte=since))
        .order_by(models.F("last_message_at").desc(nulls_last=True), "-created_at")
        .first()
    )
    return latest if latest is not None and _is_open(latest) else None


def _is_open(conversation: Conversation) -> bool:
    last = conversation.last_message_at or conversation.created_at
    return timezone.now() - last <= RESUME_WINDOW


def post_message(
    conversation: Conversation, *, sender: str, body: object, agent_name: str = ""
) -> Message:
    """Raise ValueError when ``body`` is not 1 to 2000 characters of text."""
    if not isinstance(body, str) or not body.strip():
        raise ValueError("message body must be non-empty text")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ValueError(f"message body longer than {MAX_MESSAGE_LENGTH} characters")
    message = Message.objects.create(
        conversation=conversation, sender=sender, body=body.strip(), agent_name=agent_name
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at)
    return message


def identity_view(conversation: Conversation) -> dict:
    """The claims subset returned to the chat window and shown as certified."""
    shown = {**IDENTIFYING, **CERTIFIED}
    return {
        **{claim: getattr(conversation, field) for claim, field in shown.items()},
        "kid": conversation.kid,
        "exp": conversation.identity.get("exp"),
    }


def conversation_mark_read(*, conversation: Conversation) -> None:
    """An agent has seen ``conversation`` up to now: the queue stops marking it unread."""
    Conversation.objects.filter(pk=conversation.pk).update(agent_read_at=timezone.now())


TYPING_SECONDS = 6


def _typing_key(conversation: Conversation, sender: str) -> str:
    return f"sandbox:typing:{conversation.pk}:{sender}"


def typing_mark(conversation: Conversation, *, sender: str) -> None:
    """``sender`` ("customer" or "agent") is typing; lapses after ``TYPING_SECONDS``."""
    cache.set(_typing_key(conversation, sender), True, TYPING_SECONDS)


def typing_now(conversation: Conversation) -> dict:
    """Who is typing right now: ``{"agent": bool, "customer": bool}`` (shared cache)."""
    return {s: bool(cache.get(_typing_key(conversation, s))) for s in ("agent", "customer")}
