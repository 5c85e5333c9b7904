"""Reads of the agent console: the queue with previews, unread counts and filters.

The queue mixes the platform's two kinds of arrivals: conversations opened with a verified
token and tokens it rejected (the "unverified" ones, which never become conversations).
Each entry is one line in the console; nothing here reads the portal's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from .models import Conversation, Message, Rejection

QUEUE_SIZE = 50
STATUS_VERIFIED = "verified"
STATUS_UNVERIFIED = "unverified"
STATUS_CHOICES = (
    ("", "All"),
    (STATUS_VERIFIED, "Verified"),
    (STATUS_UNVERIFIED, "Unverified (rejected tokens)"),
)
PREVIEW_LENGTH = 140


@dataclass(frozen=True)
class QueueEntry:
    """One line of the queue: a verified conversation or a rejected token."""

    kind: str  # "verified" or "rejected"
    item: Conversation | Rejection
    at: datetime  # last activity: the last message, else the arrival
    preview: str = ""
    preview_sender: str = ""
    unread: int = 0
    never_opened: bool = False

    @property
    def is_unread(self) -> bool:
        return self.kind == "verified" and (self.unread > 0 or self.never_opened)


def console_brands() -> list[str]:
    """Brand slugs seen by the platform (conversations or rejections), sorted."""
    slugs = set(Conversation.objects.values_list("brand", flat=True).distinct())
    slugs |= set(Rejection.objects.exclude(brand="").values_list("brand", flat=True).distinct())
    return sorted(slugs)


def _conversations(brand: str, limit: int) -> list[QueueEntry]:
    last = Message.objects.filter(conversation=OuterRef("pk")).order_by("-id")
    unread_filter = Q(messages__sender=Message.Sender.CUSTOMER) & (
        Q(agent_read_at__isnull=True) | Q(messages__created_at__gt=F("agent_read_at"))
    )
    rows = (
        Conversation.objects.annotate(
            activity=Coalesce("last_message_at", "created_at"),
            preview=Subquery(last.values("body")[:1]),
            preview_sender=Subquery(last.values("sender")[:1]),
            unread=Count("messages", filter=unread_filter),
        )
        .filter(**({"brand": brand} if brand else {}))
        .order_by("-activity")[:limit]
    )
    return [
        QueueEntry(
            kind="verified",
            item=c,
            at=c.activity,
            preview=(c.preview or "")[:PREVIEW_LENGTH],
            preview_sender=c.preview_sender or "",
            unread=c.unread,
            never_opened=c.agent_read_at is None,
        )
        for c in rows
    ]


def _rejections(brand: str, limit: int) -> list[QueueEntry]:
    rows = Rejection.objects.filter(**({"brand": brand} if brand else {}))[:limit]
    return [
        QueueEntry(kind="rejected", item=r, at=r.created_at, preview=r.detail[:PREVIEW_LENGTH])
        for r in rows
    ]


def console_queue(
    *, brand: str = "", status: str = "", limit: int = QUEUE_SIZE
) -> list[QueueEntry]:
    """The ``limit`` most recently active entries, newest first.

    ``brand`` keeps one brand's entries (empty: every brand); ``status`` is ``verified``
    (conversations only), ``unverified`` (rejected tokens only) or empty (both).
    """
    entries: list[QueueEntry] = []
    if status != STATUS_UNVERIFIED:
        entries += _conversations(brand, limit)
    if status != STATUS_VERIFIED:
        entries += _rejections(brand, limit)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
