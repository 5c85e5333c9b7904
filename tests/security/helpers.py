"""Helpers of the hardening tests: count password checks, talk HTTP to the live server."""

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

from django.contrib.auth.backends import ModelBackend

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class PasswordCheckCounter:
    """Counts ``ModelBackend.authenticate`` calls, i.e. passwords actually checked."""

    def __init__(self, monkeypatch):
        self.count = 0
        self._lock = threading.Lock()
        original = ModelBackend.authenticate
        counter = self

        def counting(backend, request, username=None, password=None, **kwargs):
            with counter._lock:
                counter.count += 1
            return original(backend, request, username=username, password=password, **kwargs)

        monkeypatch.setattr(ModelBackend, "authenticate", counting)


class Browser:
    """A cookie-keeping HTTP client for the live server, as a guessing script would be."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect(),
        )

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base_url + path))

    def form_token(self, path: str) -> str:
        _status, body = self.get(path)
        return _CSRF_INPUT.search(body).group(1)

    def post_form(self, path: str, data: dict, token: str) -> tuple[int, str]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": self.base_url + path,
            },
        )
        return self._open(request)

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
