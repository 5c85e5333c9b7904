# ruff: noqa: S603, S108
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
   the ratios, with the token's CPU split into floor + signature + the rest; appends them to
   docs/benchmarks.md with the date, the machine and its load (``BENCH_WRITE_DOCS=0`` skips).

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

import base64
import contextlib
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
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


# --- set-up -------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing it with apt-get")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    run([*sudo, "apt-get", "update", "-qq"])
    run(
        [*sudo, "apt-get", "install", "-y", "-qq", "wrk"],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def portal_env(prefix: str, db: str = DB) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_bench",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
        "PUBLIC_BASE_URL": f"https://{HOST}",
        "KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": f"{PG}/{db}" + _env("BENCH_DB_OPTIONS", ""),
        "REDIS_URL": REDIS,
        "CACHE_KEY_PREFIX": prefix,
        "TRUSTED_PROXY_COUNT": "1",
        "SANDBOX_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def wait_http(port: int, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, _, _ = http_request(port, "GET", path)
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"nothing answers on port {port}{path}")


def http_request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), data


def start(cmd: list[str], env: dict, log_name: str, cwd: Path | None = None) -> subprocess.Popen:
    out = open(SCRATCH / log_name, "w")  # noqa: SIM115
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd or ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    _children.append(proc)
    return proc


