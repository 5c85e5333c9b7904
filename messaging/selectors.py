"""Reads of the messaging app: which messengers a customer may chat through."""

from accounts.models import Customer
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
