"""Production settings plus the benchmark's reference views (``make bench`` only).

Exactly ``config.settings`` (read from the environment as in production), with one change:
``ROOT_URLCONF`` adds two views that only exist to be measured against
(``config.urls_bench``). No deployment uses this module.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "config.urls_bench"
