from django.core.management.base import BaseCommand

from brands import services
from brands.algorithms import DEFAULT, Algorithm
from brands.errors import BrandsError
from brands.management.commands._base import brand_or_exit, domain_error
from brands.models import KeyStore


class Command(BaseCommand):
    help = (
        "Generate a signing key for a brand; prints its kid. The key is pending (published, "
        "not signing) unless --activate. Exit code 2 on bad input."
    )

    def add_arguments(self, parser):
        parser.add_argument("brand", help="Brand slug")
        parser.add_argument("--alg", default=DEFAULT, choices=Algorithm.values)
        parser.add_argument(
            "--size", type=int, default=None, help="RSA bits: 2048, 3072 (default) or 4096"
        )
        parser.add_argument("--activate", action="store_true", help="Make it the signing key")
        parser.add_argument(
            "--force",
            action="store_true",
            help="With --activate: skip the pre-publication wait (emergency only)",
        )
        parser.add_argument(
            "--no-certificate", action="store_true", help="Do not add a self-signed x5c"
        )
        parser.add_argument(
            "--store",
            choices=KeyStore.values,
            default=None,
            help="Where the private key is made and kept: database (encrypted) or pkcs11 "
            "(generated in the HSM of PKCS11_MODULE, never leaves it). Default: the brand's "
            "key store.",
        )

    def handle(self, *args, brand, alg, size, activate, force, no_certificate, store, **options):
        target = brand_or_exit(brand)
        try:
            key = services.signing_key_generate(
                brand=target,
                algorithm=alg,
                key_size=size,
                certificate=not no_certificate,
                activate=activate,
                force=force,
                store=store,
            )
        except BrandsError as exc:
            raise domain_error(exc) from exc
        if options["verbosity"] >= 2:
            self.stderr.write(
                f"{key.algorithm} key for {target.slug}, {key.key_size} bits, state {key.state}, "
                f"store {key.store}"
            )
        self.stdout.write(key.kid)
