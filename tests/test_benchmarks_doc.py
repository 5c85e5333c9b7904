"""docs/benchmarks.md holds the latest headline runs, which ``make bench`` and ``make bench-scale``
replace between markers; every figure of every run is a line of docs/benchmarks/history.jsonl."""

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import bench_history  # noqa: E402
import bench_report  # noqa: E402

DOC = ROOT / "docs/benchmarks.md"


@pytest.mark.parametrize("name", ["bench", "bench-scale"])
def test_the_page_has_one_headline_section_per_command(name):
    text = DOC.read_text(encoding="utf-8")
    assert text.count(f"<!-- {name}:start -->") == 1
    assert text.count(f"<!-- {name}:end -->") == 1
    section = text.split(f"<!-- {name}:start -->")[1].split(f"<!-- {name}:end -->")[0]
    assert section.lstrip().startswith("Run of ")
    assert "| req/s (median) |" in section


def test_a_run_replaces_only_its_own_headline(tmp_path):
    doc, history = tmp_path / "benchmarks.txt", tmp_path / "history.jsonl"
    doc.write_text(DOC.read_text(encoding="utf-8"), encoding="utf-8")
    before = doc.read_text(encoding="utf-8")
    records = [{"date": "2026-12-04T01:11Z", "command": "make bench", "scenario": "floor"}]
    bench_report.write("bench", "Run of the test.\n", records, doc=doc, history=history)
    bench_report.write("bench", "Run of the second test.\n", records, doc=doc, history=history)
    after = doc.read_text(encoding="utf-8")
    assert "Run of the second test." in after and "Run of the test." not in after
    scale = "<!-- bench-scale:start -->"
    assert after.split(scale)[1] == before.split(scale)[1]
    assert [json.loads(line) for line in history.read_text().splitlines()] == records * 2


def test_a_page_without_markers_is_refused():
    with pytest.raises(ValueError, match="markers"):
        bench_report.headline_replace("# Benchmarks\n", "bench", "Run of the test.\n")


def test_the_ratios_come_from_the_medians_of_the_rounds():
    def rows(*rates):
        return [
            {"rps": r, "p50_us": 1000, "p99_us": 2000, "non2xx": 0, "socket_errors": 0,
             "cpu_ms": 2.0}
            for r in rates
        ]  # fmt: skip

    results = {"floor": rows(900, 1000, 1100), "token-rs256": rows(500), "node": rows(400),
               "constant": rows(2000), "jwks": rows(1800)}  # fmt: skip
    found = {label: fields for label, _, fields in bench_report.ratios(results, [2000.0], None)}
    assert found["token / Node peer (target >= 1.0)"] == {"ratio": 1.25}
    assert found["jwks / constant JSON (target >= 0.8)"] == {"ratio": 0.9}
    assert found["composed limit 1/(1/floor + 1/sign)"] == {"req_s": 667}  # 1/(1/1000 + 1/2000)
    assert found["token / composed limit (target >= 0.85)"] == {"ratio": 0.75}


def test_every_history_line_names_its_run_command_and_scenario():
    lines = bench_history.HISTORY.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 300  # the runs before the history was a file came with it
    for line in lines:
        record = json.loads(line)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\dZ)?", record["date"]), record
        assert record["command"] and record["scenario"], record


def test_a_scale_run_compares_each_database_with_the_first():
    def rows(rate):
        return [{"rps": rate, "p50_us": 1000, "p99_us": 2000, "non2xx": 0, "socket_errors": 0}]

    results = {"3,000 customers": rows(500), "1,003,000 customers": rows(530)}
    section, records = bench_report.render_scale(
        datetime(2026, 12, 4, 1, 11, tzinfo=UTC), results, (0.5, 0.4, 0.3), (1.0, 0.8, 0.6)
    )
    assert section.startswith("Run of 2026-12-04 01:11 UTC.")
    assert "| 1,003,000 customers | 530 | 530 | 1.00 | 2.00 | 0 | 1.06 |" in section
    assert [(r["scenario"], r.get("ratio")) for r in records] == [
        ("run", None),
        ("3,000 customers", 1.0),
        ("1,003,000 customers", 1.06),
    ]
    assert {r["date"] for r in records} == {"2026-12-04T01:11Z"}
