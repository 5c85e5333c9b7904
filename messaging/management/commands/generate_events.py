"""``manage.py generate_events --count 10000000``: synthetic authentication events (benchmarks).

A realistic mix, chat by chat, in time order (as an append-only table fills: rows of one day
sit together on disk) spread evenly over ``--days`` up to now, across every active
messenger and up to 500 of their brands' customers: each chat is a click, a token (or, for
OpenID Connect messengers, an auth code and its exchange), then mostly a verification
(log-normal click-to-verified time, median about 1.6 s, a tail past 5 s), sometimes a
rejection by a weighted reason followed by a retry, now and then a refresh, an attribute
lookup (a few for non-members), a throttle, a refusal for step-up or an abandoned click.
Deterministic for a given ``--seed``.

``--top-up`` (what ``make demo`` runs): only the part of the period no event covers yet, from
the newest event to now, at the same rate; run again soon after, it adds a handful of events
or none, so the demo's figures do not double with every ``make demo``.

PostgreSQL: rows go in with ``COPY`` (about 10x ``bulk_create``); elsewhere ``bulk_create``.
Summaries derived from the period (the reports' daily rollups) are dropped when it is done
(``events_rewritten``). A progress bar on stderr. Exit 2 without messengers (run
``seed_demo`` first) or on bad input.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Customer
from brands.models import Messenger
from config.appconf import duration_text
from messaging.events import events_rewritten
from messaging.management.progress import ProgressBar
from messaging.models import AuthEvent

K = AuthEvent.Kind
REASONS = [
    ("expired", 30),
    ("bad_signature", 12),
    ("wrong_audience", 8),
    ("unknown_key", 8),
    ("replayed", 6),
    ("wrong_issuer", 5),
    ("not_yet_valid", 4),
    ("malformed", 3),
    ("jwks_unavailable", 2),
]
TAIL_MS = 1_200_000  # the last 20 minutes of a period: a chat's later events (a refresh)
COLUMNS = (
    "kind",
    "occurred_at",
    "brand_id",
    "messenger_id",
    "customer_id",
    "session_hash",
    "reason",
    "jti",
    "gap_ms",
    "client_address",
)


def _chat(rng: random.Random, at, messenger, customer_id, address):
    """The events of one chat, as tuples in ``COLUMNS`` order."""
    session = hashlib.sha256(f"{customer_id}:{at.date()}".encode()).hexdigest()
    brand_id, messenger_id = messenger.brand_id, messenger.pk
    rows = []

    def add(kind, offset_ms=0, reason="", jti="", gap=None, who=customer_id):
        when = at + timedelta(milliseconds=offset_ms)
        rows.append((kind, when, brand_id, messenger_id, who, session, reason, jti, gap, address))

    add(K.CHAT_OPENED)
    if rng.random() < 0.01:
        add(K.THROTTLED, 50, reason="token-beacon")  # the chat's beacon after a 429
        return rows
    if rng.random() < 0.02:  # a chat that needs a passkey the customer does not add
        add(K.TOKEN_REFUSED, 60, reason="step_up_required")
        return rows
    if rng.random() < 0.02:  # clicked, then the customer left before the chat answered
        return rows
    oidc = messenger.is_oidc_client
    add(K.AUTH_CODE_ISSUED if oidc else K.TOKEN_ISSUED, 80, jti="" if oidc else _jti(rng))
    if oidc:
        add(K.CODE_EXCHANGED, 400, jti=_jti(rng))
    gap = int(min(600000, rng.lognormvariate(math.log(1600), 0.55)))
    if rng.random() < 0.05:
        reason = rng.choices([r for r, _ in REASONS], weights=[w for _, w in REASONS])[0]
        add(K.PLATFORM_REJECTED, gap // 2, reason=reason)
        if rng.random() < 0.7:  # the glue's one retry with a fresh token
            add(K.TOKEN_ISSUED, gap // 2 + 50, jti=_jti(rng))
            add(K.PLATFORM_VERIFIED, gap + 900, gap=gap + 900)
    else:
        add(K.PLATFORM_VERIFIED, gap, gap=gap)
    if oidc and rng.random() < 0.3:
        add(K.REFRESH_USED, 15 * 60000, jti=_jti(rng))
    if oidc and rng.random() < 0.5:
        member = rng.random() > 0.02
        add(
            K.ATTRIBUTES_LOOKED_UP,
            gap + 2000,
            reason="" if member else "not_a_member",
            who=customer_id if member else None,
        )
    return rows


def _jti(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


class Command(BaseCommand):
    help = "Generate synthetic authentication events for benchmarks (realistic mix)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="About this many events")
        parser.add_argument("--days", type=int, default=400, help="Spread over this many days")
        parser.add_argument("--batch", type=int, default=20000, help="Rows per insert batch")
        parser.add_argument("--seed", type=int, default=11)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")
        parser.add_argument(
            "--top-up",
            action="store_true",
            help="Only from the newest event to now, at the same rate (the demo's re-runs)",
        )

    def handle(self, *args, **o):
        if o["count"] < 1 or o["days"] < 1 or o["batch"] < 1:
            raise CommandError("--count, --days and --batch must be positive.", returncode=2)
        messengers = list(
            Messenger.objects.filter(is_active=True).select_related("brand").order_by("pk")
        )
        if not messengers:
            raise CommandError("No active messenger: run seed_demo first.", returncode=2)
        customers = {
            m.pk: list(
                Customer.objects.filter(memberships__brand_id=m.brand_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:500]
            )
            for m in messengers
        }
        messengers = [m for m in messengers if customers[m.pk]]
        if not messengers:
            raise CommandError("No messenger has customers: run seed_demo first.", returncode=2)
        rng = random.Random(o["seed"])
        now = timezone.now()
        span_ms = o["days"] * 86400 * 1000
        start = now - timedelta(milliseconds=span_ms)
        count = o["count"]
        if o["top_up"]:
            newest = AuthEvent.objects.filter(occurred_at__gte=start).aggregate(
                at=Max("occurred_at")
            )["at"]
            if newest is not None:
                uncovered_ms = (now - newest).total_seconds() * 1000
                count = round(o["count"] * (uncovered_ms - TAIL_MS) / span_ms)  # as it is laid out
                if count < 1:  # also when no more than the tail is uncovered
                    self.stdout.write(
                        f"Events already reach {newest:%Y-%m-%d %H:%M} UTC: none added."
                    )
                    return
                start, span_ms = newest, int(uncovered_ms)
        addresses = [f"10.{i // 250}.{i % 250}.{rng.randrange(1, 250)}" for i in range(5000)]
        copy = connection.vendor == "postgresql"
        written = 0
        stream = io.StringIO() if o["no_progress"] else None  # None: the process's stderr
        with ProgressBar(count, "generating", stream=stream) as bar:
            while written < count:
                batch: list[tuple] = []
                while len(batch) < o["batch"] and written + len(batch) < count:
                    # Time follows the share of events written, so the period fills evenly
                    # whatever the mix (the last 20 minutes stay free for the chats' tails).
                    share = (written + len(batch)) / count
                    at = start + timedelta(milliseconds=share * (span_ms - TAIL_MS))
                    messenger = rng.choice(messengers)
                    customer_id = rng.choice(customers[messenger.pk])
                    batch.extend(_chat(rng, at, messenger, customer_id, rng.choice(addresses)))
                batch = batch[: count - written]
                self._write(batch, copy)
                written += len(batch)
                bar.advance(len(batch))
        events_rewritten.send(sender=AuthEvent, since=start, until=None)
        period = duration_text(timedelta(minutes=round(span_ms / 60_000)))
        self.stdout.write(f"Generated {written} events over the last {period}.")

    @staticmethod
    def _write(rows: list[tuple], copy: bool) -> None:
        if not copy:
            AuthEvent.objects.bulk_create(
                [AuthEvent(**dict(zip(COLUMNS, row, strict=True))) for row in rows]
            )
            return
        table = AuthEvent._meta.db_table
        with transaction.atomic(), connection.cursor() as cursor:
            sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
            with cursor.cursor.copy(sql) as pipe:
                for row in rows:
                    pipe.write_row(row)
