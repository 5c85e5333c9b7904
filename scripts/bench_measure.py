# ruff: noqa: S603
"""``make bench``'s measurements: the targets and their pre-flight check, one wrk run of a target
(requests/s, latency, non-2xx and the machine's CPU time per request), the signing rate on all
cores, and what machine it ran on."""

from __future__ import annotations

import base64
import json
import os
import platform
import subprocess
from pathlib import Path

from bench_config import (
    CONNECTIONS,
    CORES,
    HOST,
    NODE_PORT,
    ONLY,
    PORT,
    PY,
    ROOT,
    THREADS,
)
from bench_services import http_request

SIGN_PROGRAM = r"""
import sys, time, jwt
from cryptography.hazmat.primitives import serialization
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
claims = {"iss": "https://portal.bench/brands/bench", "sub": "cus_x", "aud": "a", "iat": 1,
          "exp": 2, "jti": "j" * 32, "firstName": "A", "lastName": "B"}
for _ in range(20):
    jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k", "typ": "JWT"})
n, end = 0, time.perf_counter() + float(sys.argv[2])
while time.perf_counter() < end:
    jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k", "typ": "JWT"})
    n += 1
print(n / float(sys.argv[2]))
"""


def sign_rate(key_path: Path, seconds: float = 3.0) -> float:
    """RS256-3072 signatures per second, one process per core, all at once."""
    procs = [
        subprocess.Popen(
            [PY, "-c", SIGN_PROGRAM, str(key_path), str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(CORES)
    ]
    return sum(float(p.communicate()[0].strip()) for p in procs)


def wrk(wrk_bin: str, target: dict, seconds: int, rate: float = 0) -> dict:
    env = {
        **os.environ,
        "BENCH_PATH": target["path"],
        "BENCH_METHOD": target.get("method", "GET"),
        "BENCH_BODY": target.get("body", ""),
        "BENCH_HEADERS": "|".join(f"{k}: {v}" for k, v in target.get("headers", {}).items()),
        "BENCH_SESSIONS": str(target.get("sessions", "")),
        "BENCH_COOKIE": target.get("cookie", "sessionid"),
        "BENCH_ALLOW_304": "1" if target.get("allow_304") else "0",
        "BENCH_RATE": str(rate),
        "BENCH_THREADS": str(THREADS),
    }
    if not target.get("body"):
        env.pop("BENCH_BODY")
    cmd = [
        wrk_bin, "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s",
        "--timeout", "5s", "-s", str(ROOT / "scripts" / "bench.lua"),
        f"http://127.0.0.1:{target['port']}",
    ]  # fmt: skip
    busy_before = machine_busy_seconds()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    busy = machine_busy_seconds() - busy_before
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result for {target['name']}:\n{out}")
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["cpu_ms"] = 1000 * busy / max(1, result["requests"])
    return result


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot, all cores (``/proc/stat``:
    user, nice, system, irq, softirq; idle, I/O wait and steal excluded).

    Per request, this is what the request costs everything on the machine (the server, its
    database and cache, and the load generator, which costs every target alike): a figure
    that a neighbour's load on a shared host moves much less than requests/s.
    """
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def targets(sessions: Path, node_sessions: Path | None, etag: str) -> list[dict]:
    common = {"Host": HOST, "X-Forwarded-Proto": "https"}
    post = {**common, "Origin": f"https://{HOST}", "Content-Type": "application/json"}
    found = [
        {"name": "floor", "port": PORT, "path": "/bench/floor", "method": "POST",
         "body": '{"messenger":"bench-rs"}', "headers": post, "sessions": sessions},
        {"name": "token-rs256", "port": PORT, "path": "/api/v1/messaging/token",
         "method": "POST", "body": '{"messenger":"bench-rs"}', "headers": post,
         "sessions": sessions},
        {"name": "token-es256", "port": PORT, "path": "/api/v1/messaging/token",
         "method": "POST", "body": '{"messenger":"bench-es"}', "headers": post,
         "sessions": sessions},
        {"name": "token-rs256-hsm", "port": PORT, "path": "/api/v1/messaging/token",
         "method": "POST", "body": '{"messenger":"bench-hsm"}', "headers": post,
         "sessions": sessions, "hsm": True},
        {"name": "constant", "port": PORT, "path": "/bench/constant", "headers": common},
        {"name": "jwks", "port": PORT, "path": "/brands/bench/.well-known/jwks.json",
         "headers": common},
        {"name": "jwks-304", "port": PORT, "path": "/brands/bench/.well-known/jwks.json",
         "headers": {**common, "If-None-Match": etag}, "allow_304": True},
        {"name": "discovery", "port": PORT,
         "path": "/brands/bench/.well-known/openid-configuration", "headers": common},
    ]  # fmt: skip
    if node_sessions is not None:
        found.append(
            {"name": "node", "port": NODE_PORT, "path": "/token", "method": "POST",
             "body": '{"messenger":"northwind-web"}',
             "headers": {"Content-Type": "application/json"}, "sessions": node_sessions,
             "cookie": "connect.sid"}
        )  # fmt: skip
    found = [t for t in found if not t.get("hsm") or os.environ.get("PKCS11_MODULE")]
    return [t for t in found if not ONLY or t["name"] in ONLY]


def preflight(target: dict) -> None:
    """One request of each target, as wrk will send it: it must answer what we measure."""
    headers = dict(target.get("headers", {}))
    if target.get("sessions"):
        sid, csrf, address = Path(target["sessions"]).read_text().splitlines()[0].split("\t")
        headers["Cookie"] = f"{target.get('cookie', 'sessionid')}={sid}; csrftoken={csrf}"
        headers["X-CSRFToken"] = csrf
        headers["X-Forwarded-For"] = address
    status, _, body = http_request(
        target["port"], target.get("method", "GET"), target["path"], target.get("body"), headers
    )
    expected = 304 if target.get("allow_304") else 200
    if status != expected:
        raise SystemExit(f"{target['name']}: expected {expected}, got {status}: {body[:300]!r}")
    if target["name"].startswith("token"):
        token = json.loads(body)["token"]
        header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
        want = target["name"].split("-")[1].upper()
        if header["alg"] != want:
            raise SystemExit(f"{target['name']}: signed {header['alg']}, expected {want}")


def machine() -> str:
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo") as f:
        mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB RAM"
    return f"{platform.node()}: {CORES} x {model}, {mem}, {platform.system()} {platform.release()}"


def versions() -> str:
    def out(cmd):
        try:
            return (
                subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
            )
        except (OSError, IndexError):
            return "?"

    return (
        f"Python {platform.python_version()}, Node {out(['node', '--version'])}, "
        f"{out(['psql', '--version'])}, {out(['redis-server', '--version'])[:40]}, "
        f"{out(['wrk', '--version'])[:30]}"
    )
