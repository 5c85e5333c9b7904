"""The sandbox's only HTTP client: how a vendor's cloud fetches a brand's public documents.

https only (plain http for loopback hosts, or when DEBUG / SANDBOX_ALLOW_INSECURE_HTTP allows
it), no redirects, a timeout, a response size cap, no credentials in URLs.
"""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlencode, urlsplit

from . import conf


class FetchError(Exception):
    """The document could not be fetched; ``str()`` is safe to show."""


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_insecure: bool | None = None) -> None:
    """Raise ValueError unless ``url`` may be fetched under the transport rules above."""
    if not isinstance(url, str) or len(url) > 2048:
        raise ValueError("URL missing or too long")
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValueError("credentials in URL are not allowed")
    if not parts.hostname:
        raise ValueError("URL has no host")
    if parts.scheme == "https":
        return
    if parts.scheme == "http":
        insecure = conf.allow_insecure_http() if allow_insecure is None else allow_insecure
        if is_loopback_host(parts.hostname) or insecure:
            return
        raise ValueError("plain http is allowed only for loopback hosts or in DEBUG")
    raise ValueError(f"URL scheme {parts.scheme!r} is not allowed")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError for the 3xx response


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes


def http_get(
    url: str,
    *,
    max_bytes: int,
    timeout: float | None = None,
    headers: dict[str, str] | None = None,
    allow_insecure: bool | None = None,
) -> Response:
    """GET ``url``; 2xx, 304 and 4xx answers come back, everything else raises FetchError."""
    return http_request(
        url, max_bytes=max_bytes, timeout=timeout, headers=headers, allow_insecure=allow_insecure
    )


def http_post_form(
    url: str,
    form: dict[str, str],
    *,
    max_bytes: int,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
) -> Response:
    """POST ``form`` (application/x-www-form-urlencoded), e.g. an OAuth code exchange."""
    return http_request(
        url,
        max_bytes=max_bytes,
        timeout=timeout,
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        data=urlencode(form).encode(),
    )


def http_request(
    url: str,
    *,
    max_bytes: int,
    timeout: float | None = None,
    headers: dict[str, str] | None = None,
    allow_insecure: bool | None = None,
    data: bytes | None = None,
) -> Response:
    """GET (or POST ``data``) under the transport rules above; see ``http_get``."""
    try:
        check_url(url, allow_insecure=allow_insecure)
    except ValueError as exc:
        raise FetchError(f"refused URL: {exc}") from None
    handlers: list = [_NoRedirect()]
    if is_loopback_host(urlsplit(url).hostname):
        handlers.append(urllib.request.ProxyHandler({}))  # never send loopback to a proxy
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=data,
        headers={
            "Accept": "application/json",
            "User-Agent": "sandbox-platform/1",
            **(headers or {}),
        },
    )
    timeout = conf.seconds("HTTP_TIMEOUT") if timeout is None else timeout
    try:
        with opener.open(request, timeout=timeout) as resp:
            body = resp.read(max_bytes + 1)
            status, resp_headers = resp.status, resp.headers
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400 and exc.code != 304:
            raise FetchError(f"redirect ({exc.code}) refused") from None
        if exc.code == 304 or 400 <= exc.code < 500:
            try:
                body = exc.read(max_bytes + 1) if exc.code != 304 else b""
            except Exception:
                body = b""
            finally:
                exc.close()
            return Response(exc.code, exc.headers, body[:max_bytes])
        raise FetchError(f"HTTP status {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"fetch failed: {type(reason).__name__}") from None
    if len(body) > max_bytes:
        raise FetchError(f"response larger than {max_bytes} bytes")
    return Response(status, resp_headers, body)
