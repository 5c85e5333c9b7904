"""OAuth 2.0 / OpenID Connect protocol errors (RFC 6749 section 5.2, RFC 6750 section 3)."""


class OAuthError(Exception):
    """``error`` is the RFC 6749 code; ``description`` is safe to show to the client."""

    def __init__(
        self, error: str, description: str, *, status: int = 400, retry_after: int | None = None
    ):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.retry_after = retry_after  # seconds, for a 429


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_client(description: str = "Client authentication failed.") -> OAuthError:
    return OAuthError("invalid_client", description, status=401)
