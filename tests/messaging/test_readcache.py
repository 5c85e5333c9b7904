"""The token API's per-process copies (``messaging.readcache``: the messenger) never outlive
a change, and what is not copied (the customer, its tier, its memberships) is read each time:
a removed membership, a deactivated messenger or brand, or a changed customer record is seen
by the very next request. Across processes: tests/faults/.

The copies are on only with a shared cache; here they are switched on whatever the cache, so
these tests exercise them on SQLite + local memory too (one process shares its local cache).
"""

import base64
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from messaging import readcache

TOKEN_API = "/api/v1/messaging/token"


@pytest.fixture(autouse=True)
def _cache_on(monkeypatch):
    monkeypatch.setattr(readcache, "enabled", lambda: True)
    readcache.clear()
    yield
    readcache.clear()


def _post(client, messenger):
    return client.post(TOKEN_API, {"messenger": messenger.slug}, content_type="application/json")


def _claims(response) -> dict:
    return json.loads(base64.urlsafe_b64decode(response.json()["token"].split(".")[1] + "=="))


@pytest.mark.django_db
def test_the_second_request_reads_the_customer_but_not_the_messenger(verified_client, messenger):
    with CaptureQueriesContext(connection) as first:
        assert _post(verified_client, messenger).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert _post(verified_client, messenger).status_code == 200
    assert "brands_messenger" in " ".join(q["sql"] for q in first.captured_queries)
    reads = [
        q["sql"]
        for q in second.captured_queries
        if q["sql"].startswith("SELECT") and "django_session" not in q["sql"]
    ]
    assert not any("brands_messenger" in sql for sql in reads)
    # The session's user comes with its customer, tier, device and (PostgreSQL) brand ids;
    # elsewhere the membership of the brand is one more query.
    assert all(table in reads[0] for table in ("accounts_customer", "otp_totp_totpdevice"))
    assert not any("otp_totp_totpdevice" in sql for sql in reads[1:])
    assert len([sql for sql in reads if "accounts_customer" in sql]) == 1
    membership_reads = [sql for sql in reads[1:] if "accounts_membership" in sql]
    assert len(membership_reads) == (0 if connection.vendor == "postgresql" else 1)


@pytest.mark.django_db
def test_a_removed_membership_refuses_the_next_request(verified_client, messenger, customer):
    assert _post(verified_client, messenger).status_code == 200
    Membership.objects.filter(customer=customer).delete()
    response = _post(verified_client, messenger)
    assert response.status_code == 403
    assert response.json()["error"] == "not_a_member"


@pytest.mark.django_db
def test_a_membership_removed_through_the_relation_refuses_the_next_request(
    verified_client, messenger, customer, brand
):
    assert _post(verified_client, messenger).status_code == 200
    customer.brands.remove(brand)
    assert _post(verified_client, messenger).json()["error"] == "not_a_member"


@pytest.mark.django_db
def test_a_deactivated_messenger_is_unknown_at_the_next_request(verified_client, messenger):
    assert _post(verified_client, messenger).status_code == 200
    messenger.is_active = False
    messenger.save()
    response = _post(verified_client, messenger)
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_messenger"


@pytest.mark.django_db
def test_a_deactivated_brand_is_unknown_at_the_next_request(verified_client, messenger, brand):
    assert _post(verified_client, messenger).status_code == 200
    brand.is_active = False
    brand.save()
    assert _post(verified_client, messenger).json()["error"] == "unknown_messenger"


@pytest.mark.django_db
def test_a_changed_balance_and_tier_are_certified_at_the_next_request(
    verified_client, messenger, customer
):
    assert _post(verified_client, messenger).status_code == 200
    customer.balance = Decimal("987.65")
    customer.save()
    assert _claims(_post(verified_client, messenger))["accountBalance"] == "987.65"
    customer.tier.code = "diamond"
    customer.tier.save()
    assert _claims(_post(verified_client, messenger))["accountTier"] == "diamond"


@pytest.mark.django_db
def test_a_messenger_change_fails_when_the_shared_cache_cannot_take_it(
    verified_client, messenger, monkeypatch
):
    # given a warm copy
    assert _post(verified_client, messenger).status_code == 200

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    # when the version cannot be replaced, the deactivation itself fails (nothing changes unseen)
    monkeypatch.setattr(cache, "set_many", down)
    messenger.is_active = False
    with pytest.raises(ConnectionError), transaction.atomic():
        messenger.save()
    monkeypatch.undo()
    monkeypatch.setattr(readcache, "enabled", lambda: True)
    messenger.refresh_from_db()
    assert messenger.is_active
    assert _post(verified_client, messenger).status_code == 200


@pytest.mark.django_db
def test_with_redis_a_token_request_makes_two_round_trips_to_it(
    verified_client, messenger, monkeypatch
):
    """The session read, then the throttles together with the messenger and key-set versions
    (``TokenThrottle``'s script): nothing else goes to Redis on a warm request."""
    from config import throttling_redis

    if not throttling_redis.enabled():
        pytest.skip("needs Redis (REDIS_URL)")
    import redis

    assert _post(verified_client, messenger).status_code == 200  # warm: copies made
    commands = []
    original = redis.Redis.execute_command

    def counting(self, *args, **kwargs):
        commands.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    assert _post(verified_client, messenger).status_code == 200
    assert commands == ["GET", "EVALSHA"]
