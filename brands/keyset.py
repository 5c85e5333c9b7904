"""The key-set version: one value in the shared cache that every life-cycle change replaces.

Each process keeps derived data (decrypted keys, JWKS documents) keyed by this version, so a
change committed by any server is seen by all of them at their next read. The value is random,
not a counter: after a cache flush or eviction a fresh value can never match stale entries.

The version moves only when a change commits. Inside the transaction that made a change, the
change is visible to this connection but not to the version, so readers there bypass the
per-process caches (``changed_in_transaction``) instead of caching state that may roll back.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

CACHE_KEY = "brands:keyset-version"


# Per-process copies are re-read from the database at least this often even without a bump,
# which bounds the staleness a lost bump (cache outage at commit time) can cause.
MAX_STALENESS_SECONDS = 60


def current() -> str | None:
    """The current key-set version (one shared-cache read), or ``None`` when the shared cache
    is unreachable: callers then read the database and cache nothing."""
    try:
        version = cache.get(CACHE_KEY)
        if version is None:
            cache.add(CACHE_KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(CACHE_KEY)
    except Exception:  # Redis down: degrade to uncached reads, never to a 500
        logger.warning("Shared cache unavailable: key caches bypassed", exc_info=True)
        return None
    return version


def _bump() -> None:
    cache.set(CACHE_KEY, uuid.uuid4().hex, timeout=None)


def bump_on_commit(using: str | None = None) -> None:
    """Invalidate every process's key caches once the current transaction commits.

    ``robust``: a cache outage after the commit is logged, not raised into the caller whose
    change did commit; ``MAX_STALENESS_SECONDS`` bounds the effect.
    """
    transaction.on_commit(_bump, using=using, robust=True)


def changed_in_transaction(using: str | None = None) -> bool:
    """True inside a transaction that changed keys and has not committed yet.

    Django drops the callbacks of rolled-back savepoints, so this is exact.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return False
    return any(entry[1] is _bump for entry in getattr(connection, "run_on_commit", ()))
