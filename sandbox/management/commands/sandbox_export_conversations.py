"""``manage.py sandbox_export_conversations [--brand B] [--since DATE] [FILE]``: the sandbox's
own conversations as the generic CSV that ``import_conversations --format generic`` reads.

The sandbox plays a vendor, so like a vendor it hands the portal a file, not its tables (the
import-linter contracts keep the portal's apps and the sandbox apart). Columns:
conversation_id, jti, sub, start, end, handle_seconds. A conversation starts when the platform
verified the customer and ends with its last message; the handle time is that span (the
sandbox has no agent-side timer). Exit 2 on bad input.
"""

import csv
from datetime import UTC, date, datetime

from django.core.management.base import BaseCommand, CommandError

from sandbox.models import Conversation

HEADER = ["conversation_id", "jti", "sub", "start", "end", "handle_seconds"]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Command(BaseCommand):
    help = "Export the sandbox's conversations as generic CSV (for import_conversations)."

    def add_arguments(self, parser):
        parser.add_argument("--brand", help="Only this brand's conversations (slug)")
        parser.add_argument("--since", help="ISO 8601 date: only conversations started since")
        parser.add_argument("file", nargs="?", default="-", help="Output file ('-': stdout)")

    def handle(self, *args, **o):
        conversations = Conversation.objects.order_by("created_at")
        if o["brand"]:
            conversations = conversations.filter(brand=o["brand"])
        if o["since"]:
            try:
                since = date.fromisoformat(o["since"])
            except ValueError as exc:
                raise CommandError(f"--since {o['since']!r} is not a date.", returncode=2) from exc
            conversations = conversations.filter(created_at__date__gte=since)
        if o["file"] == "-":
            n = self._write(self.stdout, conversations)
            return
        try:
            with open(o["file"], "w", newline="", encoding="utf-8") as out:
                n = self._write(out, conversations)
        except OSError as exc:
            raise CommandError(f"Cannot write {o['file']}: {exc}", returncode=2) from exc
        self.stderr.write(f"Wrote {n} conversations to {o['file']}.")

    @staticmethod
    def _write(stream, conversations) -> int:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        n = 0
        for c in conversations.iterator():
            start = c.verified_at or c.created_at
            end = max(c.last_message_at or start, start)
            handle = round((end - start).total_seconds())
            writer.writerow([c.pk, c.jti[:64], c.subject, _iso(start), _iso(end), handle])
            n += 1
        return n
