"""Throttles that hold under concurrency: fixed-window counters with an atomic increment.

Every attempt first *reserves* a slot with an atomic increment in the shared cache
(``cache.add`` creates the counter with the window as its lifetime, ``cache.incr`` is
Redis ``INCR``, or the locked increment of the in-process cache), and only an attempt whose
increment stayed within the limit goes on to the expensive check (a password hash, a
one-time code). Check-then-record was the hole (issue 10: 40 parallel guesses got 16 to 39
passwords checked against a limit of 5); with a reservation, N parallel requests can never
get more than ``limit`` checks per window, whatever the number of threads or processes.

A caller gives a reservation back (``release``) when the attempt turned out legitimate (a
correct password) or was never made (another bucket refused it), and clears a bucket
(``reset``) when a success should forget earlier failures.

The window starts at the first attempt and ends on its own (an attacker can slow a customer
down, never lock them out for good); ``retry_after`` is read from a companion key holding
the window's start, so the error can say how long to wait.

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


def _increment(bucket: Bucket) -> int:
    now = _now()
    cache.add(_since_key(bucket), now, timeout=bucket.window)
    for _ in range(3):
        cache.add(bucket.key, 0, timeout=bucket.window)
        try:
            return cache.incr(bucket.key)
        except ValueError:  # expired between add() and incr(): start a new window
            continue
    raise RuntimeError(f"Throttle counter {bucket.key!r} cannot be incremented.")


def _retry_after(bucket: Bucket) -> int:
    since = cache.get(_since_key(bucket))
    if not isinstance(since, int):
        return bucket.window
    return max(1, since + bucket.window - _now())


def reserve(buckets: Sequence[Bucket]) -> None:
    """Take one attempt from every bucket, or none: raise ``Throttled`` when any is full.

    Atomic per bucket; a refused attempt gives back what it took, so a full address bucket
    does not use up a username's allowance.
    """
    taken: list[Bucket] = []
    refused: list[Bucket] = []
    for bucket in buckets:
        count = _increment(bucket)
        taken.append(bucket)
        if count > bucket.limit:
            refused.append(bucket)
    if refused:
        release(taken)
        raise Throttled(max(_retry_after(b) for b in refused))


def release(buckets: Sequence[Bucket]) -> None:
    """Give back one attempt per bucket (the attempt was legitimate or never made)."""
    for bucket in buckets:
        with contextlib.suppress(ValueError):  # ValueError: the window already ended
            cache.decr(bucket.key)


def reset(buckets: Sequence[Bucket]) -> None:
    """Forget a bucket's window entirely (a success that clears earlier failures)."""
    cache.delete_many([k for b in buckets for k in (b.key, _since_key(b))])


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
