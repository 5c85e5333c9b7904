"""Reason codes of a rejected token (docs/architecture.md, "Public contracts")."""

from enum import StrEnum


class Reason(StrEnum):
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    WRONG_TYPE = "wrong_type"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUED_IN_FUTURE = "issued_in_future"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    MISSING_CLAIM = "missing_claim"
    INVALID_CLAIM = "invalid_claim"
    REPLAYED = "replayed"
    JWKS_UNAVAILABLE = "jwks_unavailable"


REASON_CODES: tuple[str, ...] = tuple(r.value for r in Reason)


class Rejected(Exception):
    """Raised inside the verifier; ``verify()`` turns it into a result, never lets it out."""

    def __init__(self, reason: Reason, detail: str):
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
