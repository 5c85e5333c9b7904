"""Settings of the brands app, read lazily so ``override_settings`` works.

Read with ``conf.get("NAME")`` (``config.appconf``): every lifetime is a
``datetime.timedelta`` (an int in settings is read as seconds).

BRANDS_JWKS_MAX_AGE            how long clients may cache a JWKS or discovery document
                               (``Cache-Control: public, max-age=N``); default 300 s
BRANDS_PUBLICATION_MARGIN      safety margin on top of the max-age for clocks and slow
                               fetchers; default 60 s
BRANDS_PREPUBLICATION_PERIOD   how long a pending key is published before it may sign in a
                               rotation; must be >= JWKS max-age + margin; default 1 hour
BRANDS_MAX_TOKEN_LIFETIME      the longest lifetime of any token signed by a brand key (upper
                               bound of a messenger's ``token_ttl``); default 1 hour
BRANDS_LEEWAY                  clock leeway granted to verifiers; default 30 s
BRANDS_RETENTION               how long a retired key stays published; must be >= max token
                               lifetime + leeway + JWKS max-age; default 2 hours
BRANDS_ROTATION_PERIOD         how long a key signs before ``rotate_signing_keys`` replaces it;
                               default 90 days
BRANDS_RSA_KEY_SIZE            size of generated RSA keys when none is given; default 3072
BRANDS_CERTIFICATE_VALIDITY    validity of the self-signed certificate published as ``x5c``;
                               default 365 days
BRANDS_CERTIFICATE_RENEWAL     ``rotate_signing_keys`` renews a published key's certificate
                               once it has less than this left (Salesforce refuses keys whose
                               certificate has under 10 days; more than 10 days plus the JWKS
                               max-age, so platforms see the new one in time); default 30 days
"""

from datetime import timedelta

from config.appconf import AppSettings

RSA_MIN_KEY_SIZE = 2048
RSA_MAX_KEY_SIZE = 8192
RSA_KEY_SIZES = (2048, 3072, 4096)

DEFAULTS = {
    "JWKS_MAX_AGE": timedelta(seconds=300),
    "PUBLICATION_MARGIN": timedelta(seconds=60),
    "PREPUBLICATION_PERIOD": timedelta(hours=1),
    "MAX_TOKEN_LIFETIME": timedelta(hours=1),
    "LEEWAY": timedelta(seconds=30),
    "RETENTION": timedelta(hours=2),
    "ROTATION_PERIOD": timedelta(days=90),
    "RSA_KEY_SIZE": 3072,
    "CERTIFICATE_VALIDITY": timedelta(days=365),
    "CERTIFICATE_RENEWAL": timedelta(days=30),
}
DURATIONS = [name for name, value in DEFAULTS.items() if isinstance(value, timedelta)]

get = AppSettings("BRANDS", DEFAULTS, durations=DURATIONS).get
