"""What every benchmark script does first: put the project on the path, give Django throwaway
settings (never a production secret) unless the environment sets them, and set Django up.

``import bench_setup`` before any Django import (the scripts' own folder is on ``sys.path``).
"""

import os
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS.parent))
sys.path.insert(0, str(SCRIPTS))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-not-for-production-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("PUBLIC_BASE_URL", "http://testserver")
os.environ.setdefault("KEY_ENCRYPTION_KEYS", "p6Rz0lRW2hB1bqbWzX0Vv6wXr3Xw8CkN3Wcq5sQe3mE=")

import django  # noqa: E402

django.setup()
