"""Idempotent demo data: tiers, two brands with keys and messengers, customers, one staff user.

Northwind also runs Genesys Cloud (``northwind-genesys``, an OpenID Connect client).

Lives in ``messaging`` because it spans accounts and brands (messaging is the only app that
uses both). Running it twice leaves the same data; it prints the demo logins and, for the demo
only, one unused backup code per account.

Customers are offered one chat per brand, its generic web chat (``<brand>-web``). Besides
it, Northwind Bank gets one demo messenger per vendor
platform of the registry (``northwind-<platform>``, platforms/) with the vendor settings its
profile gives as examples and ``"sandbox": true``, so that locally the Chat button opens
the sandbox chat window, whose platform profile verifies the token as that vendor would.
Zendesk and Intercom verify a shared secret: seed_demo generates one per messenger (once), and
when the sandbox is on (installed and ``SANDBOX_ENABLED``) hands it to the sandbox's
credential store with ``call_command("sandbox_credential", ...)``, as a vendor's admin would
paste it into its console. Secrets are never printed. These and ``northwind-secure`` are
not in the customers' chat picker (``Messenger.in_chat_picker``); ``/?chat=<slug>`` opens them.
"""

import io
import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import AccountTier, AuthenticatorDevice, Customer, Membership, User
from accounts.services import backup_codes_store
from brands import keycache
from brands import services as brand_services
from brands.algorithms import Algorithm
from brands.models import Brand, Messenger, SigningKey
from brands.platforms import PlatformsWhere, vendor_settings_example
from messaging import profiles

DEMO_PASSWORD = "demo-password-2026"

TIERS = [
    # code, name, rank, vip_by_default, is_default
    ("standard", "Standard", 10, False, True),
    ("gold", "Gold", 20, False, False),
    ("platinum", "Platinum", 30, True, False),
]
BRANDS = [("northwind", "Northwind Bank"), ("harbor", "Harbor Health")]
# What customers see (the brand look): logo, colours and the support footer, per brand.
BRAND_LOOKS = {
    "northwind": {
        "logo_url": "/static/brands/northwind.svg",
        "primary_color": "#0e6e63",
        "header_color": "#0b2545",
        "support_phone": "+44 20 7946 0000",
        "support_email": "help@northwind.example",
        "support_url": "https://www.northwind.example/help",
        "support_hours": "Mon-Sat 8:00-20:00",
    },
    "harbor": {
        "logo_url": "/static/brands/harbor.svg",
        "primary_color": "#7a2a8c",
        "header_color": "#3d1247",
        "support_phone": "+44 20 7946 0101",
        "support_email": "care@harbor.example",
        "support_hours": "Every day 7:00-22:00",
    },
}
CUSTOMERS = [
    # username, first, last, tier, vip, balance, currency, since, brands, has backup code
    (
        "alice",
        "Alice",
        "Martin",
        "gold",
        False,
        "2450.75",
        "EUR",
        "2019-03-14",
        ["northwind"],
        True,
    ),
    (
        "bob",
        "Bob",
        "Okafor",
        "platinum",
        True,
        "98000.00",
        "EUR",
        "2011-09-01",
        ["northwind", "harbor"],
        True,
    ),
    (
        "carol",
        "Carol",
        "Nguyen",
        "standard",
        False,
        "120.00",
        "USD",
        "2023-06-30",
        ["harbor"],
        True,
    ),
    (
        "dave",
        "Dave",
        "Rossi",
        "standard",
        False,
        "15.20",
        "EUR",
        "2026-01-05",
        ["northwind"],
        False,
    ),
]
STAFF = ("admin", "Sam", "Staff")
DEMO_ATTRIBUTES = ["names", "tier", "vip", "balance", "customer_since"]
# Where Genesys's Messenger would run; the page plugin hands it to Genesys with each code.
DEMO_REDIRECT_URI = "https://www.northwind.example/support"

# The brand that gets one demo messenger per platform of the registry (platforms/), with
# the vendor settings each profile declares as its examples.
PLATFORM_BRAND = "northwind"


def _sandbox_on() -> bool:
    """The sandbox platform is installed and switched on: only then is it handed secrets."""
    return apps.is_installed("sandbox") and bool(settings.SANDBOX_ENABLED)


