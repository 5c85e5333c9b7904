"""The key-set version is bumped only when a change commits, so no process caches an
uncommitted (or rolled-back) key set."""

import pytest
from django.db import transaction

from brands import keyset, selectors, services


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_bumps_the_version(brand):
    before = keyset.current()
    services.signing_key_generate(brand=brand)
    assert keyset.current() != before


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_does_not_bump_the_version(brand):
    before = keyset.current()
    document = selectors.jwks_document(brand=brand)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.signing_key_generate(brand=brand)
        assert keyset.current() == before  # nothing visible before the commit
        raise RuntimeError("abort")
    assert keyset.current() == before
    assert selectors.jwks_document(brand=brand) is document


@pytest.mark.django_db(transaction=True)
def test_a_lost_version_is_replaced_by_a_fresh_random_one(brand):
    from django.core.cache import cache

    first = keyset.current()
    cache.delete(keyset.CACHE_KEY)
    second = keyset.current()
    assert second != first and keyset.current() == second


@pytest.mark.django_db
def test_inside_the_changing_transaction_readers_see_the_change_uncached(brand):
    """In one transaction (as in a test, or a seed command) a change is read back at once."""
    from brands import keycache

    first = services.signing_key_generate(brand=brand, activate=True)
    assert keyset.changed_in_transaction()
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == first.kid
    second = services.signing_key_generate(brand=brand)
    services.signing_key_activate(key=second, force=True)
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == second.kid
    assert [k["kid"] for k in selectors.jwks_document(brand=brand).keys] == [
        first.kid,
        second.kid,
    ]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_trace_in_the_process_caches(brand):
    from brands import keycache

    active = services.signing_key_generate(brand=brand, activate=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        new = services.signing_key_generate(brand=brand)
        services.signing_key_activate(key=new, force=True)
        assert keycache.signing_key(brand=brand, algorithm="RS256").kid == new.kid
        raise RuntimeError("abort")
    assert not keyset.changed_in_transaction()
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == active.kid
    assert [k["kid"] for k in selectors.jwks_document(brand=brand).keys] == [active.kid]
