"""Daily rollups of the authentication events: what long reports read instead of every event.

A UTC day is rolled up once it is closed: it ended ``REPORTS_ROLLUP_SETTLE`` (10 minutes) ago,
so no transaction that started in it can still commit an event for it (events carry the
server's time of recording, ``messaging.events.event_record``). The nightly
``manage.py rollup_events`` rolls up the days that closed since; a report that finds a day
missing rolls it up itself (about a third of a second per day of 25,000 events). A rollup is
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
from datetime import UTC, date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from messaging.models import AuthEvent
from reports import conf
from reports.models import DayCount, DayGap, DaySignal, RolledDay
from reports.selectors import (
    BURST_SIGNALS,
    FRAUD_SIGNALS,
    SERIES_KINDS,
    Scope,
    Tally,
    _step_add,
    burst_threshold,
    bursts,
    gap_target_ms,
)

Kind = AuthEvent.Kind
Level = DaySignal.Level
EXACT_GAP_MS = 100


def rollup_after_days() -> int:
    """REPORTS_ROLLUP_AFTER_DAYS: periods longer than this read whole days from rollups
    (default 31, so today, 7 and 30 days stay exact to the millisecond)."""
    return int(conf.get("ROLLUP_AFTER_DAYS"))


def rollup_settle() -> timedelta:
    """REPORTS_ROLLUP_SETTLE_SECONDS: how long after its end a day counts as closed (600)."""
    return conf.get("ROLLUP_SETTLE_SECONDS")


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


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def closed_until(now: datetime | None = None) -> date:
    """The last closed UTC day."""
    return ((now or timezone.now()) - rollup_settle()).date() - timedelta(days=1)


def rollup_days(scope: Scope, *, now: datetime | None = None) -> tuple[date, date] | None:
    """The whole closed days (first, last) a report over ``scope`` reads from rollups, or None
    when the period is short enough to read the events alone."""
    if scope.until - scope.since <= timedelta(days=rollup_after_days()):
        return None
    first = scope.since.astimezone(UTC).date()
    if _day_start(first) < scope.since:
        first += timedelta(days=1)
    last = min(
        (scope.until.astimezone(UTC) - timedelta(microseconds=1)).date(),
        closed_until(now),
    )
    if _day_start(last + timedelta(days=1)) > scope.until:
        last -= timedelta(days=1)
    return (first, last) if first <= last else None


def days_ensure(first: date, last: date, *, progress=None) -> int:
    """Roll up every day of [first, last] that has no current rollup; returns how many."""
    current = set(
        RolledDay.objects.filter(
            day__range=(first, last),
            gap_anchor_ms=gap_target_ms(),
            burst_threshold=burst_threshold(),
        ).values_list("day", flat=True)
    )
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
    start = _day_start(day)
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
            DayCount.objects.bulk_create(_counts(rolled, events))
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


def days_tally(scope: Scope, first: date, last: date) -> Tally:
    """The figures of the rolled-up days [first, last] within ``scope``'s brand / messenger."""
    owner: dict = {}
    if scope.messenger is not None:
        owner, level = {"messenger_id": scope.messenger.pk}, Level.MESSENGER
    elif scope.brand is not None:
        owner, level = {"brand_id": scope.brand.pk}, Level.BRAND
    else:
        level = Level.ALL
    days = {"day_id__gte": first, "day_id__lte": last}
    tally = Tally()
    counts = DayCount.objects.filter(**days, **owner)
    for row in counts.values("kind", "reason").annotate(total=Sum("n")).order_by():
        tally.count_add(row["kind"], row["reason"], row["total"])
    for value, n in (
        DayGap.objects.filter(**days, **owner)
        .values_list("gap_ms")
        .annotate(total=Sum("n"))
        .order_by()
    ):
        tally.gap_add(value, n)
    for row in (
        counts.filter(kind__in=SERIES_KINDS)
        .values("day_id", "kind")
        .annotate(total=Sum("n"), gaps=Sum("gaps"))
        .order_by()
    ):
        _step_add(tally, row["day_id"], row["kind"], row["total"], row["gaps"])
    signals = DaySignal.objects.filter(**days)
    pair = signals.filter(level=Level.PAIR, **owner)
    burst = signals.filter(level=level, **owner)
    for rows in (pair, burst):
        for row in (
            rows.values("signal")
            .annotate(total=Sum("n"), first=Min("first_seen"), last=Max("last_seen"))
            .order_by()
        ):
            tally.signal_add(row["signal"], row["total"], row["first"], row["last"])
    return tally


def days_forget(since: datetime | None, until: datetime | None) -> int:
    """Drop the rollups of the days that [since, until) touches (None: open-ended)."""
    days = RolledDay.objects.all()
    if since is not None:
        days = days.filter(day__gte=since.astimezone(UTC).date())
    if until is not None:
        days = days.filter(day__lte=until.astimezone(UTC).date())
    deleted, _ = days.delete()
    return deleted
