"""Settings of the messaging app, read lazily so ``override_settings`` works.

MESSAGING_TOKEN_RATE_PER_CUSTOMER  token issues per customer, DRF rate syntax (default "30/min")
MESSAGING_TOKEN_RATE_PER_ADDRESS   token issues per client address (default "120/min")
MESSAGING_CLOCK_SKEW               timedelta that ``nbf`` is back-dated by, so verifiers whose
                                   clocks run slightly behind accept a fresh token (default 5 s)
"""

from datetime import timedelta

from django.conf import settings

_DEFAULTS = {
    "TOKEN_RATE_PER_CUSTOMER": "30/min",
    "TOKEN_RATE_PER_ADDRESS": "120/min",
    "CLOCK_SKEW": timedelta(seconds=5),
}


def get(name: str):
    return getattr(settings, f"MESSAGING_{name}", _DEFAULTS[name])
