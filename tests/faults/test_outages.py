"""Outages with real processes, as a customer, a platform or an operator sees them over HTTP:

- no audit row is lost when a worker dies mid-load: every token a client received has its
  ``TokenIssue`` row and its ``token_issued`` event;
- PostgreSQL stopped: the token API answers 503 JSON within 2 s, the JWKS is still served
  from memory, ``/readyz`` names the database, and service resumes by itself;
- Redis stopped: the token API fails closed (503 JSON, never a token), the JWKS and the
  login page still answer, ``/readyz`` names the cache, and service resumes by itself;
- PostgreSQL restarted under load (a failover: every connection cut) and Redis restarted
  under load (everything it held lost): no 5xx but the documented fail-closed answers
  (503 ``unavailable`` JSON on the API, the 503 "Temporarily unavailable" page), the JWKS
  always served, and tokens issued again on both servers within seconds.

The deployment is ``deployment.py``'s; every loop is bounded (a deadline or a count); every
address is loopback.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time

import requests

from tests.faults.deployment import (
    FAULT_TESTS,
    JWKS,
    PASSWORD,
    Deployment,
    jwt_claims,
    until,
)

pytestmark = FAULT_TESTS


def test_no_audit_row_is_lost_when_a_worker_dies_mid_load(deployment):
    deployment.redis.forget_throttles()
    # given clients asking server A for tokens, 10 threads x 4 requests, each its own customer
    received: list[str] = []
    lock = threading.Lock()
    in_flight = [0]

    def client(first: int) -> None:
        for n in range(first, first + 2):
            for _ in range(2):
                with lock:
                    in_flight[0] += 1
                try:
                    status, body, _ = deployment.token(deployment.a, n, messenger="bench-es")
                except requests.RequestException:
                    continue  # the connection died with the worker: no token was received
                finally:
                    with lock:
                        in_flight[0] -= 1
                if status == 200:
                    with lock:
                        received.append(jwt_claims(body["token"])["jti"])

    threads = [threading.Thread(target=client, args=(10 + 2 * i,)) for i in range(10)]
    old_workers = deployment.a.worker_pids()
    assert old_workers
    for thread in threads:
        thread.start()
    # when the worker is killed while requests are in flight
    assert until(lambda: in_flight[0] >= 3, 10)
    for pid in old_workers:
        os.kill(pid, 9)
    killed_with = in_flight[0]
    for thread in threads:
        thread.join(timeout=60)
    assert killed_with > 0
    # then the master started a new worker that serves again
    assert until(lambda: deployment.token(deployment.a, 35, "bench-es")[0] == 200, 30)
    assert set(deployment.a.worker_pids()).isdisjoint(old_workers)
    # and every token a client received has its audit row and its event
    assert received
    quoted = ",".join(f"'{jti}'" for jti in received)
    audited = {r[0] for r in deployment.pg.query(
        f"SELECT jti FROM messaging_tokenissue WHERE jti IN ({quoted})"
    )}  # fmt: skip
    events = {r[0] for r in deployment.pg.query(
        f"SELECT jti FROM messaging_authevent WHERE kind = 'token_issued' AND jti IN ({quoted})"
    )}  # fmt: skip
    assert audited == set(received)
    assert events == set(received)


def test_with_postgresql_stopped_tokens_are_refused_fast_the_jwks_still_served_then_resumed(
    deployment,
):
    deployment.redis.forget_throttles()
    # given server A has served the JWKS (its copy is in memory)
    before = requests.get(deployment.a.url(JWKS), timeout=5)
    assert before.status_code == 200
    # when PostgreSQL stops
    deployment.pg.stop()
    try:
        # then the token API answers 503 JSON within 2 s
        status, body, elapsed = deployment.token(deployment.a, 36, "bench-es")
        assert status == 503
        assert body["error"] == "unavailable"
        assert elapsed < 2.0
        # the JWKS is still served, from memory
        during = requests.get(deployment.a.url(JWKS), timeout=5)
        assert during.status_code == 200
        assert during.json() == before.json()
        # readiness names the database; liveness stays up
        ready = requests.get(deployment.a.url("/readyz"), timeout=5)
        assert ready.status_code == 503
        assert ready.json()["failed"] == ["database", "signing_keys"]
        assert requests.get(deployment.a.url("/healthz"), timeout=5).status_code == 200
    finally:
        deployment.pg.start()
    # and service resumes by itself
    assert until(lambda: deployment.token(deployment.a, 36, "bench-es")[0] == 200, 30)
    ready = requests.get(deployment.a.url("/readyz"), timeout=5)
    assert ready.status_code == 200, ready.text


def test_with_redis_stopped_tokens_fail_closed_and_service_resumes(deployment):
    deployment.assert_two_servers()
    # when Redis stops
    deployment.redis.stop()
    try:
        # then no token is issued (the throttles cannot count): 503 JSON, on both servers
        for app, n in ((deployment.a, 37), (deployment.b, 38)):
            status, body, elapsed = deployment.token(app, n, "bench-es")
            assert status == 503
            assert body["error"] == "unavailable"
            assert "token" not in body
            assert elapsed < 2.0
        # public documents and the login page still answer
        jwks = requests.get(deployment.b.url(JWKS), timeout=5)
        assert jwks.status_code == 200, deployment.b.log.read_text()[-4000:]
        login_page = requests.get(deployment.b.url("/login/"), timeout=5)
        assert login_page.status_code == 200
        # a login attempt cannot be counted by its throttle: refused, as a page, not a 500
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)
        refused = requests.post(
            deployment.b.url("/login/"),
            data={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": csrf[1]},
            cookies=login_page.cookies,
            timeout=5,
        )
        assert refused.status_code == 503
        assert "Temporarily unavailable" in refused.text
        ready = requests.get(deployment.b.url("/readyz"), timeout=5)
        assert ready.status_code == 503
        assert ready.json()["failed"] == ["cache"]
    finally:
        deployment.redis.start()
    # and service resumes by itself (sessions live in the database too)
    assert until(lambda: deployment.token(deployment.b, 39, "bench-es")[0] == 200, 30)
    assert requests.get(deployment.b.url("/readyz"), timeout=5).status_code == 200


# --- restarts under load: a PostgreSQL failover, a Redis restart --------------------------


class Load:
    """Clients on both servers while a dependency restarts: token requests (each of four
    threads on its own customers) and JWKS reads, every answer classified. Bounded: each
    thread stops at ``stop`` or after ``MAX_REQUESTS``, whichever comes first."""

    MAX_REQUESTS = 300
    PAUSE = 0.1

    def __init__(self, deployment: Deployment, sessions: range):
        self.deployment = deployment
        self.sessions = list(sessions)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers: list[tuple[float, str, str]] = []  # (time, server+what, outcome)
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(4)]

    def _record(self, what: str, outcome: str) -> None:
        with self.lock:
            self.answers.append((time.monotonic(), what, outcome))

    def _run(self, index: int) -> None:
        apps = (self.deployment.a, self.deployment.b)
        mine = self.sessions[index::4]
        for i in range(self.MAX_REQUESTS):
            if self.stop.is_set():
                return
            app = apps[i % 2]
            try:
                status, body, _ = self.deployment.token(app, mine[i % len(mine)], "bench-es")
                self._record(f"{app.name} token", _token_outcome(status, body))
                jwks = requests.get(app.url(JWKS), timeout=10)
                self._record(
                    f"{app.name} jwks",
                    "ok" if jwks.status_code == 200 else f"{jwks.status_code} {jwks.text}",
                )
            except requests.RequestException as exc:
                self._record(f"{app.name}", f"connection error: {type(exc).__name__}")
            time.sleep(self.PAUSE)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def outcomes(self, since: float = 0.0) -> set[str]:
        return {outcome for at, _what, outcome in self.answers if at >= since}

    def count(self, outcome: str, since: float = 0.0, server: str = "") -> int:
        return sum(
            1
            for at, what, o in self.answers
            if at >= since and o == outcome and what.startswith(server)
        )

    def warm(self) -> bool:
        """Both servers issued tokens and served the JWKS (so each holds its copy)."""
        return all(
            self.count("issued", server=name) >= 2 and self.count("ok", server=name) >= 2
            for name in ("a", "b")
        )


def _token_outcome(status: int, body: dict) -> str:
    """200 with a token, 429 throttled and the documented fail-closed 503 are expected;
    anything else is reported as it is."""
    if status == 200 and "token" in body:
        return "issued"
    if status == 429 and body.get("error") == "throttled":
        return "throttled"
    if status == 503 and body.get("error") == "unavailable" and "token" not in body:
        return "fail-closed 503"
    return f"{status} {str(body)[:120]}"


EXPECTED = {"issued", "throttled", "fail-closed 503", "ok"}


def _issued_on_both(deployment: Deployment, sessions: range) -> bool:
    return all(
        any(deployment.token(app, n, "bench-es")[0] == 200 for n in sessions)
        for app in (deployment.a, deployment.b)
    )


def test_postgresql_restarted_under_load_gives_no_5xx_but_fail_closed_and_tokens_resume(
    deployment,
):
    deployment.assert_two_servers()
    assert deployment.redis.forget_throttles() > 0  # fresh token budgets for the load
    # when PostgreSQL fails over (every connection cut, back on the same address)
    _restarted_under_load(deployment, deployment.pg.restart)


def _restarted_under_load(deployment: Deployment, restart) -> None:
    """Both servers issue tokens under load; ``restart()`` runs in the middle of it; then
    tokens are issued again on both servers within 15 s, the load really ran through the
    restart, and no answer was other than a token, a throttle or the documented fail-closed
    503."""
    with Load(deployment, range(0, 30)) as load:
        assert until(load.warm, 20)
        down = time.monotonic()
        restart()
        restarted = time.monotonic()
        assert until(lambda: load.count("issued", since=restarted) >= 4, 15)
    assert [at for at, _what, _o in load.answers if down <= at <= restarted]
    assert _issued_on_both(deployment, range(30, 36))
    unexpected = load.outcomes() - EXPECTED
    assert not unexpected, f"{unexpected}\n{_errors(deployment)}"
    assert load.count("ok") > 0


def _errors(deployment: Deployment) -> str:
    """The servers' last error with a traceback, for a failure message."""
    lines = []
    for app in (deployment.a, deployment.b):
        lines += [x for x in app.log.read_text().splitlines() if '"exception"' in x]
    return json.loads(lines[-1])["exception"] if lines else "(no traceback logged)"


def test_redis_restarted_under_load_gives_no_5xx_but_fail_closed_and_tokens_resume(deployment):
    deployment.assert_two_servers()
    deployment.redis.forget_throttles()
    # when Redis restarts: throttle counters, cached sessions and versions are gone
    _restarted_under_load(deployment, deployment.redis.restart)
    # the login page answers too (a page, never a 500)
    assert requests.get(deployment.a.url("/login/"), timeout=5).status_code == 200
