from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Print one new backup code for USERNAME (e.g. the first staff user after "
        "createsuperuser). Only its digest is stored; django-otp's addstatictoken stores codes "
        "in clear and its codes are not accepted by the portal."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.", returncode=2)
        self.stdout.write(services.backup_code_add(user=user))
