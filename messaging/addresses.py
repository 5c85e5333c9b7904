"""The client address as the audit trail stores it (``TokenIssue``, ``AuthEvent``, codes)."""

import ipaddress


def address_or_none(address: str | None) -> str | None:
    """``address`` in canonical form when it is an IPv4 or IPv6 address, else None (an
    unknown or malformed address is recorded as unknown, never refused)."""
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return None
