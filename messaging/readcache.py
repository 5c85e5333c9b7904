"""Per-process copies of what the token API reads on every request, invalidated exactly.

What is cached: the active messenger (with its brand) by slug, and a user's customer record
(with its tier) together with the ids of the brands the customer belongs to. Without this a
token request reads both from the database (two queries, the larger part of the time the
endpoint spent beyond the session and the signature, docs/benchmarks.md).

How it stays exact across processes (the key-set version's habit, ``brands.keyset``): each
copy is tagged with versions held in the shared cache (Redis): one ``directory`` version for
messengers, brands and tiers, and one version per user for the customer record, the user and
the memberships. A request reads both versions in one ``MGET``; a copy is used only when its
tag equals what Redis holds now, and a copy is always tagged with the versions read *before*
its rows were read, so a change that lands in between leaves it stale-tagged, never
stale-trusted. Every save or delete of those rows (signals, including membership changes
through ``customer.brands``) replaces the version twice: at once (inside the writer's
transaction: when Redis cannot take it, the write fails, so nothing changes unseen) and again
when the transaction commits (readers that reloaded in between are thrown out). So a removed
membership, a deactivated messenger or brand, or a changed customer record is seen by the
very next request of every process. Values are random, not counters: after a Redis restart
or flush no old tag can match. Copies are also re-read at least every
``MAX_AGE_SECONDS`` (a safety net only) and the tables are bounded.

Only with a shared cache (Redis): with a process-local cache a change made by another process
(a command) could not reach this one, so every read goes to the database, as before. While
Redis is unreachable the versions cannot be read: the token API is refused anyway then (its
throttles fail closed), and these reads fall back to the database.

Not cached: the user and the device (Django and django-otp read them per request).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from brands import keyset

logger = logging.getLogger(__name__)

DIRECTORY_KEY = "messaging:directory-version"
MAX_AGE_SECONDS = 60
MAX_ENTRIES = 100_000

_lock = threading.Lock()
# slug -> (messenger, directory version, read at)
_messengers: dict[str, tuple[object, str, float]] = {}
# user id -> (customer, frozenset of brand ids, (directory, user version), read at)
_customers: dict[int, tuple[object, frozenset, tuple[str, str], float]] = {}


def enabled() -> bool:
    """Only with a shared cache: see the module docstring."""
    return not keyset.cache_is_process_local()


def _user_key(user_id: int) -> str:
    return f"messaging:user-version:{user_id}"


def clear() -> None:
    with _lock:
        _messengers.clear()
        _customers.clear()


def versions(user_id: int) -> tuple[str, str] | None:
    """(directory version, user version) in one round trip; None when Redis is unreachable."""
    keys = [DIRECTORY_KEY, _user_key(user_id)]
    try:
        found = cache.get_many(keys)
        missing = [k for k in keys if k not in found]
        for key in missing:  # first use (or after a flush): start a fresh version
            cache.add(key, uuid.uuid4().hex, timeout=None)
        if missing:
            found = cache.get_many(keys)
        return found[DIRECTORY_KEY], found[_user_key(user_id)]
    except Exception:  # Redis down: the callers read the database
        logger.warning("Read-cache versions unavailable: reading the database", exc_info=True)
        return None


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


def customer(user_id: int, tag: tuple[str, str], load):
    """(customer or None, brand ids) of ``user_id`` from memory when tagged ``tag``, else
    ``load()``. The customer is a copy: callers may attach per-request attributes."""
    now = time.monotonic()
    entry = _customers.get(user_id)
    if entry is not None and entry[2] == tag and now - entry[3] < MAX_AGE_SECONDS:
        return copy.copy(entry[0]), entry[1]
    found, brand_ids = load()
    with _lock:
        if len(_customers) >= MAX_ENTRIES:
            _customers.clear()
        _customers[user_id] = (found, frozenset(brand_ids), tag, now)
    return copy.copy(found), frozenset(brand_ids)


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


def _user_changed(sender, instance, **kwargs) -> None:
    bump([_user_key(instance.pk)], using=kwargs.get("using"))


def _customer_changed(sender, instance, **kwargs) -> None:
    bump([_user_key(instance.user_id)], using=kwargs.get("using"))


def _membership_changed(sender, instance, **kwargs) -> None:
    from accounts.models import Customer

    user_id = (
        Customer.objects.filter(pk=instance.customer_id).values_list("user_id", flat=True).first()
    )
    keys = [_user_key(user_id)] if user_id is not None else [DIRECTORY_KEY]
    bump(keys, using=kwargs.get("using"))


def _memberships_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear", "pre_clear"):
        return
    from accounts.models import Customer

    if isinstance(instance, Customer):
        bump([_user_key(instance.user_id)], using=kwargs.get("using"))
    else:  # brand.customers.remove(...): which users is not known after a clear
        bump([DIRECTORY_KEY], using=kwargs.get("using"))


def connect_signals() -> None:
    """Called once from ``MessagingConfig.ready``."""
    from accounts.models import AccountTier, Customer, Membership, User
    from brands.models import Brand, Messenger

    for model in (Messenger, Brand, AccountTier):
        for signal in (post_save, post_delete):
            signal.connect(_directory_changed, sender=model, dispatch_uid=f"readcache.{model}")
    for model, handler in ((User, _user_changed), (Customer, _customer_changed)):
        for signal in (post_save, post_delete):
            signal.connect(handler, sender=model, dispatch_uid=f"readcache.{model}")
    for signal in (post_save, post_delete):
        signal.connect(_membership_changed, sender=Membership, dispatch_uid="readcache.member")
    m2m_changed.connect(
        _memberships_changed, sender=Customer.brands.through, dispatch_uid="readcache.m2m"
    )
