"""Reads of the accounts app used by several callers."""

from accounts.models import Customer, User
from brands.models import Brand


def customer_for_user(user: User) -> Customer | None:
    """The user's customer record with its tier, or None for staff without one.

    The session's user comes with it (``accounts.auth``): then no query."""
    if not user.is_authenticated:
        return None
    if User.customer.is_cached(user):
        return getattr(user, "customer", None)
    return Customer.objects.select_related("tier", "user").filter(user_id=user.pk).first()


def brands_of_customer(customer: Customer):
    return Brand.objects.filter(memberships__customer=customer, is_active=True).order_by("name")


def portal_brand_for_user(user: User) -> Brand | None:
    """The brand whose look the portal wears for ``user``, or None for the neutral look.

    Only after both login steps (the second-step page must not reveal who is logging in),
    and only when the customer belongs to exactly one active brand: a customer of several
    brands sees the neutral portal.
    """
    is_verified = getattr(user, "is_verified", None)  # set by django-otp's middleware
    if not (user.is_authenticated and callable(is_verified) and is_verified()):
        return None
    brands = list(Brand.objects.filter(memberships__customer__user=user, is_active=True)[:2])
    return brands[0] if len(brands) == 1 else None


def user_has_passkey(user) -> bool:
    """Whether ``user`` has a confirmed passkey (django-otp-webauthn credential)."""
    from django_otp_webauthn.models import WebAuthnCredential

    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
