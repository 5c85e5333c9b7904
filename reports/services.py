"""Daily rollups of the authentication events: what long reports read instead of every event.

A UTC day is rolled up once it is closed: it ended ``REPORTS_ROLLUP_SETTLE`` (10 minutes) ago,
so no transaction that started in it can still commit an event for it (events carry the
server's time of recording, ``messaging.events.event_record``). The nightly
``manage.py rollup_events`` rolls up the days that closed since (about a third of a second
per day of 25,000 events); a report that finds a day without a current rollup reads that
day's events instead and writes nothing (``reports.daily``). A rollup is
dropped when its day changes behind it: an event recorded with an earlier time (tests,
imports), ``generate_events`` and ``purge_events`` (the ``events_rewritten`` signal), or a
change of the click-to-verified target or of the burst threshold, which the rollup records.

Every figure is a count, a minimum or a maximum, so whole days add up exactly with the
partial days at the ends of a period. The one approximation is the click-to-verified
histogram: gaps over 100 ms are kept as the upper edge of their 1 % bucket (edges are
``target * 1.01**k``, so the 5 s target is an exact edge and breaches stay exact).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from accounts.models import Customer
from brands.models import Brand
from messaging.events import MAX_GAP
from messaging.models import AuthEvent
from reports.conversations import ConversationRow
from reports.daily import current_days
from reports.models import DayCount, DayGap, DaySignal, ImportedConversation, RolledDay
from reports.outcomes import OUTCOME_KIND, attempt_outcomes
from reports.tally import (
    BURST_SIGNALS,
    FRAUD_SIGNALS,
    TOKEN_KINDS,
    burst_threshold,
    bursts,
    day_start,
    gap_target_ms,
)

Kind = AuthEvent.Kind
Level = DaySignal.Level
EXACT_GAP_MS = 100


def gap_bucket(value: int, anchor: int) -> int:
    """The upper edge of the 1 % bucket holding ``value`` ms: the smallest
    ``round(anchor * 1.01**k)`` at or above it (``k`` any integer); exact up to 100 ms."""
    if value <= EXACT_GAP_MS:
        return value
    k = math.floor(math.log(value / anchor, 1.01))
    edge = round(anchor * 1.01**k)
    while edge < value:
        k += 1
        edge = round(anchor * 1.01**k)
    return edge


def days_ensure(first: date, last: date, *, progress=None) -> int:
    """Roll up every day of [first, last] that has no current rollup; returns how many."""
    current = current_days(first, last)
    missing = [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if first + timedelta(days=i) not in current
    ]
    for day in missing:
        day_roll(day)
        if progress is not None:
            progress(1)
    return len(missing)


def day_roll(day: date) -> RolledDay | None:
    """Summarise one closed day's events (replacing any earlier summary of it)."""
    start = day_start(day)
    events = AuthEvent.objects.filter(
        occurred_at__gte=start, occurred_at__lt=start + timedelta(days=1)
    )
    anchor, threshold = gap_target_ms(), burst_threshold()
    try:
        with transaction.atomic():
            RolledDay.objects.filter(day=day).delete()
            rolled = RolledDay.objects.create(
                day=day, gap_anchor_ms=anchor, burst_threshold=threshold, rolled_at=timezone.now()
            )
            DayCount.objects.bulk_create(_counts(rolled, events) + _outcomes(rolled, start))
            DayGap.objects.bulk_create(_gaps(rolled, events, anchor))
            DaySignal.objects.bulk_create(_day_signals(rolled, events))
    except IntegrityError:
        return None  # another process rolled the same day at the same moment: its rows stand
    return rolled


def _counts(rolled: RolledDay, events) -> list[DayCount]:
    return [
        DayCount(
            day=rolled,
            brand_id=row["brand_id"],
            messenger_id=row["messenger_id"],
            kind=row["kind"],
            reason=row["reason"],
            n=row["n"],
            gaps=row["gaps"],
        )
        for row in events.values("brand_id", "messenger_id", "kind", "reason")
        .annotate(n=Count("*"), gaps=Count("gap_ms"))
        .order_by()
    ]


def _outcomes(rolled: RolledDay, start: datetime) -> list[DayCount]:
    """How the day's attempts ended (``reports.outcomes``), by brand and messenger."""
    return [
        DayCount(
            day=rolled,
            brand_id=brand_id,
            messenger_id=messenger_id,
            kind=OUTCOME_KIND,
            reason=outcome,
            n=n,
            gaps=0,
        )
        for brand_id, messenger_id, outcome, n in attempt_outcomes(
            since=start, until=start + timedelta(days=1)
        )
    ]


def _gaps(rolled: RolledDay, events, anchor: int) -> list[DayGap]:
    buckets: dict[tuple, int] = {}
    for brand_id, messenger_id, gap, n in (
        events.filter(kind=Kind.PLATFORM_VERIFIED, gap_ms__isnull=False)
        .values_list("brand_id", "messenger_id", "gap_ms")
        .annotate(n=Count("*"))
        .order_by()
    ):
        key = (brand_id, messenger_id, gap_bucket(gap, anchor))
        buckets[key] = buckets.get(key, 0) + n
    return [
        DayGap(day=rolled, brand_id=b, messenger_id=m, gap_ms=g, n=n)
        for (b, m, g), n in buckets.items()
    ]


