# ruff: noqa: S603, S108
"""``make bench``'s services: wrk, the PostgreSQL databases, the portal under gunicorn, the Node
peer, a SoftHSM2 token; started for one run and stopped (``stop_all``) at its end."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench_config import (
    DB,
    EXTRA_BRANDS,
    EXTRA_CUSTOMERS,
    HOST,
    KEYS_PER_BRAND,
    NODE_DB,
    NODE_PORT,
    NODE_WORKERS,
    PEER_CANDIDATES,
    PG,
    PORT,
    PY,
    REDIS,
    ROOT,
    SCRATCH,
    SESSIONS,
    WORKER_THREADS,
    WORKERS,
    _env,
    log,
    run,
)

_children: list[subprocess.Popen] = []


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
