"""Reads of the messaging app: which messengers a customer may chat through."""

from django.db.models import Exists, OuterRef

from accounts.models import Customer, Membership, User
from brands.models import Messenger
from brands.selectors import messenger_get
from config.errors import DomainError
from config.prepared import Prepared
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


def chat_party(
    *, slug: str, user: User, prefetched: dict | None = None
) -> tuple[Customer, Messenger]:
    """The token API's read: the messenger ``slug`` and the user's customer record (with its
    tier; ``customer.user`` is the session's user, which Django loaded for this request).

    The same answers as ``messenger_for_customer(slug=..., customer=customer_for_user(user))``:
    404 for unknown or inactive messengers and brands, 403 ``not_a_member`` for a user who is
    not a customer of the messenger's brand (staff without a customer record included).
    The messenger comes from the per-process copies of ``messaging.readcache`` (exact
    invalidation through the directory version, which the caller may have read already
    with ``readcache.version_keys()``: ``prefetched``) when a shared cache is configured;
    the customer, its tier and whether it belongs to the brand from one prepared query,
    every time.
    """
    if not readcache.enabled():
        version = None
    elif prefetched is not None:
        version = readcache.version_read(prefetched)
    else:
        version = readcache.version()
    if version is None:
        messenger = messenger_get(slug=slug)
    else:
        messenger = readcache.messenger(slug, version, lambda: messenger_get(slug=slug))
    brand_ids = getattr(user, "member_brand_ids", None)
    if brand_ids is not None and User.customer.is_cached(user):
        # Loaded with the session's user (accounts.auth): no query of its own.
        customer = getattr(user, "customer", None)
        is_member = customer is not None and messenger.brand_id in brand_ids
    else:
        customer = _customer_of_brand.first(user.pk, messenger.brand_id)
        is_member = customer is not None and customer.is_member
    if not is_member:
        raise NotAMember(f"You are not a customer of {messenger.brand.name}.")
    customer.user = user
    return customer, messenger


_customer_of_brand = Prepared(
    lambda user_id, brand_id: Customer.objects.select_related("tier")
    .filter(user_id=user_id)
    .annotate(
        is_member=Exists(Membership.objects.filter(customer=OuterRef("pk"), brand_id=brand_id))
    )
)


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
