"""Reads of the accounts app used by several callers."""

from accounts.models import Customer, User
from brands.models import Brand


def customer_for_user(user: User) -> Customer | None:
    """The user's customer record with its tier, or None for staff without one."""
    return (
        Customer.objects.select_related("tier", "user").filter(user_id=user.pk).first()
        if user.is_authenticated
        else None
    )


def brands_of_customer(customer: Customer):
    return Brand.objects.filter(memberships__customer=customer, is_active=True).order_by("name")


def user_has_passkey(user) -> bool:
    """Whether ``user`` has a confirmed passkey (django-otp-webauthn credential)."""
    from django_otp_webauthn.models import WebAuthnCredential

    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
