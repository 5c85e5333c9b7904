"""The key-set version: one value in the shared cache that every life-cycle change replaces.

Each process keeps derived data (decrypted keys, JWKS documents) keyed by this version, so a
change committed by any server is seen by all of them at their next read. The value is random,
not a counter: after a cache flush or eviction a fresh value can never match stale entries.

The version moves only when a change commits. Inside the transaction that made a change, the
change is visible to this connection but not to the version, so readers there bypass the
per-process caches (``changed_in_transaction``) instead of caching state that may roll back.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

CACHE_KEY = "brands:keyset-version"


def current() -> str:
    """The current key-set version (one shared-cache read)."""
    version = cache.get(CACHE_KEY)
    if version is None:
        cache.add(CACHE_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(CACHE_KEY) or "uncached"
    return version


def _bump() -> None:
    cache.set(CACHE_KEY, uuid.uuid4().hex, timeout=None)


def bump_on_commit(using: str | None = None) -> None:
    """Invalidate every process's key caches once the current transaction commits."""
    transaction.on_commit(_bump, using=using)


def changed_in_transaction(using: str | None = None) -> bool:
    """True inside a transaction that changed keys and has not committed yet.

    Django drops the callbacks of rolled-back savepoints, so this is exact.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return False
    return any(entry[1] is _bump for entry in getattr(connection, "run_on_commit", ()))
