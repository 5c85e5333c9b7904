"""``config.prepared``: a lookup compiled once answers exactly what the queryset answers
(the token path), on SQLite and on PostgreSQL, in any thread."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer, Membership
from config.prepared import Prepared

_customer_with_tier = Prepared(
    lambda user_id, brand_id: Customer.objects.select_related("tier")
    .filter(user_id=user_id)
    .annotate(
        is_member=Exists(Membership.objects.filter(customer=OuterRef("pk"), brand_id=brand_id))
    )
)


@pytest.mark.django_db
def test_it_returns_the_orm_object_with_related_rows_and_annotations(customer, brand):
    customer.balance = Decimal("1234.56")
    customer.save()
    expected = Customer.objects.select_related("tier").get(pk=customer.pk)

    found = _customer_with_tier.first(customer.user_id, brand.pk)

    assert found == expected
    assert found.is_member is True
    assert found.balance == Decimal("1234.56")  # converters applied (SQLite stores text)
    assert found.customer_since == expected.customer_since
    assert found.created_at == expected.created_at and found.created_at.tzinfo is not None
    with CaptureQueriesContext(connection) as reads:
        assert found.tier.code == expected.tier.code  # select_related: no second query
    assert reads.captured_queries == []


@pytest.mark.django_db
def test_the_keys_change_between_calls(customer, brand, other_messenger):
    assert _customer_with_tier.first(customer.user_id, other_messenger.brand_id).is_member is False
    assert _customer_with_tier.first(customer.user_id, brand.pk).is_member is True
    assert _customer_with_tier.first(customer.user_id + 1000, brand.pk) is None


@pytest.mark.django_db(transaction=True)
def test_another_thread_compiles_its_own_and_gets_the_same_answer(customer, brand):
    assert _customer_with_tier.first(customer.user_id, brand.pk).pk == customer.pk
    found = []

    def other():
        try:
            found.append(_customer_with_tier.first(customer.user_id, brand.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert found and found[0].pk == customer.pk


def test_a_key_the_query_does_not_take_exactly_once_is_refused():
    twice = Prepared(lambda pk: Customer.objects.filter(pk=pk) | Customer.objects.filter(pk=pk))
    with pytest.raises(ValueError, match="exactly once"):
        twice.first(1)
    with pytest.raises(TypeError):
        _customer_with_tier.first(1)
