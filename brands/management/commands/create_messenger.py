import json
import sys
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction

from brands import services
from brands.errors import BrandsError
from brands.management.commands._base import bad_input, brand_or_exit, domain_error
from brands.models import OIDC_PLATFORMS, SigningKey
from brands.platforms import platform_get, platform_names


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


class Command(BaseCommand):
    help = (
        "Create a messenger (brand-to-platform mapping). Shared-secret platforms (zendesk, "
        "intercom) read the vendor's secret from standard input (--secret-stdin), never from "
        "the command line. Exit code 2 on bad input, nothing saved."
    )
    stealth_options = ("stdin",)  # call_command(..., stdin=io.StringIO(secret))

    def add_arguments(self, parser):
        parser.add_argument("brand", help="Brand slug")
        parser.add_argument("slug", help="Messenger slug, unique across brands")
        parser.add_argument("--platform", required=True, choices=platform_names())
        parser.add_argument(
            "--label",
            default="",
            help="Name shown to customers in the chat picker (default: the platform's name)",
        )
        parser.add_argument("--audience", default="", help="aud claim (default derived)")
        parser.add_argument("--ttl", type=int, default=300, help="Token lifetime in seconds")
        parser.add_argument(
            "--alg",
            default="",
            choices=["", *SigningKey.Algorithm.values],
            help="Signing algorithm (default: the platform's, HS256 for zendesk and intercom)",
        )
        parser.add_argument(
            "--attributes",
            default=None,
            help="Comma-separated: names,tier,vip,balance,email,customer_since "
            "(default names,tier,vip,balance; an empty string sends none).",
        )
        parser.add_argument("--origins", default="", help="Comma-separated https origins")
        parser.add_argument("--vendor-settings", default="{}", help="JSON object")
        parser.add_argument(
            "--key-id", default="", help="Vendor's id of the shared signing key (Zendesk app_...)"
        )
        parser.add_argument(
            "--secret-stdin",
            action="store_true",
            help="Read the vendor-issued shared secret (at least 32 characters) from stdin",
        )
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
        spec = platform_get(o["platform"])
        if (o["redirect_uris"] or o["require_pkce"]) and o["platform"] not in OIDC_PLATFORMS:
            raise bad_input(
                "--redirect-uri and --require-pkce are for OpenID Connect clients (genesys) only."
            )
        secret = None
        client_secret = ""
        if spec.shared_secret:
            if not o["secret_stdin"]:
                raise bad_input(
                    f"{spec.label} verifies a shared secret: pass --secret-stdin and pipe the "
                    "secret its admin console issued."
                )
            stdin = o.get("stdin") or sys.stdin
            secret = stdin.read().strip("\r\n")
        elif o["secret_stdin"] or o["key_id"]:
            raise bad_input(
                f"{spec.label} verifies the brand's published keys: --secret-stdin and --key-id "
                "apply to zendesk and intercom only."
            )
        try:
            with transaction.atomic():
                messenger = services.messenger_create(
                    brand=brand,
                    slug=o["slug"],
                    platform=o["platform"],
                    label=o["label"],
                    audience=o["audience"],
                    algorithm=o["alg"],
                    token_ttl=timedelta(seconds=o["ttl"]),
                    attributes=None if o["attributes"] is None else _csv(o["attributes"]),
                    allowed_origins=_csv(o["origins"]),
                    vendor_settings=vendor_settings,
                    redirect_uris=o["redirect_uris"],
                    require_pkce=o["require_pkce"],
                )
                if messenger.is_oidc_client:
                    client_secret = services.client_secret_rotate(messenger=messenger)
                if secret is not None:
                    services.messenger_secret_set(
                        messenger=messenger, secret=secret, key_id=o["key_id"]
                    )
        except BrandsError as exc:
            raise domain_error(exc) from exc
        finally:
            secret = None
        self.stdout.write(
            f"Created {spec.label} messenger {messenger.slug} for {brand.slug}: "
            f"audience {messenger.audience}, issuer {messenger.issuer}, "
            + (
                f"HS256 shared secret {messenger.shared_secret_status()}, "
                f"kid {messenger.shared_secret_key_id}"
                if spec.shared_secret
                else f"JWKS {messenger.jwks_url}"
            )
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
