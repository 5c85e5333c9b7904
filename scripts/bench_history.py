"""The benchmarks' history, docs/benchmarks/history.jsonl: one JSON object per figure of every
run (``date``, ``command``, ``scenario`` and the figure's fields; scripts/bench_report.py lists
them). Appended by ``make bench``, ``make bench-scale``, ``make benchmark`` and
``scripts/benchmark_reports.py`` unless ``BENCH_WRITE_DOCS=0``."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

HISTORY = Path(__file__).resolve().parent.parent / "docs" / "benchmarks" / "history.jsonl"


def enabled() -> bool:
    """Whether this run writes the docs (``BENCH_WRITE_DOCS``, on unless set to 0)."""
    return (os.environ.get("BENCH_WRITE_DOCS", "") or "1") == "1"


def run_date(when: datetime | None = None) -> str:
    """A run's ``date`` field: UTC to the minute, ``2026-12-03T09:38Z``."""
    return f"{when or datetime.now(UTC):%Y-%m-%dT%H:%MZ}"


def append(records: list[dict], path: Path = HISTORY) -> None:
    """Append ``records`` to the history, one JSON object per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
