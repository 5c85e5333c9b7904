"""Settings of the accounts app: ``conf.get("NAME")`` (``config.appconf``), read lazily so
``override_settings`` works; lifetimes are timedeltas (an int in settings is seconds).

ACCOUNTS_LOGIN_FAILURES_PER_USERNAME  failures allowed per username in the window (default 5)
ACCOUNTS_LOGIN_FAILURES_PER_ADDRESS   failures allowed per client address (default 20)
ACCOUNTS_MFA_FAILURES_PER_USER        wrong one-time codes allowed per user in the window
                                      (default 5)
ACCOUNTS_LOGIN_THROTTLE_WINDOW        timedelta; failures older than this are forgotten and a
                                      throttled login is allowed again (default 15 minutes)
ACCOUNTS_BACKUP_CODE_COUNT            backup codes generated at enrollment (default 10)
"""

from datetime import timedelta

from config.appconf import AppSettings

DEFAULTS = {
    "LOGIN_FAILURES_PER_USERNAME": 5,
    "LOGIN_FAILURES_PER_ADDRESS": 20,
    "MFA_FAILURES_PER_USER": 5,
    "LOGIN_THROTTLE_WINDOW": timedelta(minutes=15),
    "BACKUP_CODE_COUNT": 10,
}

get = AppSettings("ACCOUNTS", DEFAULTS, durations=["LOGIN_THROTTLE_WINDOW"]).get
