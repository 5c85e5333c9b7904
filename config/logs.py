"""JSON log lines: one object per line, with the request id (``config.request_id``).

Fields: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message``,
``request_id``, and ``exception`` (the formatted traceback) when there is one. Extra
attributes given with ``logger.info(..., extra={...})`` are added when they are plain JSON
values. Nothing about the request is logged implicitly (no headers, cookies or bodies):
what a line holds is exactly what the code chose to write, and the code never writes a
token, a key, a secret, a code or a session key (tests/operations/test_logging.py).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
    "request",  # django.request attaches the HttpRequest: never serialised
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for name, value in vars(record).items():
            plain = isinstance(value, str | int | float | bool) or value is None
            if plain and name not in _STANDARD and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
