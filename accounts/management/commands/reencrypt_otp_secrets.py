from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = (
        "Re-seal every TOTP seed under the first KEY_ENCRYPTION_KEYS entry (run it with "
        "reencrypt_signing_keys when rotating the key-encryption key). Seeds that open under "
        "no configured key are listed and left unchanged (exit 1). Backup codes are hashed, "
        "not encrypted, and need nothing."
    )

    def handle(self, *args, **options):
        result = services.otp_secrets_reencrypt()
        self.stdout.write(f"Re-sealed {result.resealed} authenticator seed(s).")
        if result.failed:
            for device_id in result.failed:
                self.stderr.write(f"  does not decrypt: authenticator device #{device_id}")
            raise CommandError(f"{len(result.failed)} seed(s) did not decrypt.", returncode=1)