def _day_signals(rolled: RolledDay, events) -> list[DaySignal]:
    rows = []
    for signal, _label, event_kind, reason in FRAUD_SIGNALS:
        for row in (
            events.filter(kind=event_kind, reason=reason)
            .values("brand_id", "messenger_id")
            .annotate(n=Count("*"), first=Min("occurred_at"), last=Max("occurred_at"))
            .order_by()
        ):
            rows.append(
                DaySignal(
                    day=rolled,
                    level=Level.PAIR,
                    brand_id=row["brand_id"],
                    messenger_id=row["messenger_id"],
                    signal=signal,
                    n=row["n"],
                    first_seen=row["first"],
                    last_seen=row["last"],
                )
            )
    levels = ((Level.ALL, ()), (Level.BRAND, ("brand_id",)), (Level.MESSENGER, ("messenger_id",)))
    for signal, _label, column in BURST_SIGNALS:
        for level, group_by in levels:
            per_key: dict = {}
            for burst in bursts(events, column, group_by=group_by):
                key = tuple(burst[c] for c in group_by)
                n, first, last = per_key.get(key, (0, burst["first"], burst["last"]))
                first, last = min(first, burst["first"]), max(last, burst["last"])
                per_key[key] = (n + burst["n"], first, last)
            for key, (n, first, last) in per_key.items():
                owner = dict(zip(group_by, key, strict=True))
                rows.append(
                    DaySignal(
                        day=rolled,
                        level=level,
                        brand_id=owner.get("brand_id"),
                        messenger_id=owner.get("messenger_id"),
                        signal=signal,
                        n=n,
                        first_seen=first,
                        last_seen=last,
                    )
                )
    return rows


def days_forget(since: datetime | None, until: datetime | None) -> int:
    """Drop the rollups of the days that [since, until) touches (None: open-ended)."""
    days = RolledDay.objects.all()
    if since is not None:
        days = days.filter(day__gte=since.astimezone(UTC).date())
    if until is not None:
        days = days.filter(day__lte=until.astimezone(UTC).date())
    deleted, _ = days.delete()
    return deleted


def conversations_import(
    *, brand: Brand, source: str, rows: list[ConversationRow]
) -> tuple[int, int]:
    """Store ``rows`` (a platform's conversations) for ``brand``, joined to the portal's events;
    returns (how many, how many of them verified). All or nothing; a conversation imported
    before from the same source is replaced.

    Verified means: its ``jti`` is a token the portal signed for this brand (a token, code
    exchange or refresh event), or its ``sub`` is a customer the platform verified for this
    brand (a ``platform_verified`` event) between ``MAX_GAP`` before its start and its end.
    """
    jtis = {r.jti for r in rows if r.jti}
    signed = (
        set(
            AuthEvent.objects.filter(brand_id=brand.pk, kind__in=TOKEN_KINDS, jti__in=jtis)
            .values_list("jti", flat=True)
            .distinct()
        )
        if jtis
        else set()
    )
    subjects = {r.subject for r in rows if r.subject and r.jti not in signed}
    customer_ids = (
        dict(Customer.objects.filter(customer_id__in=subjects).values_list("pk", "customer_id"))
        if subjects
        else {}
    )
    verified_at: dict[str, list] = {}
    if customer_ids:
        first = min(r.started_at for r in rows) - MAX_GAP
        last = max(r.ended_at for r in rows)
        for customer_pk, moment in AuthEvent.objects.filter(
            brand_id=brand.pk,
            kind=AuthEvent.Kind.PLATFORM_VERIFIED,
            customer_id__in=list(customer_ids),
            occurred_at__gte=first,
            occurred_at__lte=last,
        ).values_list("customer_id", "occurred_at"):
            verified_at.setdefault(customer_ids[customer_pk], []).append(moment)

    def verified(row: ConversationRow) -> bool:
        if row.jti and row.jti in signed:
            return True
        return any(
            row.started_at - MAX_GAP <= moment <= row.ended_at
            for moment in verified_at.get(row.subject, ())
        )

    objects = [
        ImportedConversation(
            brand=brand,
            source=source,
            conversation_id=row.conversation_id,
            jti=row.jti,
            subject=row.subject,
            started_at=row.started_at,
            ended_at=row.ended_at,
            handle_seconds=row.handle_seconds,
            verified=verified(row),
        )
        for row in rows
    ]
    with transaction.atomic():
        ImportedConversation.objects.bulk_create(
            objects,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["brand", "source", "conversation_id"],
            update_fields=[
                "jti",
                "subject",
                "started_at",
                "ended_at",
                "handle_seconds",
                "verified",
                "imported_at",
            ],
        )
    return len(objects), sum(1 for o in objects if o.verified)
