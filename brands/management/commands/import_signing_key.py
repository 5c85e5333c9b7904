import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from brands import services
from brands.algorithms import ASYMMETRIC, DEFAULT
from brands.errors import BrandsError
from brands.management.commands._base import bad_input, brand_or_exit, domain_error


class Command(BaseCommand):
    help = (
        "Import a PEM private key as a pending key of a brand; prints its kid. The password of "
        "an encrypted PEM comes from an environment variable, never the command line. "
        "Exit code 2 on bad input."
    )

    def add_arguments(self, parser):
        parser.add_argument("brand", help="Brand slug")
        parser.add_argument("pem_file", help="Path to the PEM private key ('-' for stdin)")
        parser.add_argument(
            "--alg",
            default=DEFAULT,
            choices=sorted(ASYMMETRIC),
        )
        parser.add_argument(
            "--password-env", metavar="VAR", help="Environment variable holding the password"
        )
        parser.add_argument("--no-certificate", action="store_true")

    def handle(self, *args, brand, pem_file, alg, password_env, no_certificate, **options):
        target = brand_or_exit(brand)
        try:
            pem = sys.stdin.buffer.read() if pem_file == "-" else Path(pem_file).read_bytes()
        except (OSError, AttributeError) as exc:
            raise bad_input(f"Cannot read {pem_file}: {exc.__class__.__name__}") from exc
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if password is None:
                raise bad_input(f"Environment variable {password_env} is not set.")
        try:
            key = services.signing_key_import(
                brand=target,
                pem=pem,
                password=password,
                algorithm=alg,
                certificate=not no_certificate,
            )
        except BrandsError as exc:
            raise domain_error(exc) from exc
        self.stdout.write(key.kid)
