"""Settings of the app servers the fault tests start: production settings with a per-customer
token rate low enough to see one shared throttle across two servers."""

from config.settings import *  # noqa: F403

MESSAGING_TOKEN_RATE_PER_CUSTOMER = "5/min"
MESSAGING_TOKEN_RATE_PER_ADDRESS = "1000/min"
