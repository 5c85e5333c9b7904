"""The shared vocabulary of the report's reads and of the rollups that summarise them.

``selectors`` (reads), ``daily`` (reads of the rollups) and ``services`` (writes of the
rollups) all build on this module and nothing here imports them: what a figure means is
written once, here, and the import graph inside ``reports`` has no cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Max, Min, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from brands.models import Brand, Messenger
from messaging.models import AuthEvent
from reports import conf

Kind = AuthEvent.Kind
# Every signed token: a token from the token API, a code exchanged, a refresh.
TOKEN_KINDS = (Kind.TOKEN_ISSUED, Kind.CODE_EXCHANGED, Kind.REFRESH_USED)


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


SERIES_KINDS = (Kind.CHAT_OPENED, Kind.PLATFORM_VERIFIED, Kind.PLATFORM_REJECTED)


def series_step_add(tally: Tally, step, kind: str, n: int, gaps: int) -> None:
    """Add ``n`` events of ``kind`` (``gaps`` of them with a click-to-verified time) to the
    series step ``step``: clicks are attempts, verifications with a gap are verified."""
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


def rollup_after_days() -> int:
    """REPORTS_ROLLUP_AFTER_DAYS: periods longer than this read whole days from rollups
    (default 31, so today, 7 and 30 days stay exact to the millisecond)."""
    return int(conf.get("ROLLUP_AFTER_DAYS"))


def rollup_settle() -> timedelta:
    """REPORTS_ROLLUP_SETTLE_SECONDS: how long after its end a day counts as closed (600)."""
    return conf.get("ROLLUP_SETTLE_SECONDS")


def closed_until(now: datetime | None = None) -> date:
    """The last closed UTC day."""
    return ((now or timezone.now()) - rollup_settle()).date() - timedelta(days=1)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time.min, tzinfo=UTC)
