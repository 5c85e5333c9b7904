# ruff: noqa: S603, S108
"""``make bench``'s settings, read once from the ``BENCH_*`` environment variables (the list and
their defaults are in ``scripts/bench.py``), and the two helpers every part of the run uses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CORES = os.cpu_count() or 1


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "") or default


PG = _env("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB = _env("BENCH_DB", "portal_bench")
NODE_DB = f"{DB}_node"
REDIS = _env("BENCH_REDIS", "redis://127.0.0.1:6379/7")
PORT = int(_env("BENCH_PORT", "8012"))
NODE_PORT = int(_env("BENCH_NODE_PORT", "8013"))
WORKERS = int(_env("BENCH_WORKERS", str(2 * CORES)))
WORKER_THREADS = int(_env("BENCH_WORKER_THREADS", "4"))
NODE_WORKERS = int(_env("BENCH_NODE_WORKERS", str(CORES)))
SESSIONS = int(_env("BENCH_SESSIONS", "3000"))
ROUNDS = int(_env("BENCH_ROUNDS", "3"))
DURATION = int(_env("BENCH_DURATION", "5"))
CONNECTIONS = int(_env("BENCH_CONNECTIONS", "16"))
THREADS = int(_env("BENCH_THREADS", "2"))
SCRATCH = Path(_env("BENCH_SCRATCH", "/tmp/portal-bench"))
NOTE = _env("BENCH_NOTE", "")
ONLY = [t for t in _env("BENCH_ONLY", "").split(",") if t]
EXTRA_CUSTOMERS = int(_env("BENCH_EXTRA_CUSTOMERS", "0"))
EXTRA_BRANDS = int(_env("BENCH_EXTRA_BRANDS", "0"))
KEYS_PER_BRAND = int(_env("BENCH_KEYS_PER_BRAND", "50"))
WRITE_DOCS = _env("BENCH_WRITE_DOCS", "1") == "1"
HOST = "portal.bench"
PEER_CANDIDATES = [
    Path(p)
    for p in (
        os.environ.get("BENCH_NODE_PEER", ""),
        str(ROOT.parent / "shared/peers/node-samejob"),
        "/work/shared/peers/node-samejob",
    )
    if p
]

_children: list[subprocess.Popen] = []


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)
