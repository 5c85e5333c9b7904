"""``manage.py import_conversations --brand B --format F FILE.csv``: a platform's conversations
for the report's handle-time comparison (verified vs not).

Formats and their columns: ``reports.conversations`` (Genesys Cloud, Salesforce, Zendesk, and
the generic CSV the sandbox's ``sandbox_export_conversations`` writes). Each conversation is
joined to the portal's events on import (jti, or sub and time: ``conversations_import``).
All or nothing: a bad file imports no row and exits 2 with the row and column at fault.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from brands.models import Brand
from reports import services
from reports.conversations import FORMATS, BadExport, rows_parse


def _bad(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = (
        "Import a platform's conversation export (CSV) for the report's handle time of "
        "verified vs unverified conversations. Exit code 2 on bad input (nothing imported)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--brand", required=True, help="Brand slug the conversations are of")
        parser.add_argument("--format", required=True, choices=sorted(FORMATS), dest="fmt")
        parser.add_argument("file", help="The CSV file ('-' for standard input)")

    def handle(self, *args, **o):
        brand = Brand.objects.filter(slug=o["brand"]).first()
        if brand is None:
            raise _bad(f"Unknown brand {o['brand']!r}.")
        try:
            if o["file"] == "-":
                data = (o.get("stdin") or sys.stdin).read()
            else:
                data = Path(o["file"]).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise _bad(f"Cannot read {o['file']}: {exc}") from exc
        try:
            rows = rows_parse(data, o["fmt"])
        except BadExport as exc:
            raise _bad(f"{o['file']}: {exc} Nothing was imported.") from exc
        if not rows:
            raise _bad(f"{o['file']}: no conversation rows. Nothing was imported.")
        count, verified = services.conversations_import(brand=brand, source=o["fmt"], rows=rows)
        self.stdout.write(
            f"Imported {count} conversations for {brand.slug} ({verified} verified, "
            f"{count - verified} not verified)."
        )
