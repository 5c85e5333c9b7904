"""The portal's own 404 page in development too (it never lists the URL patterns).

Outside DEBUG Django already renders ``templates/404.html``. In DEBUG it shows its technical
page, which lists every URL pattern; a customer trying the demo should see the same plain
page as in production. API paths keep their own answers (``config.api_guard``).
"""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from config.api_guard import is_api_path


def not_found_page(request: HttpRequest) -> HttpResponse:
    return render(request, "404.html", status=404)


class PlainNotFoundMiddleware:
    """In DEBUG, replace Django's technical 404 page with ``404.html`` on non-API paths."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None  # no URL pattern matched
            and not is_api_path(request.path_info)
        ):
            return not_found_page(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        """A view raised Http404 (``get_object_or_404``): the same plain page."""
        if (
            settings.DEBUG
            and isinstance(exception, Http404)
            and not is_api_path(request.path_info)
        ):
            return not_found_page(request)
        return None
