"""What ``make bench`` and ``make bench-scale`` write: the headline section of docs/benchmarks.md
(replaced, between its markers) and one JSON line per figure appended to
docs/benchmarks/history.jsonl (``bench_history``: every run; the Markdown shows the latest).

A history line: ``date`` (UTC, ``YYYY-MM-DDTHH:MMZ``), ``command``, ``scenario`` (a target such
as ``token-rs256``, a ratio such as ``token / Node peer (target >= 1.0)``, or ``run`` for the
line that describes the machine), and what applies of ``req_s``, ``ratio``, ``p50_ms``,
``p99_ms``, ``non_2xx``, ``cpu_ms`` (the machine's CPU time per request), ``req_s_rounds``,
``value`` (the ratio as the table shows it), ``machine``.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import bench_history
from bench_config import (
    CONNECTIONS,
    CORES,
    DURATION,
    NODE_WORKERS,
    NOTE,
    ROOT,
    ROUNDS,
    SESSIONS,
    THREADS,
    WORKER_THREADS,
    WORKERS,
)
from bench_measure import machine, versions

DOC = ROOT / "docs" / "benchmarks.md"
HISTORY = bench_history.HISTORY


def _loads(values) -> str:
    return " ".join(f"{x:.2f}" for x in values)


def _med(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def _rounds(rows: list[dict]) -> str:
    return " / ".join(format(r["rps"], ".0f") for r in rows)


def _bad(rows: list[dict]) -> int:
    return sum(r["non2xx"] + r["socket_errors"] for r in rows)


def ratios(results: dict, signs: list[float], paced: dict | None) -> list[tuple[str, str, dict]]:
    """The ratio table of a ``make bench`` run: (label, value as shown, fields for the history)."""
    sign = statistics.median(signs) if signs else 0.0
    signature_ms = 1000 * CORES / sign if sign else 0.0  # machine CPU per signature
    rps = {name: _med(rows, "rps") for name, rows in results.items() if rows}
    cpu = {name: _med(rows, "cpu_ms") for name, rows in results.items() if rows}
    found: list[tuple[str, str, dict]] = []

    def ratio(label: str, value: float) -> None:
        found.append((label, f"{value:.2f}", {"ratio": round(value, 2)}))

    token = rps.get("token-rs256")
    if token and "floor" in rps and sign:
        composed = 1 / (1 / rps["floor"] + 1 / sign)
        found.append(
            (
                "composed limit 1/(1/floor + 1/sign)",
                f"{composed:.0f} req/s",
                {"req_s": round(composed)},
            )
        )
        ratio("token / composed limit (target >= 0.85)", token / composed)
    if "token-rs256" in cpu and "floor" in cpu and sign:
        # Where the token's machine time goes, beyond the two parts of the composed limit.
        rest = cpu["token-rs256"] - cpu["floor"] - signature_ms
        found.append(
            (
                "token RS256 machine CPU per request",
                f"{cpu['token-rs256']:.2f} ms = floor {cpu['floor']:.2f} + signature "
                f"{signature_ms:.2f} + the rest of the token's work {rest:.2f}",
                {"cpu_ms": round(cpu["token-rs256"], 2)},
            )
        )
    if token and "token-rs256-hsm" in rps:
        ratio(
            "token RS256, key in the HSM (SoftHSM2) / key in the database",
            rps["token-rs256-hsm"] / token,
        )
    if token and "node" in rps:
        ratio("token / Node peer (target >= 1.0)", token / rps["node"])
    if "token-es256" in rps and "node" in rps:
        ratio("token ES256 / Node peer", rps["token-es256"] / rps["node"])
    if "constant" in rps:
        for name in ("jwks", "jwks-304", "discovery"):
            if name in rps:
                ratio(f"{name} / constant JSON (target >= 0.8)", rps[name] / rps["constant"])
    if paced:
        p99 = paced["p99_us"] / 1000
        bad = paced["non2xx"] + paced["socket_errors"]
        found.append(
            (
                "token at 80 % of peak: p99 (target < 50 ms)",
                f"{p99:.2f} ms at {paced['rps']:.0f} req/s (aimed {paced['target_rps']:.0f}), "
                f"non-2xx {bad}",
                {"p99_ms": round(p99, 2), "req_s": round(paced["rps"]), "non_2xx": bad},
            )
        )
    return found


def render(started, results, signs, paced, load_before, load_after) -> tuple[str, list[dict]]:
    """The headline Markdown of a ``make bench`` run and its history lines."""
    date = bench_history.run_date(started)
    sign = statistics.median(signs) if signs else 0.0
    signature_ms = 1000 * CORES / sign if sign else 0.0
    setting = (
        f"gunicorn {WORKERS} workers x {WORKER_THREADS} threads (gthread), Node peer "
        f"{NODE_WORKERS} workers, wrk -t{THREADS} -c{CONNECTIONS}, {ROUNDS} rounds x "
        f"{DURATION} s per target (medians), {SESSIONS} verified sessions rotated (throttles on "
        f"at their production rates). Load average before/after: "
        f"{_loads(load_before)} / {_loads(load_after)}." + (f" Note: {NOTE}" if NOTE else "")
    )
    about = f"{machine()}. {versions()}. {setting}"
    records = [{"date": date, "command": "make bench", "scenario": "run", "machine": about}]
    lines = [
        f"Run of {started:%Y-%m-%d %H:%M} UTC. Machine: {about}",
        "",
        "| target | req/s (median) | req/s per round | p50 ms | p99 ms | non-2xx "
        "| machine CPU ms / request |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        if not rows:
            continue
        fields = {
            "req_s": round(_med(rows, "rps")),
            "req_s_rounds": _rounds(rows),
            "p50_ms": round(_med(rows, "p50_us") / 1000, 2),
            "p99_ms": round(_med(rows, "p99_us") / 1000, 2),
            "non_2xx": _bad(rows),
            "cpu_ms": round(_med(rows, "cpu_ms"), 2),
        }
        records.append({"date": date, "command": "make bench", "scenario": name, **fields})
        lines.append(
            f"| {name} | {fields['req_s']} | {fields['req_s_rounds']} | {fields['p50_ms']:.2f} "
            f"| {fields['p99_ms']:.2f} | {fields['non_2xx']} | {fields['cpu_ms']:.2f} |"
        )
    if signs:
        name = f"sign RS256-3072 ({CORES} cores, in-process)"
        rounds = " / ".join(f"{s:.0f}" for s in signs)
        records.append(
            {"date": date, "command": "make bench", "scenario": name, "req_s": round(sign),
             "req_s_rounds": rounds, "cpu_ms": round(signature_ms, 2)}
        )  # fmt: skip
        lines.append(f"| {name} | {sign:.0f} | {rounds} | | | | {signature_ms:.2f} |")
    lines += ["", "| ratio | value |", "|---|---|"]
    for label, shown, fields in ratios(results, signs, paced):
        lines.append(f"| {label} | {shown} |")
        records.append(
            {"date": date, "command": "make bench", "scenario": label, **fields, "value": shown}
        )
    return "\n".join(lines) + "\n", records


def render_scale(started, results, load_before, load_after) -> tuple[str, list[dict]]:
    """The headline Markdown of a ``make bench-scale`` run and its history lines."""
    date = bench_history.run_date(started)
    about = (
        f"{machine()}. The token endpoint (RS256-3072) on one server per database, {ROUNDS} "
        f"interleaved rounds x {DURATION} s (medians), wrk -t{THREADS} -c{CONNECTIONS}, "
        f"{SESSIONS} verified sessions rotated. Load average before/after: "
        f"{_loads(load_before)} / {_loads(load_after)}." + (f" Note: {NOTE}" if NOTE else "")
    )
    records = [{"date": date, "command": "make bench-scale", "scenario": "run", "machine": about}]
    lines = [
        f"Run of {started:%Y-%m-%d %H:%M} UTC. Machine: {about}",
        "",
        "| database | req/s (median) | req/s per round | p50 ms | p99 ms | non-2xx | vs first |",
        "|---|---|---|---|---|---|---|",
    ]
    base = None
    for name, rows in results.items():
        rps = _med(rows, "rps")
        base = base or rps
        fields = {
            "req_s": round(rps),
            "req_s_rounds": _rounds(rows),
            "p50_ms": round(_med(rows, "p50_us") / 1000, 2),
            "p99_ms": round(_med(rows, "p99_us") / 1000, 2),
            "non_2xx": _bad(rows),
            "ratio": round(rps / base, 2),
        }
        records.append({"date": date, "command": "make bench-scale", "scenario": name, **fields})
        lines.append(
            f"| {name} | {fields['req_s']} | {fields['req_s_rounds']} | {fields['p50_ms']:.2f} "
            f"| {fields['p99_ms']:.2f} | {fields['non_2xx']} | {fields['ratio']:.2f} |"
        )
    return "\n".join(lines) + "\n", records


def headline_replace(document: str, name: str, section: str) -> str:
    """``document`` with the text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``
    replaced by ``section``; raises ``ValueError`` when the markers are missing."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    head, found, rest = document.partition(start)
    _, found_end, tail = rest.partition(end)
    if not found or not found_end:
        raise ValueError(f"docs/benchmarks.md has no {start} ... {end} markers")
    return f"{head}{start}\n{section}{end}{tail}"


def write(name: str, section: str, records: list[dict], doc: Path = DOC, history: Path = HISTORY):
    """Replace the headline ``name`` (``bench`` or ``bench-scale``) in ``doc`` and append the
    run's ``records`` to ``history``, one JSON object per line."""
    doc.write_text(headline_replace(doc.read_text(encoding="utf-8"), name, section), "utf-8")
    bench_history.append(records, history)
