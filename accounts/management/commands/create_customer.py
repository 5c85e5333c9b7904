import sys

from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = "Create a customer (user + customer record + brand memberships); prints its id."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", required=True)
        parser.add_argument("--last-name", required=True)
        parser.add_argument(
            "--brand", action="append", default=[], dest="brands", help="Brand slug (repeatable)."
        )
        parser.add_argument("--tier", help="Tier code; the default tier when omitted.")
        parser.add_argument("--balance", default="0.00", help="Decimal amount, e.g. 1234.56.")
        parser.add_argument("--currency", default="EUR", help="ISO 4217 code (default EUR).")
        parser.add_argument("--vip", action="store_true", default=None, help="Mark as VIP.")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input (otherwise the account cannot log in).",
        )

    def handle(self, *args, **opts):
        password = None
        if opts["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                raise CommandError("No password on standard input.", returncode=2)
        if not opts["brands"]:
            raise CommandError("At least one --brand is required.", returncode=2)
        try:
            customer = services.customer_create(
                username=opts["username"],
                email=opts["email"],
                first_name=opts["first_name"],
                last_name=opts["last_name"],
                brand_slugs=opts["brands"],
                tier_code=opts["tier"],
                balance=opts["balance"],
                currency=opts["currency"],
                is_vip=opts["vip"],
                password=password,
            )
        except services.AccountsError as exc:
            raise CommandError(exc.detail, returncode=2) from exc
        self.stdout.write(customer.customer_id)
