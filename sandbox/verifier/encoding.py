"""Strict base64url and JSON decoding (docs/security.md items 11 and 16).

* base64url: the URL-safe alphabet only, no padding, no whitespace, canonical (the unused
  low bits of the last character must be zero, so one byte string has one encoding).
* JSON: UTF-8, an object at the top level, duplicate member names refused, no NaN/Infinity.
"""

import base64
import binascii
import json
import re

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class DecodeError(ValueError):
    pass


def b64url_decode(segment: str) -> bytes:
    if not isinstance(segment, str) or not _B64URL.fullmatch(segment):
        raise DecodeError("not base64url (alphabet A-Z a-z 0-9 - _ without padding)")
    if len(segment) % 4 == 1:
        raise DecodeError("impossible base64url length")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DecodeError("invalid base64url") from exc
    if b64url_encode(raw) != segment:
        raise DecodeError("non-canonical base64url (unused bits set)")
    return raw


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise DecodeError(f"duplicate member name {key[:64]!r}")
        result[key] = value
    return result


def _no_constants(name: str):
    raise DecodeError(f"non-standard JSON constant {name}")


def strict_json_loads(raw: bytes | str) -> object:
    """Parse JSON refusing duplicate names and NaN/Infinity; any failure is DecodeError."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except DecodeError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DecodeError(f"invalid JSON: {type(exc).__name__}") from exc


def strict_json_object(raw: bytes | str) -> dict:
    value = strict_json_loads(raw)
    if not isinstance(value, dict):
        raise DecodeError("JSON value is not an object")
    return value
