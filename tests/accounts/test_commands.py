"""create_customer and seed_demo, as an operator's script would use them."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AccountTier, Customer, Membership, User
from brands.models import Brand, Messenger, SigningKey


@pytest.fixture
def setup(db):
    AccountTier.objects.create(code="standard", name="Standard", rank=10, is_default=True)
    AccountTier.objects.create(code="platinum", name="Platinum", rank=30, vip_by_default=True)
    Brand.objects.create(slug="acme", name="Acme Bank")
    Brand.objects.create(slug="beta", name="Beta Care")


def _create(*args, stdin: str | None = None):
    out = io.StringIO()
    if stdin is not None:
        import sys

        old, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        call_command("create_customer", *args, stdout=out)
    finally:
        if stdin is not None:
            sys.stdin = old
    return out.getvalue().strip()


BASE = ["jdoe", "--email", "j@example.com", "--first-name", "Jane", "--last-name", "Doe"]


def test_create_customer_prints_the_new_public_id(setup):
    printed = _create(
        *BASE,
        "--brand",
        "acme",
        "--brand",
        "beta",
        "--tier",
        "platinum",
        "--balance",
        "1234.56",
        "--currency",
        "usd",
        "--password-stdin",
        stdin="a-very-long-passphrase-1\n",
    )
    customer = Customer.objects.get(user__username="jdoe")
    assert printed == customer.customer_id and printed.startswith("cus_")
    assert customer.balance == Decimal("1234.56") and customer.currency == "USD"
    assert customer.is_vip  # platinum is VIP by default
    assert sorted(customer.brands.values_list("slug", flat=True)) == ["acme", "beta"]
    assert customer.user.check_password("a-very-long-passphrase-1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--brand", "acme", "--tier", "diamond"], "Unknown tier 'diamond'"),
        (["--brand", "nope"], "Unknown brand(s): nope"),
        (["--brand", "acme", "--balance", "12.345"], "at most 2 decimals"),
        (["--brand", "acme", "--balance", "lots"], "is not a decimal number"),
        (["--brand", "acme", "--balance", "NaN"], "finite amount"),
        (["--brand", "acme", "--currency", "EURO"], "3-letter code"),
    ],
)
def test_create_customer_bad_input_exits_2_and_writes_nothing(setup, args, message):
    with pytest.raises(CommandError) as excinfo:
        _create(*BASE, *args)
    assert excinfo.value.returncode == 2
    assert message in str(excinfo.value)
    assert not User.objects.filter(username="jdoe").exists()
    assert Membership.objects.count() == 0


def test_create_customer_refuses_a_malformed_email(setup):
    with pytest.raises(CommandError) as excinfo:
        _create(
            "jdoe",
            "--email",
            "not-an-email",
            "--first-name",
            "J",
            "--last-name",
            "D",
            "--brand",
            "acme",
        )
    assert excinfo.value.returncode == 2 and "E-mail 'not-an-email' is not valid" in str(
        excinfo.value
    )
    assert not User.objects.exists()


def test_create_customer_refuses_a_duplicate_username(setup):
    _create(*BASE, "--brand", "acme")
    with pytest.raises(CommandError) as excinfo:
        _create(
            "JDOE",
            "--email",
            "x@example.com",
            "--first-name",
            "X",
            "--last-name",
            "Y",
            "--brand",
            "beta",
        )
    assert excinfo.value.returncode == 2 and "already taken" in str(excinfo.value)
    assert Customer.objects.count() == 1


def test_seed_demo_twice_gives_the_same_data(db, settings):
    settings.DEBUG = True
    first = io.StringIO()
    call_command("seed_demo", stdout=first)

    def snapshot():
        return (
            sorted(AccountTier.objects.values_list("code", "rank", "vip_by_default")),
            sorted(Brand.objects.values_list("slug", "name")),
            sorted(
                Customer.objects.values_list(
                    "customer_id", "user__username", "tier__code", "balance", "is_vip"
                )
            ),
            sorted(Membership.objects.values_list("customer__user__username", "brand__slug")),
            sorted(User.objects.values_list("username", "is_staff")),
            sorted(Messenger.objects.values_list("slug", "audience", "brand__slug")),
            sorted(SigningKey.objects.values_list("kid", "state")),
        )

    before = snapshot()
    second = io.StringIO()
    call_command("seed_demo", stdout=second)
    assert snapshot() == before
    assert sorted(t[0] for t in before[0]) == ["gold", "platinum", "standard"]
    assert len(before[1]) == 2
    assert [m[0] for m in before[5]] == [
        "harbor-web",
        "northwind-d365",
        "northwind-genesys",
        "northwind-intercom",
        "northwind-liveperson",
        "northwind-salesforce",
        "northwind-secure",  # requires a passkey (step-up)
        "northwind-web",
        "northwind-zendesk",
    ]
    assert [k[1] for k in before[6]] == ["active", "active"]
    # the same logins are printed both times, each with a new random backup code (the one
    # printed before is replaced); the Genesys client secret only the first time (shown once)
    assert "client_secret=" in first.getvalue() and "client_secret=" not in second.getvalue()
    code = re.compile(r"backup code \w+")
    logins = [code.sub("backup code", o.getvalue().split("Password")[1]) for o in (first, second)]
    assert logins[0] == logins[1]
    assert code.findall(first.getvalue()) != code.findall(second.getvalue())
    assert "backup code" in first.getvalue() and "demo-password-2026" in first.getvalue()
