"""``manage.py generate_scale``: customers, brands and keys in bulk, for the scale benchmarks.

``--customers N --brand SLUG [--create-brand]``
    N customers of brand SLUG (an existing brand; ``--create-brand`` creates it if missing,
    as the benchmarks do: a mistyped slug must not become a new brand silently), each with a
    user (no usable password), a membership and a confirmed authenticator device, so the
    benchmark can open verified sessions for any of them. Inserted in batches
    (``bulk_create``), with a progress bar.
``--brands B --keys K``
    B extra brands (``scale-001`` ...) each with one generic messenger, one active RS256 key
    and K - 1 retired ES256 keys (published, not signing), so the key table holds B x K rows.

Both can be given at once. Exit 2 on bad input. Nothing here is for production data: the
customers cannot log in with a password and their authenticator seeds are random.
"""

from __future__ import annotations

import io
import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccountTier, Customer, Membership, User
from brands import keyset
from brands import services as brand_services
from brands.models import Brand, SigningKey
from messaging.management.progress import ProgressBar


class Command(BaseCommand):
    help = "Generate customers (with devices) and brands x keys in bulk for the scale benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=0, help="How many customers")
        parser.add_argument("--brand", default="", help="Brand slug of the customers")
        parser.add_argument(
            "--create-brand", action="store_true", help="Create the --brand if it does not exist"
        )
        parser.add_argument("--prefix", default="scale", help="Username prefix")
        parser.add_argument("--brands", type=int, default=0, help="How many extra brands")
        parser.add_argument("--keys", type=int, default=1, help="Keys per extra brand")
        parser.add_argument("--batch", type=int, default=5000, help="Rows per insert batch")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args, **o):
        if o["customers"] < 0 or o["brands"] < 0 or o["keys"] < 1 or o["batch"] < 1:
            raise CommandError("Counts must be positive (--keys at least 1).", returncode=2)
        if not o["customers"] and not o["brands"]:
            raise CommandError("Nothing to do: give --customers and/or --brands.", returncode=2)
        if o["customers"] and not o["brand"]:
            raise CommandError("--customers needs --brand SLUG.", returncode=2)
        if (
            o["customers"]
            and not o["create_brand"]
            and not Brand.objects.filter(slug=o["brand"]).exists()
        ):
            known = ", ".join(Brand.objects.order_by("slug").values_list("slug", flat=True)[:10])
            raise CommandError(
                f"Unknown brand {o['brand'][:100]!r} (known: {known or 'none'}); "
                "pass --create-brand to create it.",
                returncode=2,
            )
        stream = io.StringIO() if o["no_progress"] else None  # None: the process's stderr
        if o["customers"]:
            self._customers(o["customers"], o["brand"], o["prefix"], o["batch"], stream)
        if o["brands"]:
            self._brands(o["brands"], o["keys"], stream)

    def _customers(self, count: int, slug: str, prefix: str, batch: int, stream) -> None:
        brand, _ = Brand.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
        tier = AccountTier.objects.filter(is_default=True).first()
        if tier is None:
            tier, _ = AccountTier.objects.get_or_create(
                code="standard", defaults={"name": "Standard", "rank": 10, "is_default": True}
            )
        start = User.objects.filter(username__startswith=f"{prefix}-").count()
        made = 0
        with ProgressBar(count, "customers", stream=stream) as bar:
            while made < count:
                n = min(batch, count - made)
                numbers = range(start + made, start + made + n)
                with transaction.atomic():
                    users = User.objects.bulk_create(
                        [
                            User(
                                username=f"{prefix}-{i:07d}",
                                email=f"{prefix}-{i:07d}@example.com",
                                first_name="Scale",
                                last_name=f"Customer {i}",
                                password="!" + secrets.token_urlsafe(12),
                            )
                            for i in numbers
                        ]
                    )
                    customers = Customer.objects.bulk_create(
                        [Customer(user=u, tier=tier, balance="100.00") for u in users]
                    )
                    Membership.objects.bulk_create(
                        [Membership(customer=c, brand=brand) for c in customers]
                    )
                    TOTPDevice.objects.bulk_create(
                        [TOTPDevice(user=u, name="generated", confirmed=True) for u in users]
                    )
                made += n
                bar.advance(n)
        self.stdout.write(f"Generated {made} customers of brand {slug}.")

    def _brands(self, count: int, keys: int, stream) -> None:
        first = Brand.objects.filter(slug__startswith="scale-").count() + 1
        with ProgressBar(count * keys, "keys", stream=stream) as bar:
            for number in range(first, first + count):
                brand = Brand.objects.create(slug=f"scale-{number:03d}", name=f"Scale {number}")
                brand_services.messenger_create(
                    brand=brand, slug=f"scale-{number:03d}-web", platform="generic"
                )
                retired = []
                for _ in range(keys - 1):
                    key = brand_services.signing_key_generate(
                        brand=brand, algorithm="ES256", certificate=False
                    )
                    retired.append(key.pk)
                    bar.advance(1)
                with transaction.atomic():
                    # A generator's shortcut: straight to "retired" (published, not signing).
                    SigningKey.objects.filter(pk__in=retired).update(
                        state=SigningKey.State.RETIRED, retired_at=timezone.now()
                    )
                    keyset.changed()
                brand_services.signing_key_generate(
                    brand=brand, algorithm="RS256", key_size=2048, certificate=False, activate=True
                )
                bar.advance(1)
        self.stdout.write(f"Generated {count} brands with {keys} keys each.")
