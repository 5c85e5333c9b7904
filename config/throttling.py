"""Throttles that hold under concurrency: fixed-window counters with an atomic increment.

Every attempt first *reserves* a slot with an atomic increment in the shared cache
(``cache.add`` creates the counter with the window as its lifetime, ``cache.incr`` is
Redis ``INCR``, or the locked increment of the in-process cache), and only an attempt whose
increment stayed within the limit goes on to the expensive check (a password hash, a
one-time code). Check-then-record was the hole (under load, 40 parallel guesses got 16 to 39
passwords checked against a limit of 5); with a reservation, N parallel requests can never
get more than ``limit`` checks per window, whatever the number of threads or processes.

A caller gives a reservation back (``release``) when the attempt turned out legitimate (a
correct password) or was never made (another bucket refused it), and clears a bucket
(``reset``) when a success should forget earlier failures.

The window starts at the first attempt and ends on its own (an attacker can slow a customer
down, never lock them out for good). Its start sits in a companion key created with ``add``
(so every process agrees on it) and is part of the counter's name: it gives the error its
wait ("Try again in 3 minutes"), and the clock ends a window even where the cache's expiry
lags (frozen-time tests).

Why not django-axes: it throttles ``authenticate()`` calls only (not one-time codes, not
the token API), keeps its counters in the database with a check-then-write, and would be a
second mechanism next to DRF's throttles. One primitive here covers all of them.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from config import throttling_redis


@dataclass(frozen=True)
class Bucket:
    """One counter: at most ``limit`` attempts per ``window`` seconds under ``key``."""

    key: str
    limit: int
    window: int


class Throttled(Exception):
    """The attempt was refused; ``retry_after`` is in seconds (at least 1)."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = max(1, int(retry_after))


def wait_text(seconds: int) -> str:
    """ "Try again in 3 minutes" / "in 1 minute" / "in 40 seconds"."""
    seconds = max(1, int(seconds))
    if seconds < 60:
        return f"Try again in {seconds} second{'s' if seconds != 1 else ''}."
    minutes = math.ceil(seconds / 60)
    return f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def _now() -> int:
    return int(time.time())


def _since_key(bucket: Bucket) -> str:
    return f"{bucket.key}:since"


def _window_start(bucket: Bucket, now: int) -> int:
    """When the bucket's current window began; starts one if there is none.

    ``add`` makes the first attempt's time the start for every process at once. The cache's
    expiry ends the window in production; the comparison with ``now`` also ends it when the
    clock says so first (frozen-time tests, a cache whose expiry lags).
    """
    key = _since_key(bucket)
    since = cache.get(key)
    if not isinstance(since, int):
        cache.add(key, now, timeout=bucket.window)
        since = cache.get(key)
    elif now >= since + bucket.window:
        cache.set(key, now, timeout=bucket.window)
        since = cache.get(key)
    return since if isinstance(since, int) else now


def _counter_key(bucket: Bucket, since: int) -> str:
    return f"{bucket.key}:{since}"


def _increment(bucket: Bucket, now: int) -> tuple[int, int]:
    """(count after this attempt, window start), counted with one atomic increment."""
    for _ in range(3):
        since = _window_start(bucket, now)
        key = _counter_key(bucket, since)
        cache.add(key, 0, timeout=bucket.window)
        try:
            return cache.incr(key), since
        except ValueError:  # expired between add() and incr(): start a new window
            continue
    raise RuntimeError(f"Throttle counter {bucket.key!r} cannot be incremented.")


def reserve(buckets: Sequence[Bucket]) -> None:
    """Take one attempt from every bucket, or none: raise ``Throttled`` when any is full.

    Atomic per bucket; a refused attempt gives back what it took, so a full address bucket
    does not use up a username's allowance.
    """
    waits = [w for w in reserve_waits(buckets) if w > 0]
    if waits:
        raise Throttled(max(waits))


def reserve_waits(buckets: Sequence[Bucket]) -> list[int]:
    """``reserve`` that says which buckets refused: one wait (seconds) per bucket, 0 for a
    bucket within its limit; when any is positive nothing was taken from any bucket."""
    return reserve_and_read(buckets)[0]


def reserve_and_read(
    buckets: Sequence[Bucket], read: Sequence[str] = ()
) -> tuple[list[int], dict]:
    """``reserve_waits``, and the cache values of the keys ``read`` (``cache.get_many``'s
    answer) taken in the same round trip on Redis: what the request will need next (the
    token API's versions) costs no round trip of its own."""
    now = _now()
    if throttling_redis.enabled():  # the same steps in one round trip
        return throttling_redis.reserve_and_read(buckets, now, read)
    return _reserve_waits_here(buckets, now), (cache.get_many(read) if read else {})


def _reserve_waits_here(buckets: Sequence[Bucket], now: int) -> list[int]:
    taken: list[tuple[Bucket, int]] = []
    waits: list[int] = []
    for bucket in buckets:
        count, since = _increment(bucket, now)
        taken.append((bucket, since))
        waits.append(max(1, since + bucket.window - now) if count > bucket.limit else 0)
    if any(waits):
        for bucket, since in taken:
            _decrement(bucket, since)
    return waits


def _decrement(bucket: Bucket, since: int) -> None:
    with contextlib.suppress(ValueError):  # ValueError: the window already ended
        cache.decr(_counter_key(bucket, since))


def release(buckets: Sequence[Bucket]) -> None:
    """Give back one attempt per bucket (the attempt was legitimate or never made)."""
    for bucket in buckets:
        since = cache.get(_since_key(bucket))
        if isinstance(since, int):
            _decrement(bucket, since)


def reset(buckets: Sequence[Bucket]) -> None:
    """Forget a bucket's window entirely (a success that clears earlier failures)."""
    for bucket in buckets:
        since = cache.get(_since_key(bucket))
        keys = [_since_key(bucket)]
        if isinstance(since, int):
            keys.append(_counter_key(bucket, since))
        cache.delete_many(keys)


def parse_rate(rate: str) -> tuple[int, int]:
    """DRF rate syntax ("30/min") as (limit, window seconds)."""
    number, period = rate.split("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


class AtomicRateThrottle(BaseThrottle):
    """A DRF throttle on ``reserve``: ``rate`` (or ``get_rate()``) per ``get_ident_key()``.

    Unlike DRF's ``SimpleRateThrottle`` (a request history read, then written back), the
    count is one atomic increment, so parallel requests cannot all pass the check.
    """

    scope = ""
    rate: str | None = None

    def get_rate(self) -> str | None:
        return self.rate

    def get_cache_key(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        self._wait = None
        rate, ident = self.get_rate(), self.get_cache_key(request, view)
        if rate is None or ident is None:
            return True
        limit, window = parse_rate(rate)
        try:
            reserve([Bucket(key=f"throttle:{self.scope}:{ident}", limit=limit, window=window)])
        except Throttled as exc:
            self._wait = exc.retry_after
            return False
        return True

    def wait(self) -> int | None:
        return self._wait
