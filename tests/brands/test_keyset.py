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
def test_a_rolled_back_change_does_not_bump_the_version(brand, settings):
    settings.BRANDS_KEYSET_STORE = "database"  # in Redis it moves before the commit (below)
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
    first = keyset.current()
    keyset.store().delete()
    second = keyset.current()
    assert second != first and keyset.current() == second


@pytest.mark.django_db(transaction=True)
def test_in_redis_a_rolled_back_change_moves_the_version_but_publishes_nothing(brand, settings):
    settings.BRANDS_KEYSET_STORE = "cache"
    kept = services.signing_key_generate(brand=brand, activate=True)
    before = keyset.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.signing_key_generate(brand=brand)
        assert keyset.current() != before  # moved before the commit: Redis was writable
        raise RuntimeError("abort")
    assert [k["kid"] for k in selectors.jwks_document(brand=brand).keys] == [kept.kid]


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


class _BrokenCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            from redis.exceptions import ConnectionError as RedisDown

            raise RedisDown("redis is down")

        return fail


@pytest.mark.django_db(transaction=True)
def test_a_shared_cache_outage_degrades_to_database_reads_not_500(brand, monkeypatch, settings):
    from django.test import Client

    settings.BRANDS_KEYSET_STORE = "cache"  # the version in Redis, which then fails
    from brands import keycache

    active = services.signing_key_generate(brand=brand, activate=True)
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == active.kid
    monkeypatch.setattr(keyset, "cache", _BrokenCache())
    # signing still works (the decrypted key comes from memory, the active kid from the DB)
    assert keyset.current() is None
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == active.kid
    response = Client().get("/brands/acme/.well-known/jwks.json")
    assert response.status_code == 200 and active.kid in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_key_change_is_refused_while_the_shared_cache_cannot_learn_of_it(
    brand, monkeypatch, settings
):
    """Fail closed: committed unseen, a revocation would leave other servers signing with
    the key once Redis is back with the old version."""
    from brands import keycache
    from brands.errors import KeySetUnavailable
    from brands.models import SigningKey

    settings.BRANDS_KEYSET_STORE = "cache"
    active = services.signing_key_generate(brand=brand, activate=True)
    before = keyset.current()
    real = keyset.cache
    monkeypatch.setattr(keyset, "cache", _BrokenCache())
    with pytest.raises(KeySetUnavailable) as refused:
        services.signing_key_revoke(key=active)
    assert refused.value.http_status == 503 and "nothing was changed" in refused.value.detail
    assert SigningKey.objects.get(pk=active.pk).state == SigningKey.State.ACTIVE
    # back: the same revocation goes through and every reader knows at once
    monkeypatch.setattr(keyset, "cache", real)
    assert keyset.current() == before
    services.signing_key_revoke(key=active)
    assert keyset.current() != before
    with pytest.raises(Exception) as caught:
        keycache.signing_key(brand=brand, algorithm="RS256")
    assert getattr(caught.value, "code", None) == "no_signing_key"


@pytest.mark.django_db(transaction=True)
def test_the_revoke_command_exits_2_while_the_shared_cache_is_unreachable(
    brand, monkeypatch, settings
):
    from django.core.management import CommandError, call_command

    settings.BRANDS_KEYSET_STORE = "cache"
    active = services.signing_key_generate(brand=brand, activate=True)
    monkeypatch.setattr(keyset, "cache", _BrokenCache())
    with pytest.raises(CommandError) as failed:
        call_command("revoke_signing_key", "--", active.kid)
    assert failed.value.returncode == 2 and "Redis" in str(failed.value)


@pytest.mark.django_db(transaction=True)
def test_a_brand_edit_is_refused_too_and_pages_answer_503_for_it(brand, monkeypatch, settings):
    """Brand rows reach the version through a model signal; inside the admin's transaction
    the refusal rolls the edit back, and a page that lets it escape answers 503, not 500."""
    from brands.errors import KeySetUnavailable
    from brands.models import Brand
    from config.api_guard import _unavailable

    settings.BRANDS_KEYSET_STORE = "cache"
    monkeypatch.setattr(keyset, "cache", _BrokenCache())
    with pytest.raises(KeySetUnavailable) as refused, transaction.atomic():
        brand.name = "Renamed"
        brand.save()
    assert Brand.objects.get(pk=brand.pk).name == "Acme Bank"
    assert _unavailable(refused.value)  # config.outage: 503 page; config.api_guard: 503 JSON


@pytest.mark.django_db(transaction=True)
def test_a_lost_bump_is_bounded_by_the_maximum_staleness(brand, monkeypatch):
    from brands import keycache

    first = services.signing_key_generate(brand=brand, activate=True)
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == first.kid
    assert selectors.jwks_document(brand=brand).keys[0]["kid"] == first.kid
    # the bump after the next change is lost (cache outage at commit time)
    monkeypatch.setattr(keyset, "_bump", lambda: None)
    second = services.signing_key_generate(brand=brand)
    services.signing_key_activate(key=second, force=True)
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == first.kid  # stale
    monkeypatch.setattr(keyset, "MAX_STALENESS_SECONDS", 0)
    assert keycache.signing_key(brand=brand, algorithm="RS256").kid == second.kid
    assert len(selectors.jwks_document(brand=brand).keys) == 2


