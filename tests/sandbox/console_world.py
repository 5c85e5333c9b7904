"""A busy agent console for the browser tests: several brands, messages, unread lines and a
rejected token. One conversation is opened the real way (a portal token verified by the
sandbox from the brand's JWKS over HTTP); the others are the platform's own rows."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.utils import timezone

from messaging.services import token_issue
from sandbox.models import Conversation, Message, Rejection
from sandbox.services import open_session, post_message


def verified_conversation(customer, messenger) -> Conversation:
    """A conversation opened with a token the portal signed, verified over HTTP."""
    token = token_issue(customer=customer, messenger=messenger).token
    clicked_at = int(time.time() * 1000) - 1200  # the Chat click, as the widget declares it
    outcome = open_session(messenger=messenger.slug, token=token, clicked_at=clicked_at)
    assert outcome.result.valid, outcome.result.reason
    return outcome.conversation


def platform_conversation(
    *,
    first: str,
    last: str,
    brand: str,
    messenger: str,
    minutes_ago: int,
    tier: str = "silver",
    vip: bool = False,
    messages: tuple[tuple[str, str], ...] = (),
    read: bool = False,
) -> Conversation:
    """A conversation row as the platform stores it (for a queue with several lines)."""
    at = timezone.now() - timedelta(minutes=minutes_ago)
    conversation = Conversation.objects.create(
        secret_hash="0" * 64,
        messenger=messenger,
        brand=brand,
        platform="generic",
        subject=f"cus_{uuid.uuid4().hex}",
        issuer=f"http://portal.example/brands/{brand}",
        kid="demo-kid",
        alg="RS256",
        jti=uuid.uuid4().hex,
        first_name=first,
        last_name=last,
        account_tier=tier,
        is_vip=vip,
        account_balance="250.00",
        currency="EUR",
        token_expires_at=at + timedelta(minutes=5),
        received_at=at,
        verified_at=at,
        created_at=at,
        gap_ms=420,
    )
    for i, (sender, body) in enumerate(messages):
        post_message(conversation, sender=sender, body=body, agent_name="Sam Staff")
        Message.objects.filter(conversation=conversation, body=body).update(
            created_at=at + timedelta(seconds=30 * (i + 1))
        )
    last_at = at + timedelta(seconds=30 * len(messages)) if messages else None
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=last_at, agent_read_at=timezone.now() if read else None
    )
    return conversation


def busy_queue(customer, messenger) -> Conversation:
    """Five lines over two brands, read and unread, and a rejected token; returns the
    verified conversation opened the real way (with two customer messages)."""
    platform_conversation(
        first="Grace",
        last="Hopper",
        brand="harbor",
        messenger="harbor-web",
        minutes_ago=42,
        tier="platinum",
        vip=True,
        messages=(("customer", "Can I raise my card limit before Friday?"),),
        read=True,
    )
    platform_conversation(
        first="Alan",
        last="Turing",
        brand="harbor",
        messenger="harbor-web",
        minutes_ago=30,
        messages=(
            ("customer", "My transfer to a new payee is pending."),
            ("agent", "I can see it; it clears within the hour."),
        ),
        read=True,
    )
    Rejection.objects.create(
        reason="bad_signature",
        detail="signature does not verify with the key rsa-2026-01",
        brand=messenger.brand.slug,
        messenger=messenger.slug,
        kid="rsa-2026-01",
        alg="RS256",
        created_at=timezone.now() - timedelta(minutes=12),
    )
    platform_conversation(
        first="Katherine",
        last="Johnson",
        brand=messenger.brand.slug,
        messenger=messenger.slug,
        minutes_ago=8,
        tier="gold",
        messages=(("customer", "Hello, is anyone there? I'd like to close my savings account."),),
    )
    conversation = verified_conversation(customer, messenger)
    post_message(conversation, sender="customer", body="Hi, I was charged twice for one order.")
    post_message(conversation, sender="customer", body="It's the card payment from yesterday.")
    return conversation
