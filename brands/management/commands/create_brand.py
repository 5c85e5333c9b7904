from django.core.management.base import BaseCommand

from brands import services
from brands.errors import BrandsError
from brands.management.commands._base import domain_error


class Command(BaseCommand):
    help = "Create a brand (a token issuer). Exit code 2 on bad input."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="URL identifier, e.g. acme")
        parser.add_argument("--name", required=True, help="Display name")
        parser.add_argument(
            "--issuer", default="", help="Exact iss claim (default <PUBLIC_BASE_URL>/brands/SLUG)"
        )

    def handle(self, *args, slug, name, issuer, **options):
        try:
            brand = services.brand_create(slug=slug, name=name, issuer=issuer)
        except BrandsError as exc:
            raise domain_error(exc) from exc
        self.stdout.write(f"Created brand {brand.slug} ({brand.name}); issuer {brand.issuer_url}")
