"""Reads of the messaging app: which messengers a customer may chat through."""

from django.db.models import Exists, OuterRef

from accounts.models import Customer, Membership, User
from brands.models import Messenger
from brands.selectors import messenger_get
from config.errors import DomainError


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
    tier and the user already loaded by the session), in two queries.

    The same answers as ``messenger_for_customer(slug=..., customer=customer_for_user(user))``
    (404 for unknown or inactive messengers and brands, 403 ``not_a_member`` for a user who is
    not a customer of the messenger's brand, staff without a customer record included), read
    fresh from the database on every call, so a removed membership, a deactivated messenger
    or brand and a changed customer record take effect on the next request.
    """
    messenger = messenger_get(slug=slug)
    customer = (
        Customer.objects.select_related("tier")
        .filter(user_id=user.pk)
        .annotate(
            is_member=Exists(
                Membership.objects.filter(customer_id=OuterRef("pk"), brand_id=messenger.brand_id)
            )
        )
        .first()
    )
    if customer is None or not customer.is_member:
        raise NotAMember(f"You are not a customer of {messenger.brand.name}.")
    customer.user = user  # the session's user, loaded once per request by Django
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
