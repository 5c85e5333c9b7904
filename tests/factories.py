"""factory-boy factories shared by the test suite."""

from decimal import Decimal

import factory
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.models import AccountTier, AuthenticatorDevice, Customer, Membership, User
from accounts.services import backup_codes_store
from brands.models import Brand

PASSWORD = "a-long-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountTier
        django_get_or_create = ("code",)

    code = "gold"
    name = factory.LazyAttribute(lambda o: o.code.title())
    rank = 20


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"brand{n}")
    name = factory.LazyAttribute(lambda o: f"Brand {o.slug}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)
    tier = factory.SubFactory(TierFactory)
    balance = Decimal("1234.56")
    currency = "EUR"
    is_vip = False


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    customer = factory.SubFactory(CustomerFactory)
    brand = factory.SubFactory(BrandFactory)


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthenticatorDevice

    user = factory.SubFactory(UserFactory)
    name = "authenticator"
    confirmed = True


def backup_device(user, codes=("backup01", "backup02")) -> StaticDevice:
    """A confirmed backup-code device holding ``codes``, stored as the portal stores them."""
    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    backup_codes_store(device=device, codes=list(codes))
    return device