def stop_all() -> None:
    for proc in _children:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    for proc in _children:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def setup_hsm(env: dict) -> None:
    """A SoftHSM2 token in the scratch folder for the PKCS#11 key store (``token-rs256-hsm``),
    configured in ``env``; nothing when SoftHSM2 is missing or BENCH_HSM=0."""
    module = "/usr/lib/softhsm/libsofthsm2.so"
    util = shutil.which("softhsm2-util")
    if _env("BENCH_HSM", "1") == "0" or util is None or not os.path.isfile(module):
        log("no SoftHSM2 (apt-get install softhsm2): the HSM target is skipped")
        return
    folder = SCRATCH / "softhsm"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "tokens").mkdir(parents=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    pin = secrets.token_hex(8)
    env.update(
        SOFTHSM2_CONF=str(conf),
        PKCS11_MODULE=module,
        PKCS11_TOKEN_LABEL="portal-bench",
        PKCS11_PIN=pin,
    )
    run(
        [util, "--init-token", "--free", "--label", "portal-bench", "--pin", pin,
         "--so-pin", secrets.token_hex(8)],
        env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    log(f"SoftHSM2 token portal-bench in {folder}")


def setup_portal(
    env: dict,
    db: str = DB,
    extra_customers: int = EXTRA_CUSTOMERS,
    extra_brands: int = EXTRA_BRANDS,
) -> Path:
    log(f"database {db}: fresh, migrated with production settings")
    recreate_database(db)
    run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT)
    log(f"{SESSIONS} customers of brand bench, each with a confirmed authenticator")
    run(
        [PY, "manage.py", "generate_scale", "--customers", str(SESSIONS), "--brand", "bench",
         "--create-brand"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    sessions = SCRATCH / f"sessions-{db}.tsv"
    run([PY, "scripts/bench_world.py", str(SESSIONS), str(sessions)], env=env, cwd=ROOT)
    if extra_customers:
        log(f"{db}: {extra_customers} more customers")
        run(
            [PY, "manage.py", "generate_scale", "--customers", str(extra_customers),
             "--brand", "bench", "--prefix", "extra", "--batch", "10000"],
            env=env, cwd=ROOT,
        )  # fmt: skip
    if extra_brands:
        log(f"{db}: {extra_brands} brands x {KEYS_PER_BRAND} keys")
        run(
            [PY, "manage.py", "generate_scale", "--brands", str(extra_brands),
             "--keys", str(KEYS_PER_BRAND)],
            env=env, cwd=ROOT,
        )  # fmt: skip
    if extra_customers or extra_brands:
        import psycopg

        with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    return sessions


def start_portal(env: dict, port: int = PORT, name: str = "gunicorn") -> None:
    log(f"{name}: {WORKERS} workers x {WORKER_THREADS} threads on 127.0.0.1:{port}")
    start(
        [PY, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--threads", str(WORKER_THREADS),
         "--worker-class", "gthread", "--backlog", "2048", "--worker-tmp-dir", "/dev/shm"],
        env, f"{name}.log",
    )  # fmt: skip
    wait_http(port, "/healthz")


def find_peer() -> Path:
    for candidate in PEER_CANDIDATES:
        if (candidate / "server.js").is_file():
            return candidate
    raise SystemExit("Node peer not found: set BENCH_NODE_PEER to the node-samejob folder")


def setup_node() -> Path:
    peer = find_peer()
    folder = SCRATCH / "node-peer"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "server.js", "setup.sql", "README.md"):
        if (peer / name).is_file():
            shutil.copy(peer / name, folder / name)
    # Our own Redis database instead of the peer's hard-coded db 3 (the machine is shared).
    server = (folder / "server.js").read_text()
    server = server.replace("'redis://127.0.0.1:6379/3'", "process.env.REDIS_URL")
    (folder / "server.js").write_text(server)
    if not (folder / "node_modules" / "express").is_dir():
        log("Node peer: npm install (scratch folder)")
        run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=folder)
    if not (folder / "key.pem").is_file():
        run(
            ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072",
             "-out", str(folder / "key.pem")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    recreate_database(NODE_DB)
    import psycopg

    with psycopg.connect(f"{PG}/{NODE_DB}", autocommit=True) as conn:
        conn.execute((folder / "setup.sql").read_text())
    return folder


def start_node(folder: Path) -> Path:
    log(f"Node peer: {NODE_WORKERS} workers on 127.0.0.1:{NODE_PORT}")
    env = {
        **os.environ,
        "PORT": str(NODE_PORT),
        "WORKERS": str(NODE_WORKERS),
        "PG": f"{PG}/{NODE_DB}",
        "REDIS_URL": REDIS,
    }
    start(["node", "server.js"], env, "node.log", cwd=folder)
    wait_http(NODE_PORT, "/")
    lines = []
    for n in range(200):
        _, headers, body = http_request(
            NODE_PORT,
            "POST",
            "/login",
            json.dumps({"user": 1}),
            {"Content-Type": "application/json"},
        )
        cookie = headers.get("Set-Cookie", "").split(";")[0].split("=", 1)[1]
        lines.append(f"{cookie}\t{json.loads(body)['csrf']}\t10.9.{n >> 8}.{n & 255}")
    path = SCRATCH / "node-sessions.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


# --- measuring ----------------------------------------------------------------------------

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
        report = render(started, results, signs, paced, load_before, load_after)
        print("\n" + report)
        if WRITE_DOCS:
            with open(ROOT / "docs" / "benchmarks.md", "a") as f:
                f.write("\n" + report)
            log("appended to docs/benchmarks.md")
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
        base = statistics.median(r["rps"] for r in results[todo[0]["name"]])
        lines = [
            f"## make bench-scale, {started:%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine()}. The token endpoint (RS256-3072) on one server per database, "
            f"{ROUNDS} interleaved rounds x {DURATION} s (medians), wrk -t{THREADS} "
            f"-c{CONNECTIONS}, {SESSIONS} verified sessions rotated. Load average before/after: "
            f"{_loads(load_before)} / {_loads(os.getloadavg())}."
            + (f" Note: {NOTE}" if NOTE else ""),
            "",
            "| database | req/s (median) | req/s per round | p50 ms | p99 ms | non-2xx "
            "| vs first |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, rows in results.items():
            rps = _med(rows, "rps")
            bad = sum(r["non2xx"] + r["socket_errors"] for r in rows)
            lines.append(
                f"| {name} | {rps:.0f} | {' / '.join(format(r['rps'], '.0f') for r in rows)} "
                f"| {_med(rows, 'p50_us') / 1000:.2f} | {_med(rows, 'p99_us') / 1000:.2f} "
                f"| {bad} | {rps / base:.2f} |"
            )
        report = "\n".join(lines) + "\n"
        print("\n" + report)
        if WRITE_DOCS:
            with open(ROOT / "docs" / "benchmarks.md", "a") as f:
                f.write("\n" + report)
            log("appended to docs/benchmarks.md")
    finally:
        stop_all()
        for point in points:
            cleanup_redis(point["prefix"])
            if _env("BENCH_KEEP", "0") != "1":
                with contextlib.suppress(Exception):
                    drop_database(point["db"])


def cleanup_redis(prefix: str) -> None:
    """Delete what this run put in Redis (its own key prefix, the peer's prefixes)."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS)
        for pattern in (f"{prefix}:*", "np:*", "rl:*"):
            batch = list(client.scan_iter(match=pattern, count=1000))
            for i in range(0, len(batch), 1000):
                client.delete(*batch[i : i + 1000])
    except Exception as exc:
        log(f"Redis clean-up skipped: {exc}")


def _loads(values) -> str:
    return " ".join(f"{x:.2f}" for x in values)


def _med(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def render(started, results, signs, paced, load_before, load_after) -> str:
    sign = statistics.median(signs) if signs else 0.0
    signature_ms = 1000 * CORES / sign if sign else 0.0  # machine CPU per signature
    rps = {name: _med(rows, "rps") for name, rows in results.items() if rows}
    lines = [
        f"## make bench, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}. {versions()}. gunicorn {WORKERS} workers x {WORKER_THREADS} "
        f"threads (gthread), Node peer "
        f"{NODE_WORKERS} workers, wrk -t{THREADS} -c{CONNECTIONS}, {ROUNDS} rounds x "
        f"{DURATION} s per target (medians), {SESSIONS} verified sessions rotated (throttles on "
        f"at their production rates). Load average before/after: "
        f"{_loads(load_before)} / {_loads(load_after)}." + (f" Note: {NOTE}" if NOTE else ""),
        "",
        "| target | req/s (median) | req/s per round | p50 ms | p99 ms | non-2xx "
        "| machine CPU ms / request |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        if not rows:
            continue
        bad = sum(r["non2xx"] + r["socket_errors"] for r in rows)
        lines.append(
            f"| {name} | {rps[name]:.0f} | {' / '.join(format(r['rps'], '.0f') for r in rows)} "
            f"| {_med(rows, 'p50_us') / 1000:.2f} | {_med(rows, 'p99_us') / 1000:.2f} | {bad} "
            f"| {_med(rows, 'cpu_ms'):.2f} |"
        )
    lines.append(
        f"| sign RS256-3072 ({CORES} cores, in-process) | {sign:.0f} | "
        f"{' / '.join(f'{s:.0f}' for s in signs)} | | | | "
        + (f"{signature_ms:.2f} |" if sign else "|")
    )
    ratios = []
    token = rps.get("token-rs256")
    if token and "floor" in rps and sign:
        composed = 1 / (1 / rps["floor"] + 1 / sign)
        ratios.append(("composed limit 1/(1/floor + 1/sign)", f"{composed:.0f} req/s"))
        ratios.append(("token / composed limit (target >= 0.85)", f"{token / composed:.2f}"))
    cpu = {name: _med(rows, "cpu_ms") for name, rows in results.items() if rows}
    if "token-rs256" in cpu and "floor" in cpu and sign:
        # Where the token's machine time goes, beyond the two parts of the composed limit.
        rest = cpu["token-rs256"] - cpu["floor"] - signature_ms
        ratios.append(
            (
                "token RS256 machine CPU per request",
                f"{cpu['token-rs256']:.2f} ms = floor {cpu['floor']:.2f} + signature "
                f"{signature_ms:.2f} + the rest of the token's work {rest:.2f}",
            )
        )
    if token and "token-rs256-hsm" in rps:
        ratios.append(
            (
                "token RS256, key in the HSM (SoftHSM2) / key in the database",
                f"{rps['token-rs256-hsm'] / token:.2f}",
            )
        )
    if token and "node" in rps:
        ratios.append(("token / Node peer (target >= 1.0)", f"{token / rps['node']:.2f}"))
    if "token-es256" in rps and "node" in rps:
        ratios.append(("token ES256 / Node peer", f"{rps['token-es256'] / rps['node']:.2f}"))
    if "constant" in rps:
        for name in ("jwks", "jwks-304", "discovery"):
            if name in rps:
                ratios.append(
                    (
                        f"{name} / constant JSON (target >= 0.8)",
                        f"{rps[name] / rps['constant']:.2f}",
                    )
                )
    if paced:
        ratios.append(
            (
                "token at 80 % of peak: p99 (target < 50 ms)",
                f"{paced['p99_us'] / 1000:.2f} ms at {paced['rps']:.0f} req/s "
                f"(aimed {paced['target_rps']:.0f}), "
                f"non-2xx {paced['non2xx'] + paced['socket_errors']}",
            )
        )
    lines += ["", "| ratio | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in ratios]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    scale_main() if sys.argv[1:] == ["scale"] else main()
