"""Reads of the messaging app: which messengers a customer may chat through."""

from accounts.models import Customer, User
from accounts.selectors import customer_for_user
from brands.models import Messenger
from brands.selectors import messenger_get
from config import fastpath
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
    The messenger comes from the per-process copies of ``messaging.readcache`` (exact
    invalidation through the directory version, which the request may have read ahead with
    ``readcache.version_keys()``: ``config.fastpath.read_ahead_values``) when a shared cache
    is configured.
    The customer and its tier come with the session's user (``accounts.auth``), on
    PostgreSQL with the ids of its brands; elsewhere the membership is one query.
    """
    ahead = fastpath.read_ahead_values()
    if not readcache.enabled():
        version = None
    elif ahead is not None:
        version = readcache.version_read(ahead)
    else:
        version = readcache.version()
    if version is None:
        messenger = messenger_get(slug=slug)
    else:
        messenger = readcache.messenger(slug, version, lambda: messenger_get(slug=slug))
    customer = customer_for_user(user)
    brand_ids = getattr(user, "member_brand_ids", None)
    if customer is None or not (
        messenger.brand_id in brand_ids
        if brand_ids is not None
        else customer.memberships.filter(brand_id=messenger.brand_id).exists()
    ):
        raise NotAMember(f"You are not a customer of {messenger.brand.name}.")
    customer.user = user
    return customer, messenger


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
