"""The deployment the fault tests run against: two gunicorn app servers (A and B) on one
PostgreSQL and one Redis, all real processes started here (``processes.py``), with production
settings (``fault_settings.py``), and the few helpers that read what they answer.

Every test that involves both servers first checks that they are two processes on two ports
(``assert_two_servers``): the ports are bound here and handed to each server, so several copies
of this suite can run on one machine at once (CI runs two). Starting the deployment takes most
of the time, so one is shared by every test of the folder (``conftest.py``); each test that
needs a fresh token budget asks for it (``redis.forget_throttles()``), so none depends on the
order the tests run in.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.faults import processes

ROOT = processes.ROOT
TOKEN_API = "/api/v1/messaging/token"
JWKS = "/brands/bench/.well-known/jwks.json"
PASSWORD = "a-long-fault-test-password-7"
SESSIONS = 40

# Every fault test module: the real servers, on one xdist worker (they share one deployment).
FAULT_TESTS = [
    pytest.mark.skipif(
        processes.missing_binaries() is not None,
        reason=f"fault tests need real servers: {processes.missing_binaries()}",
    ),
    pytest.mark.xdist_group("faults"),
]

_INHERITED_OUT = {
    "DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "SANDBOX_ENABLED",
    "DJANGO_SETTINGS_MODULE",
    "CACHE_KEY_PREFIX",
    "SQLITE_PATH",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


class Deployment:
    def __init__(self, tmp: Path):
        self.pg = processes.Postgres()
        self.redis = processes.Redis()
        self.env: dict[str, str] = {}
        self.tmp = tmp
        self.a: processes.App | None = None
        self.b: processes.App | None = None
        self.sessions: list[tuple[str, str, str]] = []
        self.backup_code = ""

    def _environment(self) -> dict[str, str]:
        """The app servers' environment: known once PostgreSQL and Redis have their ports."""
        return {
            **{k: v for k, v in os.environ.items() if k not in _INHERITED_OUT},
            "DJANGO_SETTINGS_MODULE": "tests.faults.fault_settings",
            "DEBUG": "false",
            "SECRET_KEY": "fault-tests-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ALLOWED_HOSTS": "127.0.0.1,portal.test",
            "PUBLIC_BASE_URL": "http://portal.test",
            "KEY_ENCRYPTION_KEYS": "p6Rz0lRW2hB1bqbWzX0Vv6wXr3Xw8CkN3Wcq5sQe3mE=",
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": self.redis.url,
            "CACHE_KEY_PREFIX": "fault",
            "TRUSTED_PROXY_COUNT": "1",
            "SANDBOX_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }

    def assert_two_servers(self) -> None:
        """A and B are two gunicorn servers: two ports, two process trees, each port held by
        its own server's processes only (read from /proc, not assumed)."""
        a, b = self.a, self.b
        assert a.port != b.port
        assert a.proc.poll() is None and b.proc.poll() is None
        assert a.proc.pid != b.proc.pid
        on_a, on_b = a.listener_pids(), b.listener_pids()
        assert a.proc.pid in on_a and b.proc.pid in on_b, (on_a, on_b)
        assert on_a.isdisjoint(on_b)
        assert set(a.worker_pids()) <= on_a and set(b.worker_pids()) <= on_b

    def manage(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def up(self) -> None:
        self.pg.start()
        self.pg.create_database()
        self.redis.start()
        self.env = self._environment()
        self.a = processes.App(self.env, "a")
        self.b = processes.App(self.env, "b")
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("generate_scale", "--customers", str(SESSIONS), "--brand", "bench",
                    "--create-brand", "--no-progress")  # fmt: skip
        out = self.tmp / "sessions.tsv"
        done = subprocess.run(
            [sys.executable, "scripts/bench_world.py", str(SESSIONS), str(out)],
            cwd=ROOT, env=self.env, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        self.sessions = [tuple(line.split("\t")) for line in out.read_text().splitlines()]
        self.manage("create_customer", "alice", "--email", "alice@example.com",
                    "--first-name", "Alice", "--last-name", "Example", "--brand", "bench",
                    "--password-stdin", stdin=PASSWORD)  # fmt: skip
        self.backup_code = self.manage("add_backup_code", "alice").strip()
        self.a.start()
        self.b.start()

    def down(self) -> None:
        for app in (self.a, self.b):
            if app is not None:
                app.stop()
        self.redis.stop()
        self.pg.destroy()

    def token(self, app, n: int, messenger: str = "bench-rs", address: str | None = None):
        """POST the token API as verified session ``n``: (status, body, seconds)."""
        sid, csrf, default_address = self.sessions[n]
        started = time.monotonic()
        response = requests.post(
            app.url(TOKEN_API),
            data=json.dumps({"messenger": messenger}),
            headers={
                "Content-Type": "application/json",
                "Cookie": f"sessionid={sid}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                "X-Forwarded-For": address or default_address,
            },
            timeout=10,
        )
        elapsed = time.monotonic() - started
        try:
            body = response.json()
        except ValueError:
            body = {"raw": response.text[:200]}
        return response.status_code, body, elapsed


def jwt_header(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


def jwt_claims(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def published_kids(app) -> list[str]:
    return [k["kid"] for k in requests.get(app.url(JWKS), timeout=5).json()["keys"]]


def until(check, seconds: float):
    """Poll ``check()`` until it returns a truthy value or ``seconds`` pass; the last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
