"""``manage.py sandbox_credential SLUG [--client-id ID] [--key-id KID] [--fingerprint FP]
--secret-stdin``

Enters a messenger's vendor-console credential into the sandbox platform, as an administrator
would paste it into Genesys Cloud, Zendesk or Intercom. The secret is read from standard input
only (never an argument: it would land in shell history and ``ps``). With ``--fingerprint``
(the one the portal's admin shows for that secret) a secret that does not match is refused and
nothing is stored. Exit 2 on bad input.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from sandbox.credentials import CredentialError, credential_set


class Command(BaseCommand):
    help = "Store a messenger's client/shared secret in the sandbox platform (stdin)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("messenger", help="messenger slug")
        parser.add_argument("--client-id", default="", help="OIDC client id (Genesys)")
        parser.add_argument("--key-id", default="", help="shared-secret key id (Zendesk)")
        parser.add_argument(
            "--fingerprint",
            default="",
            help="the secret's fingerprint as the portal's admin shows it; refuse another secret",
        )
        parser.add_argument(
            "--secret-stdin", action="store_true", help="read the secret from standard input"
        )

    def handle(self, *args, **opts):
        if not opts["secret_stdin"]:
            raise CommandError(
                "--secret-stdin is required (the secret is read from stdin).", returncode=2
            )
        stream = opts.get("stdin") or sys.stdin
        secret = stream.readline().strip()
        try:
            row = credential_set(
                messenger=opts["messenger"],
                secret=secret,
                client_id=opts["client_id"],
                key_id=opts["key_id"],
                fingerprint=opts["fingerprint"],
            )
        except CredentialError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(
            f"Stored the sandbox credential for {row.messenger} "
            f"(secret fingerprint {row.secret_fingerprint})."
        )
