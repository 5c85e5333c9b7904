"""Registered-claim checks (docs/security.md 15)."""

from __future__ import annotations

import math

from .profiles.base import Profile
from .reasons import Reason, Rejected

NUMERIC_DATES = ("exp", "nbf", "iat")
MAX_JTI_LENGTH = 256


def _numeric_date(claims: dict, name: str) -> float | None:
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected(Reason.INVALID_CLAIM, f"'{name}' is not a NumericDate number")
    if not math.isfinite(value) or value < 0 or value > 1e11:
        raise Rejected(Reason.INVALID_CLAIM, f"'{name}' is out of range")
    return float(value)


def _nonempty_string(claims: dict, name: str, max_length: int = 1024) -> None:
    if name in claims:
        value = claims[name]
        if not isinstance(value, str) or not value or len(value) > max_length:
            raise Rejected(Reason.INVALID_CLAIM, f"'{name}' is not a non-empty string")


def check_claims(
    claims: dict,
    *,
    profile: Profile,
    issuer: str,
    audience: str,
    leeway: float,
    now: float,
) -> None:
    for name in profile.required_claims:
        if name not in claims:
            raise Rejected(Reason.MISSING_CLAIM, f"claim '{name}' is required")
    exp = _numeric_date(claims, "exp")
    nbf = _numeric_date(claims, "nbf")
    iat = _numeric_date(claims, "iat")
    _nonempty_string(claims, "sub")
    _nonempty_string(claims, "jti", MAX_JTI_LENGTH)

    if "iss" in claims:
        if not isinstance(claims["iss"], str):
            raise Rejected(Reason.INVALID_CLAIM, "'iss' is not a string")
        if claims["iss"] != issuer:
            raise Rejected(Reason.WRONG_ISSUER, "issuer does not match")

    if "aud" in claims:
        aud = claims["aud"]
        if isinstance(aud, str):
            audiences = [aud]
        elif isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
            audiences = aud
        else:
            raise Rejected(Reason.INVALID_CLAIM, "'aud' is not a string or list of strings")
        if profile.audience_mode == "single" and len(audiences) != 1:
            raise Rejected(Reason.WRONG_AUDIENCE, "exactly one audience is required")
        if audience not in audiences:
            raise Rejected(Reason.WRONG_AUDIENCE, "audience does not include ours")

    if exp is not None and now >= exp + leeway:
        raise Rejected(Reason.EXPIRED, "token has expired")
    if nbf is not None and nbf > now + leeway:
        raise Rejected(Reason.NOT_YET_VALID, "token is not valid yet (nbf)")
    if iat is not None and iat > now + leeway:
        raise Rejected(Reason.ISSUED_IN_FUTURE, "token was issued in the future (iat)")
    if (
        profile.max_lifetime is not None
        and exp is not None
        and iat is not None
        and exp - iat > profile.max_lifetime
    ):
        raise Rejected(Reason.INVALID_CLAIM, f"lifetime exp - iat above {profile.max_lifetime} s")
