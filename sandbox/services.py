"""What the sandbox platform does with a token: verify, then open a conversation or record
the rejection. Views stay thin; tests call these too."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import genesys
from .models import Conversation, Message, Rejection, hash_secret
from .platform import PlatformConfig, PlatformUnavailable, resolve_messenger
from .stepup import assurance_fields
from .verifier import VerificationResult

log = logging.getLogger("sandbox")

CERTIFIED = {
    "firstName": "first_name",
    "lastName": "last_name",
    "accountTier": "account_tier",
    "isVip": "is_vip",
    "accountBalance": "account_balance",
    "currency": "currency",
}
IDENTITY_CLAIMS = ("sub", "iss", "aud", "exp", "iat", "nbf", "jti", *CERTIFIED)
MAX_PAGE_ATTRIBUTES = 20
MAX_MESSAGE_LENGTH = 2000


@dataclass
class SessionOutcome:
    conversation: Conversation | None
    secret: str | None
    result: VerificationResult
    rejection: Rejection | None = None


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
        detail=(result.detail or "")[:255],
        brand=(config.brand if config else "")[:100],
        messenger=(messenger or "")[:100],
        kid=(result.kid or "")[:255],
        alg=alg[:32],
        token_fingerprint=_fingerprint(token),
        client_address=client_address[:64],
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


def _text(value: object, limit: int) -> str:
    if value is None:
        return ""
    return str(value)[:limit]


def open_session(
    *,
    messenger: str,
    token: object,
    clicked_at: object = None,
    page_attributes: object = None,
    client_address: str = "",
    auth_code: object = None,
) -> SessionOutcome:
    """Verify ``token`` for ``messenger``; open a conversation or record the rejection.

    OpenID Connect platforms (Genesys) receive ``auth_code`` instead: the page plugin's
    ``{authCode, redirectUri, nonce, codeVerifier?}``, redeemed as ``sandbox.genesys`` says.
    Raises UnknownMessenger for a messenger the portal does not know.
    """
    received_at = timezone.now()
    clicked = parse_clicked_at(clicked_at)
    attributes = clean_page_attributes(page_attributes)
    config: PlatformConfig | None = None
    try:
        config = resolve_messenger(messenger)
        if config.platform == "genesys":
            result = genesys.sign_in(config, auth_code)
        else:
            # Opening a conversation consumes the token: a replay opens nothing.
            result = config.verifier(one_time=True).verify(token)
    except PlatformUnavailable as exc:
        result = VerificationResult(False, reason="jwks_unavailable", detail=str(exc)[:255])
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
    certified = {field: view.get(claim) for claim, field in CERTIFIED.items()}
    with transaction.atomic():
        conversation = Conversation.objects.create(
            secret_hash=hash_secret(secret),
            messenger=messenger,
            brand=config.brand,
            platform=config.platform,
            subject=_text(view.get("sub"), 255),
            issuer=_text(view.get("iss"), 512),
            kid=_text(result.kid, 255),
            alg=_text(result.header.get("alg"), 16),
            jti=_text(claims.get("jti"), 256),
            first_name=_text(certified["first_name"], 150),
            last_name=_text(certified["last_name"], 150),
            account_tier=_text(certified["account_tier"], 64),
            is_vip=certified["is_vip"] if isinstance(certified["is_vip"], bool) else None,
            account_balance=_text(certified["account_balance"], 64),
            currency=_text(certified["currency"], 8),
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
            client_address=client_address[:64],
            **assurance_fields(claims),
            assurance_verified_at=verified_at,
        )
    return SessionOutcome(conversation, secret, result)


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
    return {
        "sub": conversation.subject,
        "iss": conversation.issuer,
        "kid": conversation.kid,
        "firstName": conversation.first_name,
        "lastName": conversation.last_name,
        "accountTier": conversation.account_tier,
        "isVip": conversation.is_vip,
        "accountBalance": conversation.account_balance,
        "currency": conversation.currency,
        "exp": conversation.identity.get("exp"),
    }


def conversation_mark_read(*, conversation: Conversation) -> None:
    """An agent has seen ``conversation`` up to now: the queue stops marking it unread."""
    Conversation.objects.filter(pk=conversation.pk).update(agent_read_at=timezone.now())
