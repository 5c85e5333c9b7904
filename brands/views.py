"""Public, unauthenticated documents: JWKS and OpenID discovery. Always JSON, never a 500."""

import functools
import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from brands import conf, selectors
from config.errors import DomainError

logger = logging.getLogger(__name__)

ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = ", ".join(ALLOWED_METHODS)
    response["Access-Control-Max-Age"] = "86400"
    return response


def _error(code: str, detail: str, status: int) -> HttpResponse:
    response = JsonResponse({"error": code, "detail": detail}, status=status)
    response["Cache-Control"] = "no-store"
    return _cors(response)


def public_document(view):
    """Open (no session, no CSRF), read-only, CORS-open; domain errors become JSON."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":
            response = _cors(HttpResponse(status=204))
            response["Allow"] = ", ".join(ALLOWED_METHODS)
            return response
        if request.method not in ALLOWED_METHODS:
            response = _error(
                "method_not_allowed", f"Method {request.method} is not allowed.", 405
            )
            response["Allow"] = ", ".join(ALLOWED_METHODS)
            return response
        try:
            try:
                response = view(request, *args, **kwargs)
            except DatabaseError:
                # This thread's persistent connection may predate a database restart (a
                # failover cuts every connection): the document is read-only, so it is read
                # once more on a new connection before the answer is 503.
                connection.close()
                response = view(request, *args, **kwargs)
        except DomainError as exc:
            return _error(exc.code, exc.detail, exc.http_status)
        except Exception:
            logger.exception("Public document %s failed", request.path)
            return _error("unavailable", "The document is temporarily unavailable.", 503)
        return _cors(response)

    wrapper.csrf_exempt = True
    return wrapper


def _max_age() -> int:
    return int(conf.get("JWKS_MAX_AGE").total_seconds())


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2): ``W/`` is ignored."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    candidates = [c.strip() for c in header.split(",")]
    return any(c.removeprefix("W/") == etag for c in candidates)


def _jwks_response(request: HttpRequest, document: selectors.JwksDocument) -> HttpResponse:
    if _etag_matches(request.headers.get("If-None-Match", ""), document.etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(document.body, content_type="application/json")
    response["ETag"] = document.etag
    response["Cache-Control"] = f"public, max-age={_max_age()}"
    return response


@public_document
def jwks(request: HttpRequest) -> HttpResponse:
    """Every active brand's published keys."""
    return _jwks_response(request, selectors.jwks_document())


@public_document
def brand_jwks(request: HttpRequest, slug: str) -> HttpResponse:
    """One brand's published keys (pending, active and retired asymmetric keys)."""
    return _jwks_response(request, selectors.jwks_document(brand=slug))


@public_document
def brand_openid_configuration(request: HttpRequest, slug: str) -> HttpResponse:
    """The brand's discovery document: issuer, jwks_uri and signing algorithms."""
    body = selectors.discovery_body(slug=slug)
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = f"public, max-age={_max_age()}"
    return response


@public_document
def messenger_public_key(request: HttpRequest, slug: str, messenger: str) -> HttpResponse:
    """The brand's published keys for one messenger, in its vendor's own format (the
    platform profile's ``key_document``); 404 ``no_key_document`` when the vendor reads the
    JWKS instead. Cached and revalidated like the JWKS."""
    document = selectors.messenger_key_document(brand=slug, messenger=messenger)
    if _etag_matches(request.headers.get("If-None-Match", ""), document.etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(document.body, content_type=document.content_type)
    response["ETag"] = document.etag
    response["Cache-Control"] = f"public, max-age={_max_age()}"
    return response
