"""Recording authentication events for the reports: one INSERT per event.

The services of ``messaging`` call ``event_record`` inside the transaction that writes their
own audit row (a token issue, a code, a lookup), so an event exists exactly when the thing it
reports happened, and the cost is one more INSERT in a transaction that is already open
(measured in docs/benchmarks.md: within the noise of the token endpoint).

The widget glue reports what only the browser sees (the Chat click, the platform's verdict)
through ``event_beacon_record``. A beacon is bound to its caller: the customer and the
session come from the authenticated request, never from the body, and the messenger must be
one the customer may chat through. A beacon can therefore only ever add events to the
caller's own session; the click-to-verified time is measured on the server, from the
session's own ``chat_opened`` event, not taken from the browser's clock.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import Customer
from brands.models import Brand, Messenger
from config.errors import DomainError
from messaging.addresses import address_or_none
from messaging.models import AuthEvent

Kind = AuthEvent.Kind

# What the browser may report. Everything else is recorded by the server itself.
BEACON_KINDS = (
    Kind.CHAT_OPENED,
    Kind.PLATFORM_VERIFIED,
    Kind.PLATFORM_REJECTED,
    Kind.UNVERIFIED_FALLBACK,
    Kind.THROTTLED,  # a 429 of the token API, which itself writes nothing
)
# A verifier reason code (docs/architecture.md) or a vendor's, as an opaque short slug.
_REASON = re.compile(r"[a-z][a-z0-9_]{0,39}")
# A verification later than this after the click is not counted as an answer to it.
MAX_GAP = timedelta(minutes=10)


# Sent with ``since`` and ``until`` (aware datetimes or None: open-ended) when events of a
# past period are created or deleted in bulk (``generate_events``, ``purge_events``), so that
# anything derived from them (the reports' daily rollups) can drop what it summarised.
events_rewritten = Signal()


class InvalidBeacon(DomainError):
    code = "invalid_beacon"
    http_status = 400


def session_hash(session_key: str | None) -> str:
    """SHA-256 (hex) of a portal session key; empty without a session."""
    return hashlib.sha256(session_key.encode()).hexdigest() if session_key else ""


def event_record(**fields) -> AuthEvent:
    """Append one event (one INSERT). Call it inside the caller's own transaction.

    Keyword arguments as ``event_values``. The brand is the messenger's; ``brand`` is for
    events without a messenger (a refused OIDC client that has not authenticated yet).
    """
    model, values = event_values(**fields)
    event = model(**values)
    event.save(force_insert=True)
    return event


def event_values(
    *,
    kind: str,
    messenger: Messenger | None = None,
    brand: Brand | None = None,
    customer: Customer | None = None,
    session_key: str | None = None,
    reason: str = "",
    jti: str = "",
    gap_ms: int | None = None,
    client_address: str | None = None,
) -> tuple[type[AuthEvent], dict]:
    """The row ``event_record`` would insert (same arguments), as (model, field values by
    attribute name), for a caller that inserts it together with its own audit row in one
    statement (the token API, ``messaging.services.rows_insert_together``)."""
    return AuthEvent, {
        "kind": kind,
        "occurred_at": timezone.now(),
        "brand_id": messenger.brand_id if messenger else (brand.pk if brand else None),
        "messenger_id": messenger.pk if messenger else None,
        "customer_id": customer.pk if customer else None,
        "session_hash": session_hash(session_key),
        "reason": reason[:40],
        "jti": jti[:64],
        "gap_ms": gap_ms,
        "client_address": address_or_none(client_address),
    }


def event_beacon_record(
    *,
    kind: str,
    customer: Customer,
    messenger: Messenger,
    session_key: str | None,
    reason: str = "",
    client_address: str | None = None,
) -> AuthEvent:
    """Record what the caller's own widget saw; the caller is the only possible subject.

    ``platform_rejected`` needs a ``reason`` slug; ``throttled`` (the chat saw a 429 from the
    token API, which writes nothing itself) is recorded with the reason ``token-beacon``; the
    other kinds ignore it. A
    ``platform_verified`` answering this session's latest ``chat_opened`` on the messenger
    (within ``MAX_GAP`` and not answered yet) carries the click-to-verified time measured
    between the two server timestamps. Raises ``InvalidBeacon`` for anything else.
    """
    if kind not in BEACON_KINDS:
        raise InvalidBeacon(f"Unknown event kind; expected one of {', '.join(BEACON_KINDS)}.")
    if not session_key:
        raise InvalidBeacon("A beacon needs a portal session.")
    if kind == Kind.PLATFORM_REJECTED:
        if not _REASON.fullmatch(reason or ""):
            raise InvalidBeacon("A rejection needs its reason code (lower-case slug).")
    elif kind == Kind.THROTTLED:
        reason = "token-beacon"  # the browser says only that a token request got a 429
    else:
        reason = ""
    gap_ms = None
    with transaction.atomic():
        if kind == Kind.PLATFORM_VERIFIED:
            gap_ms = _gap_since_click(messenger, session_hash(session_key))
        return event_record(
            kind=kind,
            messenger=messenger,
            customer=customer,
            session_key=session_key,
            reason=reason,
            gap_ms=gap_ms,
            client_address=client_address,
        )


def _gap_since_click(messenger: Messenger, hashed_session: str) -> int | None:
    """Milliseconds from this session's unanswered Chat click to now, or None."""
    now = timezone.now()
    latest = (
        AuthEvent.objects.filter(
            session_hash=hashed_session,
            messenger=messenger,
            kind__in=(Kind.CHAT_OPENED, Kind.PLATFORM_VERIFIED),
            occurred_at__gte=now - MAX_GAP,
        )
        .order_by("-occurred_at", "-pk")
        .values_list("kind", "occurred_at")
        .first()
    )
    if latest is None or latest[0] != Kind.CHAT_OPENED:
        return None  # no click, or the click was already answered (a later re-verification)
    return max(0, int((now - latest[1]).total_seconds() * 1000))
