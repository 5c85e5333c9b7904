from django.core.management.base import BaseCommand, CommandError

from brands import services


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored private key and messenger shared secret under the first "
        "KEY_ENCRYPTION_KEYS entry. "
        "Rotate the key-encryption key: put the new key first, keep the old one after it, run "
        "this, then remove the old key. Keys that no longer decrypt are marked unusable (exit 1)."
    )

    def handle(self, *args, **options):
        result = services.signing_keys_reencrypt()
        self.stdout.write(f"Re-encrypted {len(result.reencrypted)} key(s).")
        self.stdout.write(
            f"Re-encrypted {len(result.secrets_reencrypted)} messenger shared secret(s)."
        )
        for kid in result.failed:
            self.stderr.write(f"  does not decrypt, marked unusable: {kid}")
        for slug in result.secrets_failed:
            self.stderr.write(f"  shared secret of messenger {slug} does not decrypt: set it anew")
        failed = len(result.failed) + len(result.secrets_failed)
        if failed:
            raise CommandError(f"{failed} key(s) or secret(s) did not decrypt.", returncode=1)
