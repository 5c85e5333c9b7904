"""Claim rules shared by the platform profiles; each raises ``Rejected`` with a reason code."""

from __future__ import annotations

import json
from collections.abc import Callable

from .reasons import Reason, Rejected


def string_claim(name: str, *, max_length: int = 255) -> Callable[[dict], None]:
    """``name``, when present, must be a non-empty string (a number is ``invalid_claim``)."""

    def rule(claims: dict) -> None:
        if name not in claims:
            return
        value = claims[name]
        if not isinstance(value, str) or not value or len(value) > max_length:
            kind = type(value).__name__
            raise Rejected(Reason.INVALID_CLAIM, f"'{name}' must be a string, not {kind}")

    return rule


def exact_claim(name: str, expected: str) -> Callable[[dict], None]:
    """``name``, when present, must equal ``expected`` exactly."""

    def rule(claims: dict) -> None:
        if name in claims and claims[name] != expected:
            raise Rejected(Reason.INVALID_CLAIM, f"'{name}' must be {expected!r}")

    return rule


def _primitive(value) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


def json_object_string(name: str) -> Callable[[dict], None]:
    """``name``, when present, must be a STRING holding a JSON object of primitive values."""

    def rule(claims: dict) -> None:
        if name not in claims:
            return
        value = claims[name]
        if not isinstance(value, str):
            raise Rejected(
                Reason.INVALID_CLAIM, f"'{name}' must be a JSON string, not {type(value).__name__}"
            )
        try:
            parsed = json.loads(value)
        except ValueError:
            raise Rejected(Reason.INVALID_CLAIM, f"'{name}' is not valid JSON") from None
        if not isinstance(parsed, dict) or not all(_primitive(v) for v in parsed.values()):
            raise Rejected(
                Reason.INVALID_CLAIM, f"'{name}' must be a JSON object of primitive values"
            )

    return rule


# --- certified views: a platform's claims in the generic names the agent console shows ------


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def split_name(name: object) -> tuple[str | None, str | None]:
    """ "Ada King Lovelace" -> ("Ada", "King Lovelace"); vendors with one name claim."""
    if not isinstance(name, str) or not name.strip():
        return None, None
    first, _, last = name.strip().partition(" ")
    return first, last or None


def named_view(id_claim: str) -> Callable[[dict], dict]:
    """Zendesk / Intercom: the customer id in ``id_claim``, a single ``name``."""

    def view(claims: dict) -> dict:
        first, last = split_name(claims.get("name"))
        return {
            "sub": _text(claims.get(id_claim)),
            "iss": _text(claims.get("iss")),
            "firstName": first,
            "lastName": last,
            "email": _text(claims.get("email")),
        }

    return view
