"""Domain errors and the one place that turns them into the API's JSON error shape.

Every error body is ``{"error": "<code>", "detail": "<text>"}`` (docs/architecture.md).
"""

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A rule of the domain was broken. ``code`` is stable; ``detail`` is for humans.

    ``http_status`` is what an API answers when the error reaches it.
    """

    code = "invalid"
    http_status = status.HTTP_400_BAD_REQUEST

    def __init__(self, detail: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.Throttled: "throttled",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.ParseError: "malformed_request",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.ValidationError: "invalid_request",
    exceptions.NotFound: "not_found",
    exceptions.PermissionDenied: "permission_denied",
}


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(d) for d in detail)
    return str(detail)


def api_exception_handler(exc, context):
    """DRF exception handler producing ``{"error", "detail"}`` for every failure."""
    if isinstance(exc, DomainError):
        # A domain error may add what the caller needs to recover (``extra``, e.g. step-up).
        body = {"error": exc.code, "detail": exc.detail, **getattr(exc, "extra", {})}
        response = Response(body, status=exc.http_status)
    else:
        if isinstance(exc, Http404):
            exc = exceptions.NotFound()
        response = exception_handler(exc, context)
        if response is None:
            return None
        code = getattr(exc, "error_code", None)
        if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF"):
            code = "csrf_failed"
        if code is None:
            code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
        detail = _flatten(exc.detail) if hasattr(exc, "detail") else str(exc)
        if code == "not_authenticated":
            response.status_code = status.HTTP_401_UNAUTHORIZED
        response.data = {"error": code, "detail": detail}
    response["Cache-Control"] = "no-store"
    return response
