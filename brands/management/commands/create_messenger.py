import json
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction

from brands import services
from brands.errors import BrandsError
from brands.management.commands._base import bad_input, brand_or_exit, domain_error
from brands.models import OIDC_PLATFORMS, Messenger, SigningKey


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


class Command(BaseCommand):
    help = "Create a messenger (brand-to-platform mapping). Exit code 2 on bad input."

    def add_arguments(self, parser):
        parser.add_argument("brand", help="Brand slug")
        parser.add_argument("slug", help="Messenger slug, unique across brands")
        parser.add_argument("--platform", required=True, choices=Messenger.Platform.values)
        parser.add_argument("--audience", default="", help="aud claim (default derived)")
        parser.add_argument("--ttl", type=int, default=300, help="Token lifetime in seconds")
        parser.add_argument("--alg", default="RS256", choices=SigningKey.Algorithm.values)
        parser.add_argument(
            "--attributes",
            default=None,
            help="Comma-separated: names,tier,vip,balance,email,customer_since "
            "(default names,tier,vip,balance; an empty string sends none).",
        )
        parser.add_argument("--origins", default="", help="Comma-separated https origins")
        parser.add_argument("--vendor-settings", default="{}", help="JSON object")
        parser.add_argument(
            "--redirect-uri",
            action="append",
            default=[],
            dest="redirect_uris",
            help="OpenID Connect clients (genesys): a registered redirect URI (repeatable)",
        )
        parser.add_argument(
            "--require-pkce",
            action="store_true",
            help="OpenID Connect clients: every code must carry a PKCE S256 challenge",
        )

    def handle(self, *args, **o):
        brand = brand_or_exit(o["brand"])
        try:
            vendor_settings = json.loads(o["vendor_settings"])
        except json.JSONDecodeError as exc:
            raise bad_input(f"--vendor-settings is not JSON: {exc.msg}") from exc
        if o["redirect_uris"] and o["platform"] not in OIDC_PLATFORMS:
            raise bad_input("--redirect-uri is only for OpenID Connect platforms (genesys).")
        try:
            with transaction.atomic():
                messenger, client_secret = self._create(brand, o, vendor_settings)
        except BrandsError as exc:
            raise domain_error(exc) from exc
        self.stdout.write(
            f"Created messenger {messenger.slug} for {brand.slug}: audience {messenger.audience}, "
            f"issuer {messenger.issuer}, JWKS {messenger.jwks_url}"
        )
        if client_secret:
            # On their own lines so automation can read them; shown once, stored hashed.
            self.stdout.write(f"discovery_uri={messenger.brand.discovery_url}")
            self.stdout.write(f"client_id={messenger.client_id}")
            self.stdout.write(f"client_secret={client_secret}")
            self.stdout.write(
                "Store the client secret now: it is shown once and cannot be recovered "
                "(rotate_client_secret makes a new one)."
            )

    def _create(self, brand, o, vendor_settings):
        messenger = services.messenger_create(
            brand=brand,
            slug=o["slug"],
            platform=o["platform"],
            audience=o["audience"],
            algorithm=o["alg"],
            token_ttl=timedelta(seconds=o["ttl"]),
            attributes=None if o["attributes"] is None else _csv(o["attributes"]),
            allowed_origins=_csv(o["origins"]),
            vendor_settings=vendor_settings,
            redirect_uris=o["redirect_uris"],
            require_pkce=o["require_pkce"],
        )
        secret = (
            services.client_secret_rotate(messenger=messenger) if messenger.is_oidc_client else ""
        )
        return messenger, secret
