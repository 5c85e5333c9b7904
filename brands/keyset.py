"""The key-set version: one shared value that every life-cycle change replaces.

Where it lives (``store()``): the shared cache (Redis) when one is configured; otherwise the
database (``brands.models.KeySetVersion``), because an in-process cache is not shared and a
change made by a command or another worker would go unseen (a revoked key once kept
signing for up to ``MAX_STALENESS_SECONDS``). ``BRANDS_KEYSET_STORE`` ("cache" or
"database") overrides the choice. Reading it is one Redis GET or one primary-key SELECT.

Each process keeps derived data (decrypted keys, JWKS documents) keyed by this version, so a
change committed by any server is seen by all of them at their next read. The value is random,
not a counter: after a cache flush or eviction a fresh value can never match stale entries.

The version moves only when a change commits. Inside the transaction that made a change, the
change is visible to this connection but not to the version, so readers there bypass the
per-process caches (``changed_in_transaction``, tracked explicitly by ``changed``) instead of
caching state that may roll back.
"""

import logging
import threading
import time
import uuid
import weakref

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction

from brands.errors import KeySetUnavailable
from config import fastpath

logger = logging.getLogger(__name__)

CACHE_KEY = "brands:keyset-version"


# Per-process copies are re-read from the database at least this often even without a bump,
# which bounds the staleness a lost bump (cache outage at commit time) can cause.
MAX_STALENESS_SECONDS = 60


# The public documents (JWKS, discovery) take a version this process read from the shared
# cache less than this long ago instead of reading it again (``recent``): at thousands of
# requests per second the Redis round trip is most of their cost, and what they publish is
# cached by verifiers for ``JWKS_MAX_AGE`` anyway. A change committed by this process is
# seen at once (``_bump`` forgets the read); one committed elsewhere within this lag, well
# inside the 1 s allowed between servers. Signing never uses it: the token
# path reads the version with its throttles in the same round trip (``current``).
PUBLISHED_LAG_SECONDS = 0.25

# (version, monotonic time of the read that returned it), replaced as a whole.
_recent: tuple[str | None, float] = (None, float("-inf"))


PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def cache_is_process_local() -> bool:
    """True when the default cache is not shared between processes."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return backend in PROCESS_LOCAL_CACHES


class _CacheStore:
    def get(self) -> str | None:
        return cache.get(CACHE_KEY)

    def add(self, value: str) -> None:
        cache.add(CACHE_KEY, value, timeout=None)

    def set(self, value: str) -> None:
        cache.set(CACHE_KEY, value, timeout=None)

    def delete(self) -> None:
        cache.delete(CACHE_KEY)


class _DatabaseStore:
    def get(self) -> str | None:
        from brands.models import KeySetVersion

        return KeySetVersion.objects.filter(pk=1).values_list("version", flat=True).first()

    def add(self, value: str) -> None:
        from brands.models import KeySetVersion

        try:
            with transaction.atomic():
                KeySetVersion.objects.create(pk=1, version=value)
        except IntegrityError:  # another process added it first: theirs stands
            pass

    def set(self, value: str) -> None:
        from brands.models import KeySetVersion

        if not KeySetVersion.objects.filter(pk=1).update(version=value):
            self.add(value)

    def delete(self) -> None:
        from brands.models import KeySetVersion

        KeySetVersion.objects.filter(pk=1).delete()


def store() -> _CacheStore | _DatabaseStore:
    """Where the version lives now (read lazily, so ``override_settings`` works)."""
    choice = getattr(settings, "BRANDS_KEYSET_STORE", None)
    if choice is None:
        choice = "database" if cache_is_process_local() else "cache"
    return _DatabaseStore() if choice == "database" else _CacheStore()


def version_keys() -> list[str]:
    """The shared-cache key of the version when it lives there (else none): a caller that
    makes a round trip to Redis anyway reads it along (``config.fastpath.read_ahead_keep``),
    and ``current()`` then takes it from there."""
    return [CACHE_KEY] if isinstance(store(), _CacheStore) else []


def current() -> str | None:
    """The current key-set version (one read, none when this request read it ahead with
    ``version_keys()``: ``config.fastpath.read_ahead_values``), or ``None`` when its store
    is unreachable: callers then read the database and cache nothing."""
    where = store()
    ahead = fastpath.read_ahead_values()
    if ahead and isinstance(where, _CacheStore) and ahead.get(CACHE_KEY):
        return ahead[CACHE_KEY]
    try:
        version = where.get()
        if version is None:
            where.add(uuid.uuid4().hex)
            version = where.get()
    except Exception:  # Redis or database down: degrade to uncached reads, never to a 500
        logger.warning("Key-set version unavailable: key caches bypassed", exc_info=True)
        return None
    return version


def recent() -> str | None:
    """``current()``, or the version it returned in this process less than
    ``PUBLISHED_LAG_SECONDS`` ago when the version lives in the shared cache (for the public
    documents only). The database store is always read: it is the embedded default's, where
    a change made by a command shows in the next response."""
    global _recent
    if not isinstance(store(), _CacheStore):
        return current()
    version, read_at = _recent
    now = time.monotonic()  # taken before the read: the lag is bounded from the read's start
    if version is not None and now - read_at < PUBLISHED_LAG_SECONDS:
        return version
    version = current()
    _recent = (version, now)
    return version


def forget_recent() -> None:
    """Make the next ``recent()`` read the version (after a flush of the shared cache)."""
    global _recent
    _recent = (None, float("-inf"))


def _bump() -> None:
    try:
        store().set(uuid.uuid4().hex)
    finally:  # even when the write fails: this process's documents then read the version
        forget_recent()


# alias -> weak reference to the callback registered by the open transaction of this thread.
# The callback is held only by the transaction's on-commit list, so it dies (and the weak
# reference with it) when the transaction commits and runs it, or when a rollback of the
# transaction or of the savepoint that registered it drops it: ``changed_in_transaction``
# stays exact without reading Django's private on-commit list.
_pending = threading.local()


def _registered(alias: str):
    ref = getattr(_pending, alias, None)
    return ref() if ref is not None else None


def changed(using: str | None = None) -> None:
    """Record that keys or brands changed: every process drops its key caches once the
    current transaction commits (at once outside a transaction).

    Called once per change by the code that made it (the ``brands.services`` for keys, the
    ``brands.signals`` receiver for brand rows). With the version in the shared cache, the
    first change of a transaction also moves it at once and raises ``KeySetUnavailable``
    (the caller's transaction then rolls back) when the cache cannot be written; then,
    however many changes the transaction makes, the version moves once more at its commit.
    That last bump is ``robust``: a cache lost between the two is logged, not raised into
    a caller whose change did commit, and ``MAX_STALENESS_SECONDS`` bounds its effect.
    Outside a transaction the change has committed already: only the bump after it runs.
    """
    alias = using or DEFAULT_DB_ALIAS
    if _registered(alias) is not None:
        return  # this transaction already bumps on commit
    in_transaction = transaction.get_connection(alias).in_atomic_block
    if in_transaction and isinstance(store(), _CacheStore):
        # Fail closed: move the version now, before the commit, so that a shared cache that
        # cannot be written refuses the change (the transaction rolls back) instead of
        # letting it commit unseen by the servers that hold the old keys. Readers that
        # reload between this bump and the commit read the committed (old) rows; the bump
        # after the commit replaces what they kept.
        try:
            _bump()
        except Exception as exc:
            logger.error("Key-set version not writable: key change refused", exc_info=True)
            raise KeySetUnavailable(
                "The shared cache (Redis) cannot be written, so the servers would not learn "
                "of this key change: nothing was changed. Try again once it is back."
            ) from exc

    def callback() -> None:  # a new function object per transaction, held only by it
        _bump()

    if in_transaction:
        setattr(_pending, alias, weakref.ref(callback))
    transaction.on_commit(callback, using=alias, robust=True)


def changed_in_transaction(using: str | None = None) -> bool:
    """True inside a transaction that changed keys and has not committed yet (exact: a
    rolled-back savepoint's change no longer counts)."""
    alias = using or DEFAULT_DB_ALIAS
    return transaction.get_connection(alias).in_atomic_block and _registered(alias) is not None
