"""Per-process copies of the messenger the token API reads on every request, invalidated
exactly.

What is cached: the active messenger (with its brand) by slug. The customer record and its
membership are not: they are per customer, so with many customers each clicking Chat now and
then a per-process copy would almost never be read twice; they come with the session's user
instead, in the query every request makes (``accounts.auth``).

How it stays exact across processes (the key-set version's habit, ``brands.keyset``): each
copy is tagged with the ``directory`` version held in the shared cache (Redis), which every
save or delete of a messenger or brand replaces. The token API reads the version in the same
round trip as its throttles (``messaging.apis.TokenThrottle``); a copy is used only when its
tag equals what Redis holds now, and a copy is always tagged with the version read *before*
its row was read, so a change that lands in between leaves it stale-tagged, never
stale-trusted. The version is replaced twice: at once (inside the writer's transaction: when
Redis cannot take it, the write fails, so nothing changes unseen) and again when the
transaction commits (readers that reloaded in between are thrown out). So a deactivated
messenger or brand is seen by the very next request of every process. Values are random, not
counters: after a Redis restart or flush no old tag can match. Copies are also re-read at
least every ``MAX_AGE_SECONDS`` (a safety net only) and the table is bounded.

Only with a shared cache (Redis): with a process-local cache a change made by another process
(a command) could not reach this one, so every read goes to the database, as before. While
Redis is unreachable the version cannot be read: the token API is refused anyway then (its
throttles fail closed), and these reads fall back to the database.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from brands import keyset

logger = logging.getLogger(__name__)

DIRECTORY_KEY = "messaging:directory-version"
MAX_AGE_SECONDS = 60
MAX_ENTRIES = 100_000

_lock = threading.Lock()
# slug -> (messenger, directory version, read at)
_messengers: dict[str, tuple[object, str, float]] = {}


def enabled() -> bool:
    """Only with a shared cache: see the module docstring."""
    return not keyset.cache_is_process_local()


def clear() -> None:
    with _lock:
        _messengers.clear()


def version_keys() -> list[str]:
    """The shared-cache keys whose values ``messenger`` takes as its tag (read them in the
    caller's own round trip: ``version_read``)."""
    return [DIRECTORY_KEY]


def version_read(found: dict) -> str | None:
    """The directory version from ``found`` (``{key: value}`` as read from the shared cache),
    starting a fresh one when it is missing (first use, or after a flush); None when Redis is
    unreachable (the callers read the database)."""
    version = found.get(DIRECTORY_KEY)
    if version is not None:
        return version
    try:
        cache.add(DIRECTORY_KEY, uuid.uuid4().hex, timeout=None)
        return cache.get(DIRECTORY_KEY)
    except Exception:
        logger.warning("Read-cache version unavailable: reading the database", exc_info=True)
        return None


def version() -> str | None:
    """The directory version in a round trip of its own; None when Redis is unreachable."""
    try:
        found = cache.get_many(version_keys())
    except Exception:
        logger.warning("Read-cache version unavailable: reading the database", exc_info=True)
        return None
    return version_read(found)


def messenger(slug: str, version: str, load):
    """The messenger ``slug`` from memory when tagged ``version``, else ``load()`` (which
    raises for unknown or inactive ones, never cached)."""
    now = time.monotonic()
    entry = _messengers.get(slug)
    if entry is not None and entry[1] == version and now - entry[2] < MAX_AGE_SECONDS:
        return entry[0]
    found = load()
    with _lock:
        if len(_messengers) >= MAX_ENTRIES:
            _messengers.clear()
        _messengers[slug] = (found, version, now)
    return found


# --- invalidation -------------------------------------------------------------------------


def _replace(keys: list[str]) -> None:
    cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)


def bump(keys: list[str], using: str | None = None) -> None:
    """Replace the versions ``keys`` now and again when the current transaction commits.

    The first replacement raises when the shared cache is unreachable, so the caller's write
    fails rather than changing what the token API trusts without every process noticing.
    """
    if not enabled():
        return
    _replace(keys)
    if transaction.get_connection(using).in_atomic_block:
        transaction.on_commit(lambda: _replace(keys), using=using, robust=True)


def _directory_changed(sender, **kwargs) -> None:
    bump([DIRECTORY_KEY], using=kwargs.get("using"))


def connect_signals() -> None:
    """Called once from ``MessagingConfig.ready``."""
    from brands.models import Brand, Messenger

    for model in (Messenger, Brand):
        for signal in (post_save, post_delete):
            signal.connect(_directory_changed, sender=model, dispatch_uid=f"readcache.{model}")
