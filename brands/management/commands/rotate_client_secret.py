"""``manage.py rotate_client_secret SLUG [--grace 1h]``

Gives a messenger with client credentials (an OpenID Connect client such as Genesys, or a
platform whose servers read the certified-attributes API, such as Salesforce) a new client
secret and prints it once as ``client_secret=<secret>`` on its own line. The old secret stops
working at once, or after ``--grace`` (``90s``, ``30m``, ``1h``, ``2d``; at most 7 days) while
the platform's administrator pastes the new one. Exit 2 on bad input.
"""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand

from brands import selectors, services
from brands.errors import BrandsError, UnknownMessenger
from brands.management.commands._base import bad_input, domain_error

_DURATION = re.compile(r"(\d{1,6})([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise bad_input(f"--grace {text!r} is not a duration such as 90s, 30m, 1h or 2d.")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


class Command(BaseCommand):
    help = (
        "Rotate a messenger's client secret (Genesys, Salesforce); prints client_secret=... once."
    )

    def add_arguments(self, parser):
        parser.add_argument("messenger", help="Messenger slug")
        parser.add_argument(
            "--grace", default=None, help="keep the old secret working this long (e.g. 1h)"
        )

    def handle(self, *args, **o):
        grace = parse_duration(o["grace"]) if o["grace"] is not None else None
        try:
            messenger = selectors.messenger_get(slug=o["messenger"], active_only=False)
            secret = services.client_secret_rotate(messenger=messenger, grace=grace)
        except (UnknownMessenger, BrandsError) as exc:
            raise domain_error(exc) from exc
        self.stdout.write(f"client_id={messenger.client_id}")
        self.stdout.write(f"client_secret={secret}")
        ending = f"in {o['grace']}" if grace else "now"
        self.stdout.write(f"The previous secret stops working {ending}. This one is shown once.")
