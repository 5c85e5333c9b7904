"""JWKS client: fetched over HTTP(S) like a vendor does, cached per process (docs/security.md 14).

* Cache lifetime from ``Cache-Control: max-age`` clamped to [min_ttl, max_ttl]; the default
  when none is given; ``no-store``/``no-cache`` mean min_ttl. ETag revalidation (304).
* At most one fetch per ``cooldown`` seconds whatever the cause (expiry, unknown ``kid``,
  failure): concurrent misses wait on one lock and share the result.
* A failed fetch, or a refused document (duplicate ``kid``, not a JWKS), keeps the last good
  set; ``JWKSUnavailable`` only when there has never been a set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from .. import conf
from ..fetch import FetchError, Response, http_get
from .encoding import DecodeError, strict_json_loads
from .keys import KeySet, KeySetError, VerificationKey

log = logging.getLogger("sandbox.jwks")

_JSON_TYPES = ("application/json", "application/jwk-set+json")


class JWKSUnavailable(Exception):
    pass


def parse_jwks(body: bytes, content_type: str, default_alg: str | None) -> KeySet:
    """An RFC 7517 JWK set served as JSON (the default key document)."""
    if content_type not in _JSON_TYPES:
        raise FetchError(f"unexpected content type {content_type[:64]!r}")
    return KeySet.from_jwks(strict_json_loads(body), default_alg=default_alg)


def parse_max_age(values: list[str] | None, *, default: int, lo: int, hi: int) -> int:
    """Seconds to cache from the Cache-Control header values; clamped to [lo, hi]."""
    directives = [d.strip().lower() for v in (values or []) for d in v.split(",") if d.strip()]
    if any(d in ("no-store", "no-cache") for d in directives):
        return lo
    ages = [d.split("=", 1)[1].strip('"') for d in directives if d.startswith("max-age=")]
    if len(ages) != 1 or not ages[0].isdigit() or len(ages[0]) > 10:
        return max(lo, min(hi, default))
    return max(lo, min(hi, int(ages[0])))


class JWKSClient:
    def __init__(
        self,
        url: str,
        *,
        default_alg: str | None = None,
        cooldown: float | None = None,
        min_ttl: int | None = None,
        max_ttl: int | None = None,
        default_ttl: int | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
        allow_insecure: bool | None = None,
        fetch: Callable[..., Response] | None = None,
        clock: Callable[[], float] = time.monotonic,
        parse: Callable[[bytes, str, str | None], KeySet] = parse_jwks,
    ):
        """``parse(body, content_type, default_alg) -> KeySet`` reads the fetched document:
        a JWKS by default, a vendor's own format for a vendor that reads no JWKS (its
        emulation's ``key_document``); it raises FetchError, KeySetError or DecodeError."""
        self.url = url
        self._parse = parse
        self.default_alg = default_alg
        # None: read the setting at use time (so settings changes apply to live clients).
        self._cooldown = cooldown
        self._min_ttl = min_ttl
        self._max_ttl = max_ttl
        self._default_ttl = default_ttl
        self._max_bytes = max_bytes
        self.timeout = timeout
        self.allow_insecure = allow_insecure
        self._fetch = fetch or http_get
        self._clock = clock
        self._lock = threading.Lock()
        self._keyset: KeySet | None = None
        self._expires_at = 0.0
        self._last_attempt: float | None = None
        self._last_error = "never fetched"
        self._etag: str | None = None
        self._generation = 0
        self.fetch_count = 0

    # --- configuration (explicit values win over SANDBOX_* settings) ------------------
    @staticmethod
    def _setting(value, name: str) -> float:
        """A duration in seconds: ``value`` when given, else the ``SANDBOX_<name>`` setting."""
        return conf.seconds(name) if value is None else float(value)

    @property
    def cooldown(self) -> float:
        return self._setting(self._cooldown, "JWKS_COOLDOWN")

    @property
    def min_ttl(self) -> int:
        return int(self._setting(self._min_ttl, "JWKS_MIN_TTL"))

    @property
    def max_ttl(self) -> int:
        return int(self._setting(self._max_ttl, "JWKS_MAX_TTL"))

    @property
    def default_ttl(self) -> int:
        return int(self._setting(self._default_ttl, "JWKS_DEFAULT_TTL"))

    @property
    def max_bytes(self) -> int:
        return int(conf.get("JWKS_MAX_BYTES") if self._max_bytes is None else self._max_bytes)

    # --- public -------------------------------------------------------------------
    def get_key(self, kid: str | None) -> VerificationKey | None:
        """The key for ``kid`` or None; JWKSUnavailable when no set was ever obtained."""
        generation = self._generation
        keyset = self._keyset
        if keyset is None or self._clock() >= self._expires_at:
            keyset = self._refresh(generation)
            generation = self._generation
        key = keyset.get(kid)
        if key is None and kid is not None:
            keyset = self._refresh(generation)
            key = keyset.get(kid)
        return key

    @property
    def keyset(self) -> KeySet | None:
        return self._keyset

    # --- internals ----------------------------------------------------------------
    def _refresh(self, seen_generation: int) -> KeySet:
        with self._lock:
            if self._generation != seen_generation and self._keyset is not None:
                return self._keyset  # another caller refreshed while this one waited
            now = self._clock()
            if self._last_attempt is not None and now - self._last_attempt < self.cooldown:
                if self._keyset is None:
                    raise JWKSUnavailable(self._last_error)
                return self._keyset
            self._last_attempt = now
            try:
                self._fetch_and_store(now)
            except (FetchError, KeySetError, DecodeError) as exc:
                self._last_error = str(exc)
                if self._keyset is None:
                    log.warning("JWKS %s unavailable: %s", self.url, exc)
                    raise JWKSUnavailable(self._last_error) from None
                log.warning("JWKS %s refresh failed, keeping last good set: %s", self.url, exc)
            return self._keyset

    def _fetch_and_store(self, now: float) -> None:
        headers = {"If-None-Match": self._etag} if self._etag and self._keyset else {}
        self.fetch_count += 1
        response = self._fetch(
            self.url,
            max_bytes=self.max_bytes,
            timeout=self.timeout,
            headers=headers,
            allow_insecure=self.allow_insecure,
        )
        ttl = parse_max_age(
            response.headers.get_all("Cache-Control") if response.headers else None,
            default=self.default_ttl,
            lo=self.min_ttl,
            hi=self.max_ttl,
        )
        if response.status == 304 and self._keyset is not None:
            self._expires_at = now + ttl
            self._generation += 1
            return
        if response.status != 200:
            raise FetchError(f"HTTP status {response.status}")
        ctype = (response.headers.get_content_type() if response.headers else "") or ""
        keyset = self._parse(response.body, ctype, self.default_alg)
        self._keyset = keyset
        self._etag = response.headers.get("ETag")
        self._expires_at = now + ttl
        self._generation += 1
        for kid, why in keyset.ignored:
            log.info("JWKS %s: key %r ignored: %s", self.url, (kid or "")[:64], why)


_CLIENTS: OrderedDict[tuple, JWKSClient] = OrderedDict()
_CLIENTS_LOCK = threading.Lock()
_MAX_CLIENTS = 64


def get_jwks_client(
    url: str,
    *,
    default_alg: str | None = None,
    parse: Callable[[bytes, str, str | None], KeySet] = parse_jwks,
) -> JWKSClient:
    """The process-wide client for ``url`` read with ``parse`` (so the cache outlives one
    request)."""
    key = (url, default_alg, parse)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = JWKSClient(url, default_alg=default_alg, parse=parse)
            while len(_CLIENTS) > _MAX_CLIENTS:
                _CLIENTS.popitem(last=False)
        else:
            _CLIENTS.move_to_end(key)
        return client


def reset_jwks_clients() -> None:
    with _CLIENTS_LOCK:
        _CLIENTS.clear()
