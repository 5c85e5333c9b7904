"""``manage.py report``: the report's figures on stdout (text, or one JSON object)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from brands.models import Brand, Messenger
from reports.charts import duration_text
from reports.forms import BadPeriod, moment_parse, period_bounds, period_check
from reports.outcomes import outcome_label
from reports.selectors import Scope, report_figures


def _bad(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = (
        "Authentication report: attempts, verified, success rate, rejections by reason, "
        "click-to-verified percentiles and fraud signals. Default period: the last 7 days. "
        "Exit code 2 on bad input."
    )

    def add_arguments(self, parser):
        parser.add_argument("--brand", help="Brand slug")
        parser.add_argument("--messenger", help="Messenger slug")
        parser.add_argument("--since", help="ISO 8601 date or date-time (UTC unless offset)")
        parser.add_argument("--until", help="ISO 8601; a date alone includes that day")
        parser.add_argument("--json", action="store_true", help="One JSON object")

    def handle(self, *args, **o):
        brand = messenger = None
        if o["brand"]:
            brand = Brand.objects.filter(slug=o["brand"]).first()
            if brand is None:
                raise _bad(f"Unknown brand {o['brand']!r}.")
        if o["messenger"]:
            messenger = Messenger.objects.filter(slug=o["messenger"]).first()
            if messenger is None:
                raise _bad(f"Unknown messenger {o['messenger']!r}.")
            if brand is not None and messenger.brand_id != brand.pk:
                raise _bad(f"Messenger {messenger.slug!r} does not belong to {brand.slug!r}.")
        try:
            now = timezone.now()
            since, until = period_bounds("7d", now=now)
            if o["until"]:
                until = moment_parse(o["until"], end=True)
            if o["since"]:
                since = moment_parse(o["since"])
            elif o["until"]:
                since = until - (now - since)
            period_check(since, until)
        except BadPeriod as exc:
            raise _bad(str(exc)) from exc
        figures = report_figures(Scope(since=since, until=until, brand=brand, messenger=messenger))
        data = figures.as_dict()
        if o["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        w = self.stdout.write
        w(
            f"Authentication report {data['since']} .. {data['until']}  "
            f"brand={data['brand'] or 'all'} messenger={data['messenger'] or 'all'}"
        )
        w(f"  chat attempts         {data['attempts']}")
        w(f"  verified              {data['verified']}")
        rate = f"{data['success_rate'] * 100:.1f} %" if data["attempts"] else "- (no attempt)"
        w(f"  success rate          {rate}")
        w(f"  tokens issued         {data['tokens_issued']}")
        w(f"  unverified fallbacks  {data['unverified_fallbacks']}")
        w(f"  throttled             {data['throttled']}")
        w("  not verified, by reason" + ("" if data["not_verified"] else "  none"))
        for reason, count in data["not_verified"].items():
            w(f"    {outcome_label(reason):<56}{count}")
        gap = {k: duration_text(v / 1000) for k, v in data["gap_ms"].items()}
        if data["gap_samples"]:
            w(
                f"  click-to-verified     p50 {gap['p50']}, p95 {gap['p95']}, "
                f"p99 {gap['p99']} ({data['gap_samples']} samples, "
                f"{data['gap_breaches']} over {duration_text(data['gap_target_ms'] / 1000)})"
            )
        else:
            w("  click-to-verified     - (no verified conversation)")
        w("  platform rejections by reason" + ("" if data["rejected"] else "  none"))
        for reason, count in data["rejected"].items():
            w(f"    {reason:<22}{count}")
        w("  fraud signals")
        for signal in data["fraud_signals"]:
            seen = f"  {signal['first_seen']} .. {signal['last_seen']}" if signal["count"] else ""
            w(f"    {signal['kind']:<26}{signal['count']}{seen}")
        w("  handle time (imported conversations)" + ("" if data["roi"] else "  none"))
        for row in data["roi"]:
            shorter = row["verified_shorter_by_pct"]
            w(
                f"    {row['brand']:<16}verified {row['verified_conversations']} x "
                f"{duration_text(row['verified_avg_handle_s'])}, not verified "
                f"{row['unverified_conversations']} x "
                f"{duration_text(row['unverified_avg_handle_s'])}"
                + ("" if shorter is None else f", {shorter:g} % shorter when verified")
            )
