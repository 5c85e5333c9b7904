"""The report's figures, read from ``messaging.AuthEvent`` (this app writes nothing).

Definitions (the page, ``manage.py report`` and the CSV export all use these):

- attempts: ``chat_opened`` events (Chat clicks reported by the widget glue).
- verified: ``platform_verified`` events that answer a click (they carry ``gap_ms``); a
  later re-verification of the same conversation (token refresh) is not a second success.
- success_rate: verified / attempts, 0.0 when there were no attempts.
- rejected: ``platform_rejected`` by reason code.
- tokens_issued: ``token_issued`` + ``code_exchanged`` + ``refresh_used`` (every signed token).
- gap_ms: click-to-verified percentiles p50/p95/p99, nearest-rank (the smallest value with
  at least p of the samples at or below it; PostgreSQL's ``percentile_disc``), computed from
  a histogram of distinct values so the database never ships or sorts every sample;
  0 with ``gap_samples`` 0 when nothing was verified.
- fraud signals: ``FRAUD_SIGNALS`` below, each with count, first and last time seen.

Cost over 10 million events (docs/benchmarks.md): one grouped count by kind and reason, one
histogram of gaps, one grouped series, and small grouped reads for the signals, each on an
index that leads with the filtered column (time, brand or messenger).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Max, Min, QuerySet
from django.db.models.functions import TruncDate, TruncHour

from brands.models import Brand, Messenger
from messaging.models import AuthEvent
from reports import conf

Kind = AuthEvent.Kind

TOKEN_KINDS = (Kind.TOKEN_ISSUED, Kind.CODE_EXCHANGED, Kind.REFRESH_USED)
PERCENTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
GAP_BUCKETS_MS = (1000, 2000, 3000, 4000, 5000, 7500, 10000)


def gap_target_ms() -> int:
    """REPORTS_GAP_TARGET_MS: click-to-verified target (default 5000 ms)."""
    return int(conf.get("GAP_TARGET_MS"))


def burst_threshold() -> int:
    """REPORTS_BURST_THRESHOLD: rejections per address or customer in one hour that make a
    burst (default 5)."""
    return int(conf.get("BURST_THRESHOLD"))


@dataclass(frozen=True)
class Scope:
    """What a report covers: [since, until) and optionally one brand and/or one messenger."""

    since: datetime
    until: datetime
    brand: Brand | None = None
    messenger: Messenger | None = None

    def events(self) -> QuerySet[AuthEvent]:
        qs = AuthEvent.objects.filter(occurred_at__gte=self.since, occurred_at__lt=self.until)
        if self.messenger is not None:
            qs = qs.filter(messenger_id=self.messenger.pk)
        elif self.brand is not None:
            qs = qs.filter(brand_id=self.brand.pk)
        return qs


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

    @property
    def attempts(self) -> int:
        return self.counts.get(Kind.CHAT_OPENED, 0)

    @property
    def verified(self) -> int:
        return sum(self.gap_histogram.values())

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
            "rejected": dict(sorted(self.rejected.items())),
            "tokens_issued": self.tokens_issued,
            "auth_codes_issued": self.counts.get(Kind.AUTH_CODE_ISSUED, 0),
            "attribute_lookups": self.counts.get(Kind.ATTRIBUTES_LOOKED_UP, 0),
            "throttled": self.counts.get(Kind.THROTTLED, 0),
            "unverified_fallbacks": self.unverified_fallbacks,
            "gap_ms": self.gap_ms,
            "gap_samples": self.verified,
            "gap_precision": self.gap_precision,
            "gap_target_ms": gap_target_ms(),
            "gap_breaches": self.gap_breaches,
            "fraud_signals": [s.as_dict() for s in self.signals],
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


# The fraud signals that are one kind of event: (kind, label, event kind, reason).
FRAUD_SIGNALS: tuple[tuple[str, str, str, str], ...] = (
    ("replayed_jti", "Replayed tokens (a jti seen before)", Kind.PLATFORM_REJECTED, "replayed"),
    ("wrong_audience", "Tokens for the wrong audience", Kind.PLATFORM_REJECTED, "wrong_audience"),
    (
        "revoked_or_retired_key",
        "Tokens signed by a revoked or retired key (unknown_key at the platform)",
        Kind.PLATFORM_REJECTED,
        "unknown_key",
    ),
    (
        "non_member_lookup",
        "Attribute lookups for non-members",
        Kind.ATTRIBUTES_LOOKED_UP,
        "not_a_member",
    ),
    (
        "attributes_auth_failed",
        "Wrong client credentials at the attributes API",
        Kind.CLIENT_AUTH_FAILED,
        "attributes",
    ),
    (
        "token_auth_failed",
        "Wrong client credentials at the OIDC token endpoint",
        Kind.CLIENT_AUTH_FAILED,
        "token",
    ),
)
# Bursts: at least ``burst_threshold()`` rejections from one address / for one customer
# within one clock hour.
BURST_SIGNALS = (
    ("rejected_burst_address", "Bursts of rejected tokens from one address", "client_address"),
    ("rejected_burst_customer", "Bursts of rejected tokens for one customer", "customer_id"),
)


@dataclass
class Tally:
    """The additive figures of part of a scope: raw events, or whole rolled-up days.

    ``counts`` by (kind, reason); ``gaps`` is the click-to-verified histogram {ms: n};
    ``signals`` maps a signal kind to [count, first seen, last seen]; ``series`` maps a day
    or hour to [attempts, verified, rejected]. Parts of one period add up exactly: every
    figure is a sum, a minimum or a maximum, and bursts are per clock hour, which never
    straddles a day.
    """

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    gaps: dict[int, int] = field(default_factory=dict)
    signals: dict[str, list] = field(default_factory=dict)
    series: dict = field(default_factory=dict)

    def count_add(self, kind: str, reason: str, n: int) -> None:
        self.counts[(kind, reason)] = self.counts.get((kind, reason), 0) + n

    def gap_add(self, value: int, n: int) -> None:
        self.gaps[value] = self.gaps.get(value, 0) + n

    def signal_add(self, kind: str, n: int, first: datetime, last: datetime) -> None:
        entry = self.signals.setdefault(kind, [0, None, None])
        entry[0] += n
        entry[1] = min(filter(None, (entry[1], first)))
        entry[2] = max(filter(None, (entry[2], last)))

    def step_add(self, step, attempts: int = 0, verified: int = 0, rejected: int = 0) -> None:
        entry = self.series.setdefault(step, [0, 0, 0])
        entry[0] += attempts
        entry[1] += verified
        entry[2] += rejected

    def merge(self, other: Tally) -> None:
        for (kind, reason), n in other.counts.items():
            self.count_add(kind, reason, n)
        for value, n in other.gaps.items():
            self.gap_add(value, n)
        for kind, (n, first, last) in other.signals.items():
            self.signal_add(kind, n, first, last)
        for step, row in other.series.items():
            self.step_add(step, *row)


def report_figures(scope: Scope) -> Figures:
    """Every figure of the report for ``scope`` (a handful of grouped queries).

    Periods longer than ``rollup_after_days()`` read their whole closed days from the daily
    rollups (``reports.services``) and only the partial days at either end from the events;
    shorter periods read the events alone, so their percentiles are exact to the millisecond.
    """
    from reports import services  # services builds rollups with this module's definitions

    hourly = scope.until - scope.since <= timedelta(days=2)
    days = services.rollup_days(scope)
    tally = Tally()
    if days is None:
        tally.merge(_raw_tally(scope, hourly=hourly))
    else:
        first, last = days
        services.days_ensure(first, last)
        head_end = _day_start(first)
        tail_start = _day_start(last + timedelta(days=1))
        if scope.since < head_end:
            tally.merge(_raw_tally(replace(scope, until=head_end), hourly=False))
        tally.merge(services.days_tally(scope, first, last))
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
    return Figures(
        scope=scope,
        counts=counts,
        rejected=rejected,
        gap_histogram=tally.gaps,
        signals=_signals(tally),
        series=_series(scope, tally, hourly=hourly),
        gap_precision="exact" if days is None else "1%",
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _raw_tally(scope: Scope, *, hourly: bool) -> Tally:
    """The figures of ``scope`` read from the events themselves."""
    tally = Tally()
    events = scope.events()
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
        _step_add(tally, row["step"], row["kind"], row["n"], row["gaps"])
    return tally


SERIES_KINDS = (Kind.CHAT_OPENED, Kind.PLATFORM_VERIFIED, Kind.PLATFORM_REJECTED)


def _step_add(tally: Tally, step, kind: str, n: int, gaps: int) -> None:
    if kind == Kind.CHAT_OPENED:
        tally.step_add(step, attempts=n)
    elif kind == Kind.PLATFORM_VERIFIED:
        tally.step_add(step, verified=gaps)
    elif kind == Kind.PLATFORM_REJECTED:
        tally.step_add(step, rejected=n)


def bursts(events: QuerySet[AuthEvent], column: str, *, group_by: tuple[str, ...]):
    """Rejections of ``events`` by ``column`` (address or customer) and clock hour, where at
    least ``burst_threshold()`` fall in one hour: dicts with n, first and last, plus the
    ``group_by`` columns."""
    return (
        events.filter(kind=Kind.PLATFORM_REJECTED)
        .exclude(**{f"{column}__isnull": True})
        .annotate(hour=TruncHour("occurred_at"))
        .values(*group_by, column, "hour")
        .annotate(n=Count("*"), first=Min("occurred_at"), last=Max("occurred_at"))
        .filter(n__gte=burst_threshold())
        .order_by()
    )


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


def events_list(scope: Scope, *, kind: str = "", reason: str = "", limit: int = 200):
    """The events behind a figure (drill-down), newest first, without secrets."""
    qs = scope.events().select_related("brand", "messenger", "customer")
    if kind:
        qs = qs.filter(kind=kind)
    if reason:
        qs = qs.filter(reason=reason)
    return qs.order_by("-occurred_at", "-pk")[:limit]


def live_counters(*, window: timedelta, now: datetime) -> dict:
    """Events of the last ``window`` by brand and kind, rejections by brand and reason, and the
    click-to-verified percentiles, for the Prometheus endpoint."""
    qs = AuthEvent.objects.filter(occurred_at__gte=now - window, occurred_at__lt=now)
    by_kind = list(qs.values("brand__slug", "kind", "reason").annotate(n=Count("*")).order_by())
    histogram = dict(
        qs.filter(kind=Kind.PLATFORM_VERIFIED, gap_ms__isnull=False)
        .values_list("gap_ms")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {
        "rows": by_kind,
        "gap_ms": {k: percentile(histogram, p) for k, p in PERCENTILES.items()},
    }
