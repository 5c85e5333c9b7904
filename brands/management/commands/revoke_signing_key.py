from django.core.management.base import BaseCommand

from brands import services
from brands.errors import BrandsError
from brands.management.commands._base import bad_input, domain_error
from brands.models import SigningKey


class Command(BaseCommand):
    help = (
        "Revoke a signing key by kid: it leaves every JWKS and stops signing at once, in every "
        "server process, and its private material is erased. Exit code 2 on bad input."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "kid",
            help="The key's kid (see the admin or generate_signing_key); "
            "put -- before a kid that starts with -",
        )
        parser.add_argument("--reason", default="", help="Why (kept with the key)")

    def handle(self, *args, kid, reason, **options):
        key = SigningKey.objects.select_related("brand").filter(kid=kid).first()
        if key is None:
            raise bad_input(f"No signing key with kid {kid!r}.")
        try:
            key = services.signing_key_revoke(key=key, reason=reason)
        except BrandsError as exc:
            raise domain_error(exc) from exc
        self.stdout.write(f"Revoked {key.kid} of {key.brand.slug}.")
