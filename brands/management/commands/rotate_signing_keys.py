from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from brands import services
from brands.management.commands._base import brand_or_exit


class Command(BaseCommand):
    help = (
        "Rotate signing keys by policy (cron): keep a published next key, promote it after the "
        "pre-publication period once the rotation period is over, purge retired keys after "
        "the retention. Prints the plan, then what it did. Exit 1 if a step failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--brand", help="Only this brand (slug)")
        parser.add_argument("--dry-run", action="store_true", help="Print the plan only")
        parser.add_argument("--size", type=int, default=None, help="RSA bits for new keys")

    def handle(self, *args, brand, dry_run, size, **options):
        target = brand_or_exit(brand) if brand else None
        now = timezone.now()
        plan = services.signing_keys_plan(brand=target, now=now)
        if not plan:
            self.stdout.write("Nothing to do.")
            return
        self.stdout.write("Plan:")
        for step in plan:
            self.stdout.write(f"  {step.describe()}")
        if dry_run:
            self.stdout.write("Dry run: nothing changed.")
            return
        steps = services.signing_keys_rotate(plan=plan, key_size=size, now=now)
        self.stdout.write("Done:")
        for step in steps:
            self.stdout.write(f"  {step.describe()}")
        failed = [s for s in steps if s.error]
        if failed:
            raise CommandError(f"{len(failed)} step(s) failed.", returncode=1)
