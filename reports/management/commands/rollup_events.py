"""``manage.py rollup_events``: roll up every closed day that has no current rollup (cron).

Run it nightly after ``REPORTS_ROLLUP_SETTLE_SECONDS`` past midnight UTC (docs: README,
"Reports"): it is the only builder of rollups; a report over a long period reads a day that
has none from its events (slower, never a write). ``--rebuild`` drops every rollup first.
Progress bar on stderr; exit 2 on bad input.
"""

import io

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Min

from messaging.management.progress import ProgressBar
from messaging.models import AuthEvent
from reports import services, tally
from reports.forms import BadPeriod, moment_parse


class Command(BaseCommand):
    help = "Roll up the authentication events of every closed UTC day (for long reports)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="ISO 8601 date: first day (default: oldest event)")
        parser.add_argument("--rebuild", action="store_true", help="Drop every rollup first")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args, **o):
        if o["since"]:
            try:
                first = moment_parse(o["since"]).date()
            except BadPeriod as exc:
                raise CommandError(str(exc), returncode=2) from exc
        else:
            oldest = AuthEvent.objects.aggregate(first=Min("occurred_at"))["first"]
            first = oldest.date() if oldest else None
        if o["rebuild"]:
            services.days_forget(None, None)
        last = tally.closed_until()
        if first is None or first > last:
            self.stdout.write("Nothing to roll up: no closed day with events.")
            return
        total = (last - first).days + 1
        stream = io.StringIO() if o["no_progress"] else None  # None: the process's stderr
        with ProgressBar(total, "rolling up", stream=stream) as bar:
            rolled = services.days_ensure(first, last, progress=bar.advance)
            bar.advance(total - rolled)
        self.stdout.write(
            f"Rolled up {rolled} of {total} days from {first} to {last} "
            f"({total - rolled} were current)."
        )
