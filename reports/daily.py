"""Reading the daily rollups (``reports.services`` writes them; this module never does).

A report over a long period reads the closed days that have a current rollup from it and
every other day from the events (``selectors.report_figures``): reading a report never
builds a rollup. ``manage.py rollup_events`` (nightly) builds them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.db.models import Max, Min, Sum

from reports.models import DayCount, DayGap, DaySignal, RolledDay
from reports.tally import (
    SERIES_KINDS,
    Scope,
    Tally,
    burst_threshold,
    closed_until,
    day_start,
    gap_target_ms,
    rollup_after_days,
    series_step_add,
)

Level = DaySignal.Level


def rollup_days(scope: Scope, *, now: datetime | None = None) -> tuple[date, date] | None:
    """The whole closed days (first, last) a report over ``scope`` reads from rollups, or None
    when the period is short enough to read the events alone."""
    if scope.until - scope.since <= timedelta(days=rollup_after_days()):
        return None
    first = scope.since.astimezone(UTC).date()
    if day_start(first) < scope.since:
        first += timedelta(days=1)
    last = min(
        (scope.until.astimezone(UTC) - timedelta(microseconds=1)).date(),
        closed_until(now),
    )
    if day_start(last + timedelta(days=1)) > scope.until:
        last -= timedelta(days=1)
    return (first, last) if first <= last else None


def current_days(first: date, last: date) -> set[date]:
    """The days of [first, last] whose rollup matches today's settings (gap target and
    burst threshold): the ones a report may read instead of their events."""
    return set(
        RolledDay.objects.filter(
            day__range=(first, last),
            gap_anchor_ms=gap_target_ms(),
            burst_threshold=burst_threshold(),
        ).values_list("day", flat=True)
    )


def day_runs(first: date, last: date, rolled: set[date]) -> list[tuple[date, date, bool]]:
    """[first, last] cut into runs of consecutive days: (start, end, rolled up or not)."""
    runs: list[tuple[date, date, bool]] = []
    day = first
    while day <= last:
        is_rolled = day in rolled
        if runs and runs[-1][2] == is_rolled:
            runs[-1] = (runs[-1][0], day, is_rolled)
        else:
            runs.append((day, day, is_rolled))
        day += timedelta(days=1)
    return runs


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
        series_step_add(tally, row["day_id"], row["kind"], row["total"], row["gaps"])
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
