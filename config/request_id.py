"""A request id on every log line and in every response (``X-Request-ID``).

``RequestIdMiddleware`` runs first: it takes the id the reverse proxy sent in ``X-Request-ID``
when it looks like one (1-64 characters of ``[A-Za-z0-9._-]``, so a client cannot inject
text into the logs), or makes a new one (32 hex characters), keeps it in a context variable
for the duration of the request, and echoes it in the response header. ``RequestIdFilter``
adds it to every log record (``request_id``, ``-`` outside a request), so every line that a
request causes, in any module, can be joined to the proxy's access log and to the answer a
customer reports.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.core.signals import request_finished

HEADER = "X-Request-ID"
_META = "HTTP_X_REQUEST_ID"
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")

current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def request_id_for(meta: dict) -> str:
    """The proxy's id when it is well formed, else a fresh one."""
    given = meta.get(_META, "")
    return given if _VALID.fullmatch(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_for(request.META)
        request.request_id = request_id
        # Not reset on the way out: Django logs the response (django.request) after the
        # middleware chain returned; ``request_finished`` clears it (``_clear``).
        current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _clear(**kwargs) -> None:
    current.set("-")


request_finished.connect(_clear, dispatch_uid="config.request_id.clear")


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (never filters anything out)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get()
        return True
