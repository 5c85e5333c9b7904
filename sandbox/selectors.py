"""Reads of the agent console: the queue with previews, unread counts and filters.

The queue mixes the platform's two kinds of arrivals: conversations opened with a verified
token and tokens it rejected (the "unverified" ones, which never become conversations).
Each entry is one line in the console; nothing here reads the portal's tables. Brands are
stored as slugs (what a vendor's cloud holds); their display names come from each messenger's
public setup (``platform.resolve_messenger``, cached), as the chat window's header does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from .models import Conversation, Message, Rejection
from .platform import PlatformError, resolve_messenger

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
    brand_name: str = ""  # the brand's display name, else its slug

    @property
    def is_unread(self) -> bool:
        return self.kind == "verified" and (self.unread > 0 or self.never_opened)


def brand_names(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``{brand slug: display name}`` for ``(brand, messenger)`` pairs.

    The name is the one in the messenger's public setup; a brand whose messengers the portal
    no longer knows (or cannot tell now) keeps its slug. One setup read per brand, cached.
    """
    names: dict[str, str] = {}
    for brand, messenger in pairs:
        if not brand or names.get(brand, brand) != brand:
            continue
        try:
            config = resolve_messenger(messenger)
        except PlatformError:
            names.setdefault(brand, brand)
            continue
        names[brand] = (config.brand_name if config.brand == brand else "") or brand
    return names


def brand_name(brand: str, messenger: str) -> str:
    """The display name of one brand (its slug if unknown)."""
    return brand_names([(brand, messenger)]).get(brand, brand)


def console_brands() -> list[tuple[str, str]]:
    """``(slug, name)`` of the brands seen by the platform (conversations or rejections),
    sorted by name."""
    pairs = set(Conversation.objects.values_list("brand", "messenger").distinct())
    pairs |= set(Rejection.objects.exclude(brand="").values_list("brand", "messenger").distinct())
    names = brand_names(sorted(pairs))
    return sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))


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
    entries = entries[:limit]
    names = brand_names((e.item.brand, e.item.messenger) for e in entries)
    return [replace(e, brand_name=names.get(e.item.brand, e.item.brand)) for e in entries]
