"""OpenAPI schema hooks (drf-spectacular)."""


def portal_endpoints_only(endpoints):
    """Document the portal's own API; the sandbox stands in for a vendor and is not part of it."""
    return [e for e in endpoints if not e[0].startswith("/sandbox/")]
