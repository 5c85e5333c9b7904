"""``/healthz`` (liveness) and ``/readyz`` (readiness), for load balancers and orchestrators.

``/healthz`` answers 200 as long as the process can answer at all: it touches nothing else,
so a database or Redis outage never gets healthy processes restarted.

``/readyz`` answers 200 only when this process can do its job: the database answers, the
shared cache answers (a write and a read), and every active brand has a usable active
signing key (asymmetric, not flagged unusable, and its private key loads: through the
per-process key cache, so only the first check pays for the decryption; a key in an HSM is
also looked up in the token on every check, one round trip, so a token that went away fails
readiness with the brand named). Otherwise 503 with the error shape plus which check failed::

    {"error": "not_ready", "detail": "Failed: database.", "failed": ["database"],
     "checks": {"database": "failed: OperationalError", "cache": "ok",
                "signing_keys": "skipped: the database is unavailable"}}

Both are open (no session), never cached, and exempt from the HTTPS redirect (probes come
straight to the process). The per-check detail above (a brand whose key is broken, exception
class names) is for operators only: a direct loopback request (``REMOTE_ADDR`` loopback and
no ``X-Forwarded-For``/``Forwarded`` header, i.e. not relayed by the proxy) or one bearing
``READYZ_TOKEN``. Anyone else gets the bare status: ``{"status": "ready"}`` (200) or
``{"error": "not_ready", "detail": "Not ready."}`` (503); the log has the detail either way.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> str:
    """``SELECT 1``; on failure once more on a new connection. This thread's persistent
    connection may predate a database restart (a failover): broken, though the database
    answers again. Without the retry, each thread's first probe after a failover said
    "not ready" while the database was back."""
    try:
        _select_one()
    except DatabaseError:
        connection.close()
        _select_one()
    return "ok"


def _select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> str:
    key, value = "readyz:probe", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return what was written")
    return "ok"


def _signing_keys() -> str:
    from brands import keycache, keystores
    from brands.errors import KeystoreUnavailable, NoSigningKey
    from brands.models import Brand, SigningKey

    missing, unreachable = [], []
    for brand in Brand.objects.filter(is_active=True).order_by("slug"):
        algorithms = list(
            SigningKey.objects.filter(
                brand=brand, state=SigningKey.State.ACTIVE, unusable_reason=""
            )
            .exclude(algorithm=SigningKey.Algorithm.HS256)
            .values_list("algorithm", flat=True)
        )
        usable = in_store_unreachable = False
        for algorithm in algorithms:
            try:
                loaded = keycache.signing_key(brand=brand, algorithm=algorithm)
                if getattr(loaded.key, "in_token", False):
                    keystores.pkcs11.probe(handle=loaded.key.handle)
                usable = True
                break
            except NoSigningKey:
                continue
            except KeystoreUnavailable:
                in_store_unreachable = True
                continue
        if not usable:
            (unreachable if in_store_unreachable else missing).append(brand.slug)
    problems = []
    if missing:
        problems.append(f"no usable active key for brand(s) {', '.join(missing)}")
    if unreachable:
        problems.append(
            f"the key store (HSM) of brand(s) {', '.join(unreachable)} cannot be reached"
        )
    if problems:
        raise RuntimeError("; ".join(problems))
    return "ok"


def _run(check) -> tuple[bool, str]:
    try:
        return True, check()
    except Exception as exc:
        logger.warning("Readiness check %s failed: %s", check.__name__.strip("_"), exc)
        detail = str(exc) if isinstance(exc, RuntimeError) else type(exc).__name__
        return False, f"failed: {detail}"


def detail_allowed(request) -> bool:
    """A bearer of ``READYZ_TOKEN``, or a direct loopback caller (no proxy in between)."""
    expected = getattr(settings, "READYZ_TOKEN", "")
    header = request.headers.get("Authorization", "")
    given = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if expected and given and hmac.compare_digest(given.encode(), expected.encode()):
        return True
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@never_cache
def readyz(request):
    checks: dict[str, str] = {}
    failed: list[str] = []
    database_ok, checks["database"] = _run(_database)
    cache_ok, checks["cache"] = _run(_cache)
    if database_ok:
        keys_ok, checks["signing_keys"] = _run(_signing_keys)
    else:
        keys_ok, checks["signing_keys"] = False, "skipped: the database is unavailable"
    for name, ok in (("database", database_ok), ("cache", cache_ok), ("signing_keys", keys_ok)):
        if not ok:
            failed.append(name)
    detailed = detail_allowed(request)
    if not failed:
        return JsonResponse(
            {"status": "ready", "checks": checks} if detailed else {"status": "ready"}
        )
    if not detailed:
        return JsonResponse({"error": "not_ready", "detail": "Not ready."}, status=503)
    body = {
        "error": "not_ready",
        "detail": f"Failed: {', '.join(failed)}.",
        "failed": failed,
        "checks": checks,
    }
    return JsonResponse(body, status=503)
