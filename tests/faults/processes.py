"""Real processes for the fault tests: a throwaway PostgreSQL, a throwaway Redis, gunicorn.

Never the shared services: PostgreSQL is a fresh cluster (``initdb``) in a temporary folder,
Redis a ``redis-server`` without persistence, so stopping them hurts nobody. As root,
``initdb`` and ``pg_ctl`` run as the ``postgres`` user (PostgreSQL refuses root), in a folder
that user owns.

Ports, so that several copies of the project can run this suite at once on one machine:

- each gunicorn server listens on a socket this process binds first (port 0: the kernel picks
  a free one) and hands over as ``--bind fd://N``: the port is held from the moment it is
  chosen until the server serves on it, and two servers can never share one;
- PostgreSQL and Redis bind their own port; it is one the kernel just handed out as free, and
  when another process took it in between, the server fails to start and another port is
  tried (``START_ATTEMPTS``). A restart keeps the port (it was the server's until it stopped).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_ATTEMPTS = 5


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def missing_binaries() -> str | None:
    """Why the fault tests cannot run here, or None."""
    if pg_bin() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is missing (initdb must not run as root)"
    return None


def kernel_free_port() -> int:
    """A loopback port the kernel considers free now (for servers that bind it themselves)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_socket() -> socket.socket:
    """A loopback socket bound to a port the kernel picked, listening, inheritable."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def start_on_free_port(service, failure: type[Exception]) -> None:
    """Start ``service`` (its ``_start()`` on ``service.port``) on the port used before, or
    (first start) on a free one, retrying another when a concurrent run took it first
    (``failure`` is what its ``_start`` raises then)."""
    if service.port:
        service._start()
        return
    for attempt in range(START_ATTEMPTS):
        service.port = kernel_free_port()
        try:
            service._start()
            return
        except failure:
            if attempt == START_ATTEMPTS - 1:
                raise


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Postgres:
    def __init__(self):
        self.port = 0
        self.dir = Path(tempfile.mkdtemp(prefix="fault-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        subprocess.run(
            _as_postgres(
                [str(pg_bin() / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                 "--no-sync", "-E", "UTF8"]
            ),
            check=True, capture_output=True,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/portal"

    def start(self) -> None:
        start_on_free_port(self, subprocess.CalledProcessError)

    def _start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        subprocess.run(
            _as_postgres(
                [str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
                 "-o", options, "-w", "-t", "30", "start"]
            ),
            check=True, capture_output=True,
        )  # fmt: skip

    def restart(self) -> None:
        """A fast stop (every connection is cut, as in a failover) and a start, same port."""
        self.stop()
        self.start()

    def create_database(self) -> None:
        import psycopg

        admin = self.url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE portal")

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                          "stop"]),
            capture_output=True,
        )  # fmt: skip

    def query(self, sql: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql).fetchall()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self):
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        start_on_free_port(self, RuntimeError)

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:  # e.g. the port was taken: exits at once
                raise RuntimeError(f"redis-server exited on port {self.port}")
            if self._answers():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def _answers(self) -> bool:
        """Our redis-server answers on the port: its ``process_id`` is ours (another run's
        Redis that held the port first would answer too)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"INFO server\r\n")
                data = b""
                while b"process_id:" not in data or not data.endswith(b"\r\n"):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
        except OSError:
            return False
        found = re.search(rb"process_id:(\d+)", data)
        return bool(found) and int(found.group(1)) == self.proc.pid

    def forget_throttles(self) -> int:
        """Delete the throttle counters only (fresh budgets; versions and sessions stay)."""
        script = "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do " \
                 "redis.call('DEL', k) n = n + 1 end return n"  # fmt: skip
        parts = [b"EVAL", script.encode(), b"0", b"*throttle:*"]
        command = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(command)
            answer = s.recv(64)
        assert answer.startswith(b":"), answer
        return int(answer[1:].split(b"\r\n")[0])

    def restart(self, *, down_for: float = 1.0) -> None:
        """Stop, stay down ``down_for`` seconds (a restart takes that long in production: long
        enough for requests to meet it), start again on the same port: all data is gone."""
        self.stop()
        time.sleep(down_for)
        self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


class App:
    """One gunicorn app server (one worker process, four threads; the master respawns the
    worker when it dies), on a socket bound here and handed over (``fd://``): its own port,
    held from the moment it is chosen."""

    def __init__(self, env: dict[str, str], name: str):
        self.env, self.name = env, name
        self.socket = listening_socket()
        self.port = self.socket.getsockname()[1]
        self.proc: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix=f"fault-{name}-", suffix=".log")[1])

    def start(self) -> None:
        fd = self.socket.fileno()
        with self.log.open("w") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"fd://{fd}",
                 "--workers", "1", "--threads", "4", "--timeout", "30",
                 "--graceful-timeout", "2", "--access-logfile", "-",
                 "--logger-class", "config.access_log.JsonAccessLogger"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, pass_fds=(fd,),
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
                continue
            self.socket.close()  # the server holds the port now; only its processes listen
            return
        raise RuntimeError(f"{self.name} did not start:\n{self.log.read_text()}")

    def listener_pids(self) -> set[int]:
        """The processes that hold this server's listening port (from /proc: the socket's
        inode, then the processes with a descriptor on it)."""
        inode = ""
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == self.port:
                    inode = fields[9]
        if not inode:
            return set()
        pids = set()
        for fd_dir in glob.glob("/proc/[0-9]*/fd"):
            try:
                for fd in os.listdir(fd_dir):
                    if os.readlink(f"{fd_dir}/{fd}") == f"socket:[{inode}]":
                        pids.add(int(fd_dir.split("/")[2]))
                        break
            except OSError:  # a process that ended meanwhile, or not ours to read
                continue
        return pids - {os.getpid()}

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None
        self.socket.close()
        self.log.unlink(missing_ok=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"
