"""``manage.py demo_conversations [--brand SLUG] [--days 30]``: the demo's platform export.

What a platform would export for the chats the portal saw (``generate_events`` or real
chats): one conversation per signed token of the last ``--days`` days, carrying its jti, and
as many conversations without a verified identity (customers who chatted without logging in).
Handle times are log-normal around 5 minutes, the unverified ones about 15 % longer, as the
seed's ROI assumption says. The file goes through the same parser and import as a vendor's
(``import_conversations --format generic``), so the demo report shows the ROI row.
Deterministic for a given ``--seed``; exit 2 on bad input or without any signed token.
"""

import csv
import io
import math
import random
from datetime import UTC, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from brands.models import Brand
from messaging.models import AuthEvent
from reports import services
from reports.conversations import GENERIC_HEADER, rows_parse
from reports.tally import TOKEN_KINDS

MEDIAN_HANDLE_S = 300
UNVERIFIED_FACTOR = 1.15


def _iso(moment) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Command(BaseCommand):
    help = "Demo: a generic conversation export of the portal's recent chats, imported."

    def add_arguments(self, parser):
        parser.add_argument("--brand", help="Only this brand (slug); default every brand")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--limit", type=int, default=2000, help="Conversations per brand")
        parser.add_argument("--seed", type=int, default=6)

    def handle(self, *args, **o):
        if o["days"] < 1 or o["limit"] < 1:
            raise CommandError("--days and --limit must be positive.", returncode=2)
        brands = Brand.objects.order_by("slug")
        if o["brand"]:
            brands = brands.filter(slug=o["brand"])
            if not brands.exists():
                raise CommandError(f"Unknown brand {o['brand']!r}.", returncode=2)
        rng = random.Random(o["seed"])
        since = timezone.now() - timedelta(days=o["days"])
        total = 0
        for brand in brands:
            tokens = list(
                AuthEvent.objects.filter(
                    brand_id=brand.pk, kind__in=TOKEN_KINDS, occurred_at__gte=since
                )
                .exclude(jti="")
                .order_by("-occurred_at")
                .values_list("jti", "occurred_at")[: o["limit"]]
            )
            if not tokens:
                continue
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(GENERIC_HEADER)
            for i, (jti, at) in enumerate(tokens):
                for verified in (True, False):
                    median = MEDIAN_HANDLE_S * (1 if verified else UNVERIFIED_FACTOR)
                    handle = round(rng.lognormvariate(math.log(median), 0.35))
                    start = at + timedelta(seconds=2)
                    writer.writerow(
                        [
                            f"demo-{brand.slug}-{i}-{'v' if verified else 'u'}",
                            jti if verified else "",
                            "",
                            _iso(start),
                            _iso(start + timedelta(seconds=handle)),
                            handle,
                        ]
                    )
            count, verified = services.conversations_import(
                brand=brand, source="generic", rows=rows_parse(out.getvalue(), "generic")
            )
            total += count
            self.stdout.write(f"{brand.slug}: {count} conversations ({verified} verified).")
        if not total:
            raise CommandError(
                "No signed token in that period: chat first, or run generate_events.",
                returncode=2,
            )
