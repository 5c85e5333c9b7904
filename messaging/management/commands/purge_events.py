"""``manage.py purge_events --older-than 400d``: retention of the authentication events.

Deletes in batches (by primary key, oldest first, one short transaction each) so a purge of
millions of rows never holds a long lock or a huge transaction; a progress bar on stderr.
Summaries of the purged days (the reports' daily rollups) go with them (``events_rewritten``).
"""

import io
import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from messaging.events import events_rewritten
from messaging.management.progress import ProgressBar
from messaging.models import AuthEvent

_AGE = re.compile(r"(\d+)([dh])")


def age_parse(text: str) -> timedelta:
    """ "400d" or "12h" as a timedelta; ValueError otherwise."""
    match = _AGE.fullmatch((text or "").strip())
    if not match or int(match[1]) <= 0:
        raise ValueError(f"{text!r} is not an age like 400d or 12h.")
    number = int(match[1])
    return timedelta(days=number) if match[2] == "d" else timedelta(hours=number)


class Command(BaseCommand):
    help = "Delete authentication events older than an age (e.g. 400d), in batches."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help="Age such as 400d or 12h")
        parser.add_argument("--batch", type=int, default=10000, help="Rows per transaction")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args, **o):
        try:
            age = age_parse(o["older_than"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if o["batch"] < 1:
            raise CommandError("--batch must be at least 1.", returncode=2)
        cutoff = timezone.now() - age
        old = AuthEvent.objects.filter(occurred_at__lt=cutoff)
        total = old.count()
        deleted = 0
        stream = io.StringIO() if o["no_progress"] else None  # None: the process's stderr
        with ProgressBar(total, "purging", stream=stream) as bar:
            while True:
                ids = list(old.order_by("occurred_at").values_list("pk", flat=True)[: o["batch"]])
                if not ids:
                    break
                n, _ = AuthEvent.objects.filter(pk__in=ids).delete()
                deleted += n
                bar.advance(n)
        events_rewritten.send(sender=AuthEvent, since=None, until=cutoff)
        self.stdout.write(f"Deleted {deleted} events older than {cutoff.isoformat()}.")
