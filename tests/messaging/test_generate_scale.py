"""``generate_scale`` makes the scale benchmarks' data: customers with devices, brands x keys."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Customer, Membership
from brands.models import Brand, SigningKey


@pytest.mark.django_db
def test_customers_are_generated_with_memberships_and_devices_and_a_progress_bar(capsys):
    call_command("generate_scale", customers=25, brand="bulk", create_brand=True, batch=10)
    out, err = capsys.readouterr()
    assert "25/25 100.0%" in err
    assert "Generated 25 customers of brand bulk." in out
    brand = Brand.objects.get(slug="bulk")
    assert Customer.objects.count() == 25
    assert Membership.objects.filter(brand=brand).count() == 25
    customer = Customer.objects.select_related("user").first()
    assert customer.user.totpdevice_set.get().confirmed
    assert not customer.user.has_usable_password()


@pytest.mark.django_db
def test_brands_get_one_active_key_and_retired_ones():
    call_command("generate_scale", brands=2, keys=3, no_progress=True, stdout=io.StringIO())
    for brand in Brand.objects.filter(slug__startswith="scale-"):
        keys = SigningKey.objects.filter(brand=brand)
        assert keys.count() == 3
        assert keys.filter(state="active", algorithm="RS256").count() == 1
        assert keys.filter(state="retired").count() == 2
        assert brand.messengers.count() == 1


@pytest.mark.parametrize(
    "options",
    [{}, {"customers": 5}, {"customers": -1, "brand": "x"}, {"brands": 1, "keys": 0}],
)
def test_bad_input_exits_2_with_a_message(options):
    with pytest.raises(CommandError) as raised:
        call_command("generate_scale", **options)
    assert raised.value.returncode == 2
    assert str(raised.value)


@pytest.mark.django_db
def test_an_unknown_brand_exits_2_and_creates_nothing():
    # given no brand "nobrand" (a typo of an existing one)
    Brand.objects.create(slug="northwind", name="Northwind Bank")
    # when customers are asked for it without --create-brand
    with pytest.raises(CommandError) as raised:
        call_command("generate_scale", customers=3, brand="nobrand", no_progress=True)
    # then the command exits 2, names the brand, the known ones and the way to create it
    assert raised.value.returncode == 2
    assert "Unknown brand 'nobrand' (known: northwind)" in str(raised.value)
    assert "--create-brand" in str(raised.value)
    assert not Brand.objects.filter(slug="nobrand").exists()
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_customers_of_an_existing_brand_need_no_create_flag():
    Brand.objects.create(slug="northwind", name="Northwind Bank")
    out = io.StringIO()
    call_command("generate_scale", customers=2, brand="northwind", no_progress=True, stdout=out)
    assert "Generated 2 customers of brand northwind." in out.getvalue()
    assert Brand.objects.get(slug="northwind").name == "Northwind Bank"
