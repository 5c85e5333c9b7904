"""Reading a platform's conversation export (CSV) for the ROI figures: which column is what.

Each format maps the fields the report needs to the export's own column names (the first
header found wins, compared case-insensitively). Needed: a conversation id, the start, and the
end or the handle time; jti and sub (the customer id the portal put in the token) join the
conversation to the portal's events when the export carries them (a custom field or
participant attribute holding the verified identity; without them the conversation counts
as not verified).

- each platform that has one: its ``platforms/<name>/export.py`` (``COLUMNS``), which cites
  the vendor's export documentation;
- generic: ``conversation_id``, ``jti``, ``sub``, ``start``, ``end``, ``handle_seconds``: what
  the sandbox's ``sandbox_export_conversations`` writes.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import platforms

# format -> field -> accepted headers: each platform's export, and the generic CSV
FORMATS: dict[str, dict[str, tuple[str, ...]]] = {
    **platforms.conversation_exports(),
    "generic": {
        "conversation_id": ("conversation_id",),
        "start": ("start",),
        "end": ("end",),
        "handle": ("handle_seconds",),
        "jti": ("jti",),
        "sub": ("sub",),
    },
}
GENERIC_HEADER = ["conversation_id", "jti", "sub", "start", "end", "handle_seconds"]
MAX_HANDLE_SECONDS = 7 * 86400


class BadExport(ValueError):
    """A file that cannot be imported; the message names the row (file line) and column."""


@dataclass(frozen=True)
class ConversationRow:
    conversation_id: str
    jti: str
    subject: str
    started_at: datetime
    ended_at: datetime
    handle_seconds: int


def _moment(text: str) -> datetime:
    text = text.strip()
    if re.fullmatch(r"\d{9,11}(\.\d+)?", text):  # epoch seconds (Zendesk's API)
        return datetime.fromtimestamp(float(text), tz=UTC)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _seconds(text: str, *, per_second: int = 1) -> int:
    """Seconds from "H:MM:SS", "MM:SS" or a plain number (in 1/``per_second`` of a second)."""
    text = text.strip()
    if ":" in text:
        parts = [float(p) for p in text.split(":")]
        if len(parts) > 3 or any(p < 0 for p in parts):
            raise ValueError(text)
        total = 0.0
        for part in parts:
            total = total * 60 + part
        return round(total)
    value = float(text)
    if value < 0 or value != value:  # negative or NaN
        raise ValueError(text)
    return round(value / per_second)


def rows_parse(data: str, fmt: str) -> list[ConversationRow]:
    """Every row of the CSV ``data`` in format ``fmt``, or ``BadExport`` at the first bad one."""
    mapping = FORMATS[fmt]
    reader = csv.DictReader(io.StringIO(data.lstrip("\ufeff")))
    headers = {h.strip().lower(): h for h in reader.fieldnames or []}
    column = {
        field: next((headers[n.lower()] for n in names if n.lower() in headers), None)
        for field, names in mapping.items()
    }
    for needed in ("conversation_id", "start"):
        if column[needed] is None:
            raise BadExport(
                f"row 1 (header): no {needed} column; expected one of "
                f"{', '.join(mapping[needed])}."
            )
    durations = [f for f in ("end", "handle", "handle_ms", "accepted") if column.get(f)]
    if not durations:
        raise BadExport("row 1 (header): no end or handle-time column.")
    rows, seen = [], set()
    for line, record in enumerate(reader, start=2):

        def cell(field: str, record=record) -> str:
            name = column.get(field)
            return (record.get(name) or "").strip() if name else ""

        def bad(field: str, why: str, line=line) -> BadExport:
            return BadExport(f"row {line}, column {column[field]!r}: {why}")

        ident = cell("conversation_id")
        if not ident or len(ident) > 255:
            raise bad("conversation_id", "a conversation id of 1 to 255 characters is needed.")
        if ident in seen:
            raise bad("conversation_id", f"conversation {ident!r} appears twice.")
        seen.add(ident)
        parsed: dict[str, datetime | int | None] = {}
        for field in ("start", "end", "accepted"):
            if cell(field):
                try:
                    parsed[field] = _moment(cell(field))
                except ValueError:
                    raise bad(field, f"{cell(field)!r} is not an ISO 8601 date-time.") from None
        if "start" not in parsed:
            raise bad("start", "the start is empty.")
        handle = None
        for field, per_second in (("handle", 1), ("handle_ms", 1000)):
            if cell(field):
                try:
                    handle = _seconds(cell(field), per_second=per_second)
                except ValueError:
                    raise bad(field, f"{cell(field)!r} is not a duration.") from None
        start, end = parsed["start"], parsed.get("end")
        if end is not None and end < start:
            raise bad("end", "the end is before the start.")
        if handle is None and end is not None:
            origin = parsed.get("accepted") or start
            handle = round((end - origin).total_seconds())
        if handle is None:
            raise bad(durations[0], "neither an end nor a handle time.")
        if not 0 <= handle <= MAX_HANDLE_SECONDS:
            raise bad(durations[0], f"a handle time of {handle} s is not plausible.")
        jti, sub = cell("jti"), cell("sub")
        if len(jti) > 64:
            raise bad("jti", "a jti is at most 64 characters.")
        rows.append(
            ConversationRow(
                conversation_id=ident,
                jti=jti,
                subject=sub[:255],
                started_at=start,
                ended_at=end or start + timedelta(seconds=handle),
                handle_seconds=handle,
            )
        )
    return rows
