"""The report's figures, read from ``messaging.AuthEvent`` and the daily rollups (no write).

Definitions (the page, ``manage.py report`` and the CSV export all use these):

- attempts: ``chat_opened`` events (Chat clicks reported by the widget glue).
- verified: attempts clicked in the period that ended verified (``reports.outcomes``: the
  ``platform_verified`` that answers the click); a re-verification is not a second success.
- not_verified: every other attempt by the reason it did not end verified (step-up required,
  not a member, throttled, rejected by the platform's code, abandoned, ...): verified plus
  these is attempts, exactly.
- success_rate: verified / attempts, 0.0 when there were no attempts.
- rejected: ``platform_rejected`` by reason code.
- tokens_issued: ``token_issued`` + ``code_exchanged`` + ``refresh_used`` (every signed token).
- gap_ms: click-to-verified percentiles p50/p95/p99, nearest-rank (the smallest value with
  at least p of the samples at or below it; PostgreSQL's ``percentile_disc``), computed from
  a histogram of distinct values so the database never ships or sorts every sample;
  0 with ``gap_samples`` 0 when nothing was verified.
- fraud signals: ``FRAUD_SIGNALS`` (``reports.tally``), with count, first and last time seen.
- roi: average handle time of imported conversations, verified vs not (``conversations_roi``).

Cost over 10 million events (docs/benchmarks.md): one grouped count by kind and reason, one
histogram of gaps, one grouped series, and small grouped reads for the signals, each on an
index that leads with the filtered column (time, brand or messenger).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.db.models import Avg, Count, Max, Min
from django.db.models.functions import TruncDate, TruncHour

from brands.models import Brand
from messaging.models import AuthEvent
from reports import daily, outcomes
from reports.models import ImportedConversation
from reports.tally import (
    BURST_SIGNALS,
    FRAUD_SIGNALS,
    SERIES_KINDS,
    TOKEN_KINDS,
    Scope,
    Tally,
    bursts,
    day_start,
    gap_target_ms,
    series_step_add,
)

Kind = AuthEvent.Kind
__all__ = ["Figures", "Scope", "events_list", "live_counters", "percentile", "report_figures"]

PERCENTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
GAP_BUCKETS_MS = (1000, 2000, 3000, 4000, 5000, 7500, 10000)


@dataclass
class Signal:
    kind: str
    label: str
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    drilldown: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "count": self.count,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
        }


@dataclass
class Figures:
    scope: Scope
    counts: dict[str, int]
    rejected: dict[str, int]
    gap_histogram: dict[int, int]
    signals: list[Signal]
    series: list[tuple[date | datetime, int, int, int]]
    gap_precision: str = "exact"
    outcomes: dict[str, int] = field(default_factory=dict)
    roi: list[RoiRow] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return self.counts.get(Kind.CHAT_OPENED, 0)

    @property
    def verified(self) -> int:
        """Attempts of the period that ended verified (``reports.outcomes``)."""
        return self.outcomes.get(outcomes.VERIFIED, 0)

    @property
    def not_verified(self) -> dict[str, int]:
        """Every other attempt by the reason it did not end verified, most frequent first:
        with ``verified`` they add up to ``attempts``."""
        rows = [(r, n) for r, n in self.outcomes.items() if r != outcomes.VERIFIED and n]
        return dict(sorted(rows, key=lambda row: (-row[1], row[0])))

    @property
    def not_verified_rows(self) -> list[tuple[str, str, int]]:
        """(reason code, label, attempts) for the page."""
        return [(r, outcomes.outcome_label(r), n) for r, n in self.not_verified.items()]

    @property
    def success_rate(self) -> float:
        return round(self.verified / self.attempts, 4) if self.attempts else 0.0

    @property
    def tokens_issued(self) -> int:
        return sum(self.counts.get(k, 0) for k in TOKEN_KINDS)

    @property
    def unverified_fallbacks(self) -> int:
        return self.counts.get(Kind.UNVERIFIED_FALLBACK, 0)

    @property
    def gap_ms(self) -> dict[str, int]:
        return {name: percentile(self.gap_histogram, p) for name, p in PERCENTILES.items()}

    @property
    def gap_breaches(self) -> int:
        target = gap_target_ms()
        return sum(n for value, n in self.gap_histogram.items() if value > target)

    @property
    def gap_buckets(self) -> list[tuple[str, int]]:
        """Verified conversations per click-to-verified range (for the histogram)."""
        edges = (0, *GAP_BUCKETS_MS)
        buckets = []
        for low, high in zip(edges, GAP_BUCKETS_MS, strict=False):
            n = sum(c for v, c in self.gap_histogram.items() if low <= v < high)
            buckets.append((f"{low / 1000:g}-{high / 1000:g} s", n))
        last = GAP_BUCKETS_MS[-1]
        buckets.append(
            (f">= {last / 1000:g} s", sum(c for v, c in self.gap_histogram.items() if v >= last))
        )
        return buckets

    def as_dict(self) -> dict:
        scope = self.scope
        return {
            "brand": scope.brand.slug if scope.brand else None,
            "messenger": scope.messenger.slug if scope.messenger else None,
            "since": _iso(scope.since),
            "until": _iso(scope.until),
            "attempts": self.attempts,
            "verified": self.verified,
            "success_rate": self.success_rate,
            "not_verified": self.not_verified,
            "rejected": dict(sorted(self.rejected.items())),
            "tokens_issued": self.tokens_issued,
            "auth_codes_issued": self.counts.get(Kind.AUTH_CODE_ISSUED, 0),
            "attribute_lookups": self.counts.get(Kind.ATTRIBUTES_LOOKED_UP, 0),
            "throttled": self.counts.get(Kind.THROTTLED, 0),
            "unverified_fallbacks": self.unverified_fallbacks,
            "gap_ms": self.gap_ms,
            "gap_samples": sum(self.gap_histogram.values()),
            "gap_precision": self.gap_precision,
            "gap_target_ms": gap_target_ms(),
            "gap_breaches": self.gap_breaches,
            "fraud_signals": [s.as_dict() for s in self.signals],
            "roi": [row.as_dict() for row in self.roi],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def percentile(histogram: dict[int, int], p: float) -> int:
    """Nearest-rank percentile of samples given as {value: count}; 0 without samples."""
    total = sum(histogram.values())
    if not total:
        return 0
    rank = max(1, math.ceil(p * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)  # unreachable: seen reaches total


def report_figures(scope: Scope) -> Figures:
    """Every figure of the report for ``scope`` (a handful of grouped queries; no write).

    Periods longer than ``rollup_after_days()`` read their closed days that have a current
    rollup from the daily rollups (``reports.daily``) and every other day from the events;
    shorter periods read the events alone, so their percentiles are exact to the millisecond.
    """
    hourly = scope.until - scope.since <= timedelta(days=2)
    days = daily.rollup_days(scope)
    tally = Tally()
    rolled_any = False
    if days is None:
        tally.merge(_raw_tally(scope, hourly=hourly))
    else:
        first, last = days
        head_end = day_start(first)
        tail_start = day_start(last + timedelta(days=1))
        if scope.since < head_end:
            tally.merge(_raw_tally(replace(scope, until=head_end), hourly=False))
        for start, end, rolled in daily.day_runs(first, last, daily.current_days(first, last)):
            if rolled:
                rolled_any = True
                tally.merge(daily.days_tally(scope, start, end))
            else:
                run = replace(scope, since=day_start(start), until=day_start(end + timedelta(1)))
                tally.merge(_raw_tally(run, hourly=False))
        if tail_start < scope.until:
            tally.merge(_raw_tally(replace(scope, since=tail_start), hourly=False))
    counts: dict[str, int] = {}
    for (kind, _reason), n in tally.counts.items():
        counts[kind] = counts.get(kind, 0) + n
    rejected = {
        reason or "unknown": n
        for (kind, reason), n in tally.counts.items()
        if kind == Kind.PLATFORM_REJECTED
    }
    ended = {
        reason: n for (kind, reason), n in tally.counts.items() if kind == outcomes.OUTCOME_KIND
    }
    untraceable = counts.get(Kind.CHAT_OPENED, 0) - sum(ended.values())
    if untraceable > 0:
        ended[outcomes.UNTRACEABLE] = untraceable
    return Figures(
        scope=scope,
        counts=counts,
        rejected=rejected,
        gap_histogram=tally.gaps,
        signals=_signals(tally),
        series=_series(scope, tally, hourly=hourly),
        gap_precision="1%" if rolled_any else "exact",
        outcomes=ended,
        roi=conversations_roi(scope),
    )


def _raw_tally(scope: Scope, *, hourly: bool) -> Tally:
    """The figures of ``scope`` read from the events themselves."""
    tally = Tally()
    events = scope.events()
    for _brand, _messenger, outcome, n in outcomes.attempt_outcomes(
        since=scope.since,
        until=scope.until,
        brand_id=scope.brand.pk if scope.brand else None,
        messenger_id=scope.messenger.pk if scope.messenger else None,
    ):
        tally.count_add(outcomes.OUTCOME_KIND, outcome, n)
    for row in events.values("kind", "reason").annotate(n=Count("*")).order_by():
        tally.count_add(row["kind"], row["reason"], row["n"])
    for value, n in (
        events.filter(kind=Kind.PLATFORM_VERIFIED, gap_ms__isnull=False)
        .values_list("gap_ms")
        .annotate(n=Count("*"))
        .order_by()
    ):
        tally.gap_add(value, n)
    for kind, _label, event_kind, reason in FRAUD_SIGNALS:
        if tally.counts.get((event_kind, reason)):  # the grouped count says whether to look
            row = events.filter(kind=event_kind, reason=reason).aggregate(
                n=Count("*"), first=Min("occurred_at"), last=Max("occurred_at")
            )
            tally.signal_add(kind, row["n"], row["first"], row["last"])
    if any(k == Kind.PLATFORM_REJECTED for k, _ in tally.counts):
        for kind, _label, column in BURST_SIGNALS:
            for burst in bursts(events, column, group_by=()):
                tally.signal_add(kind, burst["n"], burst["first"], burst["last"])
    trunc = TruncHour("occurred_at") if hourly else TruncDate("occurred_at")
    for row in (
        events.filter(kind__in=SERIES_KINDS)
        .annotate(step=trunc)
        .values("step", "kind")
        .annotate(n=Count("*"), gaps=Count("gap_ms"))
        .order_by()
    ):
        series_step_add(tally, row["step"], row["kind"], row["n"], row["gaps"])
    return tally


def _signals(tally: Tally) -> list[Signal]:
    drilldowns = [
        (kind, label, {"kind": event_kind, "reason": reason})
        for kind, label, event_kind, reason in FRAUD_SIGNALS
    ] + [(kind, label, {"kind": Kind.PLATFORM_REJECTED}) for kind, label, _ in BURST_SIGNALS]
    signals = []
    for kind, label, drilldown in drilldowns:
        count, first, last = tally.signals.get(kind, [0, None, None])
        signals.append(Signal(kind, label, count, first, last, drilldown))
    return signals


def _series(scope: Scope, tally: Tally, *, hourly: bool) -> list[tuple]:
    """(day or hour, attempts, verified, rejected) for every step of the period, zeros included."""
    steps = []
    if hourly:
        cursor = scope.since.replace(minute=0, second=0, microsecond=0)
        last, step_size = scope.until - timedelta(microseconds=1), timedelta(hours=1)
    else:
        cursor = scope.since.date()
        last, step_size = (scope.until - timedelta(microseconds=1)).date(), timedelta(days=1)
    while cursor <= last and len(steps) < 800:  # a custom period of years: its first 800 days
        steps.append((cursor, *tally.series.get(cursor, [0, 0, 0])))
        cursor += step_size
    return steps


@dataclass(frozen=True)
class RoiRow:
    """Average handle time of one brand's imported conversations, verified vs not."""

    brand: str
    brand_name: str
    verified: int
    verified_avg_s: float | None
    unverified: int
    unverified_avg_s: float | None

    @property
    def difference_pct(self) -> float | None:
        """How much shorter (negative: longer) verified conversations are, in percent of the
        unverified average; None without both kinds."""
        if not self.verified_avg_s or not self.unverified_avg_s:
            return None
        return round(
            (self.unverified_avg_s - self.verified_avg_s) / self.unverified_avg_s * 100, 1
        )

    def as_dict(self) -> dict:
        return {
            "brand": self.brand,
            "verified_conversations": self.verified,
            "verified_avg_handle_s": _round(self.verified_avg_s),
            "unverified_conversations": self.unverified,
            "unverified_avg_handle_s": _round(self.unverified_avg_s),
            "verified_shorter_by_pct": self.difference_pct,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def conversations_roi(scope: Scope) -> list[RoiRow]:
    """Per brand, the imported conversations that started in the scope's period: how many
    and their average handle time, verified and not (one grouped read)."""
    qs = ImportedConversation.objects.filter(
        started_at__gte=scope.since, started_at__lt=scope.until
    )
    if scope.messenger is not None:
        qs = qs.filter(brand_id=scope.messenger.brand_id)
    elif scope.brand is not None:
        qs = qs.filter(brand_id=scope.brand.pk)
    by_brand: dict[str, dict] = {}
    for row in (
        qs.values("brand__slug", "brand__name", "verified")
        .annotate(n=Count("*"), avg=Avg("handle_seconds"))
        .order_by("brand__slug")
    ):
        entry = by_brand.setdefault(row["brand__slug"], {"name": row["brand__name"]})
        entry[row["verified"]] = (row["n"], float(row["avg"]))
    return [
        RoiRow(
            brand=slug,
            brand_name=entry["name"],
            verified=entry.get(True, (0, None))[0],
            verified_avg_s=entry.get(True, (0, None))[1],
            unverified=entry.get(False, (0, None))[0],
            unverified_avg_s=entry.get(False, (0, None))[1],
        )
        for slug, entry in by_brand.items()
    ]


def events_list(scope: Scope, *, kind: str = "", reason: str = "", limit: int = 200):
    """The events behind a figure (drill-down), newest first, without secrets."""
    qs = scope.events().select_related("brand", "messenger", "customer")
    if kind:
        qs = qs.filter(kind=kind)
    if reason:
        qs = qs.filter(reason=reason)
    return qs.order_by("-occurred_at", "-pk")[:limit]


def live_counters(*, window: timedelta, now: datetime) -> dict:
    """Events of the last ``window`` by brand and kind, rejections by brand and reason, how
    the attempts clicked in it ended by brand and outcome, and the click-to-verified
    percentiles, for the Prometheus endpoint."""
    qs = AuthEvent.objects.filter(occurred_at__gte=now - window, occurred_at__lt=now)
    by_kind = list(qs.values("brand__slug", "kind", "reason").annotate(n=Count("*")).order_by())
    histogram = dict(
        qs.filter(kind=Kind.PLATFORM_VERIFIED, gap_ms__isnull=False)
        .values_list("gap_ms")
        .annotate(n=Count("*"))
        .order_by()
    )
    ended: dict[tuple[int | None, str], int] = {}
    for brand_id, _messenger, outcome, n in outcomes.attempt_outcomes(
        since=now - window, until=now, now=now
    ):
        ended[(brand_id, outcome)] = ended.get((brand_id, outcome), 0) + n
    slugs = dict(Brand.objects.filter(pk__in={b for b, _ in ended}).values_list("pk", "slug"))
    return {
        "rows": by_kind,
        "outcomes": {(slugs.get(b, ""), o): n for (b, o), n in ended.items()},
        "gap_ms": {k: percentile(histogram, p) for k, p in PERCENTILES.items()},
    }
