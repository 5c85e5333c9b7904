"""Reads of the messaging app: which messengers a customer may chat through."""

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.db.models import Value

from accounts.models import Customer, Membership, User
from brands.models import Messenger
from brands.selectors import messenger_get
from config.errors import DomainError
from messaging import readcache


class NotAMember(DomainError):
    code = "not_a_member"
    http_status = 403


def messenger_for_customer(*, slug: str, customer: Customer | None) -> Messenger:
    """The active messenger ``slug`` of an active brand the customer belongs to.

    Inactive messengers and brands look exactly like unknown ones (404) so their existence
    is not disclosed. Raises ``UnknownMessenger`` or ``NotAMember``.
    """
    messenger = messenger_get(slug=slug)
    if customer is None or not customer.memberships.filter(brand_id=messenger.brand_id).exists():
        raise NotAMember(f"You are not a customer of {messenger.brand.name}.")
    return messenger


def chat_party(*, slug: str, user: User) -> tuple[Customer, Messenger]:
    """The token API's read: the messenger ``slug`` and the user's customer record (with its
    tier; ``customer.user`` is the session's user, which Django loaded for this request).

    The same answers as ``messenger_for_customer(slug=..., customer=customer_for_user(user))``:
    404 for unknown or inactive messengers and brands, 403 ``not_a_member`` for a user who is
    not a customer of the messenger's brand (staff without a customer record included).
    From the per-process copies of ``messaging.readcache`` (exact invalidation through
    versions in Redis: one round trip) when a shared cache is configured, else two queries.
    """
    tag = readcache.versions(user.pk) if readcache.enabled() else None
    if tag is None:
        messenger = messenger_get(slug=slug)
        customer, brand_ids = _customer_and_brands(user.pk)
    else:
        messenger = readcache.messenger(slug, tag[0], lambda: messenger_get(slug=slug))
        customer, brand_ids = readcache.customer(
            user.pk, tag, lambda: _customer_and_brands(user.pk)
        )
    if customer is None or messenger.brand_id not in brand_ids:
        raise NotAMember(f"You are not a customer of {messenger.brand.name}.")
    customer.user = user
    return customer, messenger


def _customer_and_brands(user_id: int) -> tuple[Customer | None, frozenset[int]]:
    """The user's customer record (with its tier) and its brands' ids, in one query."""
    customer = (
        Customer.objects.select_related("tier")
        .filter(user_id=user_id)
        .annotate(brand_ids=ArrayAgg("memberships__brand_id", default=Value([])))
        .first()
        if connection.vendor == "postgresql"
        else Customer.objects.select_related("tier").filter(user_id=user_id).first()
    )
    if customer is None:
        return None, frozenset()
    if connection.vendor == "postgresql":
        brand_ids = frozenset(i for i in customer.brand_ids if i is not None)
    else:
        brand_ids = frozenset(
            Membership.objects.filter(customer=customer).values_list("brand_id", flat=True)
        )
    return customer, brand_ids


def messengers_for_customer(customer: Customer) -> list[Messenger]:
    return list(
        Messenger.objects.select_related("brand")
        .filter(
            is_active=True,
            brand__is_active=True,
            brand__memberships__customer=customer,
        )
        .order_by("brand__name", "slug")
    )
