"""The decision records, docs/decisions/: one short file per topic, each with its context, the
decision and its consequences, all listed by the index (docs/decisions/README.md)."""

import re
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent.parent / "docs" / "decisions"
RECORDS = sorted(p for p in FOLDER.glob("*.md") if p.name != "README.md")


def test_the_index_lists_every_record_once_and_nothing_else():
    index = (FOLDER / "README.md").read_text(encoding="utf-8")
    linked = re.findall(r"^- \[[^\]]+\]\(([^)]+)\)", index, flags=re.M)
    assert sorted(linked) == [p.name for p in RECORDS]


@pytest.mark.parametrize("record", RECORDS, ids=lambda p: p.stem)
def test_a_record_states_context_decision_and_consequences(record):
    text = record.read_text(encoding="utf-8")
    assert text.startswith("# ")
    for part in ("Context", "Decision", "Consequences"):
        assert re.search(rf"^(## {part}|\*\*{part}\.\*\*)", text, flags=re.M), part
    assert len(text.splitlines()) < 500
