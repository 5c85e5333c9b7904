"""Pages answer 503 while PostgreSQL or Redis is unreachable, never Django's 500.

API paths already get a JSON 503 ``unavailable`` from ``config.api_guard``; this middleware
does the same for HTML pages (a login form posted while Redis is down, a page that needs the
database): a short plain page with ``Retry-After``, logged with the request id. Other
exceptions are left to Django (500).
"""

import logging

from django.http import HttpResponse

from config.api_guard import _unavailable, is_api_path

logger = logging.getLogger(__name__)

PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Temporarily unavailable</title>"
    "<h1>Temporarily unavailable</h1><p>The portal cannot serve this page right now. "
    "Please try again in a minute.</p></html>"
)


class OutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if is_api_path(request.path_info) or not _unavailable(exc):
            return None
        logger.error("Service unavailable on %s %s: %s", request.method, request.path_info, exc)
        response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = "30"
        response["Cache-Control"] = "no-store"
        return response
