"""``make bench``: the token endpoint side by side with its floor, the signature and a Node peer.

One unattended run on one machine (about 5 minutes with the defaults):

1. installs ``wrk`` when missing (apt-get);
2. makes a fresh PostgreSQL database, migrates it with production settings
   (``config.settings_bench`` = ``config.settings`` plus two reference views), generates
   ``BENCH_SESSIONS`` customers and opens an MFA-verified session for each (the load rotates
   through them with one client address each, so per-request throttles stay on at their
   production rates and no single customer or address is throttled);
3. starts the portal under gunicorn on PostgreSQL + Redis, and the Node peer
   (``BENCH_NODE_PEER``, default ``../shared/peers/node-samejob``) copied into a scratch folder
   (``npm install``, a 3072-bit key, its own database), on the same PostgreSQL and Redis;
4. after a warm-up, runs ``BENCH_ROUNDS`` rounds; each round drives every target once with
   ``wrk -t BENCH_THREADS -c BENCH_CONNECTIONS -d BENCH_DURATION`` in a rotated order, and
   measures the RS256-3072 signing rate on all cores (the same PyJWT call as the endpoint),
   so slow drift of a shared machine hits every target alike. Medians over the rounds;
5. runs the token endpoint once more paced at 80 % of its peak for the latency figure;
6. prints requests/s, p50/p99, non-2xx, the machine's CPU time per request (all processes:
   what a request costs the machine, which a noisy neighbour moves less than requests/s) and
   the ratios, with the token's CPU split into floor + signature + the rest; replaces the
   headline run in docs/benchmarks.md and appends every figure, with the date, the machine and
   its load, to docs/benchmarks/history.jsonl (``BENCH_WRITE_DOCS=0`` skips both).

Targets: ``floor`` (same middleware, session, CSRF and MFA permission as the token API, a
constant body), ``token-rs256`` / ``token-es256`` (``POST /api/v1/messaging/token``),
``token-rs256-hsm`` (the same with an RS256-3072 key in a SoftHSM2 token: the PKCS#11 key
store; when ``softhsm2-util`` is installed and BENCH_HSM is not 0),
``node`` (the peer's ``POST /token``), ``constant`` (a constant JSON view, no session),
``jwks`` (200), ``jwks-304`` (If-None-Match), ``discovery``.

Composed limit = 1 / (1/floor + 1/sign rate on all cores): what the endpoint could reach if
it did nothing but the floor's work and the signature.

Environment (defaults): BENCH_PG (postgres://postgres@127.0.0.1:5432), BENCH_DB
(portal_bench; the peer uses <BENCH_DB>_node), BENCH_REDIS (redis://127.0.0.1:6379/7),
BENCH_PORT (8012), BENCH_NODE_PORT (8013), BENCH_WORKERS (gunicorn processes, 2 x cores),
BENCH_WORKER_THREADS (threads per gunicorn process, 4),
BENCH_NODE_WORKERS (cores), BENCH_SESSIONS (3000), BENCH_ROUNDS (3), BENCH_DURATION (5 s),
BENCH_CONNECTIONS (16), BENCH_THREADS (2), BENCH_SCRATCH (/tmp/portal-bench),
BENCH_NOTE (free text for the docs, e.g. the machine's other load), BENCH_ONLY (comma list of
targets), BENCH_EXTRA_CUSTOMERS / BENCH_EXTRA_BRANDS / BENCH_KEYS_PER_BRAND (scale runs:
data generated before the measurement with ``generate_scale``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import statistics
import subprocess
import sys
from datetime import UTC, datetime

import bench_report
from bench_config import (
    CORES,
    DB,
    DURATION,
    HOST,
    KEYS_PER_BRAND,
    NODE_DB,
    ONLY,
    PORT,
    ROUNDS,
    SCRATCH,
    SESSIONS,
    WRITE_DOCS,
    _env,
    log,
    run,
)
from bench_measure import preflight, sign_rate, targets, wrk
from bench_report import render, render_scale
from bench_services import (
    cleanup_redis,
    drop_database,
    ensure_wrk,
    http_request,
    portal_env,
    setup_hsm,
    setup_node,
    setup_portal,
    start_node,
    start_portal,
    stop_all,
)


def main() -> None:
    SCRATCH.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    wrk_bin = ensure_wrk()
    prefix = f"bench{secrets.token_hex(4)}"
    env = portal_env(prefix)
    try:
        setup_hsm(env)
        os.environ.update({k: v for k, v in env.items() if k.startswith(("PKCS11_", "SOFTHSM"))})
        sessions = setup_portal(env)
        node_sessions = None
        if not ONLY or "node" in ONLY:
            node_sessions = start_node(setup_node())
        start_portal(env)
        _, headers, _ = http_request(
            PORT,
            "GET",
            "/brands/bench/.well-known/jwks.json",
            headers={"Host": HOST, "X-Forwarded-Proto": "https"},
        )
        todo = targets(sessions, node_sessions, headers.get("ETag", ""))
        for target in todo:
            preflight(target)
        key_path = SCRATCH / "sign-key.pem"
        run(
            ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072",
             "-out", str(key_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        log("warm-up: 2 s per target")
        for target in todo:
            wrk(wrk_bin, target, 2)
        results: dict[str, list[dict]] = {t["name"]: [] for t in todo}
        signs: list[float] = []
        for round_no in range(ROUNDS):
            order = todo[round_no % len(todo) :] + todo[: round_no % len(todo)]
            if round_no % 2:
                order.reverse()
            for target in order:
                result = wrk(wrk_bin, target, DURATION)
                results[target["name"]].append(result)
                p50, p99 = result["p50_us"] / 1000, result["p99_us"] / 1000
                bad = result["non2xx"] + result["socket_errors"]
                log(
                    f"round {round_no + 1}/{ROUNDS} {target['name']:<12} "
                    f"{result['rps']:8.0f} req/s p50 {p50:.2f} ms p99 {p99:.2f} ms non-2xx {bad}"
                )
            signs.append(sign_rate(key_path))
            log(f"round {round_no + 1}/{ROUNDS} sign RS256-3072, {CORES} cores: {signs[-1]:.0f}/s")
        paced = None
        if "token-rs256" in results:
            peak = statistics.median(r["rps"] for r in results["token-rs256"])
            target = next(t for t in todo if t["name"] == "token-rs256")
            paced = wrk(wrk_bin, target, max(DURATION, 8), rate=0.8 * peak)
            paced["target_rps"] = 0.8 * peak
            log(
                f"token-rs256 paced at {0.8 * peak:.0f} req/s: got {paced['rps']:.0f}, "
                f"p99 {paced['p99_us'] / 1000:.2f} ms, non-2xx {paced['non2xx']}"
            )
        load_after = os.getloadavg()
        report, records = render(started, results, signs, paced, load_before, load_after)
        print("\n" + report)
        if WRITE_DOCS:
            bench_report.write("bench", report, records)
            log(
                "headline in docs/benchmarks.md, figures appended to docs/benchmarks/history.jsonl"
            )
    finally:
        stop_all()
        cleanup_redis(prefix)
        if _env("BENCH_KEEP", "0") != "1":
            for name in (DB, NODE_DB):
                try:
                    drop_database(name)
                except Exception as exc:
                    log(f"could not drop {name}: {exc}")


SCALE_POINTS = [
    # (name, extra customers, extra brands with KEYS_PER_BRAND keys each)
    ("1 brand, {n} customers", 0, 0),
    ("1,000,000 more customers", 1_000_000, 0),
    ("100 more brands x 50 keys", 0, 100),
]


def scale_main() -> None:
    """``make bench-scale``: the token endpoint on databases of different sizes, one server
    each, measured in interleaved rounds (so machine drift hits every size alike)."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    wrk_bin = ensure_wrk()
    points = []
    customers = int(_env("BENCH_SCALE_CUSTOMERS", "1000000"))
    brands = int(_env("BENCH_SCALE_BRANDS", "100"))
    try:
        for i, (label, extra_customers, extra_brands) in enumerate(SCALE_POINTS):
            extra_customers = customers if extra_customers else 0
            extra_brands = brands if extra_brands else 0
            label = (
                f"{SESSIONS:,} customers, 1 brand x 2 keys"
                if not (extra_customers or extra_brands)
                else f"{SESSIONS + extra_customers:,} customers, 1 brand x 2 keys"
                if extra_customers
                else f"{SESSIONS:,} customers, {1 + extra_brands} brands ({extra_brands} x "
                f"{KEYS_PER_BRAND} keys + 1 x 2)"
            )
            db = f"{DB}_scale{i}"
            prefix = f"bench{secrets.token_hex(4)}"
            env = portal_env(prefix, db)
            sessions = setup_portal(env, db, extra_customers, extra_brands)
            port = PORT + 3 + i
            start_portal(env, port, f"gunicorn-scale{i}")
            points.append({"label": label, "db": db, "prefix": prefix, "port": port,
                           "sessions": sessions})  # fmt: skip
        common = {"Host": HOST, "X-Forwarded-Proto": "https", "Origin": f"https://{HOST}",
                  "Content-Type": "application/json"}  # fmt: skip
        todo = [
            {"name": p["label"], "port": p["port"], "path": "/api/v1/messaging/token",
             "method": "POST", "body": '{"messenger":"bench-rs"}', "headers": common,
             "sessions": p["sessions"]}
            for p in points
        ]  # fmt: skip
        for target in todo:
            preflight({**target, "name": "token-rs256"})
            wrk(wrk_bin, target, 2)
        results: dict[str, list[dict]] = {t["name"]: [] for t in todo}
        for round_no in range(ROUNDS):
            order = todo if round_no % 2 == 0 else list(reversed(todo))
            for target in order:
                result = wrk(wrk_bin, target, DURATION)
                results[target["name"]].append(result)
                log(f"round {round_no + 1}/{ROUNDS} {target['name']}: {result['rps']:.0f} req/s")
        report, records = render_scale(started, results, load_before, os.getloadavg())
        print("\n" + report)
        if WRITE_DOCS:
            bench_report.write("bench-scale", report, records)
            log(
                "headline in docs/benchmarks.md, figures appended to docs/benchmarks/history.jsonl"
            )
    finally:
        stop_all()
        for point in points:
            cleanup_redis(point["prefix"])
            if _env("BENCH_KEEP", "0") != "1":
                with contextlib.suppress(Exception):
                    drop_database(point["db"])


if __name__ == "__main__":
    scale_main() if sys.argv[1:] == ["scale"] else main()