class Command(BaseCommand):
    help = (
        "Load demo tiers, brands, keys, messengers, customers and a staff user (idempotent). "
        "Refused outside DEBUG (it prints backup codes and a shared password) unless "
        "--allow-production-demo is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production-demo",
            action="store_true",
            help="Run even though DEBUG is off (a demo server reachable by others).",
        )

    @transaction.atomic
    def handle(self, *args, **opts):
        if not settings.DEBUG and not opts["allow_production_demo"]:
            raise CommandError(
                "seed_demo creates logins with a shared password and prints backup codes; "
                "it refuses to run with DEBUG off. Pass --allow-production-demo to run it "
                "on a demo server anyway.",
                returncode=2,
            )
        for code, name, rank, vip, default in TIERS:
            AccountTier.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "rank": rank,
                    "vip_by_default": vip,
                    "is_default": default,
                },
            )
        brands = {}
        for slug, name in BRANDS:
            brands[slug], _ = Brand.objects.update_or_create(
                slug=slug, defaults={"name": name, "is_active": True, **BRAND_LOOKS[slug]}
            )
        self._brand_setup(brands)
        secure = self._passkey_messenger(brands["northwind"])
        genesys, client_secret = self._oidc_setup(brands[PLATFORM_BRAND])
        handed = self._platform_setup(brands[PLATFORM_BRAND])
        self._one_chat_per_brand(brands)

        logins = []
        for username, first, last, tier, vip, balance, currency, since, slugs, backup in CUSTOMERS:
            user = self._user(username, first, last)
            customer, _ = Customer.objects.update_or_create(
                user=user,
                defaults={
                    "tier": AccountTier.objects.get(code=tier),
                    "is_vip": vip,
                    "balance": Decimal(balance),
                    "currency": currency,
                    "customer_since": date.fromisoformat(since),
                },
            )
            for slug in slugs:
                Membership.objects.get_or_create(customer=customer, brand=brands[slug])
            code = self._backup_code(user) if backup else None
            logins.append((username, customer.customer_id, ", ".join(slugs), code))

        staff = self._user(STAFF[0], STAFF[1], STAFF[2], staff=True)
        logins.append(
            (staff.username, "(staff)", "admin + agent console", self._backup_code(staff))
        )

        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        slugs = ", ".join(Messenger.objects.order_by("slug").values_list("slug", flat=True))
        self.stdout.write(f"Messengers: {slugs}")
        self.stdout.write(
            f"Genesys (OpenID Connect) messenger {genesys.slug}: "
            f"discovery {genesys.brand.discovery_url}"
        )
        self.stdout.write(f"  client_id={genesys.client_id}")
        self.stdout.write(
            f"  client_secret={client_secret}   (DEMO ONLY, shown once)"
            if client_secret
            else f"  client secret: set (rotate_client_secret {genesys.slug} prints a new one)"
        )
        for line in handed:
            self.stdout.write(f"  {line}")
        self.stdout.write(
            f"Messenger {secure.slug} requires a passkey proven within 15 minutes (step-up); "
            "add a passkey on /security/ (open the portal as http://localhost:<port>)."
        )
        self.stdout.write(f"Password for every demo login: {DEMO_PASSWORD}")
        self.stdout.write("DEMO ONLY - backup codes printed so you can log in without an app:")
        for username, ident, where, code in logins:
            second = self._second_factor(username, code)
            self.stdout.write(f"  {username:<6} {ident:<40} {where:<24} {second}")

    def _brand_setup(self, brands: dict[str, Brand]) -> None:
        """One active RS256 key and one generic web messenger per demo brand."""
        for slug, brand in brands.items():
            if not brand.signing_keys.filter(
                state=SigningKey.State.ACTIVE, algorithm=Algorithm.RS256
            ).exists():
                brand_services.signing_key_generate(
                    brand=brand, algorithm=Algorithm.RS256, activate=True
                )
            if not Messenger.objects.filter(slug=f"{slug}-web").exists():
                brand_services.messenger_create(
                    brand=brand,
                    slug=f"{slug}-web",
                    platform="generic",
                    attributes=DEMO_ATTRIBUTES,
                )

    def _one_chat_per_brand(self, brands: dict[str, Brand]) -> None:
        """Customers are offered one chat per brand, its web chat (``<brand>-web``).

        The others stay active and open from a link (``/?chat=<slug>``) or the admin; each is
        labelled for what it is ("Salesforce integration test", "secure chat (passkey)").
        """
        for slug, brand in brands.items():
            for messenger in Messenger.objects.filter(brand=brand):
                offered = messenger.slug == f"{slug}-web"
                label = messenger.label
                if not offered and not label:
                    label = f"{messenger.get_platform_display()} integration test"
                if (messenger.in_chat_picker, messenger.label) != (offered, label):
                    messenger.in_chat_picker = offered
                    messenger.label = label
                    messenger.save(update_fields=["in_chat_picker", "label", "updated_at"])

    def _passkey_messenger(self, brand: Brand) -> Messenger:
        """A sandbox messenger whose policy asks for a passkey proven within 15 minutes."""
        messenger = Messenger.objects.filter(slug=f"{brand.slug}-secure").first()
        if messenger is None:
            messenger = brand_services.messenger_create(
                brand=brand,
                slug=f"{brand.slug}-secure",
                platform="generic",
                attributes=DEMO_ATTRIBUTES,
            )
        messenger.label = messenger.label or "secure chat (passkey)"
        messenger.min_acr = "urn:portal:acr:passkey"
        messenger.max_auth_age = timedelta(minutes=15)
        messenger.save(update_fields=["label", "min_acr", "max_auth_age", "updated_at"])
        return messenger

    def _oidc_setup(self, brand: Brand) -> tuple[Messenger, str]:
        """The demo OpenID Connect messenger (the registry's OIDC platform, Genesys) and, when
        new, its client secret.

        The secret is made once, when the messenger is created, and entered into the sandbox
        platform (as a Genesys administrator would paste it into Genesys Cloud) through the
        sandbox's own command: nothing here imports the sandbox. Later runs change nothing.
        """
        platform = min(PlatformsWhere("oidc"))
        slug = f"{brand.slug}-{platform}"
        messenger = Messenger.objects.filter(slug=slug).first()
        if messenger is not None:
            return messenger, ""
        messenger = brand_services.messenger_create(
            brand=brand,
            slug=slug,
            platform=platform,
            vendor_settings={**vendor_settings_example(platform), "sandbox": True},
            attributes=DEMO_ATTRIBUTES,
            redirect_uris=[DEMO_REDIRECT_URI],
            token_ttl=timedelta(minutes=5),
        )
        secret = brand_services.client_secret_rotate(messenger=messenger)
        if _sandbox_on():
            call_command(
                "sandbox_credential",
                messenger.slug,
                f"--client-id={messenger.client_id}",
                "--secret-stdin",
                stdin=io.StringIO(secret),
                stdout=io.StringIO(),
            )
        return messenger, secret

    def _platform_setup(self, brand: Brand) -> list[str]:
        """One demo messenger per vendor platform on ``brand``; returns what was done."""
        done = []
        for profile in profiles.all_profiles():
            if profile.oidc or profile.open_vendor_settings:
                continue  # the OIDC client is made above; generic messengers are the web chats
            slug = f"{brand.slug}-{profile.platform}"
            messenger = Messenger.objects.filter(slug=slug).first()
            if messenger is None:
                messenger = brand_services.messenger_create(
                    brand=brand,
                    slug=slug,
                    platform=profile.platform,
                    attributes=[*DEMO_ATTRIBUTES, "email"],
                    vendor_settings={**vendor_settings_example(profile.platform), "sandbox": True},
                )
            if not profile.shared_secret:
                continue
            if not messenger.has_shared_secret:
                # what the vendor's console would issue: 256 random bits
                brand_services.messenger_secret_set(
                    messenger=messenger,
                    secret=secrets.token_urlsafe(32),
                    key_id=profile.example_key_id,
                )
            done.append(self._hand_to_sandbox(messenger))
        return done

    def _hand_to_sandbox(self, messenger: Messenger) -> str:
        """Enter the messenger's shared secret into the sandbox platform (when installed)."""
        if not _sandbox_on():
            return f"{messenger.slug}: sandbox off, secret not handed over"
        secret = keycache.messenger_secret(messenger=messenger).key.decode()
        args = [messenger.slug, "--secret-stdin"]
        if profiles.get(messenger.platform).key_id_required:
            args += ["--key-id", messenger.shared_secret_key_id]
        call_command("sandbox_credential", *args, stdin=io.StringIO(secret), stdout=io.StringIO())
        return f"{messenger.slug}: shared secret entered into the sandbox"

    def _user(self, username: str, first: str, last: str, *, staff: bool = False) -> User:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        user.first_name, user.last_name = first, last
        user.email = f"{username}@example.com"
        user.is_staff = user.is_superuser = staff
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.save()
        return user

    def _backup_code(self, user: User) -> str:
        """The login's demo backup code: random, new on every run (the one printed last time
        stops working), stored as a digest like any backup code. It was once an HMAC of
        SECRET_KEY: anyone who knew the public development key could compute the admin's."""
        code = StaticToken.random_token()
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="demo backup", defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        backup_codes_store(device=device, codes=[code])
        return code

    def _second_factor(self, username: str, code: str | None) -> str:
        """What this login's second step really is now (read back, not assumed)."""
        parts = []
        if AuthenticatorDevice.objects.filter(user__username=username, confirmed=True).exists():
            parts.append("authenticator app enrolled")
        if WebAuthnCredential.objects.filter(user__username=username, confirmed=True).exists():
            parts.append("passkey enrolled")
        if code:
            parts.append(f"backup code {code}")
        if not parts:
            return "no device yet: enrolls an authenticator"
        return "; ".join(parts)