@pytest.mark.django_db
def test_inside_a_changing_transaction_the_key_is_still_decrypted_only_once(brand, monkeypatch):
    from brands import keycache, keymaterial

    services.signing_key_generate(brand=brand, activate=True)
    calls = []
    original = keymaterial.load_private_bytes
    monkeypatch.setattr(
        keymaterial, "load_private_bytes", lambda *a: calls.append(1) or original(*a)
    )
    assert keyset.changed_in_transaction()
    for _ in range(50):
        keycache.signing_key(brand=brand, algorithm="RS256")
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_secret_never_stands_in_for_a_committed_one_with_the_same_kid(brand):
    from brands import keycache

    with pytest.raises(RuntimeError), transaction.atomic():
        key = services.signing_key_import_secret(brand=brand, secret="a" * 32, kid="app_1")
        services.signing_key_activate(key=key)
        assert keycache.signing_key(brand=brand, algorithm="HS256").key == b"a" * 32
        raise RuntimeError("abort")
    key = services.signing_key_import_secret(brand=brand, secret="b" * 32, kid="app_1")
    services.signing_key_activate(key=key)
    assert keycache.signing_key(brand=brand, algorithm="HS256").key == b"b" * 32


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "where, before_commit", [("database", 0), ("cache", 1)], ids=["database", "redis"]
)
def test_a_transaction_that_changes_many_keys_moves_the_version_once_more_at_commit(
    brand, monkeypatch, settings, where, before_commit
):
    """In Redis the first change also moves it at once (a cache that cannot be written
    refuses the change); in the database store the bump is only at the commit."""
    settings.BRANDS_KEYSET_STORE = where
    bumps = []
    original = keyset._bump
    monkeypatch.setattr(keyset, "_bump", lambda: bumps.append(1) or original())
    with transaction.atomic():
        first = services.signing_key_generate(brand=brand, activate=True)  # saves twice
        second = services.signing_key_generate(brand=brand)
        services.signing_key_activate(key=second, force=True)  # retires the first
        services.signing_key_revoke(key=first)
        assert len(bumps) == before_commit
    assert len(bumps) == before_commit + 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_no_longer_counts_as_a_change(brand):
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.signing_key_generate(brand=brand)
            assert keyset.changed_in_transaction()
            raise RuntimeError("abort the savepoint")
        assert not keyset.changed_in_transaction()
        services.signing_key_generate(brand=brand)
        assert keyset.changed_in_transaction()
    assert not keyset.changed_in_transaction()


@pytest.mark.django_db(transaction=True)
def test_editing_a_brand_moves_the_version(brand):
    before = keyset.current()
    brand.name = "Acme Renamed"
    brand.save()
    assert keyset.current() != before


class _CountingCache:
    """The real cache, counting the version's reads."""

    def __init__(self, real):
        self.real, self.reads = real, 0

    def get(self, key, *args, **kwargs):
        self.reads += key == keyset.CACHE_KEY
        return self.real.get(key, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture
def counted_version(monkeypatch, settings):
    settings.BRANDS_KEYSET_STORE = "cache"  # the production layout: the version in Redis
    counting = _CountingCache(keyset.cache)
    monkeypatch.setattr(keyset, "cache", counting)
    keyset.forget_recent()
    return counting


def _jwks_kids(client, brand) -> list[str]:
    response = client.get(f"/brands/{brand.slug}/.well-known/jwks.json")
    assert response.status_code == 200
    return [k["kid"] for k in response.json()["keys"]]


@pytest.mark.django_db(transaction=True)
def test_the_public_documents_read_the_shared_version_at_most_once_per_lag(
    client, brand, counted_version, monkeypatch
):
    monkeypatch.setattr(keyset, "PUBLISHED_LAG_SECONDS", 30)
    key = services.signing_key_generate(brand=brand, activate=True)
    for _ in range(5):
        assert _jwks_kids(client, brand) == [key.kid]
        discovery = client.get(f"/brands/{brand.slug}/.well-known/openid-configuration")
        assert discovery.json()["issuer"].endswith(brand.slug)
    assert counted_version.reads == 1


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_here_is_published_at_once_despite_the_lag(
    client, brand, counted_version, monkeypatch
):
    monkeypatch.setattr(keyset, "PUBLISHED_LAG_SECONDS", 30)
    key = services.signing_key_generate(brand=brand, activate=True)
    assert _jwks_kids(client, brand) == [key.kid]
    services.signing_key_revoke(key=key)
    assert _jwks_kids(client, brand) == []


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_server_is_published_within_the_lag(
    client, brand, counted_version, monkeypatch
):
    import time

    monkeypatch.setattr(keyset, "PUBLISHED_LAG_SECONDS", 0.3)
    key = services.signing_key_generate(brand=brand, activate=True)
    assert _jwks_kids(client, brand) == [key.kid]
    # another server revokes: the rows change and the shared version moves, but this
    # process's own bump never runs
    monkeypatch.setattr(keyset, "forget_recent", lambda: None)
    services.signing_key_revoke(key=key)
    assert _jwks_kids(client, brand) == [key.kid]  # still inside the lag
    time.sleep(0.35)
    assert _jwks_kids(client, brand) == []
