"""Strict compact JWS parsing and signature checking (docs/security.md 11, 12, 13, 16)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .encoding import DecodeError, b64url_decode, strict_json_object
from .keys import VerificationKey
from .reasons import Reason, Rejected

_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class ParsedJWS:
    header: dict
    payload: bytes
    signature: bytes
    signing_input: bytes

    @property
    def alg(self) -> str:
        return self.header["alg"]

    @property
    def kid(self) -> str | None:
        return self.header.get("kid")


def parse_compact(token: object, *, max_bytes: int) -> ParsedJWS:
    """Split and decode a compact JWS or raise Rejected (malformed / too_large)."""
    if isinstance(token, bytes | bytearray):
        try:
            token = bytes(token).decode("ascii")
        except UnicodeDecodeError:
            raise Rejected(Reason.MALFORMED, "token is not ASCII") from None
    if not isinstance(token, str):
        raise Rejected(Reason.MALFORMED, "token is not a string")
    if len(token) > max_bytes:
        raise Rejected(Reason.TOO_LARGE, f"token longer than {max_bytes} bytes")
    if not token:
        raise Rejected(Reason.MALFORMED, "empty token")
    if token.lstrip()[:1] == "{":
        raise Rejected(Reason.MALFORMED, "JSON serialization is not accepted")
    dots = token.count(".")
    if dots == 4:
        raise Rejected(Reason.MALFORMED, "five segments (JWE) are not accepted")
    if dots != 2:
        raise Rejected(Reason.MALFORMED, "compact JWS must have exactly three segments")
    if not _COMPACT.fullmatch(token):
        raise Rejected(
            Reason.MALFORMED,
            "segments must be unpadded base64url without whitespace",
        )
    header_b64, payload_b64, signature_b64 = token.split(".")
    try:
        header_raw = b64url_decode(header_b64)
        payload = b64url_decode(payload_b64)
        signature = b64url_decode(signature_b64)
        header = strict_json_object(header_raw)
    except DecodeError as exc:
        raise Rejected(Reason.MALFORMED, str(exc)) from None
    _check_header(header)
    return ParsedJWS(
        header=header,
        payload=payload,
        signature=signature,
        signing_input=f"{header_b64}.{payload_b64}".encode("ascii"),
    )


def _check_header(header: dict) -> None:
    alg = header.get("alg")
    if "alg" not in header:
        raise Rejected(Reason.MALFORMED, "header has no 'alg'")
    if not isinstance(alg, str):
        raise Rejected(Reason.MALFORMED, "'alg' is not a string")
    if "crit" in header:
        raise Rejected(Reason.MALFORMED, "'crit' header extensions are not supported")
    if "b64" in header:
        raise Rejected(Reason.MALFORMED, "'b64' (unencoded payload) is not supported")
    if "kid" in header and not isinstance(header["kid"], str):
        raise Rejected(Reason.MALFORMED, "'kid' is not a string")
    if "typ" in header and not isinstance(header["typ"], str):
        raise Rejected(Reason.MALFORMED, "'typ' is not a string")
    # jwk, jku, x5u, x5c, x5t are never used to find or build a key: ignored.


def check_algorithm(parsed: ParsedJWS, allowed: tuple[str, ...]) -> None:
    alg = parsed.alg
    if alg not in allowed or alg.lower() == "none":
        raise Rejected(Reason.UNSUPPORTED_ALGORITHM, f"algorithm {alg[:32]!r} not allowed")


def check_signature_present(parsed: ParsedJWS) -> None:
    if not parsed.signature:
        raise Rejected(Reason.MALFORMED, "signature segment is empty")


def check_signature(parsed: ParsedJWS, key: VerificationKey) -> None:
    if key.alg != parsed.alg:
        raise Rejected(
            Reason.UNSUPPORTED_ALGORITHM,
            f"key is bound to {key.alg}, token says {parsed.alg[:32]!r}",
        )
    try:
        ok = key.spec.impl.verify(parsed.signing_input, key.key, parsed.signature)
    except Exception:  # a library error is a failed verification, never a crash
        ok = False
    if not ok:
        raise Rejected(Reason.BAD_SIGNATURE, "signature does not verify")
