"""HTTP security helpers: the Content-Security-Policy header and the client address."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_EXTRA_ATTR = "_csp_extra_sources"


def csp_allow(request: HttpRequest, directive: str, *sources: str) -> None:
    """Allow ``sources`` for ``directive`` on this response only (e.g. a vendor widget)."""
    extra = getattr(request, _EXTRA_ATTR, None)
    if extra is None:
        extra = {}
        setattr(request, _EXTRA_ATTR, extra)
    extra.setdefault(directive, [])
    for source in sources:
        if source not in extra[directive]:
            extra[directive].append(source)


def build_policy(extra: dict[str, list[str]] | None = None) -> str:
    policy = {k: list(v) for k, v in settings.CONTENT_SECURITY_POLICY.items()}
    for directive, sources in (extra or {}).items():
        current = policy.setdefault(directive, ["'self'"])
        if current == ["'none'"]:
            current.clear()
        current.extend(s for s in sources if s not in current)
    return "; ".join(f"{k} {' '.join(v)}" for k, v in policy.items())


class ContentSecurityPolicyMiddleware:
    """Sets the baseline policy of ``settings.CONTENT_SECURITY_POLICY`` plus what views allowed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = build_policy(getattr(request, _EXTRA_ATTR, None))
        return response


def client_address(request: HttpRequest) -> str:
    """The caller's IP address, trusting ``TRUSTED_PROXY_COUNT`` X-Forwarded-For hops."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
