"""Request-level guards for every API path (docs/decisions/error-responses.md).

``ApiGuardMiddleware``, first in the chain for API paths (``API_PATH_PREFIXES``: the JSON APIs,
the sandbox platform's API, and everything under ``/brands/``, where the JWKS, discovery and
the form-encoded OIDC endpoints live):

- a body above ``API_MAX_BODY_BYTES`` (64 KiB) is refused with 413 ``request_too_large``
  from its ``Content-Length``, before anything reads it (WSGI servers hand Django no body
  without a Content-Length, so the header is the whole story);
- an exception no view handled becomes a JSON 500 ``server_error`` (503 ``unavailable`` when
  the database or the cache is down), never Django's HTML error page;
- the exceptions Django itself answers with a 4xx page (``Http404``, ``PermissionDenied``, a
  body it cannot parse: ``MultiPartParserError``, ``BadRequest``, ``SuspiciousOperation``)
  keep their status as JSON (``client_error_response``), and an address no URL pattern
  matches is a JSON 404 ``not_found`` (Django's page lists the URL patterns in DEBUG and is
  HTML in production), as is Django's HTML answer to a ``Host`` outside ``ALLOWED_HOSTS``
  (400 ``invalid_request``; the host is read again only when the answer is a 400). Views
  that answer a browser with their own page (the OIDC authorize endpoint's error page) are
  left as they answer.

``BoundedJSONParser`` is the DRF JSON parser with a nesting limit (``API_MAX_JSON_DEPTH``,
default 5 levels): deeper documents are 400 ``invalid_request`` instead of a RecursionError.
``server_error`` is the ``handler500`` for failures outside any view (a middleware).
"""

import io
import logging

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    DisallowedHost,
    PermissionDenied,
    SuspiciousOperation,
)
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views import defaults
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser

logger = logging.getLogger(__name__)

API_PATH_PREFIXES = ("/api/", "/sandbox/api/", "/brands/", "/.well-known/")
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_MAX_JSON_DEPTH = 5


def max_body_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def max_json_depth() -> int:
    return int(getattr(settings, "API_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH))


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATH_PREFIXES)


def error_response(code: str, detail: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": code, "detail": detail}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _unavailable(exc: BaseException | None) -> bool:
    """PostgreSQL or Redis unreachable: ``exc`` or what it was raised from (``raise ... from``,
    e.g. ``brands.errors.KeySetUnavailable`` escaping a page through a model signal)."""
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency
        RedisConnectionError = RedisTimeoutError = DatabaseError
    while exc is not None:
        if isinstance(exc, DatabaseError | RedisConnectionError | RedisTimeoutError):
            return True
        exc = exc.__cause__
    return False


def exception_response(exc: BaseException) -> JsonResponse:
    if _unavailable(exc):
        return error_response(
            "unavailable", "The service is temporarily unavailable. Try again shortly.", 503
        )
    return error_response("server_error", "An unexpected error occurred.", 500)


def client_error_response(exc: BaseException) -> JsonResponse | None:
    """The JSON answer to an exception Django would turn into a 4xx page, else None."""
    if isinstance(exc, Http404):
        return error_response("not_found", "Nothing was found at this address.", 404)
    if isinstance(exc, PermissionDenied):
        return error_response("permission_denied", "This request is not allowed.", 403)
    if isinstance(exc, MultiPartParserError | BadRequest | SuspiciousOperation):
        return error_response("malformed_request", "The request could not be read.", 400)
    return None


def _host_allowed(request: HttpRequest) -> bool:
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True


def not_found_response() -> JsonResponse:
    return error_response("not_found", "There is no API endpoint at this address.", 404)


class ApiGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_path(request.path_info):
            refused = self._check_length(request)
            if refused is not None:
                return refused
            response = self.get_response(request)
            if response.status_code == 404 and getattr(request, "resolver_match", None) is None:
                return not_found_response()  # no URL pattern matched
            if response.status_code == 400 and not _host_allowed(request):
                # Django's own answer to ``DisallowedHost`` (CommonMiddleware reads the host);
                # asked again only on a 400, so no request that succeeds reads it twice
                return error_response(
                    "invalid_request",
                    "The Host header names no address this service answers.",
                    400,
                )
            return response
        return self.get_response(request)

    @staticmethod
    def _check_length(request: HttpRequest) -> HttpResponse | None:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return error_response("invalid_request", "Content-Length is not a number.", 400)
        if length < 0:
            return error_response("invalid_request", "Content-Length is negative.", 400)
        limit = max_body_bytes()
        if length > limit:
            return error_response(
                "request_too_large",
                f"The request body is {length} bytes; the limit is {limit} bytes.",
                413,
            )
        return None

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_api_path(request.path_info):
            return None
        refused = client_error_response(exc)
        if refused is not None:
            logger.warning(
                "Refused %s %s: %s", request.method, request.path_info, type(exc).__name__
            )
            return refused
        logger.exception("Unhandled error on %s %s", request.method, request.path_info)
        return exception_response(exc)


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """``handler500``: JSON on API paths, Django's plain page elsewhere."""
    if is_api_path(request.path_info):
        return error_response("server_error", "An unexpected error occurred.", 500)
    return defaults.server_error(request, *args, **kwargs)


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """True when arrays/objects nest deeper than ``limit`` (strings and escapes respected).

    A linear scan before ``json.loads``, whose recursion would otherwise fail with a
    RecursionError on documents nested a few thousand levels deep.
    """
    depth, in_string, escaped = 0, False, False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing documents nested deeper than ``API_MAX_JSON_DEPTH``."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read() if stream is not None else b""
        limit = max_json_depth()
        if json_depth_exceeds(data, limit):
            raise ValidationError(f"The JSON body is nested deeper than {limit} levels.")
        return super().parse(io.BytesIO(data), media_type, parser_context)
