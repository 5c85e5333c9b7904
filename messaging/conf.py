"""Settings of the messaging app: ``conf.get("NAME")`` (``config.appconf``), read lazily so
``override_settings`` works; lifetimes are timedeltas (an int in settings is seconds).

MESSAGING_TOKEN_RATE_PER_CUSTOMER  token issues per customer, DRF rate syntax (default "30/min")
MESSAGING_TOKEN_RATE_PER_ADDRESS   token issues per client address (default "120/min")
MESSAGING_CLOCK_SKEW               timedelta that ``nbf`` is back-dated by, so verifiers whose
                                   clocks run slightly behind accept a fresh token (default 5 s)
MESSAGING_OIDC_CODE_TTL            lifetime of an authorization code (default 60 s, at most 60 s)
MESSAGING_OIDC_ACCESS_TOKEN_TTL    lifetime of an access token (default 15 min; Genesys cuts its
                                   own session to ours, so never below 15 min for Genesys)
MESSAGING_OIDC_REFRESH_TTL         absolute lifetime of a grant's refresh tokens from the code
                                   exchange (default 12 h; Genesys's own "Max Refresh Token
                                   Lifetime" may be shorter)
MESSAGING_OIDC_RATE_PER_CLIENT     token-endpoint and attributes-API calls per OIDC client
                                   (default "600/min"), DRF rate syntax; counted after the
                                   client authenticated, so only the client spends it
MESSAGING_OIDC_FAILURE_RATE        failed client authentications per (client id, address)
                                   before wrong secrets get 429 (default "10/min"; three times
                                   that per address); a right secret is never refused by it
MESSAGING_BEACON_RATE_PER_SESSION  widget beacons per portal session (default "30/min")
MESSAGING_BEACON_RATE_PER_CUSTOMER widget beacons per customer (default "60/min")
"""

from datetime import timedelta

from config.appconf import AppSettings

DEFAULTS = {
    "TOKEN_RATE_PER_CUSTOMER": "30/min",
    "TOKEN_RATE_PER_ADDRESS": "120/min",
    "CLOCK_SKEW": timedelta(seconds=5),
    "OIDC_CODE_TTL": timedelta(seconds=60),
    "OIDC_ACCESS_TOKEN_TTL": timedelta(minutes=15),
    "OIDC_REFRESH_TTL": timedelta(hours=12),
    "OIDC_RATE_PER_CLIENT": "600/min",
    "OIDC_FAILURE_RATE": "10/min",
    "BEACON_RATE_PER_SESSION": "30/min",
    "BEACON_RATE_PER_CUSTOMER": "60/min",
}

get = AppSettings(
    "MESSAGING",
    DEFAULTS,
    durations=["CLOCK_SKEW", "OIDC_CODE_TTL", "OIDC_ACCESS_TOKEN_TTL", "OIDC_REFRESH_TTL"],
).get
