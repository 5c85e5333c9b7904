"""Replay marks for one-time tokens (docs/security.md 17), in the shared cache.

The default cache is Redis in production, so every app server sees the same marks. A mark
lives until the token's expiry plus the leeway; ``cache.add`` is atomic on Redis and on the
local-memory cache.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import caches


class CacheReplayStore:
    def __init__(self, alias: str = "default", prefix: str = "sandbox:jti:"):
        self.alias = alias
        self.prefix = prefix

    def _key(self, issuer: str, jti: str) -> str:
        digest = hashlib.sha256(f"{issuer}\x00{jti}".encode()).hexdigest()
        return self.prefix + digest

    def first_use(self, issuer: str, jti: str, expires_at: float, leeway: float) -> bool:
        """Mark ``jti`` as used; False when it was already marked (a replay)."""
        timeout = max(1, int(expires_at + leeway - time.time()) + 1)
        return bool(caches[self.alias].add(self._key(issuer, jti), 1, timeout=timeout))
