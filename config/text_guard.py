"""Refuse text that no column can hold: a NUL character anywhere a request carries text.

PostgreSQL's text types cannot store U+0000: the driver refuses the query (``DataError``),
which the outage guards would answer as 503 "unavailable" with an ERROR traceback, while
SQLite stores it. An attacker's ``%00`` in a path, a form field, a JSON string (``\\u0000``),
a cookie, a header or a Basic credential must instead be a clear 400, the same on both
databases: ``InvalidTextMiddleware`` checks them before any view or session lookup runs.

- API paths (``config.api_guard.is_api_path``) and JSON requests (the passkey ceremonies) get
  JSON ``{"error": "invalid_text", ...}``; pages get a short plain page. Both are logged as
  one WARNING line, no traceback.
- Bodies are checked when they are form-encoded or JSON and no larger than Django's
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (API bodies are capped before, by ``ApiGuardMiddleware``);
  ``request.body`` is then read once here and served from memory to the view. Of a multipart
  form, the text fields are checked (files may hold any byte). A JSON string holding a
  backslash followed by ``u0000`` as text is refused too (rare; the scan does not parse).
- Cost: a few ``in`` scans over text already in memory: 3.4 µs for a token request (the
  cookies and the body are parsed or read once, here instead of later), against ~7.5 ms.
"""

from __future__ import annotations

import base64
import binascii
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from config.api_guard import client_error_response, error_response, is_api_path

logger = logging.getLogger(__name__)

NUL = "\x00"
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
# what a NUL looks like in a form body (percent-encoded) and in a JSON string (escaped)
_BODY_MARKERS = {_FORM: (b"\x00", b"%00"), _JSON: (b"\x00", b"\\u0000")}
DETAIL = "The request contains a NUL character, which no field accepts."
PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Bad request</title>"
    "<h1>Bad request</h1><p>The request contains a character that is not allowed "
    "(NUL).</p></html>"
)


def _basic_credential_has_nul(header: str) -> bool:
    """``Authorization: Basic`` decodes to ``id:secret``, each form-urlencoded (RFC 6749
    section 2.3.1), so ``%00`` there is a NUL too."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(value.strip(), validate=False)
    except (binascii.Error, ValueError):
        return False
    return b"\x00" in decoded or b"%00" in decoded


def where_nul(request: HttpRequest) -> str | None:
    """The part of ``request`` that carries a NUL ("path", "query", "header", ...), or None."""
    if NUL in request.path_info:
        return "path"
    query = request.META.get("QUERY_STRING", "")
    if NUL in query or "%00" in query:
        return "query"
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str) and NUL in value:
            return "header"
    if _basic_credential_has_nul(request.META.get("HTTP_AUTHORIZATION", "")):
        return "credential"
    if any(NUL in value for value in request.COOKIES.values()):
        return "cookie"
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    if request.content_type == "multipart/form-data":
        return _multipart_has_nul(request)
    markers = _BODY_MARKERS.get(request.content_type or "")
    if markers:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > 0 and (limit is None or length <= limit):
            body = request.body
            if any(marker in body for marker in markers):
                return "body"
    return None


def _multipart_has_nul(request: HttpRequest) -> str | None:
    """Text fields of a multipart form (files may hold any byte); parsed once, as the CSRF
    check would parse them next. A body Django cannot parse raises as it would there."""
    for key, values in request.POST.lists():
        if NUL in key or any(NUL in value for value in values):
            return "body"
    return None


class InvalidTextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            part = where_nul(request)
        except Exception as exc:
            # a body Django cannot parse (MultiPartParserError, RequestDataTooBig): the JSON
            # answer ApiGuardMiddleware would give on an API path, Django's 400 elsewhere
            refused = client_error_response(exc) if is_api_path(request.path_info) else None
            if refused is None:
                raise
            return refused
        if part is None:
            return self.get_response(request)
        logger.warning("Refused %s: a NUL character in the %s", request.method, part)
        if is_api_path(request.path_info) or request.content_type == _JSON:
            return error_response("invalid_text", DETAIL, 400)
        response = HttpResponse(PAGE, status=400, content_type="text/html; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response
