from django.core.management.base import BaseCommand, CommandError

from sandbox.credentials import CredentialError, credentials_reencrypt


class Command(BaseCommand):
    help = (
        "Re-seal every sandbox vendor credential (Genesys client secret, Zendesk and Intercom "
        "shared secrets) under the first KEY_ENCRYPTION_KEYS entry; run it with "
        "reencrypt_signing_keys and reencrypt_otp_secrets when rotating the key-encryption "
        "key. Credentials stored under the older SECRET_KEY-derived key are moved too. "
        "Credentials that open under no key are listed and left unchanged (exit 1)."
    )

    def handle(self, *args, **options):
        try:
            result = credentials_reencrypt()
        except CredentialError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(f"Re-sealed {result.resealed} sandbox credential(s).")
        for slug in result.failed:
            self.stderr.write(f"  does not decrypt: sandbox credential of {slug} (enter it anew)")
        if result.failed:
            raise CommandError(
                f"{len(result.failed)} sandbox credential(s) did not decrypt.", returncode=1
            )
