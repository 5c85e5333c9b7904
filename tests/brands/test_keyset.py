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
