"""Users, customers, account tiers and brand memberships."""

import secrets
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp_secrets

CUSTOMER_ID_PREFIX = "cus_"
_CURRENCY = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code such as EUR.")


def new_customer_id() -> str:
    """A random public id (``cus_`` + 128 random bits in hex): the token subject."""
    return CUSTOMER_ID_PREFIX + secrets.token_hex(16)


class User(AbstractUser):
    """A person who logs in: a customer of the portal, a staff member, or both.

    Names and e-mail live here (Django's fields); customer data lives on ``Customer``.
    """

    class Meta(AbstractUser.Meta):
        ordering = ["username"]
        swappable = "AUTH_USER_MODEL"


class AccountTier(models.Model):
    """A service level (Standard, Gold, Platinum). Its code is what tokens carry."""

    code = models.SlugField(max_length=30, unique=True, help_text="Stable code sent in tokens.")
    name = models.CharField(max_length=60, help_text="Display name.")
    rank = models.PositiveSmallIntegerField(
        default=0, help_text="Higher ranks are better tiers; used for ordering."
    )
    vip_by_default = models.BooleanField(
        default=False, help_text="New customers in this tier are VIP unless told otherwise."
    )
    is_default = models.BooleanField(
        default=False, help_text="Tier given when none is named. At most one tier is default."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rank", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_tier"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """The customer record: the only source of the claims a token certifies."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="customer")
    customer_id = models.CharField(
        max_length=40,
        unique=True,
        default=new_customer_id,
        editable=False,
        help_text="Public, stable, random id used as the token subject. Never reused.",
    )
    tier = models.ForeignKey(AccountTier, on_delete=models.PROTECT, related_name="customers")
    balance = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0.00"), help_text="Account balance."
    )
    currency = models.CharField(
        max_length=3, default="EUR", validators=[_CURRENCY], help_text="ISO 4217 code."
    )
    is_vip = models.BooleanField(
        "VIP", default=False, help_text="VIP customers get priority routing."
    )
    customer_since = models.DateField(default=timezone.localdate)
    brands = models.ManyToManyField(
        "brands.Brand", through="Membership", related_name="customers", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer_id__startswith=CUSTOMER_ID_PREFIX),
                name="customer_id_prefixed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} ({self.user.get_full_name() or self.user.username})"

    @property
    def first_name(self) -> str:
        return self.user.first_name

    @property
    def last_name(self) -> str:
        return self.user.last_name

    @property
    def email(self) -> str:
        return self.user.email


class Membership(models.Model):
    """A customer belongs to a brand: only then may that brand vouch for them."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="memberships")
    brand = models.ForeignKey("brands.Brand", on_delete=models.CASCADE, related_name="memberships")
    crm_contact_id = models.CharField(
        "CRM contact id",
        max_length=64,
        blank=True,
        validators=[
            RegexValidator(
                r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
                "Enter the record's GUID, e.g. aaaaaaaa-0000-1111-2222-bbbbbbbbbbbb.",
            )
        ],
        help_text="The customer's contact (or account) record id in this brand's CRM, e.g. the "
        "Dataverse contact GUID: platforms that link records by it (Dynamics 365) receive it "
        "as the token's sub. Empty: the public customer id.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer_id", "brand_id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "brand"], name="one_membership_per_brand")
        ]

    def __str__(self) -> str:
        return f"{self.customer.customer_id} @ {self.brand.slug}"


class AuthenticatorDevice(TOTPDevice):
    """A customer's or staff member's authenticator app (TOTP), seed sealed at rest.

    A proxy of django-otp's ``TOTPDevice``: same table, same ``verify_token`` (row lock,
    reuse refusal, throttling), but ``key`` holds the seed sealed under the key-encryption
    keys (``accounts.otp_secrets``) and ``bin_key`` opens it. Rows still in django-otp's hex
    form (before the migration, or written by django-otp's own admin) keep working and are
    sealed at their next save.
    """

    class Meta:
        proxy = True
        verbose_name = "authenticator (TOTP)"

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def bin_key(self) -> bytes:
        return otp_secrets.seed_open(self.key, user_id=self.user_id)

    def save(self, *args, **kwargs):
        sealed = otp_secrets.seed_seal(self.key, user_id=self.user_id)
        if sealed != self.key:
            self.key = sealed
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "key"}
        super().save(*args, **kwargs)
