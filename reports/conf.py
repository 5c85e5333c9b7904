"""Settings of the reports app: ``conf.get("NAME")`` (``config.appconf``), read lazily so
``override_settings`` works; durations are timedeltas (an int in settings is seconds).

REPORTS_GAP_TARGET_MS           click-to-verified target in ms (default 5000)
REPORTS_BURST_THRESHOLD         rejections per address or customer in one clock hour that make a
                                burst (default 5)
REPORTS_ROLLUP_AFTER_DAYS       periods longer than this many days read whole closed days from the
                                daily rollups (default 31: today, 7 and 30 days stay exact)
REPORTS_ROLLUP_SETTLE_SECONDS   how long after its end a UTC day counts as closed (default 600 s)
REPORTS_METRICS_TOKEN           bearer token of /metrics (set by config/env.py; empty = 404)
REPORTS_MAX_PERIOD_DAYS         the longest period the report pages accept (default 400, the
                                events' retention); ``manage.py report`` has no cap
"""

from datetime import timedelta

from config.appconf import AppSettings

DEFAULTS = {
    "GAP_TARGET_MS": 5000,
    "BURST_THRESHOLD": 5,
    "ROLLUP_AFTER_DAYS": 31,
    "ROLLUP_SETTLE_SECONDS": timedelta(minutes=10),
    "METRICS_TOKEN": "",
    "MAX_PERIOD_DAYS": 400,
}

get = AppSettings("REPORTS", DEFAULTS, durations=["ROLLUP_SETTLE_SECONDS"]).get
